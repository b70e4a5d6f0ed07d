import { Logger } from '@nestjs/common';
import { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { createDataSource } from '@illbridge/database/data-source';
import { ImportJobData, ImportJobs, QUEUE, SchedulesService, schedulerIdFor } from '@illbridge/queues';
import { createTestDatabase, TestDatabase, testConfig, wipeQueuePrefix } from '@illbridge/testing';
import type { ImportRunner } from './import-runner';
import { ImportSettings } from './import-settings';
import { RecoveryService } from './recovery.service';

/** The import worker's recovery against the real Postgres and Redis: which runs it enqueues again when their
 *  queue job is gone, which it leaves alone, and the schedules it rebuilds when the queue store was wiped. */
describe('RecoveryService (Postgres and Redis)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let queue: Queue<ImportJobData>;
  let recovery: RecoveryService;
  const active = new Set<string>();
  const config = testConfig('');
  let profileId: string;

  const run = async (state: string, minutesSinceProgress: number): Promise<string> => {
    await ds.query(`UPDATE job_run SET state = 'COMPLETED_SUCCESSFULLY' WHERE profile_id = $1 AND state IN ('PENDING', 'RUNNING')`, [profileId]); // one active run per profile
    const [row] = await ds.query(
      `INSERT INTO job_run (profile_id, job_name, trigger, state, updated_at) VALUES ($1, 'Import resource sharing requests using profile R', 'MANUAL', $2, now() - make_interval(mins => $3)) RETURNING id`,
      [profileId, state, minutesSinceProgress],
    );
    return row.id;
  };
  const jobOf = (runId: string) => queue.getJob(`run-${runId}`);

  beforeAll(async () => {
    Logger.overrideLogger(false);
    db = await createTestDatabase();
    ds = createDataSource(db.url);
    await ds.initialize();
    queue = new Queue<ImportJobData>(QUEUE.IMPORT, { connection: { url: config.redisUrl }, prefix: config.queuePrefix });
    const [profile] = await ds.query(
      `INSERT INTO integration_profile (code, name, system, base_url, library_code, resource_sharing_library_code, schedule_type, schedule_time, schedule_timezone, version)
       VALUES ('R', 'R', 'LIBRIS', 'http://127.0.0.1:9/libris', 'Hig', 'MAIN', 'DAILY', '02:30', 'Europe/Stockholm', 1) RETURNING id`,
    );
    profileId = profile.id;
    recovery = new RecoveryService(ds, new ImportJobs(queue), new SchedulesService(queue), { active } as unknown as ImportRunner, new ImportSettings({ recoveryIntervalMs: 0, staleRunMs: 120_000 }));
  });

  afterAll(async () => {
    await queue?.close();
    await wipeQueuePrefix(config.redisUrl, config.queuePrefix);
    await ds?.destroy();
    await db?.drop();
  });

  beforeEach(async () => {
    active.clear();
    await wipeQueuePrefix(config.redisUrl, config.queuePrefix);
  });

  it('enqueues again, under its own job id, a PENDING run whose job is gone', async () => {
    const pending = await run('PENDING', 0);
    expect(await recovery.recover()).toBe(1);
    const job = await jobOf(pending);
    expect(job?.data).toEqual({ profileId, jobRunId: pending, trigger: 'MANUAL' });
    expect((await ds.query('SELECT queue_job_id FROM job_run WHERE id = $1', [pending]))[0].queue_job_id).toBe(`run-${pending}`);
    // Once is enough: the job is there now.
    expect(await recovery.recover()).toBe(0);
  });

  it('takes over a RUNNING run without a job only when it has shown no progress for staleRunMs', async () => {
    const progressing = await run('RUNNING', 1); // another worker may still be running it
    expect(await recovery.recover()).toBe(0);
    expect(await jobOf(progressing)).toBeUndefined();
    const stale = await run('RUNNING', 5); // its worker died with the job lost
    expect(await recovery.recover()).toBe(1);
    expect((await jobOf(stale))?.data.jobRunId).toBe(stale);
  });

  it('leaves alone a run this process is running, and runs whose job is still queued', async () => {
    const mine = await run('RUNNING', 5);
    active.add(mine);
    expect(await recovery.recover()).toBe(0);
    expect(await jobOf(mine)).toBeUndefined();
    active.clear();
    const queued = await run('PENDING', 0);
    await queue.add('x', { profileId, jobRunId: queued, trigger: 'MANUAL' }, { jobId: `run-${queued}` });
    expect(await recovery.recover()).toBe(0);
  });

  it('rebuilds the schedules when the queue store was wiped, and only then', async () => {
    await recovery.recover({ reconcile: true });
    expect(await queue.getJobScheduler(schedulerIdFor(profileId))).toBeTruthy();
    // A scheduler removed behind its back, the store otherwise intact (its mark is there): not a wipe.
    await queue.removeJobScheduler(schedulerIdFor(profileId));
    await recovery.recover({ reconcile: false });
    expect(await queue.getJobScheduler(schedulerIdFor(profileId))).toBeFalsy();
    // The whole store wiped: rebuilt by the next sweep.
    await wipeQueuePrefix(config.redisUrl, config.queuePrefix);
    await recovery.recover({ reconcile: false });
    const scheduler = await queue.getJobScheduler(schedulerIdFor(profileId));
    expect(scheduler?.next).toBeGreaterThan(Date.now());
  });
});
