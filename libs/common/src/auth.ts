import { CanActivate, ExecutionContext, HttpStatus, Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'crypto';
import Redis from 'ioredis';
import { LRUCache } from 'lru-cache';
import { DataSource, IsNull } from 'typeorm';
import { ApiKeyEntity, Role, ROLES } from '@illbridge/database/entities';
import { redisOptions } from '@illbridge/queues/redis';
import { APP_CONFIG, AppConfig } from './config';
import { sha256 } from './crypto';
import { ApiError } from './errors';

export const ROLE_KEY = 'illbridge:role';
export const PUBLIC_KEY = 'illbridge:public';

/** The least role a route needs; roles nest: admin ⊃ operator ⊃ viewer. */
export const RequireRole = (role: Role) => SetMetadata(ROLE_KEY, role);
/** A route without an API key (health, metrics, the Netpunkt receipt with its own password). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

export function roleAllows(held: Role, needed: Role): boolean {
  return ROLES.indexOf(held) >= ROLES.indexOf(needed);
}

export function newApiKey(): string {
  return `ilb_${randomBytes(24).toString('base64url')}`;
}

/** How many key hashes (known or unknown) a service remembers, and for how long: a bounded LRU, so
 *  that a flood of random keys costs no more memory than this. */
export const API_KEY_CACHE_SIZE = 10_000;
export const API_KEY_CACHE_TTL_MS = 5_000;

/** The API key a request was made with (its id, name and role): the actor of what the request changes. */
export interface ApiKeyIdentity {
  id: string;
  name: string;
  role: Role;
}

type CachedRole = { key: ApiKeyIdentity | null };

/**
 * Looks an API key up by its hash. Answers are cached briefly (a bounded LRU) so a busy route does not
 * query per call. A revocation is published on Redis (`<QUEUE_PREFIX>:api-keys:revoked`) and every
 * service that listens forgets its cache at once; should Redis be down, the cache still lasts at most
 * API_KEY_CACHE_TTL_MS (and is forgotten whenever the subscription comes back).
 */
@Injectable()
export class ApiKeyAuthenticator implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ApiKeyAuthenticator.name);
  private readonly cache = new LRUCache<string, CachedRole>({ max: API_KEY_CACHE_SIZE, ttl: API_KEY_CACHE_TTL_MS });
  private readonly channel: string;
  private subscriber?: Redis;
  private publisher?: Redis;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.channel = `${config.queuePrefix}:api-keys:revoked`;
  }

  onModuleInit() {
    // Subscribed until the service stops; reconnects by itself, and forgets the cache on every (re)connection
    // since revocations may have been missed meanwhile.
    const subscriber = new Redis({ ...redisOptions(this.config.redisUrl, 'worker'), lazyConnect: true });
    this.subscriber = subscriber;
    subscriber.on('error', () => undefined);
    subscriber.on('ready', () => this.forget());
    subscriber.on('message', () => this.forget());
    subscriber.subscribe(this.channel).catch((error) => this.logger.warn(`Not subscribed to API key revocations (${error.message}); cached keys expire after ${API_KEY_CACHE_TTL_MS} ms`));
    // Connected now, so that a revocation is announced at once (a producer connection queues nothing while down).
    this.publisher = new Redis(redisOptions(this.config.redisUrl, 'producer'));
    this.publisher.on('error', () => undefined);
  }

  onModuleDestroy() {
    this.subscriber?.disconnect();
    this.publisher?.disconnect();
  }

  /** Entries held now (for tests and metrics). */
  get cachedKeys(): number {
    return this.cache.size;
  }

  async roleOf(key: string): Promise<Role | null> {
    return (await this.identify(key))?.role ?? null;
  }

  /** The key's id, name and role; null when it is unknown or revoked. */
  async identify(key: string): Promise<ApiKeyIdentity | null> {
    const hash = sha256(key);
    const cached = this.cache.get(hash);
    if (cached) return cached.key;
    const found = await this.dataSource.getRepository(ApiKeyEntity).findOne({ where: { keyHash: hash, revokedAt: IsNull() }, select: { id: true, name: true, role: true } });
    const identity = found ? { id: found.id, name: found.name, role: found.role } : null;
    this.cache.set(hash, { key: identity });
    return identity;
  }

  forget(): void {
    this.cache.clear();
  }

  /** Revokes a key: deleted, or for the bootstrap key marked revoked (so that BOOTSTRAP_ADMIN_KEY does not
   *  bring it back at the next start). Every service forgets its cache. False when there is no such key. */
  async revoke(id: string): Promise<boolean> {
    const repo = this.dataSource.getRepository(ApiKeyEntity);
    const key = await repo.findOne({ where: { id, revokedAt: IsNull() } });
    if (!key) return false;
    if (key.bootstrap) await repo.update({ id }, { revokedAt: new Date() });
    else await repo.delete({ id });
    this.forget();
    await this.publishRevocation();
    return true;
  }

  private async publishRevocation(): Promise<void> {
    try {
      if (!this.publisher) throw new Error('not started');
      await this.publisher.publish(this.channel, 'revoked');
    } catch (error: any) {
      this.logger.warn(`Could not announce an API key revocation (${error.message}); other services notice within ${API_KEY_CACHE_TTL_MS} ms`);
    }
  }

  /** BOOTSTRAP_ADMIN_KEY: make sure an admin key with this value exists, unless that key was revoked. */
  async ensureBootstrapKey(key: string | undefined): Promise<void> {
    if (!key) return;
    await this.dataSource
      .createQueryBuilder()
      .insert()
      .into(ApiKeyEntity)
      .values({ name: 'bootstrap admin', role: 'admin', keyHash: sha256(key), keyPrefix: key.slice(0, 8), bootstrap: true })
      .orIgnore()
      .execute();
  }
}

export function bearerKey(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : null;
}

/** Global guard: every route needs a key unless marked @Public(); @RequireRole sets the least role (viewer by default). */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: ApiKeyAuthenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const request = context.switchToHttp().getRequest();
    const key = bearerKey(request.headers.authorization);
    if (!key) throw new ApiError(HttpStatus.UNAUTHORIZED, 'UNAUTHENTICATED', 'An API key is required: Authorization: Bearer <key>');
    const identity = await this.authenticator.identify(key);
    const role = identity?.role;
    if (!identity || !role) throw new ApiError(HttpStatus.UNAUTHORIZED, 'UNAUTHENTICATED', 'Unknown API key');
    const needed = this.reflector.getAllAndOverride<Role>(ROLE_KEY, targets) ?? 'viewer';
    if (!roleAllows(role, needed)) throw new ApiError(HttpStatus.FORBIDDEN, 'FORBIDDEN', `This needs the ${needed} role; the key has ${role}`);
    request.apiRole = role;
    request.apiKey = identity;
    return true;
  }
}
