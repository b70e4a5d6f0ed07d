import { DataSource } from 'typeorm';
import { createDataSource } from '@illbridge/database/data-source';
import { createTestDatabase, TestDatabase } from '@illbridge/testing';
import { NacsisActionInput, PushStore, STALE } from './push-store';

/** The push store's guarded writes against the real Postgres: a write judged on a row version that has changed
 *  since writes nothing, and `onRequest` then judges and writes again under the row lock. */
describe('PushStore (Postgres)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let store: PushStore;
  let requestId: string;

  const action = (seq: number, overrides: Partial<NacsisActionInput> = {}): NacsisActionInput => {
    const actionId = crypto.randomUUID();
    return {
      actionId,
      seq,
      action: 'ACCEPT',
      command: 'ANSWER',
      fromStat: 'REQUEST',
      toStat: 'ACCEPT',
      note: null,
      fields: {},
      idempotencyKey: null,
      toStatus: 'BEING_PROCESSED',
      held: false,
      event: { requestId, type: 'ACTION_REQUESTED', fromStatus: 'CREATED_LENDING_REQUEST', toStatus: 'BEING_PROCESSED', externalSystemStatus: 'REQUEST', message: `#${seq}`, data: { seq } },
      ...overrides,
    };
  };
  const count = async (table: string) => Number((await ds.query(`SELECT count(*)::int AS n FROM ${table} WHERE request_id = $1`, [requestId]))[0].n);

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url);
    await ds.initialize();
    store = new PushStore(ds);
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  beforeEach(async () => {
    [{ id: requestId }] = await ds.query(
      `INSERT INTO rs_request (system, direction, external_id, status, external_system_status, owner_library_code)
       VALUES ('NACSIS', 'LENDING', $1, 'CREATED_LENDING_REQUEST', 'REQUEST', 'MAIN') RETURNING id`,
      [`L-${Date.now()}-${Math.random()}`],
    );
  });

  it('records an action, the request status and the event in one statement when the row is the version read', async () => {
    const input = (await store.takeInput(ds, requestId))!;
    expect(input).toMatchObject({ pendingActions: [], hasFailed: false, nextSeq: 1 });
    const written = await store.recordNacsisAction(ds, input.rowVersion, action(input.nextSeq));
    expect(written).not.toBe(STALE);
    if (written === STALE) return;
    expect(written.action).toMatchObject({ seq: 1, state: 'PENDING', action: 'ACCEPT' });
    expect(written.request).toMatchObject({ status: 'BEING_PROCESSED', sync_state: 'PUSH_PENDING' });
    expect(written.drainHoldsLease).toBe(false);
    expect(await count('request_event')).toBe(1);
    expect((await store.takeInput(ds, requestId))!).toMatchObject({ pendingActions: ['ACCEPT'], nextSeq: 2 });
  });

  it('writes nothing when the request row changed since it was read (STALE), and onRequest judges again (then under the lock)', async () => {
    const stale = (await store.takeInput(ds, requestId))!;
    // Another take got in between: the row and the actions changed.
    const other = (await store.takeInput(ds, requestId))!;
    expect(await store.recordNacsisAction(ds, other.rowVersion, action(other.nextSeq))).not.toBe(STALE);

    expect(await store.recordNacsisAction(ds, stale.rowVersion, action(stale.nextSeq))).toBe(STALE);
    expect(await count('outbound_action')).toBe(1);
    expect(await count('request_event')).toBe(1);

    const runs: { locked: boolean; nextSeq: number }[] = [];
    const written = await store.onRequest(requestId, async (db, locked) => {
      const input = (await store.takeInput(db, requestId))!;
      runs.push({ locked, nextSeq: input.nextSeq });
      // The runs without the lock judge on what was read before the other take (as if one came in between each time).
      return store.recordNacsisAction(db, locked ? input.rowVersion : stale.rowVersion, action(input.nextSeq));
    });
    expect(runs).toEqual([
      { locked: false, nextSeq: 2 },
      { locked: false, nextSeq: 2 },
      { locked: true, nextSeq: 2 },
    ]);
    expect(written).toMatchObject({ action: { seq: 2 } });
    expect(await count('outbound_action')).toBe(2);
  });

  it('records many requests in one statement: those whose row is the version read, each with its action and event; a changed one is left out', async () => {
    const insert = async () =>
      (
        await ds.query(
          `INSERT INTO rs_request (system, direction, external_id, status, external_system_status, owner_library_code)
           VALUES ('NACSIS', 'LENDING', $1, 'CREATED_LENDING_REQUEST', 'REQUEST', 'MAIN') RETURNING id`,
          [`L-${Date.now()}-${Math.random()}`],
        )
      )[0].id as string;
    const ids = [requestId, await insert(), await insert()];
    const inputs = await store.takeInputs(ds, [...ids, crypto.randomUUID()]);
    expect([...inputs.keys()].sort()).toEqual([...ids].sort());
    // The second request changes after it was read.
    await ds.query(`UPDATE rs_request SET note = 'changed meanwhile' WHERE id = $1`, [ids[1]]);
    const takes = ids.map((id, i) => {
      const input = inputs.get(id)!;
      const record = action(input.nextSeq, { note: `take ${i}`, fields: i === 2 ? { DDATE: '20270115' } : {} });
      return { rowVersion: input.rowVersion, input: { ...record, event: { ...record.event, requestId: id, message: `take ${i}` } } };
    });
    const written = await store.recordNacsisActions(ds, takes);
    expect([...written.keys()].sort()).toEqual([ids[0], ids[2]].sort());
    expect(written.get(ids[0])).toMatchObject({ action: { request_id: ids[0], seq: 1, note: 'take 0', state: 'PENDING' }, request: { id: ids[0], status: 'BEING_PROCESSED', sync_state: 'PUSH_PENDING' }, drainHoldsLease: false });
    const rows = await ds.query(
      `SELECT r.id, r.status, r.sync_state, to_char(r.due_date, 'YYYYMMDD') AS due, (SELECT count(*)::int FROM outbound_action a WHERE a.request_id = r.id) AS actions,
              (SELECT string_agg(message, ',') FROM request_event e WHERE e.request_id = r.id) AS events
         FROM rs_request r WHERE r.id = ANY($1::uuid[])`,
      [ids],
    );
    const byId = Object.fromEntries(rows.map((r: { id: string }) => [r.id, r]));
    expect(byId[ids[0]]).toMatchObject({ status: 'BEING_PROCESSED', sync_state: 'PUSH_PENDING', due: null, actions: 1, events: 'take 0' });
    expect(byId[ids[1]]).toMatchObject({ status: 'CREATED_LENDING_REQUEST', actions: 0, events: null });
    expect(byId[ids[2]]).toMatchObject({ status: 'BEING_PROCESSED', due: '20270115', actions: 1, events: 'take 2' });
  });

  it('claim marks the first action SENDING (listing it as it was), not one that is FAILED, and no other', async () => {
    for (const seq of [1, 2]) {
      const input = (await store.takeInput(ds, requestId))!;
      expect(await store.recordNacsisAction(ds, input.rowVersion, action(seq))).not.toBe(STALE);
    }
    const states = async () => (await ds.query('SELECT seq, state FROM outbound_action WHERE request_id = $1 ORDER BY seq', [requestId])).map((r: { seq: number; state: string }) => `${r.seq}:${r.state}`);
    const claimed = (await store.claim(requestId, 30_000, 'drain-1'))!;
    expect(claimed.actions.map((a) => `${a.seq}:${a.state}`)).toEqual(['1:PENDING', '2:PENDING']);
    expect(claimed.markedSending).toBe(claimed.actions[0].id);
    expect(await states()).toEqual(['1:SENDING', '2:PENDING']);
    // Another drain finds the lease held: it claims nothing and marks nothing.
    expect(await store.claim(requestId, 30_000, 'drain-2')).toBeNull();
    await store.releaseLease(requestId, 'drain-1');

    await ds.query(`UPDATE outbound_action SET state = 'FAILED' WHERE request_id = $1 AND seq = 1`, [requestId]);
    const held = (await store.claim(requestId, 30_000, 'drain-3'))!;
    expect(held.markedSending).toBeNull();
    expect(await states()).toEqual(['1:FAILED', '2:PENDING']);
  });

  it("markSent marks the next action SENDING and renews the lease while the lease is the drain's; not once it is another's", async () => {
    for (const seq of [1, 2, 3]) {
      const input = (await store.takeInput(ds, requestId))!;
      expect(await store.recordNacsisAction(ds, input.rowVersion, action(seq))).not.toBe(STALE);
    }
    const states = async () => (await ds.query('SELECT seq, state FROM outbound_action WHERE request_id = $1 ORDER BY seq', [requestId])).map((r: { seq: number; state: string }) => `${r.seq}:${r.state}`);
    const leaseLeftMs = async () => Number((await ds.query('SELECT extract(epoch FROM push_lease_until - now()) * 1000 AS ms FROM rs_request WHERE id = $1', [requestId]))[0].ms);
    const claimed = (await store.claim(requestId, 1_000, 'drain-1'))!;
    const [first, second, third] = claimed.actions;
    const sent = (a: typeof first, owner: string) =>
      store.markSent({ requestId, action: a, recovered: false, stat: 'ACCEPT', raw: null, following: null, leaseOwner: owner, leaseMs: 60_000, message: `#${a.seq} sent`, data: {} });

    const one = await sent(first, 'drain-1');
    expect(one).toMatchObject({ finished: false, leaseRenewed: true, markedNext: second.id });
    expect(one.remaining.map((a) => `${a.seq}:${a.state}`)).toEqual(['2:PENDING', '3:PENDING']);
    expect(await states()).toEqual(['1:SENT', '2:SENDING', '3:PENDING']);
    expect(await leaseLeftMs()).toBeGreaterThan(30_000);

    // The lease went to another drain: the SENT is recorded, but nothing is marked or renewed for this one.
    await ds.query(`UPDATE rs_request SET push_lease_owner = 'drain-2' WHERE id = $1`, [requestId]);
    const two = await sent(second, 'drain-1');
    expect(two).toMatchObject({ finished: false, leaseRenewed: false, markedNext: null });
    expect(await states()).toEqual(['1:SENT', '2:SENT', '3:PENDING']);
    expect(third.state).toBe('PENDING');
  });

  it('finish releases the lease only when nothing is left to push, and says the drain is over', async () => {
    const claimed = await store.claim(requestId, 30_000, 'drain-1');
    expect(claimed?.actions).toEqual([]);
    const input = (await store.takeInput(ds, requestId))!;
    await store.recordNacsisAction(ds, input.rowVersion, action(1));
    expect(await store.finish(requestId, 'drain-1')).toEqual({ over: false, released: false });
    await ds.query(`UPDATE outbound_action SET state = 'SENT' WHERE request_id = $1`, [requestId]);
    expect(await store.finish(requestId, 'drain-1')).toEqual({ over: true, released: true });
    const [row] = await ds.query('SELECT sync_state, push_lease_owner FROM rs_request WHERE id = $1', [requestId]);
    expect(row).toEqual({ sync_state: 'IN_SYNC', push_lease_owner: null });
  });
});
