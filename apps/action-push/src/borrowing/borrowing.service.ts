import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { createHash, randomUUID } from 'crypto';
import { ApiError, conflict, isUuid, notFound, validationFailed } from '@illbridge/common';
import { findHoldings } from '@illbridge/connectors/nacsis';
import type { HoldingsResult } from '@illbridge/connectors/nacsis';
import { ExternalSystemError } from '@illbridge/connectors/types';
import { CatpSessions } from '../catp-sessions';
import { Doorbell } from '../doorbell';
import { checkIdempotencyKey } from '../actions.service';
import type { TakeOutcome } from '../actions.service';
import { PushStore, RequestRow, STALE } from '../push-store';
import { outboundView, requestView } from '../views';
import { BorrowingStore, NacsisProfileRow } from './borrowing-store';
import { CreateBorrowingRequestDto, LenderDto, NacsisOrderDto, OrderBorrowingRequestDto } from './borrowing.dto';
import { CandidateLender, OrderDraft, OrderedRequest, orderFields } from './order-fields';

/** The outbound action of an ORDER: its name, and the NACSIS command it sends. */
export const ORDER_ACTION = 'ORDER';

const nullable = (value: string | undefined) => (value === undefined || value.trim() === '' ? null : value.trim());

function lenderOf(dto: LenderDto): CandidateLender {
  const lender: CandidateLender = { participantId: dto.participantId };
  for (const key of ['name', 'location', 'volume', 'callNumber', 'registrationNumber'] as const) {
    const value = nullable(dto[key]);
    if (value !== null) lender[key] = value;
  }
  return lender;
}

function nacsisFieldsOf(dto: NacsisOrderDto | undefined): Omit<OrderDraft, 'lenders' | 'bibId'> {
  const out: Omit<OrderDraft, 'lenders' | 'bibId'> = {};
  for (const key of ['accounting', 'copyType', 'delivery', 'staff', 'address'] as const) {
    const value = nullable(dto?.[key]);
    if (value !== null) out[key] = value;
  }
  return out;
}

/** Problems with candidate lenders: each library once, and not ourselves. */
function lenderProblems(lenders: CandidateLender[], ourParticipantId: string | null, where: string): string[] {
  const problems: string[] = [];
  const ids = lenders.map((l) => l.participantId);
  const twice = [...new Set(ids.filter((id, index) => ids.indexOf(id) !== index))];
  if (twice.length) problems.push(`${where} must name each library once (${twice.join(', ')} more than once)`);
  if (ourParticipantId && ids.includes(ourParticipantId)) problems.push(`${where} must not name our own library (${ourParticipantId})`);
  return problems;
}

/** The request and its order draft as answered. */
function borrowingView(row: RequestRow) {
  return { ...requestView(row), requestNumber: row.request_number ?? null, orderDraft: row.order_draft ?? null };
}

/** Borrowing requests created in ILL Bridge and their ORDER in NACSIS-ILL (README "Creating and ordering borrowing
 *  requests"). The ORDER is an outbound action in the request's ordered log, pushed by the drainer like every other. */
@Injectable()
export class BorrowingService {
  private readonly logger = new Logger(BorrowingService.name);

  constructor(
    private readonly store: BorrowingStore,
    private readonly push: PushStore,
    private readonly doorbell: Doorbell,
    private readonly sessions: CatpSessions,
  ) {}

  /** A NACSIS profile by id, or the problem with it (404 when unknown; 409 PROFILE_INACTIVE). */
  private async nacsisProfile(id: string, where: string): Promise<NacsisProfileRow> {
    const profile = isUuid(id) ? await this.store.profile(this.store.dataSource, id) : null;
    if (!profile) throw notFound(`Integration profile ${id}`);
    if (profile.system !== 'NACSIS') throw validationFailed([`${where} must be a NACSIS-ILL profile (profile ${profile.code} is ${profile.system})`]);
    if (!profile.active) throw new ApiError(HttpStatus.CONFLICT, 'PROFILE_INACTIVE', `Profile ${profile.code} is inactive`);
    return profile;
  }

