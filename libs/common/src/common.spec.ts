import { loadConfig } from './config';
import { SecretBox, safeEqual } from './crypto';
import { flattenValidationErrors } from './http-errors';

describe('configuration', () => {
  it('lists every problem at start-up', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'mysql://x', REDIS_URL: 'nope' })).toThrow(
      /SECRETS_KEY is required[\s\S]*DATABASE_URL must be a postgres:\/\/ URL[\s\S]*REDIS_URL must be a redis:\/\/ URL/,
    );
  });

  it('uses the development secrets key only in development and test', () => {
    expect(loadConfig({ NODE_ENV: 'development' }).secretsKey).toBeTruthy();
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/SECRETS_KEY/);
    expect(loadConfig({ NODE_ENV: 'production', SECRETS_KEY: 'a-long-enough-production-key' }).secretsKey).toBe('a-long-enough-production-key');
  });

  it('has the documented defaults', () => {
    expect(loadConfig({ NODE_ENV: 'test' })).toMatchObject({
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/illbridge',
      redisUrl: 'redis://127.0.0.1:6379',
      queuePrefix: 'illbridge',
    });
  });

  it('takes DATABASE_POOL_SIZE as a whole number of connections, unset by default', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).databasePoolSize).toBeUndefined();
    expect(loadConfig({ NODE_ENV: 'test', DATABASE_POOL_SIZE: '30' }).databasePoolSize).toBe(30);
    for (const bad of ['0', '-1', 'ten', '2.5']) expect(() => loadConfig({ NODE_ENV: 'test', DATABASE_POOL_SIZE: bad })).toThrow(/DATABASE_POOL_SIZE must be a whole number, from 1 to 1000/);
  });

  it('takes a Redis Cluster hash-tagged QUEUE_PREFIX and refuses unbalanced or several braces', () => {
    expect(loadConfig({ NODE_ENV: 'test', QUEUE_PREFIX: '{illbridge}' }).queuePrefix).toBe('{illbridge}');
    expect(loadConfig({ NODE_ENV: 'test', QUEUE_PREFIX: 'site-a:{illbridge}' }).queuePrefix).toBe('site-a:{illbridge}');
    for (const bad of ['{illbridge', 'illbridge}', '{}', '{a}{b}', '{a b}'])
      expect(() => loadConfig({ NODE_ENV: 'test', QUEUE_PREFIX: bad })).toThrow(/QUEUE_PREFIX/);
  });
});

describe('secrets', () => {
  it('encrypts so that the stored form holds nothing of the secret and decrypts back', () => {
    const box = new SecretBox('key-one-0123456789');
    const stored = box.encrypt('my-libris-api-key');
    expect(stored).not.toContain('my-libris-api-key');
    expect(box.encrypt('my-libris-api-key')).not.toBe(stored); // random IV
    expect(box.decrypt(stored)).toBe('my-libris-api-key');
    expect(() => new SecretBox('another-key-0123456789').decrypt(stored)).toThrow();
  });

  it('compares secrets of any length', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
  });
});

describe('validation messages', () => {
  it('names nested properties by their path', () => {
    expect(
      flattenValidationErrors([
        { property: 'schedule', children: [{ property: 'time', constraints: { matches: 'time must be HH:mm' }, children: [] }] },
        { property: 'color', constraints: { whitelistValidation: 'property color should not exist' }, children: [] },
      ] as any),
    ).toEqual(['schedule.time must be HH:mm', 'property color should not exist']);
  });
});
