import 'reflect-metadata';
import { createHttpApp, loadConfig, loadServiceSettings } from '@illbridge/common';
import { ActionPushModule } from './app.module';
import { PUSH_SETTINGS, PushSettings } from './push-settings';

export async function createActionPushApp(config = loadConfig(), settings = new PushSettings()) {
  return createHttpApp(ActionPushModule.forRoot(config, settings), {
    service: 'action-push',
    config,
    title: 'ILL Bridge — action-push',
    description: 'Staff actions on requests and their push to NACSIS-ILL through an ordered retry queue.',
  });
}

if (require.main === module) {
  Promise.resolve()
    .then(async () => {
      const { config, settings } = loadServiceSettings(PUSH_SETTINGS);
      const app = await createActionPushApp(config, new PushSettings());
      await app.listen(settings.PORT, '0.0.0.0');
    })
    .catch((error) => {
      console.error(error?.message ?? error);
      process.exit(1);
    });
}
