import { CanActivate, ExecutionContext, HttpStatus, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'crypto';
import { DataSource } from 'typeorm';
import { ApiKeyEntity, Role, ROLES } from '@illbridge/database/entities';
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

/** Looks an API key up by its hash. Keys are cached briefly so a busy route does not query per call. */
@Injectable()
export class ApiKeyAuthenticator {
  private readonly cache = new Map<string, { role: Role | null; until: number }>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async roleOf(key: string): Promise<Role | null> {
    const hash = sha256(key);
    const cached = this.cache.get(hash);
    if (cached && cached.until > Date.now()) return cached.role;
    const found = await this.dataSource.getRepository(ApiKeyEntity).findOne({ where: { keyHash: hash }, select: { id: true, role: true } });
    const role = found?.role ?? null;
    this.cache.set(hash, { role, until: Date.now() + 5_000 });
    return role;
  }

  forget(): void {
    this.cache.clear();
  }

  /** BOOTSTRAP_ADMIN_KEY: make sure an admin key with this value exists. */
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
    const role = await this.authenticator.roleOf(key);
    if (!role) throw new ApiError(HttpStatus.UNAUTHORIZED, 'UNAUTHENTICATED', 'Unknown API key');
    const needed = this.reflector.getAllAndOverride<Role>(ROLE_KEY, targets) ?? 'viewer';
    if (!roleAllows(role, needed)) throw new ApiError(HttpStatus.FORBIDDEN, 'FORBIDDEN', `This needs the ${needed} role; the key has ${role}`);
    request.apiRole = role;
    return true;
  }
}
