import { DataSource } from 'typeorm';
import { createTestDatabase, TestDatabase } from '@illbridge/testing';
import { createDataSource } from './data-source';
import { isUniqueViolation } from './errors';
import { prepared } from './prepared';

/** `prepared()` through TypeORM's query(): the statement is parsed once per connection (Postgres lists it in
 *  pg_prepared_statements of that backend), answers as a plain query does, in a transaction too, and its errors are
 *  TypeORM's (so `isUniqueViolation` still recognises a unique violation). */
describe('prepared statements through TypeORM (a real Postgres)', () => {
  let db: TestDatabase;
  let source: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    // One connection: every query runs on the backend whose pg_prepared_statements the test reads.
    source = createDataSource(db.url, { extra: { max: 1 } });
    await source.initialize();
    await source.query('CREATE TABLE prepared_probe (id int PRIMARY KEY, label text NOT NULL)');
  });

  afterAll(async () => {
    await source?.destroy();
    await db?.drop();
  });

  const INSERT = 'INSERT INTO prepared_probe (id, label) VALUES ($1, $2) RETURNING id, label';
  const BY_ID = 'SELECT id, label FROM prepared_probe WHERE id = $1';

  const preparedOnBackend = async (): Promise<string[]> =>
    (await source.query('SELECT statement FROM pg_prepared_statements ORDER BY statement')).map((r: { statement: string }) => r.statement);

  it('answers as the plain statement does, and is kept by the connection after its first use', async () => {
    expect(await source.query(prepared(INSERT), [1, 'one'])).toEqual([{ id: 1, label: 'one' }]);
    expect(await source.query(prepared(INSERT), [2, 'two'])).toEqual([{ id: 2, label: 'two' }]);
    expect(await source.query(prepared(BY_ID), [2])).toEqual(await source.query(BY_ID, [2]));
    expect(await preparedOnBackend()).toEqual([BY_ID, INSERT].sort());
  });

  it('gives one text one name, and two texts two', () => {
    const a = prepared(BY_ID) as unknown as { name: string };
    const b = prepared(BY_ID) as unknown as { name: string };
    const c = prepared(INSERT) as unknown as { name: string };
    expect(a.name).toBe(b.name);
    expect(a.name).not.toBe(c.name);
  });

  it("runs inside a transaction and rolls back with it; an UPDATE answers TypeORM's [rows, count]", async () => {
    await expect(
      source.transaction(async (em) => {
        const [rows, count] = await em.query(prepared('UPDATE prepared_probe SET label = $2 WHERE id = $1 RETURNING label'), [1, 'changed']);
        expect({ rows, count }).toEqual({ rows: [{ label: 'changed' }], count: 1 });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await source.query(prepared(BY_ID), [1])).toEqual([{ id: 1, label: 'one' }]);
  });

  it("fails with TypeORM's error, so a unique violation is recognised", async () => {
    const error = await source.query(prepared(INSERT), [1, 'again']).catch((e: unknown) => e);
    expect(isUniqueViolation(error)).toBe(true);
  });
});
