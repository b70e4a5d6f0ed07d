import { Body, Controller, Get, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, AuditActor, AuditService, RequireRole } from '@illbridge/common';
import { BulkActionDto, TakeActionDto } from './action.dto';
import { ActionsService } from './actions.service';

const BULK_ANSWER_SCHEMA = {
  type: 'object',
  required: ['action', 'accepted', 'refused', 'results'],
  properties: {
    action: { type: 'string', example: 'RECEIVE' },
    accepted: { type: 'integer', example: 4 },
    refused: { type: 'integer', example: 1 },
    results: {
      type: 'array',
      description: 'One per request, in the order of requestIds',
      items: {
        type: 'object',
        required: ['requestId', 'result', 'status'],
        properties: {
          requestId: { type: 'string', format: 'uuid' },
          result: { type: 'string', enum: ['ACCEPTED', 'REFUSED'] },
          status: { type: 'integer', description: '202 when accepted; else what the single action answers (409, 400, 404)', example: 409 },
          action: { type: 'object', description: 'ACCEPTED: the outbound action (or the local action), as the single action answers' },
          request: { type: 'object', description: 'ACCEPTED: the request after the action' },
          error: {
            type: 'object',
            description: 'REFUSED: the error body, e.g. { code: "NACSIS_ACTION_NOT_ALLOWED", message: [...], allowed: [...] }',
            properties: { code: { type: 'string' }, message: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] }, allowed: { type: 'array', items: { type: 'string' } } },
          },
        },
      },
    },
  },
};

@ApiTags('actions')
@ApiBearerAuth()
@Controller('api')
export class ActionsController {
  constructor(
    private readonly actions: ActionsService,
    private readonly audit: AuditService,
  ) {}

  @Get('requests/:id/actions')
  allowed(@Param('id') id: string) {
    return this.actions.allowed(id);
  }

  @Post('requests/:id/actions')
  @HttpCode(202)
  @RequireRole('operator')
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A repeat with the same key answers the first answer and takes no second action' })
  async take(@Param('id') id: string, @Body() body: TakeActionDto, @Actor() actor: AuditActor, @Headers('idempotency-key') idempotencyKey?: string) {
    const { answer, repeat } = await this.actions.take(id, body, idempotencyKey, actor);
    // A repeat took nothing: the first call's row is the audit of it.
    if (!repeat) await this.audit.record(actor, 'ACTION', 'request', id, { after: { action: body.action, note: body.note ?? null, fields: body.fields ?? null, outboundActionId: answer.action.id, status: answer.request.status } });
    return answer;
  }

  @Post('actions/bulk')
  @HttpCode(200)
  @RequireRole('operator')
  @ApiOperation({ summary: 'One action for many requests, each judged on its own and taken in the order given; a per-request result list' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: "The key of every request's action: a repeat answers the accepted ones' first answers and takes no second action" })
  @ApiOkResponse({ description: 'Each request taken (ACCEPTED, as the single action answers 202) or refused (REFUSED, with the status and error body the single action would answer)', schema: BULK_ANSWER_SCHEMA })
  async bulk(@Body() body: BulkActionDto, @Actor() actor: AuditActor, @Headers('idempotency-key') idempotencyKey?: string) {
    const answer = await this.actions.bulk(body, idempotencyKey, actor);
    await this.audit.record(actor, 'BULK_ACTION', 'request', null, { after: { action: body.action, note: body.note ?? null, accepted: answer.results.filter((r) => r.result === 'ACCEPTED').map((r) => r.requestId), refused: answer.results.filter((r) => r.result === 'REFUSED').map((r) => r.requestId) } });
    return answer;
  }

  @Get('requests/:id/outbound-actions')
  outbound(@Param('id') id: string) {
    return this.actions.outboundActions(id);
  }

  @Post('outbound-actions/:id/retry')
  @HttpCode(200)
  @RequireRole('operator')
  async retry(@Param('id') id: string, @Actor() actor: AuditActor) {
    const retried = await this.actions.retry(id, actor);
    await this.audit.record(actor, 'RETRY', 'outbound-action', id, { after: { requestId: retried.requestId, action: retried.action, seq: retried.seq } });
    return retried;
  }

  @Post('outbound-actions/:id/discard')
  @HttpCode(200)
  @RequireRole('operator')
  async discard(@Param('id') id: string, @Actor() actor: AuditActor) {
    const discarded = await this.actions.discard(id, actor);
    await this.audit.record(actor, 'DISCARD', 'outbound-action', id, { after: { requestId: discarded.requestId, action: discarded.action, seq: discarded.seq } });
    return discarded;
  }
}
