import { writeFileSync } from 'fs';
import { join } from 'path';
import { loadConfig } from '@illbridge/common/config';
import { pendingSchemaChanges, runMigrations } from '../migrate';

/** Writes a new migration with the difference between the entities and the migrated schema.
 *  Usage: npm run migration:generate -- <Name> */
async function main() {
  const name = (process.argv[2] || 'Change').replace(/[^A-Za-z0-9]/g, '');
  const { databaseUrl } = loadConfig({ NODE_ENV: 'development', ...process.env });
  await runMigrations(databaseUrl);
  const queries = await pendingSchemaChanges(databaseUrl);
  if (!queries.length) {
    console.log('No schema changes: nothing generated.');
    return;
  }
  const stamp = Date.now();
  const body = queries.map((q) => `    await queryRunner.query(${JSON.stringify(q)});`).join('\n');
  const file = join(__dirname, '..', 'migrations', `${stamp}-${name}.ts`);
  writeFileSync(
    file,
    `import { MigrationInterface, QueryRunner } from 'typeorm';\n\nexport class ${name}${stamp} implements MigrationInterface {\n  name = '${name}${stamp}';\n\n  async up(queryRunner: QueryRunner): Promise<void> {\n${body}\n  }\n\n  async down(): Promise<void> {\n    throw new Error('Forward-only migration');\n  }\n}\n`,
  );
  console.log(`Wrote ${file}; add it to migrations/index.ts`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
