import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post, UseFilters } from '@nestjs/common';
import { notFound, validationFailed } from '@illbridge/common/errors';
import { ApiExceptionFilter } from '@illbridge/common/http-errors';
import { parseDay } from './days';
import { LibrisCallLog } from './libris-call-log';
import { AddRawRequestDto, AddRequestDto, ApiKeyDto, GenerateDto } from './libris-control.dto';
import { LibrisStore } from './libris-store';

const DEFAULT_SEED = 1;
const DEFAULT_UNKNOWN_SIGEL_SHARE = 0.05;

/** Test control of the simulated Libris: keys, data, call log. */
@Controller('_sim/libris')
@UseFilters(ApiExceptionFilter)
export class LibrisControlController {
  constructor(
    private readonly store: LibrisStore,
    private readonly callLog: LibrisCallLog,
  ) {}

  @Post('keys')
  @HttpCode(HttpStatus.NO_CONTENT)
  setKey(@Body() { sigel, apiKey }: ApiKeyDto): void {
    this.store.setApiKey(sigel, apiKey);
  }

  @Post('generate')
  generate(@Body() body: GenerateDto) {
    if (parseDay(body.from)! > parseDay(body.to)!) throw validationFailed(['from must not be after to']);
    const requests = this.store.generate(body.sigel, {
      requestingLibrary: body.requestingLibrary ?? body.sigel,
      count: body.count,
      from: body.from,
      to: body.to,
      seed: body.seed ?? DEFAULT_SEED,
      unknownSigelShare: body.unknownSigelShare ?? DEFAULT_UNKNOWN_SIGEL_SHARE,
    });
    return { sigel: body.sigel, count: requests.length, requests };
  }

  @Post('requests')
  add(@Body() body: AddRequestDto) {
    return this.store.add(body.sigel, body.record ?? {}, body.created);
  }

  @Post('raw')
  @HttpCode(HttpStatus.NO_CONTENT)
  addRaw(@Body() body: AddRawRequestDto): void {
    this.store.addRaw(body.sigel, body.record, body.created);
  }

  @Get('requests/:sigel')
  list(@Param('sigel') sigel: string) {
    const requests = this.store.all(sigel);
    return { sigel, count: requests.length, requests };
  }

  /** Changes fields, e.g. `{ "status": "Levererad" }`; status_code and last_modified follow. */
  @Patch('requests/:sigel/:id')
  update(@Param('sigel') sigel: string, @Param('id') id: string, @Body() changes: Record<string, unknown>) {
    if (typeof changes !== 'object' || changes === null || Array.isArray(changes) || !Object.keys(changes).length) {
      throw validationFailed(['the body must be an object with the fields to change']);
    }
    const record = this.store.update(sigel, id, changes);
    if (!record) throw notFound(`Libris request ${id} of library ${sigel}`);
    return record;
  }

  /** The calls received, oldest first, and the most received within any one second. */
  /** Forgets a request, so that a client reading it finds nothing. */
  @Delete('requests/:sigel/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  remove(@Param('sigel') sigel: string, @Param('id') id: string): void {
    if (!this.store.remove(sigel, id)) throw notFound(`Libris request ${id} of library ${sigel}`);
  }

  /** The calls received, oldest first, and the most received within any one second. */
  @Get('calls')
  calls() {
    const calls = this.callLog.list();
    return { count: calls.length, maxPerSecond: this.callLog.maxPerSecond(), calls };
  }

  @Delete('calls')
  @HttpCode(HttpStatus.NO_CONTENT)
  clearCalls(): void {
    this.callLog.clear();
  }

  /** Forgets everything: keys, requests, calls (fault settings are reset at `/_sim/faults/libris`). */
  @Delete()
  @HttpCode(HttpStatus.NO_CONTENT)
  reset(): void {
    this.store.reset();
    this.callLog.clear();
  }
}
