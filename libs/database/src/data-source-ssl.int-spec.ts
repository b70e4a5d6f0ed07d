import { Client } from 'pg';
import { createTestDatabase, TestDatabase } from '@illbridge/testing';
import { createDataSource } from './data-source';

const withParams = (url: string, params: string) => `${url}${url.includes('?') ? '&' : '?'}${params}`;

/** `sslmode` in DATABASE_URL reaches node-postgres through the services' data source (TypeORM passes the URL as
 *  pg's connectionString, whose parameters win over the pool's options). When the server here has `ssl = on`, a
 *  connection with sslmode=require is encrypted (pg_stat_ssl of its own backend); when it has `ssl = off` (Debian's
 *  default without a certificate), the same URL is refused, which only happens if the sslmode was passed on. */
describe('DATABASE_URL sslmode (a real Postgres)', () => {
  let db: TestDatabase;
  let serverSsl: boolean;

  beforeAll(async () => {
    db = await createTestDatabase();
    const client = new Client({ connectionString: db.url });
    await client.connect();
    serverSsl = (await client.query('SHOW ssl')).rows[0].ssl === 'on';
    await client.end();
  });

  afterAll(async () => {
    await db?.drop();
  });

  /** Connects through the services' data source with `params`: whether its own backend is encrypted. */
  const encrypted = async (params: string): Promise<boolean> => {
    const source = createDataSource(withParams(db.url, params));
    await source.initialize();
    try {
      const [row] = await source.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      return row.ssl;
    } finally {
      await source.destroy();
    }
  };

  it('connects without TLS with sslmode=disable', async () => {
    expect(await encrypted('sslmode=disable')).toBe(false);
  });

  it.each(['sslmode=no-verify', 'sslmode=require&uselibpqcompat=true'])('asks for TLS with %s', async (params) => {
    if (serverSsl) expect(await encrypted(params)).toBe(true);
    else await expect(encrypted(params)).rejects.toThrow(/does not support SSL/);
  });
});
