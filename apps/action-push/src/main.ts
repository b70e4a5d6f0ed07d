import 'reflect-metadata';
import { createHttpApp, loadConfig, portFrom } from '@illbridge/common';
import { ActionPushModule } from './app.module';

export async function createActionPushApp(config = loadConfig()) {
  return createHttpApp(ActionPushModule.forRoot(config), {
    service: 'action-push',
    config,
    title: 'ILL Bridge — action-push',
    description: 'Staff actions on requests and their push to NACSIS-ILL through an ordered retry queue.',
  });
}

if (require.main === module) {
  createActionPushApp()
    .then((app) => app.listen(portFrom(process.env, 3002), '0.0.0.0'))
    .catch((error) => {
      console.error(error?.message ?? error);
      process.exit(1);
    });
}
