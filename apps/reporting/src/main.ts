import 'reflect-metadata';
import { createHttpApp, loadConfig, portFrom } from '@illbridge/common';
import { ReportingModule } from './app.module';
import { mountQueueDashboard } from './dashboard/queue-dashboard';

export async function createReportingApp(config = loadConfig()) {
  const app = await createHttpApp(ReportingModule.forRoot(config), {
    service: 'reporting',
    config,
    title: 'ILL Bridge — reporting',
    description: 'Monitor jobs, job reports, events reports, request lists with facets, the queue dashboard.',
  });
  mountQueueDashboard(app);
  return app;
}

if (require.main === module) {
  createReportingApp()
    .then((app) => app.listen(portFrom(process.env, 3003), '0.0.0.0'))
    .catch((error) => {
      console.error(error?.message ?? error);
      process.exit(1);
    });
}