  /** `POST /api/borrowing-requests` */
  async create(body: CreateBorrowingRequestDto, idempotencyKey?: string) {
    checkIdempotencyKey(idempotencyKey);
    const profile = body.profileId ? await this.nacsisProfile(body.profileId, 'profileId') : null;
    const lenders = (body.lenders ?? []).map(lenderOf);
    const owner = body.ownerLibraryCode ?? profile?.resource_sharing_library_code ?? body.pickupLibraryCode;
    const problems = lenderProblems(lenders, profile?.library_code ?? null, 'lenders');
    const unknown = await this.store.unknownLibraries(this.store.dataSource, [body.pickupLibraryCode, owner]);
    if (unknown.includes(body.pickupLibraryCode)) problems.push(`pickupLibraryCode "${body.pickupLibraryCode}" is not a library`);
    if (owner !== body.pickupLibraryCode && unknown.includes(owner)) problems.push(`ownerLibraryCode "${owner}" is not a library`);
    if (problems.length) throw validationFailed(problems);

    const bodyHash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    const draft: OrderDraft = { lenders, ...(body.bibId ? { bibId: body.bibId } : {}), ...nacsisFieldsOf(body.nacsis) };
    const { request, repeat } = await this.push.transaction(async (em) => {
      if (idempotencyKey) {
        await this.store.lockKey(em, idempotencyKey);
        const first = await this.store.createdWithKey(em, idempotencyKey);
        if (first) {
          if (first.bodyHash !== bodyHash) throw conflict(`Idempotency-Key "${idempotencyKey}" was used to create request ${first.request.request_number} with another body`);
          return { request: first.request, repeat: true };
        }
      }
      const created = await this.store.create(
        em,
        {
          profile_id: profile?.id ?? null,
          owner_library_code: owner,
          pickup_library_code: body.pickupLibraryCode,
          requester_name: nullable(body.requesterName),
          requester_id: nullable(body.requesterId),
          title: body.title.trim(),
          author: nullable(body.author),
          isbn: nullable(body.isbn),
          issn: nullable(body.issn),
          publisher: nullable(body.publisher),
          place_of_publication: nullable(body.placeOfPublication),
          year: nullable(body.year),
          edition: nullable(body.edition),
          volume: nullable(body.volume),
          issue: nullable(body.issue),
          pages: nullable(body.pages),
          article_title: nullable(body.articleTitle),
          article_author: nullable(body.articleAuthor),
          format: body.format,
          note: nullable(body.note),
          partners: lenders.map((l) => l.participantId),
          order_draft: draft,
        },
        { createdBy: 'api', ...(idempotencyKey ? { idempotencyKey, bodyHash } : {}) },
      );
      return { request: created, repeat: false };
    });
    return { answer: borrowingView(request), repeat };
  }

