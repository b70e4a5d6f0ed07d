/** Environment, read and validated once at start-up (api.md "Running"). A bad value stops the
 *  process with every problem listed, rather than failing later in a request. */
export interface AppConfig {
  nodeEnv: string;
  databaseUrl: string;
  redisUrl: string;
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

function validUrl(value: string, protocols: string[]): boolean {
  try {
    return protocols.includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const problems: string[] = [];
  const nodeEnv = env.NODE_ENV || 'production';
  const databaseUrl = env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/illbridge';
  const redisUrl = env.REDIS_URL || 'redis://127.0.0.1:6379';
  const queuePrefix = env.QUEUE_PREFIX || 'illbridge';
  const devLike = nodeEnv === 'development' || nodeEnv === 'test';
  let secretsKey = env.SECRETS_KEY || '';
  if (!secretsKey) {
    if (devLike) secretsKey = DEVELOPMENT_SECRETS_KEY;
    else problems.push('SECRETS_KEY is required (it encrypts stored external credentials); set NODE_ENV=development to use the development key');
  } else if (secretsKey.length < 16) {
    problems.push('SECRETS_KEY must be at least 16 characters long');
  }
  if (!validUrl(databaseUrl, ['postgres:', 'postgresql:'])) problems.push('DATABASE_URL must be a postgres:// URL');
  if (!validUrl(redisUrl, ['redis:', 'rediss:'])) problems.push('REDIS_URL must be a redis:// URL');
  if (!/^[A-Za-z0-9_\-:.]+$/.test(queuePrefix)) problems.push('QUEUE_PREFIX may hold only letters, digits and _ - : .');
  if (env.BOOTSTRAP_ADMIN_KEY !== undefined && env.BOOTSTRAP_ADMIN_KEY.length > 0 && env.BOOTSTRAP_ADMIN_KEY.length < 16) {
    problems.push('BOOTSTRAP_ADMIN_KEY must be at least 16 characters long');
  }
  const allowPrivate = (env.ALLOW_PRIVATE_TARGETS ?? '').toLowerCase();
  if (allowPrivate && !['true', 'false', '1', '0'].includes(allowPrivate)) problems.push('ALLOW_PRIVATE_TARGETS must be true or false');
  const positive = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1) problems.push(`${name} must be a whole number of at least 1, got "${raw}"`);
    return value;
  };
  const netpunktThrottle = {
    perAddress: positive('NETPUNKT_FAILURES_PER_ADDRESS', DEFAULT_NETPUNKT_THROTTLE.perAddress),
    perRequester: positive('NETPUNKT_FAILURES_PER_REQUESTER', DEFAULT_NETPUNKT_THROTTLE.perRequester),
    windowSeconds: positive('NETPUNKT_FAILURE_WINDOW_S', DEFAULT_NETPUNKT_THROTTLE.windowSeconds),
  };
  if (problems.length) throw new ConfigError(problems);
  return {
    nodeEnv,
    databaseUrl,
    redisUrl,
    queuePrefix,
    secretsKey,
    bootstrapAdminKey: env.BOOTSTRAP_ADMIN_KEY || undefined,
    logLevel: env.LOG_LEVEL || (nodeEnv === 'test' ? 'warn' : 'info'),
    allowPrivateTargets: allowPrivate === 'true' || allowPrivate === '1',
    netpunktThrottle,
  };
}

export function portFrom(env: NodeJS.ProcessEnv, fallback: number): number {
  const port = Number(env.PORT || fallback);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError([`PORT must be a port number, got "${env.PORT}"`]);
  return port;
}
