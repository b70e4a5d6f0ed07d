import { Body, Controller, Get, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiTags } from '@nestjs/swagger';
import { RequireRole } from '@illbridge/common';
import { TakeActionDto } from './action.dto';
import { ActionsService } from './actions.service';

@ApiTags('actions')
@ApiBearerAuth()
@Controller('api')
export class ActionsController {
  constructor(private readonly actions: ActionsService) {}

  @Get('requests/:id/actions')
  allowed(@Param('id') id: string) {
    return this.actions.allowed(id);
  }

  @Post('requests/:id/actions')
  @HttpCode(202)
  @RequireRole('operator')
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A repeat with the same key answers the first answer and takes no second action' })
  take(@Param('id') id: string, @Body() body: TakeActionDto, @Headers('idempotency-key') idempotencyKey?: string) {
    return this.actions.take(id, body, idempotencyKey);
  }

  @Get('requests/:id/outbound-actions')
  outbound(@Param('id') id: string) {
    return this.actions.outboundActions(id);
  }

  @Post('outbound-actions/:id/retry')
  @HttpCode(200)
  @RequireRole('operator')
  retry(@Param('id') id: string) {
    return this.actions.retry(id);
  }

  @Post('outbound-actions/:id/discard')
  @HttpCode(200)
  @RequireRole('operator')
  discard(@Param('id') id: string) {
    return this.actions.discard(id);
  }
}