  /** `POST /api/borrowing-requests/:id/order`: NACSIS ORDER without ID queued in the request's ordered log. */
  async order(id: string, body: OrderBorrowingRequestDto, idempotencyKey?: string): Promise<TakeOutcome> {
    checkIdempotencyKey(idempotencyKey);
    if (!isUuid(id)) throw notFound(`Request ${id}`);
    const profileId = body.profileId;
    const named = profileId ? await this.nacsisProfile(profileId, 'profileId') : null;
    const outcome = await this.push.locked(id, async (em, found) => {
      if (!found) throw notFound(`Request ${id}`);
      const request = (await this.push.request(em, id))!;
      if (idempotencyKey) {
        const first = await this.push.actionByIdempotencyKey(em, id, idempotencyKey);
        if (first) {
          if (first.action !== ORDER_ACTION) throw conflict(`Idempotency-Key "${idempotencyKey}" was used for ${first.action}, not ${ORDER_ACTION}`);
          return { answer: { action: outboundView(first), request: borrowingView(request) }, ring: false, repeat: true };
        }
      }
      const refuse = (message: string) => new ApiError(HttpStatus.CONFLICT, 'NACSIS_ACTION_NOT_ALLOWED', message, { allowed: [] });
      if (request.direction !== 'BORROWING' || !request.request_number) throw refuse(`NACSIS Action Not Allowed: only a borrowing request created in ILL Bridge is ordered with ORDER (this one came from ${request.system ?? 'an import'}; use SEND on a 準備中 record)`);
      const orders: { seq: number; state: string }[] = await em.query(`SELECT seq, state FROM outbound_action WHERE request_id = $1 AND action = $2 AND state <> 'DISCARDED' ORDER BY seq`, [id, ORDER_ACTION]);
      const last = orders.at(-1);
      if (last?.state === 'FAILED') throw refuse(`NACSIS Action Not Allowed: ORDER #${last.seq} was refused; retry or discard it first`);
      if (last) throw refuse(`NACSIS Action Not Allowed: the request is ordered already (ORDER #${last.seq} is ${last.state})`);
      if (request.external_system_status) throw refuse(`NACSIS Action Not Allowed: the request is in NACSIS already (${request.external_system_status})`);

      const problems: string[] = [];
      let profile = named;
      if (request.profile_id && profileId && profileId !== request.profile_id) problems.push("profileId must be the request's own profile (it has one)");
      if (!profile && request.profile_id) profile = await this.nacsisProfile(request.profile_id as string, "the request's profile");
      if (!profile) problems.push('profileId is required: the request has no NACSIS-ILL profile to order through');
      const saved = (request.order_draft ?? { lenders: [] }) as OrderDraft;
      const draft: OrderDraft = { ...saved, ...nacsisFieldsOf(body.nacsis), lenders: body.lenders ? body.lenders.map(lenderOf) : (saved.lenders ?? []) };
      if (!draft.lenders.length) problems.push('at least one candidate lender is needed to order (lenders)');
      problems.push(...lenderProblems(draft.lenders, profile?.library_code ?? null, 'lenders'));
      if (problems.length || !profile) throw validationFailed(problems);

      const note = body.note ?? (request.note as string | null);
      const fields = orderFields(request as unknown as OrderedRequest, draft, note);
      const rowVersion = await this.store.prepareOrder(em, id, { profileId: profile.id, partners: draft.lenders.map((l) => l.participantId), draft });
      const [{ next_seq }] = await em.query('SELECT COALESCE(max(seq), 0) + 1 AS next_seq FROM outbound_action WHERE request_id = $1', [id]);
      const actionId = randomUUID();
      const candidates = draft.lenders.map((l) => l.participantId).join(', ');
      const written = await this.push.recordNacsisAction(em, rowVersion, {
        actionId,
        seq: next_seq,
        action: ORDER_ACTION,
        command: 'ORDER',
        fromStat: null,
        toStat: '未処理',
        note: typeof fields.CMMNT === 'string' ? fields.CMMNT : null,
        fields,
        idempotencyKey: idempotencyKey ?? null,
        toStatus: request.status,
        held: false,
        event: {
          requestId: id,
          type: 'ACTION_REQUESTED',
          fromStatus: request.status,
          toStatus: request.status,
          externalSystemStatus: null,
          message: `ORDER taken: NACSIS ORDER queued as #${next_seq} through profile ${profile.code} (candidate lenders ${candidates}; order number ${request.request_number})`,
          data: { outboundActionId: actionId, seq: next_seq, action: ORDER_ACTION, command: 'ORDER', profileId: profile.id, lenders: draft.lenders.map((l) => l.participantId) },
        },
      });
      if (written === STALE) throw new Error(`Request ${id} changed while its row was locked`);
      const after = (await this.push.request(em, id))!;
      return { answer: { action: outboundView(written.action), request: borrowingView(after) }, ring: !written.drainHoldsLease, repeat: false };
    });
    if (outcome.ring) {
      await this.doorbell.ring(id).catch((error) => this.logger.warn(`ORDER of request ${id} is saved, but the push queue could not be told (${error.message}); the worker's sweep will pick it up`));
    }
    return { answer: outcome.answer, repeat: outcome.repeat };
  }

  /** `GET /api/nacsis/holdings`: the libraries holding a title in NACSIS-CAT, our own left out. */
  async holdings(query: { profileId?: string; bibId?: string; isbn?: string; issn?: string }): Promise<HoldingsResult & { profileId: string; query: Record<string, string> }> {
    const problems: string[] = [];
    if (!query.profileId) problems.push('profileId is required');
    const given = (['bibId', 'isbn', 'issn'] as const).filter((key) => query[key]);
    if (given.length !== 1) problems.push('exactly one of bibId, isbn, issn is required');
    if (query.bibId && !/^[A-Z]{2}\d{8}$/.test(query.bibId)) problems.push('bibId must be a NACSIS-CAT ID such as BN01234567 or AN10184701');
    if (problems.length) throw validationFailed(problems);
    const profile = await this.nacsisProfile(query.profileId!, 'profileId');
    const key = given[0];
    try {
      const session = await this.sessions.get(profile);
      const result = await session.exclusive(() => findHoldings(session.client, session.handle, { [key]: query[key]! }, profile.library_code));
      return { profileId: profile.id, query: { [key]: query[key]! }, ...result };
    } catch (error) {
      if (!(error instanceof ExternalSystemError)) throw error;
      if (error.kind === 'AUTHENTICATION') this.sessions.forget(profile.id);
      throw new ApiError(HttpStatus.BAD_GATEWAY, 'EXTERNAL_SYSTEM_ERROR', `NACSIS-CAT holdings search failed: ${error.message}`);
    }
  }
}
