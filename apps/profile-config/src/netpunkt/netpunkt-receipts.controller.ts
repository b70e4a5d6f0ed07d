import { Body, Controller, Header, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ApiBody, ApiConsumes, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Public } from '@illbridge/common';
import { buildReceiptResponse, buildSoapFault } from '@illbridge/connectors/netpunkt';
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
      '"Too many failed authentications; please resend later", without checking. A receipt with a mandatory element missing or an unknown *IdType is incomplete_request (HTTP 200). ' +
      'A message that cannot be read as SOAP (empty, not well-formed XML, not in its declared encoding, with a DTD, over 5,000 elements, 64 attributes on an element or 32 levels, ' +
      'neither a SOAP 1.1 Envelope with a Body nor a bare receipt) is answered with a SOAP 1.1 Fault (faultcode soapenv:Client) and HTTP 400; over 256 KiB, HTTP 413.',
  })
  @ApiConsumes('text/xml')
  @ApiProduces('text/xml')
  @ApiBody({ schema: { type: 'string' } })
  async receive(@Body() body: unknown, @Req() request: Request, @Res() response: Response): Promise<void> {
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(String(request.headers['content-type'] ?? ''))?.[1];
    const decoded = Buffer.isBuffer(body) ? decodeXmlBytes(body, charset) : { ok: true as const, text: typeof body === 'string' ? body : '' };
    // The connection's address (no proxy header is trusted): failed authentications are counted per address.
    const outcome = decoded.ok
      ? await this.receipts.receive(decoded.text, request.socket.remoteAddress ?? 'unknown')
      : { soapFault: { message: `The message cannot be read: ${decoded.problem}`, tooLarge: false } };
    if (outcome.soapFault) {
      // 4xx, as for a body too large for the body parser (http-app.ts): DBC's sender resends on 5xx, and resending
      // the same unreadable message cannot help.
      response.status(outcome.soapFault.tooLarge ? 413 : 400).type('text/xml; charset=utf-8').send(buildSoapFault(outcome.soapFault.message));
      return;
    }
    response.status(200).type('text/xml; charset=utf-8').send(buildReceiptResponse(outcome.status, outcome.message));
  }
}
