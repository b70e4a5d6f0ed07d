import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { safeEqual, SecretBox, sha256 } from '@illbridge/common';
import {
  confirmationOf, ErrorType, Iso18626Header, Iso18626MessageKind, isoTimestamp, readIso18626Message, SupplyingAgencyMessage,
} from '@illbridge/connectors/iso18626';
import { readXml, writeXml } from '@illbridge/connectors/netpunkt/xml';
import { isUniqueViolation } from '@illbridge/database/errors';
import { FINAL_STATUSES, iso18626Effect } from '@illbridge/workflow';
import { NetpunktThrottle } from '../netpunkt/netpunkt-throttle';
import { normalIsil } from './iso18626-profile';

/** The answer of `POST /iso18626`: the confirmation, with HTTP 200, or 503 (nothing kept: the peer resends later). */
export interface InboundAnswer {
  httpStatus: 200 | 503;
  body: string;
}

/** The one answer to an unknown agency and a wrong or missing secret alike. */
export const ISO18626_AUTHENTICATION_FAILED = 'authentication failed';
/** The errorValue of a message whose request is not (yet) known; ReShare's error text. */
export const UNABLE_TO_FIND_REQUEST = 'UnableToFindRequest';

interface ChannelProfile {
  id: string;
  code: string;
  system: string;
  iso18626_secret_enc: string | null;
}

/** A stored inbound message as the operator's list and the re-apply read it. */
export interface StoredMessage {
  id: string;
  direction: string;
  profile_id: string | null;
  request_id: string | null;
  message_type: string;
  reason: string | null;
  status: string | null;
  requesting_agency_request_id: string | null;
  supplying_agency_id: string | null;
  message_timestamp: string | null;
  message_status: string | null;
  applied: boolean;
  error: string | null;
  raw: string;
  confirmation: string | null;
  created_at: Date;
}

/** Same type, reason, status, timestamp and request id: the same message again. */
export function inboundDedupKey(kind: string, reason: string, status: string, header: Iso18626Header): string {
  return sha256([kind, reason, status, header.timestamp, header.requestingAgencyRequestId].join('\u0000'));
}

/** ISO 18626 messages from lenders (iso18626.md): authenticated per profile (our agency id, the peer's, the shared
 *  secret), each matched to its request by requestingAgencyRequestId under the request row's lock, applied and stored
 *  raw with its confirmation in one transaction. A repeat answers the first confirmation and changes nothing. */
@Injectable()
export class Iso18626InboundService {
  private readonly logger = new Logger(Iso18626InboundService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly secrets: SecretBox,
    private readonly throttle: NetpunktThrottle,
  ) {}

