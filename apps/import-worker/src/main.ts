import 'reflect-metadata';
import { setFlagsFromString } from 'v8';
import { createHttpApp, loadConfig, loadServiceSettings } from '@illbridge/common';
import { ImportWorkerModule } from './app.module';
import { IMPORT_SETTINGS, ImportSettings } from './import-settings';

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
  // The worker's live heap stays ~60–80 MB through an import, but on a machine with a lot of memory V8
  // lets the old generation grow to ~4× the live size between full collections (its default heap growing
  // factor), which put the RSS of a 100,000-record import at 500–750 MB, mostly garbage. A fixed, smaller
  // growing factor keeps it near the live size at the cost of more frequent (incremental) marking.
  // IMPORT_HEAP_GROWING_PERCENT=0 restores V8's default. IMPORT_V8_FLAGS (e.g. --trace-gc) is for diagnostics:
  // NODE_OPTIONS does not accept those flags.
  Promise.resolve()
    .then(async () => {
      const { config, settings } = loadServiceSettings(IMPORT_SETTINGS);
      if (settings.IMPORT_HEAP_GROWING_PERCENT > 0) setFlagsFromString(`--heap-growing-percent=${settings.IMPORT_HEAP_GROWING_PERCENT}`);
      if (settings.IMPORT_V8_FLAGS) setFlagsFromString(settings.IMPORT_V8_FLAGS);
      const app = await createImportWorkerApp(config, new ImportSettings());
      await app.listen(settings.PORT, '0.0.0.0');
    })
    .catch((error) => {
      console.error(error?.message ?? error);
      process.exit(1);
    });
}
