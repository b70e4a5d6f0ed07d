import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPropertyOptional,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { Actor, AuditActor, AuditService, notFound, PageQuery, pageOf, RequireRole } from '@illbridge/common';
import { STORED_RECEIPT_STATES, StoredReceiptState, StoredReceiptsService } from './stored-receipts.service';

export class StoredReceiptQuery extends PageQuery {
  @ApiPropertyOptional({ enum: STORED_RECEIPT_STATES, description: 'QUEUED: its import run is pending or running; IMPORTED: it became a request; FAILED: its import failed' })
  @IsOptional()
  @IsIn(STORED_RECEIPT_STATES as unknown as string[], { message: `state must be one of ${STORED_RECEIPT_STATES.join(', ')}` })
  state?: StoredReceiptState;
  @ApiPropertyOptional() @IsOptional() @IsUUID('all', { message: 'profileId must be a UUID' }) profileId?: string;
  @ApiPropertyOptional({ description: 'The orderId of the receipt' }) @IsOptional() @IsString() @Length(1, 64) orderId?: string;
}

const uuid = new ParseUUIDPipe({ exceptionFactory: () => notFound('Netpunkt receipt') });

const RECEIPT_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    profileId: { type: 'string', format: 'uuid' },
    profileCode: { type: 'string' },
    receiptUuid: { type: 'string' },
    orderId: { type: 'string' },
    requesterId: { type: 'string' },
    receivedAt: { type: 'string', format: 'date-time' },
    state: { type: 'string', enum: [...STORED_RECEIPT_STATES] },
    run: { type: 'object', properties: { id: { type: 'string', format: 'uuid', nullable: true }, state: { type: 'string', nullable: true } } },
    requestId: { type: 'string', format: 'uuid', nullable: true },
    error: { type: 'object', nullable: true, properties: { code: { type: 'string' }, message: { type: 'string' } } },
  },
};

/** Stored Netpunkt receipts for operators (README "Netpunkt receipts"): which failed to import, and a re-import. */
@ApiTags('netpunkt')
@ApiBearerAuth()
@Controller('api/netpunkt-receipts')
@RequireRole('operator')
export class StoredReceiptsController {
  constructor(
    private readonly receipts: StoredReceiptsService,
    private readonly audit: AuditService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Stored Netpunkt receipts, newest first, with the state of their import (operator)' })
  @ApiOkResponse({ schema: { type: 'object', properties: { items: { type: 'array', items: RECEIPT_SCHEMA }, total: { type: 'integer' }, limit: { type: 'integer' }, offset: { type: 'integer' } } } })
  list(@Query() query: StoredReceiptQuery) {
    const { limit, offset } = pageOf(query);
    return this.receipts.list({ state: query.state, profileId: query.profileId, orderId: query.orderId }, limit, offset);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One stored Netpunkt receipt with the state of its import (operator)' })
  @ApiOkResponse({ schema: RECEIPT_SCHEMA })
  get(@Param('id', uuid) id: string) {
    return this.receipts.get(id);
  }

  @Post(':id/reimport')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Import a stored receipt again in a new INBOUND run, e.g. after a missing library-code mapping was added (operator)',
    description: 'Waits up to 20 s for the import. The same order (orderId + requesterId) is one request however often it is imported.',
  })
  @ApiOkResponse({ description: 'Imported: the receipt with `requestId`, the request it became (or updated)', schema: RECEIPT_SCHEMA })
  @ApiAcceptedResponse({ description: 'Queued but not imported within 20 s: follow `run.id` in the job history', schema: RECEIPT_SCHEMA })
  @ApiNotFoundResponse({ description: 'No such receipt' })
  @ApiConflictResponse({ description: '`JOB_ALREADY_RUNNING`: the receipt\'s import run is still pending or running; `PROFILE_INACTIVE`' })
  @ApiUnprocessableEntityResponse({
    description: '`LIBRARY_NOT_MAPPED`: the profile\'s own library or the pickup agency still resolves to no library (nothing was run), or the import failed for it; `IMPORT_FAILED`: the import failed otherwise. The body holds the reason and `receipt`.',
  })
  async reimport(@Param('id', uuid) id: string, @Actor() actor: AuditActor, @Res() res: Response) {
    // Answered here: the status (200 or 202) depends on the outcome, which @HttpCode cannot say.
    const { status, receipt } = await this.receipts.reimport(id);
    await this.audit.record(actor, 'REIMPORT', 'netpunkt-receipt', id, { after: { status, requestId: (receipt as { requestId?: string | null }).requestId ?? null } });
    res.status(status).json(receipt);
  }
}
