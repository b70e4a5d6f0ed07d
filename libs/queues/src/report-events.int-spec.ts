import { Queue } from 'bullmq';
import { randomBytes } from 'crypto';
import { QUEUE } from './names';
import type { ReportEvent } from './payloads';
import { ReportEventsPublisher } from './report-events';

/** The report events publisher against the real Redis: events published in one turn go in together, each a job with
 *  its event id (a repeated id is one job), and a Redis that refuses them loses those events without failing the
 *  publisher's caller. */
describe('ReportEventsPublisher (Redis)', () => {
  const prefix = `test-report-events-${randomBytes(4).toString('hex')}`;
  let queue: Queue<ReportEvent>;

  beforeAll(() => {
    queue = new Queue(QUEUE.REPORT_EVENTS, { connection: { host: '127.0.0.1', port: 6379 }, prefix });
  });

  afterAll(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
  });

  const push = (n: number): ReportEvent => ({ type: 'push', id: `push:a${n}:sent`, requestId: `r${n}`, actionId: `a${n}`, result: 'sent' });

  it('adds every event published in one turn, each once under its id, and resolves each publish after', async () => {
    const publisher = new ReportEventsPublisher(queue as never);
    const addBulk = jest.spyOn(queue, 'addBulk');
    await Promise.all([push(1), push(2), push(3), push(2)].map((event) => publisher.publish(event)));
    expect(addBulk).toHaveBeenCalledTimes(1);
    addBulk.mockRestore();
    const jobs = await queue.getJobs(['waiting']);
    expect(jobs.map((j) => [j.id, j.name, j.data.id]).sort()).toEqual([
      ['push_a1_sent', 'push', 'push:a1:sent'],
      ['push_a2_sent', 'push', 'push:a2:sent'],
      ['push_a3_sent', 'push', 'push:a3:sent'],
    ]);
    await publisher.publish(push(4));
    expect((await queue.getJobs(['waiting'])).length).toBe(4);
  });

  it('resolves each publish when Redis refuses the events (lost, logged), and publishes the next ones', async () => {
    const publisher = new ReportEventsPublisher(queue as never);
    const addBulk = jest.spyOn(queue, 'addBulk').mockRejectedValueOnce(new Error('Connection is closed.'));
    await expect(Promise.all([publisher.publish(push(5)), publisher.publish(push(6))])).resolves.toEqual([undefined, undefined]);
    await publisher.publish(push(7));
    addBulk.mockRestore();
    const ids = (await queue.getJobs(['waiting'])).map((j) => j.id);
    expect(ids).toContain('push_a7_sent');
    expect(ids).not.toContain('push_a5_sent');
  });

  it('publishBeforeCommit resolves once its event is a job in Redis', async () => {
    const publisher = new ReportEventsPublisher(queue as never);
    await publisher.publishBeforeCommit(push(8));
    expect((await queue.getJob('push_a8_sent'))?.data).toEqual(push(8));
  });

  it('publishBeforeCommit goes on after its wait when Redis does not answer, and says so', async () => {
    const publisher = new ReportEventsPublisher(queue as never);
    const addBulk = jest.spyOn(queue, 'addBulk').mockImplementationOnce(() => new Promise(() => undefined));
    const warn = jest.spyOn((publisher as unknown as { logger: { warn: (m: string) => void } }).logger, 'warn').mockImplementation(() => undefined);
    const started = Date.now();
    await publisher.publishBeforeCommit(push(9), 100);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(warn).toHaveBeenCalledWith('Report event push:a9:sent not on the queue after 100 ms: going on without waiting for it');
    addBulk.mockRestore();
    expect(await queue.getJob('push_a9_sent')).toBeUndefined();
  });
});
