import { WorkerHost } from '@nestjs/bullmq';
import { Test } from '@nestjs/testing';
import { ALL_QUEUES, QUEUE, QUEUE_CONSUMER, QueueName } from './names';
import { checkProcessors, configuredProcessor, QueueProcessorsCheckModule, queuesConsumedBy } from './processors-check';

describe('one processor per queue', () => {
  it('every queue is consumed by exactly one service', () => {
    const consumers = ALL_QUEUES.map((queue) => QUEUE_CONSUMER[queue]);
    expect(consumers.every(Boolean)).toBe(true);
    expect(ALL_QUEUES.flatMap((queue) => ALL_QUEUES.filter((other) => other === queue))).toEqual(ALL_QUEUES);
    expect(queuesConsumedBy('import-worker')).toEqual([QUEUE.IMPORT, QUEUE.MAINTENANCE]);
    expect(queuesConsumedBy('action-push')).toEqual([QUEUE.PUSH]);
    expect(queuesConsumedBy('reporting')).toEqual([QUEUE.REPORT_EVENTS, QUEUE.NOTIFICATIONS, QUEUE.OVERDUE]);
  });

  it('accepts exactly one processor for each expected queue', () => {
    expect(checkProcessors([QUEUE.IMPORT], [QUEUE.IMPORT])).toEqual([]);
    expect(checkProcessors([], [])).toEqual([]);
  });

  it('refuses a missing processor, a second one, and one for another service’s queue', () => {
    expect(checkProcessors([], [QUEUE.IMPORT])).toEqual(['queue "import" has 0 processors, must have exactly one']);
    expect(checkProcessors([QUEUE.PUSH, QUEUE.PUSH], [QUEUE.PUSH])).toEqual(['queue "nacsis-push" has 2 processors, must have exactly one']);
    expect(checkProcessors([QUEUE.IMPORT, QUEUE.REPORT_EVENTS], [QUEUE.IMPORT])).toEqual([
      'queue "report-events" has 1 processor(s) here but is consumed by reporting',
    ]);
  });
});

describe('QueueProcessorsCheckModule (Nest, without Redis)', () => {
  // Only the processor's metadata is read: without BullModule no worker is made.
  class Host extends WorkerHost {
    async process() {
      return null;
    }
  }
  const start = (providers: unknown[], expected: QueueName[]) =>
    Test.createTestingModule({ imports: [QueueProcessorsCheckModule.forQueues(expected)], providers: providers as never[] }).compile().then((m) => m.init());

  it('starts with one configured processor for the expected queue', async () => {
    const app = await start([configuredProcessor(Host, QUEUE.IMPORT, 'redis://127.0.0.1:1', { concurrency: 1 })], [QUEUE.IMPORT]);
    await app.close();
  });

  it('does not start without it, or with two', async () => {
    await expect(start([], [QUEUE.IMPORT])).rejects.toThrow('queue "import" has 0 processors');
    const two = [configuredProcessor(Host, QUEUE.IMPORT, 'redis://127.0.0.1:1', {}), configuredProcessor(Host, QUEUE.IMPORT, 'redis://127.0.0.1:1', {})];
    await expect(start(two, [QUEUE.IMPORT])).rejects.toThrow('queue "import" has 2 processors');
  });
});
