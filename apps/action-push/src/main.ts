import 'reflect-metadata';
import { createHttpApp, loadConfig, portFrom } from '@illbridge/common';
import { ActionPushModule } from './app.module';
import { PushSettings } from './push-settings';

export async function createActionPushApp(config = loadConfig(), settings = new PushSettings()) {
  return createHttpApp(ActionPushModule.forRoot(config, settings), {
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
