import { Logger } from '@nestjs/common';
import { ConfigError, portFrom } from '@illbridge/common/config';
import { DEMO_LIBRIS_LIBRARY, startSimulator } from './simulator';

const DEFAULT_PORT = 4010;

function integerFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = Number(env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 0) throw new ConfigError([`${name} must be a whole number, got "${env[name]}"`]);
  return value;
}

/** `npm run start:simulator`. PORT (4010), HOST (127.0.0.1), SIM_SEED (1) and SIM_LIBRIS_REQUESTS
 *  (200 generated requests for the demo library; 0 for an empty store). */
async function main(): Promise<void> {
  const simulator = await startSimulator({
    port: portFrom(process.env, DEFAULT_PORT),
    host: process.env.HOST,
    seed: integerFrom(process.env, 'SIM_SEED', 1),
    librisRequests: integerFrom(process.env, 'SIM_LIBRIS_REQUESTS', 200),
    logLevels: ['log', 'error', 'warn'],
  });
  simulator.app.enableShutdownHooks();
  new Logger('ILL simulator').log(
    `listening on ${simulator.url}; Libris API at ${simulator.url}/libris/api (library ${DEMO_LIBRIS_LIBRARY.sigel}, api-key "${DEMO_LIBRIS_LIBRARY.apiKey}")`,
  );
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
