import { Body, Controller, Header, HttpCode, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { ApiBody, ApiConsumes, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Public } from '@illbridge/common';
import { buildReceiptResponse } from '@illbridge/connectors/netpunkt';
import { NetpunktReceiptsService } from './netpunkt-receipts.service';

/** DBC's Order Receipt service pushes here (SOAP 1.1). The receipt's own password authenticates it. */
@ApiTags('netpunkt')
@Controller('netpunkt')
@Public()
export class NetpunktReceiptsController {
  constructor(private readonly receipts: NetpunktReceiptsService) {}

  @Post('receipt')
  @HttpCode(200)
  @Header('Content-Type', 'text/xml; charset=utf-8')
  @ApiOperation({ summary: 'Receive a Netpunkt order receipt (SOAP 1.1); answers a receiptResponse' })
  @ApiConsumes('text/xml')
  @ApiProduces('text/xml')
  @ApiBody({ schema: { type: 'string' } })
  async receive(@Body() body: unknown, @Req() request: Request): Promise<string> {
    const xml = typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : '';
    // The connection's address (no proxy header is trusted): failed authentications are counted per address.
    const outcome = await this.receipts.receive(xml, request.socket.remoteAddress ?? 'unknown');
    return buildReceiptResponse(outcome.status, outcome.message);
  }
}
