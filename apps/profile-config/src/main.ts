import 'reflect-metadata';
import { createHttpApp, loadConfig, loadServiceSettings, portSetting } from '@illbridge/common';
import { buildSoapFault } from '@illbridge/connectors/netpunkt';
import { ProfileConfigModule } from './app.module';

/** Every setting profile-config reads besides the common ones (validated at start-up with them). */
export const PROFILE_CONFIG_SETTINGS = {
  PORT: portSetting(3001),
};

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
  Promise.resolve()
    .then(async () => {
      const { config, settings } = loadServiceSettings(PROFILE_CONFIG_SETTINGS);
      const app = await createProfileConfigApp(config);
      await app.listen(settings.PORT, '0.0.0.0');
    })
    .catch((error) => {
      console.error(error?.message ?? error);
      process.exit(1);
    });
}
