import { resolve } from 'path';
import { eventually, serviceEnv } from '@illbridge/testing';
import { freePort, RunningService, startService, waitForHealth } from '../scripts/lib/services';
import { faultScale } from './faults/scale';
import { LibrisWorld, startLibrisWorld } from './support/libris-fixtures';
import { daysAgo, runEnded, startRun } from './support/runs';

/** kill -9 of the import worker in the middle of a run: the job is retried by a new worker and the run
 *  ends as an uninterrupted run would — every request once, no duplicates, the same counters. */
describe('import worker killed mid-run (end to end)', () => {
  const SIGEL = 'Hig';
  const COUNT = faultScale(1500, 10_000);
  let world: LibrisWorld;
  let worker: RunningService | undefined;
  const logDir = resolve(__dirname, '..', 'test-artifacts', 'import-crash');

  const spawnWorker = async () => {
    const service = startService(
      'import-worker',
      serviceEnv(world.config, { IMPORT_BATCH_SIZE: '25', IMPORT_LOCK_MS: '2000' }),
      { port: await freePort(), logDir },
    );
    return service;
  };

  beforeAll(async () => {
    // No worker in this process: the test starts (and kills) its own.
    world = await startLibrisWorld({ sigel: SIGEL, apiKey: 'k-123', worker: false });
    await world.generate({ count: COUNT, from: daysAgo(240), to: daysAgo(0), seed: 9, unknownSigelShare: 0 });
    const profile = await world.createLibrisProfile({ code: 'CRASH', name: 'Crash test', harvestStartDate: daysAgo(240) });
    // Slow Libris down (8 windows of 31 days, 800 ms each) so the kill lands in the middle of the run.
    await world.simApi('POST', '/_sim/faults/libris', { latencyMs: 800 });
    (globalThis as any).jobRunId = await startRun(world.api, profile.id);
  });

  afterAll(async () => {
    await worker?.stop('SIGKILL');
    await world?.close();
  });

  it('resumes the run in a new worker and ends with every request exactly once', async () => {
    const jobRunId = (globalThis as any).jobRunId as string;
    const { pg } = world;
    worker = await spawnWorker();
    const mid = await eventually(async () => {
      const { rows } = await pg.query(`SELECT state, records_read, (SELECT count(*)::int FROM rs_request) AS stored FROM job_run WHERE id = $1`, [jobRunId]);
      return rows[0]?.state === 'RUNNING' && rows[0].stored > 0 ? rows[0] : null;
    }, 60_000, 'the run to be half-way');
    worker.process.kill('SIGKILL');
    await worker.stop();
    const storedAtKill = (await pg.query('SELECT count(*)::int AS n FROM rs_request')).rows[0].n;
    expect(storedAtKill).toBeGreaterThan(0);
    expect(storedAtKill).toBeLessThan(COUNT);
    expect(mid.state).toBe('RUNNING');

    worker = await spawnWorker();
    await waitForHealth(worker);
    const run = await runEnded(pg, jobRunId, faultScale(90_000, 500_000));

    expect(run.state).toBe('COMPLETED_SUCCESSFULLY');
    expect(run.attempts).toBeGreaterThanOrEqual(2);
    expect(run.counters).toMatchObject({ totalRecordsProcessed: COUNT, created: COUNT, updated: 0, unchanged: 0, borrowingFailed: 0 });
    const { rows } = await pg.query(`SELECT count(*)::int AS requests, count(DISTINCT external_id)::int AS distinct_ids FROM rs_request`);
    expect(rows[0]).toEqual({ requests: COUNT, distinct_ids: COUNT });
    const created = await pg.query(`SELECT count(*)::int AS n FROM request_event WHERE type = 'CREATED'`);
    expect(created.rows[0].n).toBe(COUNT); // one creation event per request, none twice
  }, faultScale(180_000, 600_000));
});
