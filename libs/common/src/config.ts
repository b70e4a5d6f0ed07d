import { readSettings, setting, SettingsOf, SettingsSchema } from './settings';

/** Environment, read and validated once at start-up (api.md "Running"). A bad value stops the
 *  process with every problem listed, rather than failing later in a request. */
export interface AppConfig {
  nodeEnv: string;
  databaseUrl: string;
  redisUrl: string;
  /** DATABASE_POOL_SIZE: Postgres connections this process may hold at once (unset: the service's own default). */
  databasePoolSize?: number;
  queuePrefix: string;
  secretsKey: string;
  bootstrapAdminKey?: string;
  logLevel: string;
  /** ALLOW_PRIVATE_TARGETS: profiles may point at loopback, link-local (cloud metadata) and private
   *  addresses. Off in production; the demo and the tests turn it on (their simulator is local). */
  allowPrivateTargets?: boolean;
  /** Failed Netpunkt authentications allowed per source address and per requester in a window. */
  netpunktThrottle?: NetpunktThrottleConfig;
}

export interface NetpunktThrottleConfig {
  perAddress: number;
  perRequester: number;
  windowSeconds: number;
}

export const DEFAULT_NETPUNKT_THROTTLE: Readonly<NetpunktThrottleConfig> = { perAddress: 10, perRequester: 30, windowSeconds: 600 };

export const APP_CONFIG = Symbol('APP_CONFIG');

/** Used only when NODE_ENV is development or test: never in production. */
const DEVELOPMENT_SECRETS_KEY = 'ill-bridge-development-only-secrets-key';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n- ${problems.join('\n- ')}`);
  }
}

/** The settings every service reads (the service's own are in its schema: `loadServiceSettings`). */
export const COMMON_SETTINGS = {
  NODE_ENV: setting.text('production'),
  DATABASE_URL: setting.url('postgres://postgres@127.0.0.1:5432/illbridge', ['postgres:', 'postgresql:']),
  DATABASE_POOL_SIZE: setting.optionalInt({ min: 1, max: 1000 }),
  REDIS_URL: setting.url('redis://127.0.0.1:6379', ['redis:', 'rediss:']),
  // One `{hash tag}` is allowed so that on a Redis Cluster every key of the product hashes to one slot (BullMQ's
  // scripts touch several keys of a queue at once), e.g. `{illbridge}`.
  QUEUE_PREFIX: setting.text('illbridge', /^(?=.)[A-Za-z0-9_\-:.]*(?:\{[A-Za-z0-9_\-:.]+\}[A-Za-z0-9_\-:.]*)?$/, 'letters, digits and _ - : . only, with at most one {hash tag} (e.g. {illbridge} for Redis Cluster)'),
  SECRETS_KEY: setting.text('', /^.{16,}$/s, 'at least 16 characters long'),
  BOOTSTRAP_ADMIN_KEY: setting.text('', /^.{16,}$/s, 'at least 16 characters long'),
  LOG_LEVEL: setting.oneOf('', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  ALLOW_PRIVATE_TARGETS: setting.bool(false),
  NETPUNKT_FAILURES_PER_ADDRESS: setting.int(DEFAULT_NETPUNKT_THROTTLE.perAddress, { min: 1 }),
  NETPUNKT_FAILURES_PER_REQUESTER: setting.int(DEFAULT_NETPUNKT_THROTTLE.perRequester, { min: 1 }),
  NETPUNKT_FAILURE_WINDOW_S: setting.int(DEFAULT_NETPUNKT_THROTTLE.windowSeconds, { min: 1 }),
  /** Read by libs/queues (`scheduleMinuteMs`); validated here with the rest. */
  SCHEDULE_MINUTE_MS: setting.ms(60_000, 10),
};

/** The HTTP port setting of a service (its default differs per service). */
export const portSetting = (fallback: number) => setting.int(fallback, { min: 0, max: 65535 });

function configFrom(env: NodeJS.ProcessEnv): { config: AppConfig; problems: string[] } {
  const { values, problems } = readSettings(COMMON_SETTINGS, env);
  const nodeEnv = values.NODE_ENV;
  const devLike = nodeEnv === 'development' || nodeEnv === 'test';
  let secretsKey = values.SECRETS_KEY;
  if (!secretsKey && !problems.some((p) => p.startsWith('SECRETS_KEY'))) {
    if (devLike) secretsKey = DEVELOPMENT_SECRETS_KEY;
    else problems.unshift('SECRETS_KEY is required (it encrypts stored external credentials); set NODE_ENV=development to use the development key');
  }
  const config: AppConfig = {
    nodeEnv,
    databaseUrl: values.DATABASE_URL,
    redisUrl: values.REDIS_URL,
    databasePoolSize: values.DATABASE_POOL_SIZE,
    queuePrefix: values.QUEUE_PREFIX,
    secretsKey,
    bootstrapAdminKey: values.BOOTSTRAP_ADMIN_KEY || undefined,
    logLevel: values.LOG_LEVEL || (nodeEnv === 'test' ? 'warn' : 'info'),
    allowPrivateTargets: values.ALLOW_PRIVATE_TARGETS,
    netpunktThrottle: {
      perAddress: values.NETPUNKT_FAILURES_PER_ADDRESS,
      perRequester: values.NETPUNKT_FAILURES_PER_REQUESTER,
      windowSeconds: values.NETPUNKT_FAILURE_WINDOW_S,
    },
  };
  return { config, problems };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const { config, problems } = configFrom(env);
  if (problems.length) throw new ConfigError(problems);
  return config;
}

/** A service's start-up: the common settings and the service's own schema, validated together, so that one
 *  message lists every bad value (ConfigError; the service's main prints it and exits with 1). */
export function loadServiceSettings<S extends SettingsSchema>(schema: S, env: NodeJS.ProcessEnv = process.env): { config: AppConfig; settings: SettingsOf<S> } {
  const common = configFrom(env);
  const own = readSettings(schema, env);
  const problems = [...common.problems, ...own.problems];
  if (problems.length) throw new ConfigError(problems);
  return { config: common.config, settings: own.values };
}

/** Reads a service's own schema; bad values throw ConfigError (used by the settings classes). */
export function settingsOrThrow<S extends SettingsSchema>(schema: S, env: NodeJS.ProcessEnv = process.env): SettingsOf<S> {
  const { values, problems } = readSettings(schema, env);
  if (problems.length) throw new ConfigError(problems);
  return values;
}

export function portFrom(env: NodeJS.ProcessEnv, fallback: number): number {
  const port = Number(env.PORT || fallback);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError([`PORT must be a port number, got "${env.PORT}"`]);
  return port;
}