  /** `address`: the connection's (failed authentications are throttled per address, as for Netpunkt); `basicPassword`:
   *  the password of an HTTP Basic Authorization, the alternative to requestingAgencyAuthentication.securityCode. */
  async receive(xml: string, address: string, basicPassword: string | null): Promise<InboundAnswer> {
    const timestampReceived = isoTimestamp();
    const read = readIso18626Message(xml);
    const confirm = (kind: Iso18626MessageKind | null, header: Partial<Iso18626Header>, error?: { errorType: ErrorType; errorValue: string }, echo?: string) =>
      confirmationOf(kind, header, timestampReceived, error, echo);
    if (!read.ok) return { httpStatus: 200, body: confirm(read.kind, read.header, { errorType: read.errorType, errorValue: read.problem }) };
    const header = read.message.header;
    const ours = normalIsil(header.requestingAgencyId.agencyIdValue);
    const peer = normalIsil(header.supplyingAgencyId.agencyIdValue);
    const throttleKey = `iso18626:${ours}`;
    try {
      if (await this.throttle.blocked(address, throttleKey).catch(() => false)) {
        return { httpStatus: 200, body: confirm(read.kind, header, { errorType: 'UnrecognisedDataValue', errorValue: 'Too many failed authentications; please resend later' }) };
      }
      const profile = await this.authenticate(ours, peer, header.requestingAgencyAuthentication?.securityCode ?? basicPassword);
      if (!profile) {
        await this.throttle.failed(address, throttleKey);
        this.logger.warn(`ISO 18626 ${read.kind} from ${peer} to ${ours} refused: no active profile with that channel, or a wrong or missing secret`);
        return { httpStatus: 200, body: confirm(read.kind, header, { errorType: 'UnrecognisedDataValue', errorValue: ISO18626_AUTHENTICATION_FAILED }) };
      }
      const raw = redactedXml(xml);
      if (read.kind !== 'supplyingAgencyMessage') {
        const what = read.kind === 'request' ? 'ILL Bridge does not take ISO 18626 requests (lending) yet' : 'ILL Bridge takes no requestingAgencyMessage: it is the requesting agency of its transactions';
        const body = confirm(read.kind, header, { errorType: 'UnsupportedActionType', errorValue: what }, read.kind === 'requestingAgencyMessage' ? read.message.action : undefined);
        await this.dataSource.query(
          `INSERT INTO iso18626_message (direction, profile_id, message_type, reason, requesting_agency_request_id, supplying_agency_id, message_timestamp, raw, confirmation, message_status, applied, error)
           VALUES ('IN', $1, $2, $3, $4, $5, $6, $7, $8, 'ERROR', false, $9)`,
          [profile.id, read.kind, read.kind === 'requestingAgencyMessage' ? read.message.action : null, header.requestingAgencyRequestId, peer, header.timestamp, raw, body, `UnsupportedActionType: ${what}`],
        );
        return { httpStatus: 200, body };
      }
      const message = read.message;
      const echo = message.messageInfo.reasonForMessage;
      const body = await this.store(profile, message, raw, (error) => confirm('supplyingAgencyMessage', header, error, echo));
      return { httpStatus: 200, body };
    } catch (error: any) {
      this.logger.error(`ISO 18626 message for ${header.requestingAgencyRequestId} not taken now: ${error.message}`);
      return { httpStatus: 503, body: 'A passing fault; please resend' };
    }
  }

  /** The active profile whose channel is ours → the peer's and whose shared secret the message carries. Every
   *  candidate's secret is compared (in constant time), so an unknown agency takes as long as a wrong secret. */
  private async authenticate(ours: string, peer: string, secret: string | null | undefined): Promise<ChannelProfile | null> {
    const candidates: ChannelProfile[] = await this.dataSource.query(
      `SELECT id, code, system, iso18626_secret_enc FROM integration_profile
        WHERE active AND system IN ('ISO18626', 'NETPUNKT') AND iso18626_endpoint_url IS NOT NULL AND iso18626_agency_id = $1
          AND (iso18626_peer_agency_id IS NULL OR iso18626_peer_agency_id = $2)
        ORDER BY (iso18626_peer_agency_id IS NULL), code`,
      [ours, peer],
    );
    let found: ChannelProfile | null = null;
    for (const candidate of candidates.length ? candidates : [null]) {
      const expected = candidate?.iso18626_secret_enc ? this.secrets.decrypt(candidate.iso18626_secret_enc) : '\u0000no profile\u0000';
      if (safeEqual(expected, secret ?? '') && candidate && !found) found = candidate;
    }
    return found;
  }

