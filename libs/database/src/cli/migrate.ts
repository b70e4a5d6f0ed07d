import { loadConfig } from '@illbridge/common/config';
import { runMigrations } from '../migrate';

async function main() {
  const { databaseUrl } = loadConfig({ NODE_ENV: 'development', ...process.env });
  const done = await runMigrations(databaseUrl);
  const where = new URL(databaseUrl);
  console.log(done.length ? `Applied ${done.length} migration(s) to ${where.host}${where.pathname}: ${done.join(', ')}` : `Schema of ${where.host}${where.pathname} is up to date.`);
}

main().catch((error) => {
  console.error(`Migrations failed: ${error?.message ?? error}`);
  if (/ECONNREFUSED/.test(String(error?.message ?? error))) console.error('Is Postgres running? See README "Requirements".');
  process.exit(1);
});
