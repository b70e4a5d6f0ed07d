import { Body, Controller, HttpCode, Post, UseFilters, UsePipes } from '@nestjs/common';
import { ApiExceptionFilter, createValidationPipe } from '@illbridge/common/http-errors';
import { buildScenario } from './netpunkt-scenarios';
import { sendReceipt, SendResult } from './netpunkt-sender';
import { SendScenarioDto } from './send-scenario.dto';

const DEFAULT_RETRIES = 3;
const DEFAULT_BASE_DELAY_MS = 500;

export interface SendScenarioResult extends SendResult {
  orderId: string;
  orderReceiptUuid: string;
}

/** Test control of the Netpunkt sender: sends one receipt of a scenario to a receipt endpoint, the
 *  way DBC would, and tells what the endpoint answered. */
@Controller('_sim/netpunkt')
@UseFilters(ApiExceptionFilter)
@UsePipes(createValidationPipe())
export class NetpunktSimController {
  @Post('send')
  @HttpCode(200)
  async send(@Body() body: SendScenarioDto): Promise<SendScenarioResult> {
    const { orderId, orderReceiptUuid, xml } = buildScenario(body.scenario, body);
    const result = await sendReceipt(body.endpointUrl, xml, {
      retries: body.retries ?? DEFAULT_RETRIES,
      baseDelayMs: body.baseDelayMs ?? DEFAULT_BASE_DELAY_MS,
    });
    return { ...result, orderId, orderReceiptUuid };
  }
}