  /** Matches, applies and stores the message in one transaction (a repeat: the first confirmation, nothing else). */
  private async store(profile: ChannelProfile, message: SupplyingAgencyMessage, raw: string, confirm: (error?: { errorType: ErrorType; errorValue: string }) => string): Promise<string> {
    const header = message.header;
    const dedupKey = inboundDedupKey('supplyingAgencyMessage', message.messageInfo.reasonForMessage, message.statusInfo.status, header);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.dataSource.transaction(async (em) => {
          const request = await this.lockRequest(em, profile.id, header.requestingAgencyRequestId, normalIsil(header.requestingAgencyId.agencyIdValue));
          const [repeat] = await em.query(`SELECT confirmation FROM iso18626_message WHERE direction = 'IN' AND profile_id = $1 AND dedup_key = $2`, [profile.id, dedupKey]);
          if (repeat) return repeat.confirmation as string;
          if (!request) {
            const errorValue = `${UNABLE_TO_FIND_REQUEST}: no request of profile ${profile.code} has the requestingAgencyRequestId ${header.requestingAgencyRequestId}`;
            const body = confirm({ errorType: 'UnrecognisedDataValue', errorValue });
            await this.insertMessage(em, profile.id, null, message, raw, dedupKey, body, false, errorValue);
            this.logger.warn(`ISO 18626 ${message.messageInfo.reasonForMessage} ${message.statusInfo.status}: ${errorValue} (kept for an operator to re-apply)`);
            return body;
          }
          const body = confirm();
          const id = await this.insertMessage(em, profile.id, request.id, message, raw, dedupKey, body, true, null);
          await applyToRequest(em, request, message, id);
          return body;
        });
      } catch (error) {
        // A repeat sent at the same moment committed first: answer what it was answered.
        if (isUniqueViolation(error) && attempt === 0) continue;
        throw error;
      }
    }
  }

  /** The request a message names, locked: its external id is the requestingAgencyRequestId, or for a Netpunkt order
   *  `<orderId>@<requester>` (the same order id from two requesters: the one the message's requesting agency names). */
  private async lockRequest(em: EntityManager, profileId: string, requestId: string, requestingAgency = ''): Promise<LockedRequest | null> {
    const columns = 'id, status, external_system_status, due_date, iso18626, status_by_staff';
    // The common cases by the unique index: the id as it is, or the order of the requester the message names.
    const [exact] = await em.query(
      `SELECT ${columns} FROM rs_request WHERE profile_id = $1 AND direction = 'BORROWING' AND external_id = ANY($2::text[])
        ORDER BY external_id = $3 DESC LIMIT 1 FOR UPDATE`,
      [profileId, [requestId, `${requestId}@${requestingAgency}`], requestId],
    );
    if (exact) return exact;
    // A Netpunkt order sent under another requester id than the message's agency (DBC's main-library ISIL).
    const [row] = await em.query(
      `SELECT ${columns} FROM rs_request
        WHERE profile_id = $1 AND direction = 'BORROWING' AND split_part(external_id, '@', 1) = $2
        ORDER BY created_at LIMIT 1 FOR UPDATE`,
      [profileId, requestId],
    );
    return row ?? null;
  }

  private async insertMessage(em: EntityManager, profileId: string, requestId: string | null, m: SupplyingAgencyMessage, raw: string, dedupKey: string, body: string, applied: boolean, error: string | null) {
    const [row] = await em.query(
      `INSERT INTO iso18626_message (direction, profile_id, request_id, message_type, reason, status, requesting_agency_request_id, supplying_agency_id, message_timestamp, dedup_key, raw, confirmation, message_status, applied, error)
       VALUES ('IN', $1, $2, 'supplyingAgencyMessage', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
      [
        profileId, requestId, m.messageInfo.reasonForMessage, m.statusInfo.status, m.header.requestingAgencyRequestId, normalIsil(m.header.supplyingAgencyId.agencyIdValue),
        m.header.timestamp, dedupKey, raw, body, applied ? 'OK' : 'ERROR', applied, error,
      ],
    );
    return String(row.id);
  }

  // ---- operators

  async list(filter: { unmatched?: boolean; requestId?: string; direction?: 'IN' | 'OUT' }, limit: number, offset: number) {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.unmatched) where.push(`direction = 'IN' AND message_type = 'supplyingAgencyMessage' AND request_id IS NULL`);
    if (filter.requestId) where.push(`request_id = $${params.push(filter.requestId)}`);
    if (filter.direction) where.push(`direction = $${params.push(filter.direction)}`);
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const [{ total }] = await this.dataSource.query(`SELECT count(*)::int AS total FROM iso18626_message ${clause}`, params);
    const rows: StoredMessage[] = await this.dataSource.query(
      `SELECT * FROM iso18626_message ${clause} ORDER BY created_at DESC, id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, limit, offset],
    );
    return { items: rows.map(messageView), total, limit, offset };
  }

  async find(id: string): Promise<StoredMessage | null> {
    const [row] = await this.dataSource.query('SELECT * FROM iso18626_message WHERE id = $1', [id]);
    return row ?? null;
  }

  /** An unmatched message applied now that its request exists: matched and applied as if it came now (under the
   *  request's row lock). Answers the message, or why not: 'not-found' | 'not-unmatched' | 'still-unmatched'. */
  async reapply(id: string): Promise<{ message: ReturnType<typeof messageView> } | { refused: 'not-found' | 'not-unmatched' | 'still-unmatched'; message?: string }> {
    return this.dataSource.transaction(async (em) => {
      const [stored]: StoredMessage[] = await em.query('SELECT * FROM iso18626_message WHERE id = $1 FOR UPDATE', [id]);
      if (!stored) return { refused: 'not-found' as const };
      if (stored.direction !== 'IN' || stored.message_type !== 'supplyingAgencyMessage' || stored.request_id) return { refused: 'not-unmatched' as const };
      const read = readIso18626Message(stored.raw);
      if (!read.ok || read.kind !== 'supplyingAgencyMessage') return { refused: 'not-unmatched' as const, message: 'the stored message cannot be read again' };
      const request = await this.lockRequest(em, stored.profile_id!, read.message.header.requestingAgencyRequestId, normalIsil(read.message.header.requestingAgencyId.agencyIdValue));
      if (!request) return { refused: 'still-unmatched' as const, message: `still no request has the requestingAgencyRequestId ${read.message.header.requestingAgencyRequestId}` };
      await em.query(`UPDATE iso18626_message SET request_id = $2, applied = true, error = NULL, updated_at = now() WHERE id = $1`, [id, request.id]);
      await applyToRequest(em, request, read.message, id, true);
      const [updated] = await em.query('SELECT * FROM iso18626_message WHERE id = $1', [id]);
      return { message: messageView(updated) };
    });
  }
}

