import 'reflect-metadata';
import { createHttpApp, loadConfig, portFrom } from '@illbridge/common';
import { buildSoapFault } from '@illbridge/connectors/netpunkt';
import { ProfileConfigModule } from './app.module';

export async function createProfileConfigApp(config = loadConfig()) {
  return createHttpApp(ProfileConfigModule.forRoot(config), {
    service: 'profile-config',
    config,
    title: 'ILL Bridge — profile-config',
    description: 'Admin API: API keys, libraries, partners, integration profiles, library-code mappings, schedules, run now; inbound Netpunkt receipts.',
    netpunktBodyError: (message) => buildSoapFault(message),
  });
}

if (require.main === module) {
  createProfileConfigApp()
    .then((app) => app.listen(portFrom(process.env, 3001), '0.0.0.0'))
    .catch((error) => {
      console.error(error?.message ?? error);
      process.exit(1);
    });
}
