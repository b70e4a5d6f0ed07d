import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query, UseGuards } from '@nestjs/common';
import type { LibrisEnvelope } from '@illbridge/connectors/libris/libris-wire';
import { parseDay } from './days';
import { LIBRIS_ACTIONS, LibrisActionForm, applyLibrisAction, isLibrisAction } from './libris-actions';
import { LibrisApiKeyGuard } from './libris-api-key.guard';
import { librisError } from './libris-error';
import { LibrisStore } from './libris-store';

/** Libris serves at most this many days per outgoing window (our choice, §2). */
const MAX_WINDOW_DAYS = 31;

function envelope(sigel: string, resultType: string, requests: unknown[]): LibrisEnvelope {
  return { data_source: 'illse', data_type: 'ill_requests', result_type: resultType, library_code: sigel, count: requests.length, ill_requests: requests };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The Libris ILL API (libris-ill-api.md §2), under `/libris/api`. */
@Controller('libris/api/illrequests/:sigel')
@UseGuards(LibrisApiKeyGuard)
export class LibrisApiController {
  constructor(private readonly store: LibrisStore) {}

  @Get('outgoing')
  outgoing(@Param('sigel') sigel: string, @Query('start_date') startDate: unknown, @Query('end_date') endDate: unknown): LibrisEnvelope {
    const start = parseDay(startDate);
    const end = parseDay(endDate);
    if (start === null || end === null) throw librisError(HttpStatus.BAD_REQUEST, 'start_date and end_date must be dates (YYYY-MM-DD)');
    if (end < start) throw librisError(HttpStatus.BAD_REQUEST, 'end_date is before start_date');
    if (end - start + 1 > MAX_WINDOW_DAYS) throw librisError(HttpStatus.BAD_REQUEST, 'date interval too long');
    return envelope(sigel, 'outgoing', this.store.outgoing(sigel, startDate as string, endDate as string));
  }

  /** Requests other libraries sent us: not simulated, always empty. */
  @Get('incoming')
  incoming(@Param('sigel') sigel: string): LibrisEnvelope {
    return envelope(sigel, 'incoming', []);
  }

  /** One request by its LF number; an unknown one gives an empty envelope. Every public client reads a request by
   *  its LF number (only updates use request_id), so a request_id (all digits) is refused: the tests guard that
   *  the connector never depends on a read the real API is not known to serve. */
  @Get(':id')
  one(@Param('sigel') sigel: string, @Param('id') id: string): LibrisEnvelope {
    if (/^\d+$/.test(id)) throw librisError(HttpStatus.BAD_REQUEST, `a request is read by its LF number, not by request_id (${id})`);
    const record = this.store.find(sigel, id);
    return envelope(sigel, 'request', record === undefined ? [] : [record]);
  }

  /** A form action (`read` or `response`) carrying the request's current `last_modified` as `timestamp`. */
  @Post(':id')
  @HttpCode(HttpStatus.OK)
  act(@Param('sigel') sigel: string, @Param('id') id: string, @Body() body: Record<string, unknown>): LibrisEnvelope {
    const action = body?.action;
    if (!isLibrisAction(action)) throw librisError(HttpStatus.BAD_REQUEST, `action must be one of: ${LIBRIS_ACTIONS.join(', ')}`);
    const record = this.store.find(sigel, id);
    if (!isObject(record)) return { ...envelope(sigel, 'request', []), update_action: action, update_success: false, update_message: `no request ${id}` };
    const form: LibrisActionForm = {
      action,
      timestamp: text(body.timestamp),
      response_id: text(body.response_id),
      added_response: text(body.added_response),
      may_reserve: text(body.may_reserve),
    };
    const outcome = applyLibrisAction(record, form);
    if (outcome.success) this.store.touch(record);
    return { ...envelope(sigel, 'request', [record]), update_action: action, update_success: outcome.success, update_message: outcome.message };
  }
}
