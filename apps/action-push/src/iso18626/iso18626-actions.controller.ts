import { Controller, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, AuditActor, AuditService, RequireRole } from '@illbridge/common';
import { Iso18626Actions } from './iso18626-actions';

@ApiTags('iso18626')
@ApiBearerAuth()
@Controller('api')
export class Iso18626ActionsController {
  constructor(
    private readonly actions: Iso18626Actions,
    private readonly audit: AuditService,
  ) {}

  @Post('requests/:id/iso18626/status-request')
  @HttpCode(202)
  @RequireRole('operator')
  @ApiOperation({
    summary: 'Ask the lender for the status of an ISO 18626 request (operator): a StatusRequest queued in the request\'s push queue; the answer comes as a StatusRequestResponse to POST /iso18626',
  })
  async statusRequest(@Param('id') id: string, @Actor() actor: AuditActor, @Headers('idempotency-key') idempotencyKey?: string) {
    const { answer, repeat } = await this.actions.statusRequest(id, idempotencyKey);
    // A repeat took nothing: the first call's row is the audit of it.
    if (!repeat) await this.audit.record(actor, 'ACTION', 'request', id, { after: { action: 'STATUS_REQUEST' } });
    return answer;
  }
}
