import { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createValidationPipe } from '@illbridge/common/http-errors';
import type { AddressInfo } from 'net';
import { AppModule } from './app.module';
import { formatDay, parseDay, today } from './libris/days';
import { LibrisStore } from './libris/libris-store';

/** The library whose requests `librisRequests` generates, and its key. */
export const DEMO_LIBRIS_LIBRARY = { sigel: 'Hig', apiKey: 'hig-simulator-key' } as const;
/** Generated requests are created over this many days, up to today. */
const DEMO_DAYS = 90;
const DEMO_UNKNOWN_SIGEL_SHARE = 0.05;

export interface SimulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Seeds the generated data. */
  seed?: number;
  /** Requests to generate for DEMO_LIBRIS_LIBRARY over the last 90 days (none by default). */
  librisRequests?: number;
  logLevels?: LogLevel[] | false;
}

export interface RunningSimulator {
  app: INestApplication;
  /** e.g. `http://127.0.0.1:4010`; the Libris base URL is `${url}/libris/api`. */
  url: string;
  close(): Promise<void>;
}

/** Starts the simulator in this process (tests, the demo, `main.ts`). */
export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const host = options.host ?? '127.0.0.1';
  // Hung calls (a simulated fault) must not keep close() waiting.
  const app = await NestFactory.create(AppModule, { logger: options.logLevels ?? ['error', 'warn'], forceCloseConnections: true });
  app.useGlobalPipes(createValidationPipe());
  if (options.librisRequests) {
    const store = app.get(LibrisStore);
    const to = today();
    store.setApiKey(DEMO_LIBRIS_LIBRARY.sigel, DEMO_LIBRIS_LIBRARY.apiKey);
    store.generate(DEMO_LIBRIS_LIBRARY.sigel, {
      requestingLibrary: DEMO_LIBRIS_LIBRARY.sigel,
      count: options.librisRequests,
      from: formatDay(parseDay(to)! - (DEMO_DAYS - 1)),
      to,
      seed: options.seed ?? 1,
      unknownSigelShare: DEMO_UNKNOWN_SIGEL_SHARE,
    });
  }
  await app.listen(options.port ?? 0, host);
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://${host}:${port}`, close: () => app.close() };
}
