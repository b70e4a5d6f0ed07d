import 'reflect-metadata';
import { createHttpApp, loadConfig, portFrom } from '@illbridge/common';
import { ImportWorkerModule } from './app.module';
import { ImportSettings } from './import-settings';

/** The import worker: consumes import jobs; over HTTP it serves only /health, /metrics and /docs. */
export async function createImportWorkerApp(config = loadConfig(), settings = new ImportSettings()) {
  return createHttpApp(ImportWorkerModule.forRoot(config, settings), {
    service: 'import-worker',
    config,
    title: 'ILL Bridge — import-worker',
    description: 'Consumes import jobs (Libris harvest, NACSIS-ILL sync, Netpunkt receipts). Health and metrics only.',
  });
}

if (require.main === module) {
  createImportWorkerApp()
    .then((app) => app.listen(portFrom(process.env, 3004), '0.0.0.0'))
    .catch((error) => {
      console.error(error?.message ?? error);
      process.exit(1);
    });
}
