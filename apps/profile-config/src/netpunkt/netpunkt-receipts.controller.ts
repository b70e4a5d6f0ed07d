import { Body, Controller, Header, HttpCode, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { ApiBody, ApiConsumes, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Public } from '@illbridge/common';
import { buildReceiptResponse } from '@illbridge/connectors/netpunkt';
import { decodeXmlBytes } from '@illbridge/connectors/netpunkt/xml';
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
  @ApiOperation({
    summary: 'Receive a Netpunkt order receipt (SOAP 1.1); answers a receiptResponse',
    description:
      'An unknown requester and a wrong password are both answered fatal_internal_error "authentication failed". Failed authentications are counted per source address and per requester ' +
      '(NETPUNKT_FAILURES_PER_ADDRESS, NETPUNKT_FAILURES_PER_REQUESTER per NETPUNKT_FAILURE_WINDOW_S); past a limit the answer is temporary_error_please_resend ' +
      '"Too many failed authentications; please resend later", without checking. Bodies over 256 KiB, with a DTD, over 5,000 elements, 64 attributes on an element or 32 levels are incomplete_request.',
  })
  @ApiConsumes('text/xml')
  @ApiProduces('text/xml')
  @ApiBody({ schema: { type: 'string' } })
  async receive(@Body() body: unknown, @Req() request: Request): Promise<string> {
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(String(request.headers['content-type'] ?? ''))?.[1];
    const decoded = Buffer.isBuffer(body) ? decodeXmlBytes(body, charset) : { ok: true as const, text: typeof body === 'string' ? body : '' };
    if (!decoded.ok) return buildReceiptResponse('incomplete_request', decoded.problem);
    // The connection's address (no proxy header is trusted): failed authentications are counted per address.
    const outcome = await this.receipts.receive(decoded.text, request.socket.remoteAddress ?? 'unknown');
    return buildReceiptResponse(outcome.status, outcome.message);
  }
}
