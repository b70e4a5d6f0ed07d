import type { RedisOptions } from 'ioredis';

/** ioredis options from a redis:// URL. Workers wait for Redis forever (`maxRetriesPerRequest: null`,
 *  BullMQ's requirement); producers in HTTP handlers fail fast so the API answers 503 instead of hanging. */
export function redisOptions(redisUrl: string, role: 'worker' | 'producer'): RedisOptions {
  const url = new URL(redisUrl);
  const options: RedisOptions = {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port || 6379),
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: url.pathname && url.pathname !== '/' ? Number(url.pathname.slice(1)) : 0,
    tls: url.protocol === 'rediss:' ? {} : undefined,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  };
  return role === 'worker'
    ? { ...options, maxRetriesPerRequest: null }
    : { ...options, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 };
}
