import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiProduces, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsUUID } from 'class-validator';
import type { Request, Response } from 'express';
import { Actor, AuditActor, AuditService, conflict, isUuid, notFound, PageQuery, pageOf, Public, RequireRole } from '@illbridge/common';
import { confirmationOf, isoTimestamp } from '@illbridge/connectors/iso18626';
import { decodeXmlBytes } from '@illbridge/connectors/netpunkt/xml';
import { Iso18626InboundService } from './iso18626-inbound.service';

/** The largest message read (a supplyingAgencyMessage is a few kilobytes). */
const MAX_MESSAGE_BYTES = 256 * 1024;

function basicPassword(header: string | undefined): string | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : decoded.slice(colon + 1);
}

/** ISO 18626 peers (a lender, DBC's ISO 18626 service) post their messages here. Authenticated per profile by the
 *  message itself (agency ids and the shared secret), like the Netpunkt endpoint beside it. */
@ApiTags('iso18626')
@Controller('iso18626')
@Public()
export class Iso18626EndpointController {
  constructor(private readonly inbound: Iso18626InboundService) {}

  @Post()
  @ApiOperation({
    summary: 'Receive an ISO 18626 message (supplyingAgencyMessage; a request is answered UnsupportedActionType); answers its confirmation',
    description:
      'Authenticated by the header: requestingAgencyId = a profile\'s iso18626.agencyId, supplyingAgencyId = its peerAgencyId (any, when unset), and the shared secret in ' +
      'requestingAgencyAuthentication.securityCode or as the password of HTTP Basic. Confirmations are answered with HTTP 200: OK, or ERROR with errorData ' +
      '(BadlyFormedMessage for malformed XML, a DTD or an entity; UnrecognisedDataValue "authentication failed"; UnrecognisedDataValue "UnableToFindRequest: …" for an unknown ' +
      'requestingAgencyRequestId, kept for operators). A repeat of a message answers its first confirmation and changes nothing. 503: nothing was kept, resend later.',
  })
  @ApiConsumes('application/xml', 'text/xml')
  @ApiProduces('application/xml')
  @ApiBody({ schema: { type: 'string' } })
  async receive(@Body() body: unknown, @Req() request: Request, @Res() response: Response): Promise<void> {
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(String(request.headers['content-type'] ?? ''))?.[1];
    const bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
    const decoded = bytes.length > MAX_MESSAGE_BYTES ? { ok: false as const, problem: `the message is larger than ${MAX_MESSAGE_BYTES / 1024} KiB` } : decodeXmlBytes(bytes, charset);
    const answer = decoded.ok
      ? await this.inbound.receive(decoded.text, request.socket.remoteAddress ?? 'unknown', basicPassword(request.headers.authorization))
      : {
          httpStatus: 200 as const,
          body: confirmationOf(null, {}, isoTimestamp(), { errorType: 'BadlyFormedMessage', errorValue: decoded.problem }),
        };
    response.status(answer.httpStatus).type(answer.httpStatus === 200 ? 'application/xml; charset=utf-8' : 'text/plain; charset=utf-8').send(answer.body);
  }
}

export class MessagesQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'true: only received supplyingAgencyMessages matched to no request (answered UnableToFindRequest)' })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  unmatched?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsUUID() requestId?: string;
  @ApiPropertyOptional({ enum: ['IN', 'OUT'] }) @IsOptional() @IsIn(['IN', 'OUT']) direction?: 'IN' | 'OUT';
}

/** The ISO 18626 messages kept (raw, with their confirmations), for operators. */
@ApiTags('iso18626')
@ApiBearerAuth()
@Controller('api/iso18626/messages')
export class Iso18626MessagesController {
  constructor(
    private readonly inbound: Iso18626InboundService,
    private readonly audit: AuditService,
  ) {}

  @Get()
  @RequireRole('operator')
  @ApiOperation({ summary: 'ISO 18626 messages received and sent, newest first (operator); ?unmatched=true: those waiting for their request' })
  list(@Query() query: MessagesQuery) {
    const { limit, offset } = pageOf(query);
    return this.inbound.list(query, limit, offset);
  }

  @Post(':id/reapply')
  @HttpCode(200)
  @RequireRole('operator')
  @ApiOperation({ summary: 'Apply an unmatched received message again, now that its request exists (operator); 409 CONFLICT when it is not unmatched or its request is still unknown' })
  async reapply(@Param('id') id: string, @Actor() actor: AuditActor) {
    if (!isUuid(id)) throw notFound(`ISO 18626 message ${id}`);
    const outcome = await this.inbound.reapply(id);
    if ('message' in outcome && !('refused' in outcome)) {
      await this.audit.record(actor, 'REAPPLY', 'iso18626-message', id);
      return outcome.message;
    }
    if (outcome.refused === 'not-found') throw notFound(`ISO 18626 message ${id}`);
    if (outcome.refused === 'not-unmatched') throw conflict(`Only a received supplyingAgencyMessage matched to no request can be re-applied${outcome.message ? ` (${outcome.message})` : ''}`);
    throw conflict(`The message cannot be applied yet: ${outcome.message}`);
  }
}
