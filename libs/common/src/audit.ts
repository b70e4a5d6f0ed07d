import { createParamDecorator, ExecutionContext, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditEventEntity } from '@illbridge/database/entities';
import type { ApiKeyIdentity } from './auth';

/** Who made a request: its API key (set by ApiKeyGuard), or null on a public route. */
export type AuditActor = ApiKeyIdentity | null;

/** `@Actor() actor: AuditActor`: the API key of the request (id, name, role). */
export const Actor = createParamDecorator((_: unknown, ctx: ExecutionContext): AuditActor => ctx.switchToHttp().getRequest().apiKey ?? null);

/** What the audit shows in place of a secret. */
export const MASKED = '***';
/** Keys whose string values are secrets (passwords, API key secrets, webhook secrets, tokens). */
const SECRET_KEY = /password|secret|apikey|^key$|token/i;
/** Bookkeeping fields a change does not consist of. */
const IGNORED = new Set(['createdAt', 'updatedAt']);

/** A copy with every secret's value masked (a secret that is not set stays null). */
export function maskSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map(maskSecrets) as T;
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, SECRET_KEY.test(k) && typeof v === 'string' ? MASKED : maskSecrets(v)]),
  ) as T;
}

/** Nested objects as dotted paths (arrays and dates are values). */
function flatten(value: unknown, prefix = '', into: Record<string, unknown> = {}): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Date) {
    if (prefix) into[prefix] = value instanceof Date ? value.toISOString() : value;
    return into;
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (!IGNORED.has(k)) flatten(v, prefix ? `${prefix}.${k}` : k, into);
  }
  return into;
}

/** The changed fields of a configuration change, before → after, secrets masked. `input` (the request body) names
 *  the secrets that were set: they count as changed although no answer shows them. */
export function configChange(before: unknown, after: unknown, input?: unknown): { before: Record<string, unknown>; after: Record<string, unknown> } {
  const was = flatten(maskSecrets(before));
  const now = flatten(maskSecrets(after));
  const changed: { before: Record<string, unknown>; after: Record<string, unknown> } = { before: {}, after: {} };
  for (const path of new Set([...Object.keys(was), ...Object.keys(now)])) {
    if (JSON.stringify(was[path] ?? null) === JSON.stringify(now[path] ?? null)) continue;
    changed.before[path] = was[path] ?? null;
    changed.after[path] = now[path] ?? null;
  }
  for (const [path, value] of Object.entries(flatten(input))) {
    if (!SECRET_KEY.test(path.split('.').pop()!) || typeof value !== 'string') continue;
    changed.before[path] = MASKED;
    changed.after[path] = MASKED;
  }
  return changed;
}

export interface AuditFilter {
  /** An API key's id or name. */
  actor?: string;
  entity?: string;
  entityId?: string;
  from?: Date;
  to?: Date;
  limit: number;
  offset: number;
}

export interface AuditEventView {
  id: string;
  at: Date;
  actor: { keyId: string | null; keyName: string | null; role: string | null };
  action: string;
  entity: { type: string; id: string | null };
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

const view = (e: AuditEventEntity): AuditEventView => ({
  id: String(e.id),
  at: e.at,
  actor: { keyId: e.actorKeyId, keyName: e.actorKeyName, role: e.actorRole },
  action: e.action,
  entity: { type: e.entityType, id: e.entityId },
  before: e.before,
  after: e.after,
});

/** The audit trail (audit_event): who did what and when. Every staff action and configuration change records
 *  itself here with one call from its controller; `GET /api/audit` (reporting) reads it. */
@Injectable()
export class AuditService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Records one event. `change`: for configuration, `{ before, after, input }` (kept as the changed fields, secrets
   *  masked: `configChange`); for an action, `{ after: what was asked and what came of it }` (masked). */
  async record(
    actor: AuditActor,
    action: string,
    entityType: string,
    entityId: string | null,
    change: { before?: unknown; after?: unknown; input?: unknown } = {},
    db: DataSource | EntityManager = this.dataSource,
  ): Promise<void> {
    const isUpdate = change.before != null && change.after != null;
    const { before, after } = isUpdate ? configChange(change.before, change.after, change.input) : { before: maskSecrets(change.before ?? null), after: maskSecrets(change.after ?? null) };
    await db.query(
      'INSERT INTO audit_event (actor_key_id, actor_key_name, actor_role, action, entity_type, entity_id, before, after) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [actor?.id ?? null, actor?.name ?? null, actor?.role ?? null, action, entityType, entityId, before == null ? null : JSON.stringify(before), after == null ? null : JSON.stringify(after)],
    );
  }

  /** Newest first, filtered. */
  async list(filter: AuditFilter): Promise<{ items: AuditEventView[]; total: number; limit: number; offset: number }> {
    const query = this.dataSource.getRepository(AuditEventEntity).createQueryBuilder('e');
    if (filter.actor) query.andWhere('(e.actor_key_id::text = :actor OR e.actor_key_name = :actor)', { actor: filter.actor });
    if (filter.entity) query.andWhere('e.entity_type = :entity', { entity: filter.entity });
    if (filter.entityId) query.andWhere('e.entity_id = :entityId', { entityId: filter.entityId });
    if (filter.from) query.andWhere('e.at >= :from', { from: filter.from });
    if (filter.to) query.andWhere('e.at < :to', { to: filter.to });
    const [items, total] = await query.orderBy('e.at', 'DESC').addOrderBy('e.id', 'DESC').take(filter.limit).skip(filter.offset).getManyAndCount();
    return { items: items.map(view), total, limit: filter.limit, offset: filter.offset };
  }
}
