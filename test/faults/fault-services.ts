import { AppConfig } from '@illbridge/common';
import { serviceEnv } from '@illbridge/testing';
import { freePort, RunningService, ServiceName, startService, waitForHealth } from '../../scripts/lib/services';

/** The services a fault test starts as processes (logs in `logDir`), killed together at the end, and their health. */
export function faultServices(logDir: string) {
  const children: RunningService[] = [];
  return {
    /** Starts `name` with the test's configuration (plus `extra`) and waits until it is healthy (60 s at most, unless
     *  `healthTimeoutMs` says otherwise: several services starting at once on a busy machine take longer). */
    async spawn(name: ServiceName, config: AppConfig, extra: Record<string, string>, healthTimeoutMs?: number): Promise<RunningService> {
      const service = startService(name, serviceEnv(config, extra), { port: await freePort(), logDir });
      children.push(service);
      await waitForHealth(service, '/health', healthTimeoutMs);
      return service;
    },
    /** GET /health of a service: its status and report. */
    async health(url: string): Promise<{ status: number; body: any }> {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(10_000) });
      return { status: res.status, body: await res.json() };
    },
    async killAll(): Promise<void> {
      await Promise.all(children.map((c) => c.stop('SIGKILL')));
    },
  };
}