interface LockedRequest {
  id: string;
  status: string;
  external_system_status: string | null;
  due_date: string | null;
  iso18626: Record<string, unknown> | null;
  status_by_staff: boolean;
}

/** The message's effect on its (locked) request: the status of the mapping (iso18626Effect), `externalSystemStatus`
 *  the ISO status, the due date, reasons, note and deliveryInfo kept in `iso18626`, and one request event. */
async function applyToRequest(em: EntityManager, request: LockedRequest, m: SupplyingAgencyMessage, messageId: string, reapplied = false): Promise<void> {
  const { reasonForMessage, answerYesNo } = m.messageInfo;
  const status = m.statusInfo.status;
  const effect = reasonForMessage === 'Notification' ? null : iso18626Effect(request.status, reasonForMessage, status, answerYesNo);
  const toStatus = effect?.status ?? request.status;
  const dueDate = effect?.keepsDueDate && m.statusInfo.dueDate ? m.statusInfo.dueDate : request.due_date;
  const before = request.iso18626 ?? {};
  const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const iso = defined({
    ...before,
    status,
    reasonForMessage,
    lastChange: m.statusInfo.lastChange,
    messageTimestamp: m.header.timestamp,
    supplyingAgencyId: m.header.supplyingAgencyId.agencyIdValue,
    supplyingAgencyRequestId: m.header.supplyingAgencyRequestId ?? (before.supplyingAgencyRequestId as string | undefined),
    note: m.messageInfo.note ?? before.note,
    expectedDeliveryDate: m.statusInfo.expectedDeliveryDate ?? before.expectedDeliveryDate,
    ...(effect?.keepsReason && { reasonUnfilled: m.messageInfo.reasonUnfilled, reasonRetry: m.messageInfo.reasonRetry, retryAfter: m.messageInfo.retryAfter, retryBefore: m.messageInfo.retryBefore }),
    ...(m.deliveryInfo && { deliveryInfo: m.deliveryInfo }),
    ...(effect?.flag === 'overdue' && { overdue: true }),
    ...(effect?.flag === 'recalled' && { recalled: true }),
    ...(reasonForMessage === 'CancelResponse' && { cancelAnswer: answerYesNo }),
    ...(reasonForMessage === 'RenewResponse' && { renewAnswer: answerYesNo }),
  });
  const changed = toStatus !== request.status;
  await em.query(
    `UPDATE rs_request SET status = $2::text, external_system_status = $3, due_date = left($4::text, 10)::date, iso18626 = $5::jsonb, status_by_staff = status_by_staff OR $6::boolean,
            closed = $2::text = ANY($7::text[]), updated_at = now() WHERE id = $1`,
    [request.id, toStatus, status, dueDate, JSON.stringify(iso), changed, FINAL_STATUSES],
  );
  await em.query(
    `INSERT INTO request_event (request_id, type, from_status, to_status, external_system_status, message, data) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)`,
    [
      request.id,
      changed ? 'STATUS_CHANGED' : 'UPDATED',
      request.status,
      toStatus,
      status,
      describe(m, request, toStatus, dueDate, reapplied),
      JSON.stringify({ iso18626MessageId: messageId, reasonForMessage, status, answerYesNo: answerYesNo ?? null, dueDate: m.statusInfo.dueDate ?? null, reapplied }),
    ],
  );
}

