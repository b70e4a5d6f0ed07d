import { Processor, WorkerHost } from '@nestjs/bullmq';
import { PROCESSOR_METADATA } from '@nestjs/bullmq/dist/bull.constants';
import { DynamicModule, Injectable, Module, OnModuleInit, Type } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService } from '@nestjs/core';
import type { WorkerOptions } from 'bullmq';
import { redisOptions } from './redis';
import { ALL_QUEUES, QUEUE_CONSUMER, QueueName } from './names';

/** The one way a worker's processor is configured: its queue, its own connection (workers wait for Redis:
 *  `maxRetriesPerRequest: null`, while the service's HTTP side fails fast) and its options, from the service's
 *  settings. `host` must be `@Injectable()` (its constructor's dependencies are injected as they are). */
export function configuredProcessor<T extends Type<WorkerHost>>(host: T, queue: QueueName, redisUrl: string, options: Omit<WorkerOptions, 'connection'>): T {
  const configured = class extends (host as Type<object>) {};
  Object.defineProperty(configured, 'name', { value: `${host.name}For${queue.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase())}` });
  Injectable()(configured);
  Processor(queue, { ...options, connection: redisOptions(redisUrl, 'worker') })(configured);
  return configured as unknown as T;
}

/** The queues that a service's processors must cover: those it consumes (`QUEUE_CONSUMER`), unless it runs
 *  without its worker. */
export function queuesConsumedBy(service: (typeof QUEUE_CONSUMER)[QueueName]): QueueName[] {
  return ALL_QUEUES.filter((queue) => QUEUE_CONSUMER[queue] === service);
}

/** At start-up, checks that the service has exactly one processor for each queue it consumes and none for another
 *  service's queue (two processors of a queue in one process would share its jobs; a missing one would leave them
 *  waiting). A service that fails the check does not start. */
@Injectable()
export class QueueProcessorsCheck implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly expected: readonly QueueName[],
  ) {}

  /** The queue names of the processors found, one entry per processor. */
  processedQueues(): string[] {
    return this.discovery
      .getProviders()
      .map((wrapper) => (wrapper.metatype && typeof wrapper.metatype === 'function' ? Reflect.getMetadata(PROCESSOR_METADATA, wrapper.metatype) : undefined))
      .filter((meta): meta is { name: string } => !!meta?.name)
      .map((meta) => meta.name);
  }

  onModuleInit() {
    const problems = checkProcessors(this.processedQueues(), this.expected);
    if (problems.length) throw new Error(`Queue processors: ${problems.join('; ')}`);
  }
}

/** What is wrong with the processors `found` (queue names, one per processor) for the `expected` queues. */
export function checkProcessors(found: readonly string[], expected: readonly QueueName[]): string[] {
  const problems: string[] = [];
  for (const queue of new Set([...expected, ...found])) {
    const n = found.filter((q) => q === queue).length;
    if (!expected.includes(queue as QueueName)) problems.push(`queue "${queue}" has ${n} processor(s) here but is consumed by ${QUEUE_CONSUMER[queue as QueueName] ?? 'no service'}`);
    else if (n !== 1) problems.push(`queue "${queue}" has ${n} processors, must have exactly one`);
  }
  return problems;
}

@Module({})
export class QueueProcessorsCheckModule {
  static forQueues(expected: readonly QueueName[]): DynamicModule {
    return {
      module: QueueProcessorsCheckModule,
      imports: [DiscoveryModule],
      providers: [{ provide: QueueProcessorsCheck, inject: [DiscoveryService], useFactory: (discovery: DiscoveryService) => new QueueProcessorsCheck(discovery, expected) }],
    };
  }
}
