import 'reflect-metadata';
import { createHttpApp, loadConfig, loadServiceSettings } from '@illbridge/common';
import { NotificationSettings } from '@illbridge/notifications';
import { ReportingModule } from './app.module';
import { consoleSettings, ConsoleSettings, REPORTING_SETTINGS } from './console/console-settings';
import { mountConsole } from './console/console-server';
import { mountQueueDashboard } from './dashboard/queue-dashboard';

/** `consoleOptions`: where the staff console's files are and the services its calls are forwarded to (from the
 *  environment: CONSOLE_DIR, PROFILE_CONFIG_URL, ACTION_PUSH_URL). */
export async function createReportingApp(config = loadConfig(), consoleOptions: ConsoleSettings = consoleSettings(), notifications = new NotificationSettings()) {
  const app = await createHttpApp(ReportingModule.forRoot(config, notifications), {
    service: 'reporting',
    config,
    title: 'ILL Bridge — reporting',
    description:
      'Monitor jobs, job reports, events reports, request lists with facets, the queue dashboard; the staff console at /console/ with its same-origin proxy to profile-config and action-push at /proxy/<service>/api/….',
  });
  mountQueueDashboard(app);
  mountConsole(app, consoleOptions);
  return app;
}

if (require.main === module) {
  Promise.resolve()
    .then(async () => {
      const { config, settings } = loadServiceSettings(REPORTING_SETTINGS);
      const app = await createReportingApp(config, consoleSettings());
      await app.listen(settings.PORT, '0.0.0.0');
    })
    .catch((error) => {
      console.error(error?.message ?? error);
      process.exit(1);
    });
}