function describe(m: SupplyingAgencyMessage, request: LockedRequest, toStatus: string, dueDate: string | null, reapplied: boolean): string {
  const { reasonForMessage, answerYesNo, reasonUnfilled, reasonRetry, note } = m.messageInfo;
  const from = m.header.supplyingAgencyId.agencyIdValue;
  const parts = [`ISO 18626 ${reasonForMessage} from ${from}: ${m.statusInfo.status}`];
  if (reasonUnfilled) parts.push(`(reason ${reasonUnfilled})`);
  if (reasonRetry) parts.push(`(retry: ${reasonRetry})`);
  if (reasonForMessage === 'RenewResponse') parts.push(answerYesNo === 'Y' ? `— renewal granted, due ${dueDate}` : `— renewal refused, the due date stays ${request.due_date ?? 'unset'}`);
  if (reasonForMessage === 'CancelResponse') parts.push(answerYesNo === 'Y' ? '— cancellation accepted' : '— cancellation refused');
  if (m.statusInfo.dueDate && reasonForMessage !== 'RenewResponse') parts.push(`(due ${m.statusInfo.dueDate})`);
  parts.push(toStatus !== request.status ? `→ ${toStatus}` : `(local status ${request.status} kept)`);
  if (note) parts.push(`Note: ${note}`);
  if (reapplied) parts.push('(re-applied by an operator)');
  return parts.join(' ');
}

/** The message as kept: written back from the parsed tree with every securityCode `[redacted]`. */
function redactedXml(xml: string): string {
  const document = readXml(xml);
  if (!document.ok) return xml;
  return writeXml(document.root, (element) => (element.localName === 'securityCode' ? '[redacted]' : undefined));
}

export function messageView(row: StoredMessage) {
  return {
    id: row.id,
    direction: row.direction,
    profileId: row.profile_id,
    requestId: row.request_id,
    messageType: row.message_type,
    reason: row.reason,
    status: row.status,
    requestingAgencyRequestId: row.requesting_agency_request_id,
    supplyingAgencyId: row.supplying_agency_id,
    timestamp: row.message_timestamp,
    messageStatus: row.message_status,
    applied: row.applied,
    error: row.error,
    raw: row.raw,
    confirmation: row.confirmation,
    createdAt: row.created_at,
  };
}
