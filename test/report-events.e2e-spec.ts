import { Queue } from 'bullmq';
import { QUEUE } from '@illbridge/queues';
import { eventually } from '@illbridge/testing';
import { LibrisWorld, startLibrisWorld } from './support/libris-fixtures';
import { startRun } from './support/runs';
import { urlOf } from './support/stack';

/** Reports written from the events the import worker publishes on the report-events queue: reporting
 *  counts every record once, and an event delivered again counts nothing twice. */
describe('report events (end to end)', () => {
  let world: LibrisWorld;
  let events: Queue;
  let reportingUrl: string;

  const metric = async (name: string, label: string): Promise<number> => {
    const text = await (await fetch(`${reportingUrl}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{${label}}`));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  beforeAll(async () => {
    world = await startLibrisWorld({ reporting: true });
    reportingUrl = await urlOf(world.reporting!);
    events = new Queue(QUEUE.REPORT_EVENTS, { connection: { host: '127.0.0.1', port: 6379 }, prefix: world.config.queuePrefix });
  });

  afterAll(async () => {
    await events?.close();
    await world?.close();
  });

  it('counts the records of an import from its events, once, even when an event is delivered again', async () => {
    const { pg } = world;
    const today = new Date().toISOString().slice(0, 10);
    await world.generate({ count: 12, from: today, to: today, seed: 4, unknownSigelShare: 0 });
    await world.addRequest(today, { requesting_library: 'Xyz' });
    const profile = await world.createLibrisProfile({ code: 'EV', name: 'Events', harvestStartDate: today });
    const jobRunId = await startRun(world.api, profile.id);

    await eventually(async () => (await metric('illbridge_report_runs_ended_total', 'state="COMPLETED_WITH_ERRORS"')) === 1, 30_000, 'the run-ended event');
    await eventually(async () => (await metric('illbridge_report_records_total', 'outcome="CREATED"')) === 12, 30_000, 'the record events');
    expect(await metric('illbridge_report_records_total', 'outcome="FAILED"')).toBe(1);
    const applied = (await pg.query(`SELECT type, count(*)::int AS n FROM report_event GROUP BY type ORDER BY type`)).rows;
    expect(applied.find((r) => r.type === 'run-ended')).toEqual({ type: 'run-ended', n: 1 });

    // The same event again (a redelivery: another queue job carrying the same event id) counts nothing.
    const [eventRow] = (await pg.query(`SELECT id FROM report_event WHERE type = 'records' LIMIT 1`)).rows;
    const delta = { totalRecordsProcessed: 5, borrowingProcessed: 5, borrowingSucceeded: 5, borrowingFailed: 0, lendingProcessed: 0, lendingSucceeded: 0, lendingFailed: 0, created: 5, updated: 0, unchanged: 0 };
    const again = await events.add('records', { type: 'records', id: eventRow.id, runId: jobRunId, delta }, { jobId: `redelivery-${Date.now()}` });
    await eventually(async () => (await again.isCompleted()) && (await events.getJob(again.id!))?.returnvalue, 15_000, 'the redelivered event');
    expect((await events.getJob(again.id!))?.returnvalue).toEqual({ applied: false });
    expect(await metric('illbridge_report_records_total', 'outcome="CREATED"')).toBe(12);

    // The report: the worker's final counters, the same as the events said.
    const report = await world.reports('GET', `/api/jobs/${jobRunId}`);
    expect(report.body.counters).toMatchObject({ created: 12, borrowingFailed: 1, totalRecordsProcessed: 13 });
  });

  it('keeps live counters of a running job from its events, and never changes a finished one', async () => {
    const { pg } = world;
    const [profile] = (await pg.query(`SELECT id FROM integration_profile LIMIT 1`)).rows;
    const [running] = (
      await pg.query(`INSERT INTO job_run (profile_id, job_name, trigger, state, stage) VALUES ($1, 'x', 'INBOUND', 'RUNNING', 'HARVESTING') RETURNING id`, [profile.id])
    ).rows;
    const delta = (n: number) => ({ totalRecordsProcessed: n, borrowingProcessed: n, borrowingSucceeded: n, borrowingFailed: 0, lendingProcessed: 0, lendingSucceeded: 0, lendingFailed: 0, created: n, updated: 0, unchanged: 0 });
    await events.add('records', { type: 'records', id: `records:${running.id}:a`, runId: running.id, delta: delta(3) }, { jobId: `records_${running.id}_a` });
    await events.add('records', { type: 'records', id: `records:${running.id}:b`, runId: running.id, delta: delta(4) }, { jobId: `records_${running.id}_b` });
    const reportingApi = world.reports;
    await eventually(async () => (await reportingApi('GET', `/api/jobs/${running.id}`)).body.counters?.created === 7, 15_000, 'live counters');
    await pg.query(`UPDATE job_run SET state = 'COMPLETED_SUCCESSFULLY', counters = $2 WHERE id = $1`, [running.id, JSON.stringify(delta(7))]);
    await events.add('records', { type: 'records', id: `records:${running.id}:late`, runId: running.id, delta: delta(100) }, { jobId: `records_${running.id}_late` });
    await eventually(async () => (await pg.query(`SELECT 1 FROM report_event WHERE id = $1`, [`records:${running.id}:late`])).rowCount === 1, 15_000, 'the late event');
    expect((await reportingApi('GET', `/api/jobs/${running.id}`)).body.counters.created).toBe(7);
  });
});
