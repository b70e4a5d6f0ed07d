import { DataSource } from 'typeorm';
import { mapLibrisRecord } from '@illbridge/connectors/libris';
import type { MappingResult } from '@illbridge/connectors/types';
import { createDataSource } from '@illbridge/database/data-source';
import { createTestDatabase, TestDatabase } from '@illbridge/testing';
import { ImportSettings } from '../import-settings';
import { RetentionService } from '../retention';
import { contentHash, HashedContent, legacyContentHash } from './content-hash';
import { RequestWriter } from './request-writer';
import type { LibraryResolver, PartnerResolver } from './resolvers';
import type { RunContext } from './run-context';

/** The writer against the real Postgres: rows stored with the version 1 content hash (no prefix) by earlier
 *  versions are read again by this one. */
describe('RequestWriter and stored hashes of an earlier version (Postgres)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let profileId: string;
  let runs = 0;

  const record = (n: number, status = 'Uteliggande') => ({
    request_id: String(5_000_000 + n),
    lf_number: `Hig-20261101-${String(n).padStart(4, '0')}`,
    requesting_library: 'Hig',
    status,
    media_type: 'Lån',
    title: `Titel ${n} — åäö`,
    active_library: 'Gk',
    recipients: [{ library_code: 'Gk', is_active_library: true }, { library_code: 'U' }],
  });
  const batch = (records: object[]): MappingResult[] => records.map((r) => mapLibrisRecord(JSON.parse(JSON.stringify(r))));

  const newRun = async (): Promise<RunContext> => {
    await ds.query(`UPDATE job_run SET state = 'COMPLETED' WHERE profile_id = $1 AND state = 'RUNNING'`, [profileId]); // one active run per profile
    const [run] = await ds.query(`INSERT INTO job_run (profile_id, job_name, trigger, state) VALUES ($1, $2, 'MANUAL', 'RUNNING') RETURNING id`, [profileId, `run ${++runs}`]);
    return {
      run: { id: run.id, jobName: `run ${runs}` },
      profile: { id: profileId, code: 'LIBRIS_T', system: 'LIBRIS', resourceSharingLibraryCode: 'MAIN' },
      secret: null,
      libraries: { resolve: (code: string | null | undefined) => (code === 'Hig' ? 'MAIN' : null) } as unknown as LibraryResolver,
      partners: { resolve: (code: string) => code } as unknown as PartnerResolver,
    } as unknown as RunContext;
  };
  /** As an earlier version left them: the version 1 hash of the same content. */
  const storeLegacyHashes = async (records: object[]) => {
    for (const result of batch(records)) {
      if (!result.ok) throw new Error(result.failure.message);
      const content: HashedContent = { request: result.request, pickup: 'MAIN', partners: ['Gk', 'U'], partnerCode: 'Gk' };
      const updated = await ds.query(`UPDATE rs_request SET content_hash = $3 WHERE profile_id = $1 AND external_id = $2 RETURNING content_hash`, [
        profileId,
        result.request.externalId,
        legacyContentHash(content),
      ]);
      expect(updated[0][0].content_hash).toMatch(/^[0-9a-f]{40}$/);
    }
  };
  const hashes = async () => new Map<string, string>((await ds.query(`SELECT external_id, content_hash FROM rs_request WHERE profile_id = $1`, [profileId])).map((r: any) => [r.external_id, r.content_hash]));
  const requestEvents = async () => Number((await ds.query(`SELECT count(*)::int AS n FROM request_event`))[0].n);
  const outcomes = async (ctx: RunContext) =>
    Object.fromEntries((await ds.query(`SELECT external_id, outcome FROM record_event WHERE job_run_id = $1`, [ctx.run.id])).map((r: any) => [r.external_id, r.outcome]));
  const id = (n: number) => record(n).lf_number;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url);
    await ds.initialize();
    [{ id: profileId }] = await ds.query(
      `INSERT INTO integration_profile (code, name, system, library_code, resource_sharing_library_code, version) VALUES ('LIBRIS_T', 'T', 'LIBRIS', 'Hig', 'MAIN', 1) RETURNING id`,
    );
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  beforeEach(async () => {
    await ds.query('DELETE FROM request_event');
    await ds.query('DELETE FROM record_event');
    await ds.query('DELETE FROM rs_request');
  });

  it('stores the current hash version, and an unchanged re-read is UNCHANGED', async () => {
    const ctx = await newRun();
    const first = await new RequestWriter(ds).write(ctx, batch([record(1), record(2)]));
    expect(first.delta).toMatchObject({ created: 2, updated: 0, unchanged: 0 });
    for (const hash of (await hashes()).values()) expect(hash).toMatch(/^v2:[0-9a-f]{37}$/);
    const again = await new RequestWriter(ds).write(await newRun(), batch([record(1), record(2)]));
    expect(again.delta).toMatchObject({ created: 0, updated: 0, unchanged: 2 });
  });

  it("writes a record's due date; a later record without one keeps it, one with a new date (a renewal) replaces it", async () => {
    const dueDate = async (n: number) => (await ds.query(`SELECT due_date FROM rs_request WHERE external_id = $1`, [id(n)]))[0].due_date;
    await new RequestWriter(ds).write(await newRun(), batch([{ ...record(1, 'Levererad'), due_date: '2026-12-24' }, record(2)]));
    expect([await dueDate(1), await dueDate(2)]).toEqual(['2026-12-24', null]);
    const later = await new RequestWriter(ds).write(await newRun(), batch([{ ...record(1, 'Levererad'), title: 'Changed' }]));
    expect(later.delta).toMatchObject({ updated: 1 });
    expect(await dueDate(1)).toBe('2026-12-24');
    await new RequestWriter(ds).write(await newRun(), batch([{ ...record(1, 'Levererad'), due_date: '2027-01-21' }]));
    expect(await dueDate(1)).toBe('2027-01-21');
  });

  // A fresh writer sends full rows first (WRITE_SQL); after a mostly unchanged batch it sends hashes first (UNCHANGED_SQL).
  it.each([
    ['full rows first', false],
    ['hashes first', true],
  ])('a row with a version 1 hash read again unchanged is UNCHANGED with no request event, and its hash is upgraded (%s)', async (_, hashesFirst) => {
    const all = [1, 2, 3, 4].map((n) => record(n));
    await new RequestWriter(ds).write(await newRun(), batch(all));
    const current = await hashes();
    await storeLegacyHashes(all.slice(0, 3)); // record 4 keeps its current hash
    const eventsBefore = await requestEvents();

    const ctx = await newRun();
    const writer = new RequestWriter(ds);
    if (hashesFirst) {
      // A batch of records with current hashes: all unchanged, so the next batch goes hashes first.
      await new RequestWriter(ds).write(ctx, batch([record(4)])); // (another writer: just the record event)
      expect((await writer.write(ctx, batch([record(4)]))).delta).toMatchObject({ unchanged: 1 });
    }
    const result = await writer.write(ctx, batch(all));
    expect(result.delta).toMatchObject({ created: 0, updated: 0, unchanged: 4, totalRecordsProcessed: 4 });
    expect(await requestEvents()).toBe(eventsBefore);
    expect(await outcomes(ctx)).toEqual({ [id(1)]: 'UNCHANGED', [id(2)]: 'UNCHANGED', [id(3)]: 'UNCHANGED', [id(4)]: 'UNCHANGED' });
    expect(await hashes()).toEqual(current); // upgraded to the current hash

    // and the next re-read finds them unchanged at once
    const next = await new RequestWriter(ds).write(await newRun(), batch(all));
    expect(next.delta).toMatchObject({ created: 0, updated: 0, unchanged: 4 });
    expect(await requestEvents()).toBe(eventsBefore);
  });

  it.each([
    ['full rows first', false],
    ['hashes first', true],
  ])('a row with a version 1 hash whose record changed is UPDATED, next to unchanged, new and unhashed ones (%s)', async (_, hashesFirst) => {
    await new RequestWriter(ds).write(await newRun(), batch([1, 2, 3, 4, 5].map((n) => record(n))));
    await storeLegacyHashes([record(1), record(2), record(5)]);
    await ds.query(`UPDATE rs_request SET content_hash = NULL WHERE external_id = $1`, [id(3)]); // e.g. a NACSIS placeholder
    const eventsBefore = await requestEvents();

    const ctx = await newRun();
    const writer = new RequestWriter(ds);
    if (hashesFirst) expect((await writer.write(ctx, batch([record(4)]))).delta).toMatchObject({ unchanged: 1 });
    // 1: v1 hash, unchanged; 2: v1 hash, status changed; 3: no hash; 4: current hash, title changed; 5: v1 hash, title changed; 6: new
    const changedTitle = (n: number) => ({ ...record(n), title: 'Changed' });
    const result = await writer.write(ctx, batch([record(1), record(2, 'Levererad'), record(3), changedTitle(4), changedTitle(5), record(6)]));
    expect(result.delta).toMatchObject({ created: 1, updated: 4, unchanged: 1, totalRecordsProcessed: 6 });
    expect(await outcomes(ctx)).toEqual({ [id(1)]: 'UNCHANGED', [id(2)]: 'UPDATED', [id(3)]: 'UPDATED', [id(4)]: 'UPDATED', [id(5)]: 'UPDATED', [id(6)]: 'CREATED' });
    const events = await ds.query(
      `SELECT r.external_id, e.type FROM request_event e JOIN rs_request r ON r.id = e.request_id ORDER BY e.id OFFSET $1`,
      [eventsBefore],
    );
    expect(events.map((e: any) => [e.external_id, e.type]).sort()).toEqual(
      [
        [id(2), 'STATUS_CHANGED'],
        [id(3), 'UPDATED'],
        [id(4), 'UPDATED'],
        [id(5), 'UPDATED'],
        [id(6), 'CREATED'],
      ].sort(),
    );
    const stored = (await ds.query(`SELECT external_id, status, title, content_hash FROM rs_request WHERE profile_id = $1`, [profileId])) as any[];
    for (const row of stored) expect(row.content_hash).toMatch(/^v2:/);
    expect(stored.find((r) => r.external_id === id(2)).status).toBe('SHIPPED_PHYSICALLY');
    expect(stored.find((r) => r.external_id === id(5)).title).toBe('Changed');
  });

  it('a closed request whose personal data retention purged does not get them back from a later import; one the record shows open again does', async () => {
    const personal = async (n: number) =>
      (await ds.query(`SELECT requester_name, requester_id, raw IS NOT NULL AS has_raw, title, closed, personal_data_purged_at IS NOT NULL AS purged FROM rs_request WHERE external_id = $1`, [id(n)]))[0];
    const patron = { user: 'Anna Andersson', user_id: '4711' };
    await new RequestWriter(ds).write(await newRun(), batch([{ ...record(3, 'Makulerad'), ...patron }, { ...record(4, 'Makulerad'), ...patron }]));
    expect(await personal(3)).toEqual({ requester_name: 'Anna Andersson', requester_id: '4711', has_raw: true, title: 'Titel 3 — åäö', closed: true, purged: false });
    // Retention as it runs each day (RETENTION_DAYS 0, a minute from now: both closed requests are due).
    const retention = new RetentionService(ds, new ImportSettings({ retentionDays: 0 }), undefined as never);
    expect((await retention.purge(0, new Date(Date.now() + 60_000)))?.requestsPurged).toBe(2);

    // The record changed (a rewound harvest, a late correction): the request is updated, its patron stays purged.
    const later = await new RequestWriter(ds).write(await newRun(), batch([{ ...record(3, 'Makulerad'), ...patron, title: 'Rättad titel' }]));
    expect(later.delta).toMatchObject({ updated: 1 });
    expect(await personal(3)).toEqual({ requester_name: null, requester_id: null, has_raw: false, title: 'Rättad titel', closed: true, purged: true });
    // Open again in Libris: in use again, its data come back, and retention will count it anew when it closes.
    await new RequestWriter(ds).write(await newRun(), batch([{ ...record(4, 'Uteliggande'), ...patron }]));
    expect(await personal(4)).toEqual({ requester_name: 'Anna Andersson', requester_id: '4711', has_raw: true, title: 'Titel 4 — åäö', closed: false, purged: false });
  });

  it('the version 2 hash of the stored content is what the writer stored', async () => {
    await new RequestWriter(ds).write(await newRun(), batch([record(7)]));
    const [mapped] = batch([record(7)]);
    if (!mapped.ok) throw new Error('unmapped');
    expect((await hashes()).get(id(7))).toBe(contentHash({ request: mapped.request, pickup: 'MAIN', partners: ['Gk', 'U'], partnerCode: 'Gk' }));
  });
});
