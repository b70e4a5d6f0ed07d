import { loadConfig } from '@illbridge/common/config';
import { pendingSchemaChanges, runMigrations } from '../migrate';

/** CI check: migrations on an empty database, then a generated migration, must show no difference. */
async function main() {
  const { databaseUrl } = loadConfig({ NODE_ENV: 'development', ...process.env });
  await runMigrations(databaseUrl);
  const queries = await pendingSchemaChanges(databaseUrl);
  if (queries.length) {
    console.error(`Entities and migrations differ; generate a migration. Pending:\n${queries.join('\n')}`);
    process.exit(1);
  }
  console.log('Migrations match the entities.');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
