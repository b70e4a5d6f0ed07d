import { Body, Controller, Delete, Get, HttpCode, Post, Req, Res, UseFilters, UsePipes } from '@nestjs/common';
import { IsIn, IsInt, IsNotEmpty, IsNumber, IsOptional, IsString, IsUrl, Max, Min } from 'class-validator';
import type { Request, Response } from 'express';
import { ApiExceptionFilter, createValidationPipe } from '@illbridge/common/http-errors';
import { buildConfirmation, conformanceProblems, ErrorType, ISO18626_STATUSES, Iso18626Status, isoTimestamp, readIso18626Message } from '@illbridge/connectors/iso18626';
import { Iso18626Peer, PeerSettings } from './iso18626-peer';
import { LENDER_MESSAGES, LenderMessage, sendLenderMessage } from './iso18626-sender';

/** The path of the simulated peer's ISO 18626 endpoint (what a profile's iso18626.endpointUrl names). */
export const ISO18626_PEER_PATH = 'iso18626/peer';

async function bodyText(request: Request): Promise<string> {
  if (typeof request.body === 'string') return request.body;
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/** The simulated lender's endpoint: reads a requestingAgencyMessage strictly (namespace, header, closed lists), records
 *  it and confirms it — or answers ERROR, or drops the confirmation after recording it (the peer's own faults). */
@Controller(ISO18626_PEER_PATH)
export class Iso18626PeerController {
  constructor(private readonly peer: Iso18626Peer) {}

  @Post()
  async receive(@Req() request: Request, @Res() response: Response): Promise<void> {
    const timestampReceived = isoTimestamp();
    const text = await bodyText(request);
    const read = readIso18626Message(text);
    const answer = (header: object, error?: { errorType: ErrorType; errorValue: string }, action?: string) =>
      response
        .status(200)
        .type('application/xml')
        .send(buildConfirmation({ kind: 'requestingAgencyMessageConfirmation', header, timestampReceived, messageStatus: error ? 'ERROR' : 'OK', error, action }));
    if (!read.ok) return void answer(read.header, { errorType: read.errorType, errorValue: read.problem });
    if (read.kind !== 'requestingAgencyMessage') return void answer(read.message.header, { errorType: 'UnsupportedActionType', errorValue: `the peer takes requestingAgencyMessages, not ${read.kind}` });
    const { header, action, note } = read.message;
    // Strict, as the real peers' schema validation: what departs from the v1.2 element lists is refused.
    const problems = conformanceProblems(text);
    if (problems.length) return void answer(header, { errorType: 'BadlyFormedMessage', errorValue: problems.join('; ') }, action);
    const settings = this.peer.show();
    if (settings.securityCode !== null && header.requestingAgencyAuthentication?.securityCode !== settings.securityCode) {
      return void answer(header, { errorType: 'UnrecognisedDataValue', errorValue: 'authentication failed' }, action);
    }
    if (this.peer.takeError()) return void answer(header, { errorType: 'UnrecognisedDataValue', errorValue: 'UnableToFindRequest (simulated)' }, action);
    const entry = this.peer.record({
      action,
      requestingAgencyRequestId: header.requestingAgencyRequestId,
      timestamp: header.timestamp,
      note: note ?? null,
      accountId: header.requestingAgencyAuthentication?.accountId ?? null,
    });
    if (entry.dropped) {
      // Applied, but the confirmation never arrives: the connection closes without an answer.
      request.socket.destroy();
      return;
    }
    answer(header, undefined, action);
  }
}

export class SendLenderMessageDto {
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false }) endpointUrl: string;
  @IsIn(LENDER_MESSAGES) message: LenderMessage;
  @IsString() @IsNotEmpty() requestingAgencyRequestId: string;
  @IsString() @IsNotEmpty() supplyingAgencyId: string;
  @IsString() @IsNotEmpty() requestingAgencyId: string;
  @IsOptional() @IsString() securityCode?: string;
  @IsOptional() @IsString() dueDate?: string;
  @IsOptional() @IsString() reasonUnfilled?: string;
  @IsOptional() @IsString() reasonRetry?: string;
  @IsOptional() @IsIn(['Y', 'N']) answerYesNo?: 'Y' | 'N';
  @IsOptional() @IsString() note?: string;
  @IsOptional() @IsString() timestamp?: string;
  @IsOptional() @IsIn(ISO18626_STATUSES) status?: Iso18626Status;
  @IsOptional() @IsInt() @Min(0) @Max(10) retries?: number;
  @IsOptional() @IsInt() @Min(0) @Max(60_000) baseDelayMs?: number;
}

export class PeerSettingsDto implements Partial<PeerSettings> {
  @IsOptional() @IsString() securityCode?: string | null;
  @IsOptional() @IsInt() @Min(0) dropNext?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(1) dropShare?: number;
  @IsOptional() @IsInt() @Min(0) errorNext?: number;
  @IsOptional() @IsInt() seed?: number;
}

/** Test control of the simulated ISO 18626 lender: send lender messages to an endpoint, read what the peer received,
 *  set its own faults. (Failures and hangs before a message is read: `/_sim/faults/iso18626`.) */
@Controller('_sim/iso18626')
@UseFilters(ApiExceptionFilter)
@UsePipes(createValidationPipe())
export class Iso18626SimController {
  constructor(private readonly peer: Iso18626Peer) {}

  @Post('send')
  @HttpCode(200)
  send(@Body() body: SendLenderMessageDto) {
    const { endpointUrl, retries, baseDelayMs, ...input } = body;
    return sendLenderMessage(endpointUrl, input, { retries: retries ?? 3, baseDelayMs: baseDelayMs ?? 300 });
  }

  @Get('received')
  received() {
    return this.peer.log();
  }

  @Delete('received')
  clear() {
    this.peer.clearLog();
    return [];
  }

  @Get('peer')
  settings() {
    return this.peer.show();
  }

  @Post('peer')
  @HttpCode(200)
  configure(@Body() body: PeerSettingsDto) {
    return this.peer.configure(body);
  }

  @Delete('peer')
  reset() {
    this.peer.reset();
    return this.peer.show();
  }
}
