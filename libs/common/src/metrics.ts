import { Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { NextFunction, Request, Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** One Prometheus registry per service. Workers add their own counters through `counter()`/`histogram()`. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly queues: Queue[] = [];
  readonly httpDuration = new Histogram({
    name: 'illbridge_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'illbridge_' });
    const queues = this.queues;
    new Gauge({
      name: 'illbridge_queue_jobs',
      help: 'Jobs in each queue by state',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const queue of queues) {
          try {
            const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized');
            for (const [state, value] of Object.entries(counts)) this.set({ queue: queue.name, state }, value);
          } catch {
            // Redis unavailable: the gauge is left empty for this scrape; /health reports the outage.
          }
        }
      },
    });
  }

  watchQueues(...queues: Queue[]): void {
    for (const queue of queues) if (!this.queues.includes(queue)) this.queues.push(queue);
  }

  counter(name: string, help: string, labelNames: string[] = []): Counter<string> {
    return (this.registry.getSingleMetric(name) as Counter<string>) ?? new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  histogram(name: string, help: string, labelNames: string[] = [], buckets?: number[]): Histogram<string> {
    return (this.registry.getSingleMetric(name) as Histogram<string>) ?? new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
  }

  /** Express middleware timing every request by its route pattern (never by raw URL: ids would explode the label set). */
  middleware() {
    return (req: Request, res: Response, next: NextFunction) => {
      const end = this.httpDuration.startTimer();
      res.on('finish', () => {
        const route = (req as any).route?.path ?? (res.statusCode === 404 ? 'unmatched' : req.baseUrl || 'other');
        end({ method: req.method, route: String(route), status: String(res.statusCode) });
      });
      next();
    };
  }
}
