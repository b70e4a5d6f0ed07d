import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Query, UseFilters } from '@nestjs/common';
import { ApiError, notFound, validationFailed } from '@illbridge/common/errors';
import { ApiExceptionFilter } from '@illbridge/common/http-errors';
import type { CatpElement } from '@illbridge/connectors/nacsis/catp-codec';
import { seededRandom } from '../prng';
import { NacsisCallLog } from './nacsis-call-log';
import { ActDto, CatpFaultsDto, CreateRecordDto, GenerateDto, ParticipantDto, SettingsDto, TitleDto } from './nacsis-control.dto';
import { NacsisCatalog } from './nacsis-catalog';
import { SeedError, candidateGroup, generateRecords, seedRecord } from './nacsis-generator';
import { SimRecord, lenderOf, recordJson } from './nacsis-record';
import { NacsisStore } from './nacsis-store';

const TAG = /^[A-Za-z0-9_]+$/;
const DEFAULT_GENERATE_DAYS = 60;

/** `{ TAG: value }` and `{ GROUP: [{ TAG: value }] }` as CATP elements (an empty value deletes). */
function elementsOf(fields: Record<string, unknown> = {}, groups: Record<string, unknown> = {}): CatpElement[] {
  const problems: string[] = [];
  const elements: CatpElement[] = [];
  const fieldsOf = (object: unknown, where: string) => {
    if (typeof object !== 'object' || object === null || Array.isArray(object)) {
      problems.push(`${where} must be an object of TAG: value`);
      return [];
    }
    return Object.entries(object).flatMap(([tag, value]) => {
      if (!TAG.test(tag) || typeof value !== 'string' || /[\r\n]/.test(value)) {
        problems.push(`${where}.${tag} must be a tag with a one-line string value`);
        return [];
      }
      return [{ tag, value }];
    });
  };
  elements.push(...fieldsOf(fields, 'fields'));
  for (const [group, list] of Object.entries(groups)) {
    if (!TAG.test(group) || !Array.isArray(list)) {
      problems.push(`groups.${group} must be an array of objects`);
      continue;
    }
    if (!list.length) elements.push({ group, fields: [] });
    list.forEach((item, index) => elements.push({ group, fields: fieldsOf(item, `groups.${group}[${index}]`) }));
  }
  if (problems.length) throw validationFailed(problems);
  return elements;
}

/** Test control of the simulated NACSIS-ILL: participants, records, acting as the partner library,
 *  generated data, CATP-level faults, settings, call log. HTTP-level faults (latency, 500/503,
 *  hangs) are at `/_sim/faults/nacsis`. */
@Controller('_sim/nacsis')
@UseFilters(ApiExceptionFilter)
export class NacsisControlController {
  constructor(
    private readonly store: NacsisStore,
    private readonly callLog: NacsisCallLog,
    private readonly catalog: NacsisCatalog,
  ) {}

  private json(record: SimRecord) {
    return recordJson(record, this.store.nameOf);
  }

  @Post('participants')
  addParticipant(@Body() body: ParticipantDto) {
    if ((body.userId === undefined) !== (body.password === undefined)) throw validationFailed(['userId and password go together']);
    const { password: _password, ...participant } = this.store.setParticipant({ ...body });
    return participant;
  }

  @Get('participants')
  participants() {
    const participants = this.store.listParticipants().map(({ password: _password, ...participant }) => participant);
    return { count: participants.length, participants };
  }

  @Post('records')
  createRecord(@Body() body: CreateRecordDto) {
    const created = body.created ?? this.store.today();
    const updated = body.updated ?? created;
    if (updated < created) throw validationFailed(['updated must not be before created']);
    const random = seededRandom(body.seed ?? this.store.allRecords().length + 1);
    try {
      const record = seedRecord(this.store, {
        borrowerId: body.as,
        service: body.service ?? 'COPY',
        stat: body.stat ?? '未処理',
        candidates: body.candidates.map((id) => candidateGroup(id, this.store.nameOf(id))),
        lenderIndex: body.lenderIndex ?? 0,
        writes: elementsOf(body.fields, body.groups),
        orderComment: body.comment,
        created,
        updated,
        random,
      });
      return this.json(record);
    } catch (error) {
      if (error instanceof SeedError) throw validationFailed([error.message]);
      throw error;
    }
  }

  @Get('records')
  records(@Query('participant') participant?: string) {
    const records = (participant ? this.store.recordsOf(participant) : this.store.allRecords()).map((record) => this.json(record));
    return { count: records.length, records };
  }

  @Get('records/:id')
  record(@Param('id') id: string) {
    const record = this.store.record(id);
    if (!record) throw notFound(`NACSIS record ${id}`);
    return this.json(record);
  }

  /** Acts as a library on a record (the partner's RECEIVE, SEND, INQUIRE, PARDON …) through the same
   *  state check as CATP: a refusal answers with the CATP status (403, 409, 422) as HTTP status. */
  @Post('records/:id/act')
  @HttpCode(HttpStatus.OK)
  act(@Param('id') id: string, @Body() body: ActDto) {
    const record = this.store.record(id);
    if (!record) throw notFound(`NACSIS record ${id}`);
    const side = body.side ?? (body.as === record.borrowerId ? 'BORROWER' : 'LENDER');
    const result = this.store.runCommand(record, side, body.command, body.as, elementsOf(body.fields, body.groups), body.comment || undefined);
    if (!result.ok) {
      throw new ApiError(result.status, 'NACSIS_ACTION_NOT_ALLOWED', result.message, { catpStatus: result.status, reasonPhrase: result.reasonPhrase, stat: record.stat, lenderId: lenderOf(record) });
    }
    return this.json(result.record);
  }

  /** A NACSIS-CAT title with its holdings, searched over CATP in BOOK/SERIAL and BHOLD/SHOLD (replaces one with the same bibId). */
  @Post('holdings')
  addTitle(@Body() body: TitleDto) {
    return this.catalog.setTitle({ ...body, holdings: body.holdings.map((holding) => ({ ...holding })) });
  }

  @Get('holdings')
  titles() {
    const titles = this.catalog.listTitles();
    return { count: titles.length, titles };
  }

  @Post('generate')
  generate(@Body() body: GenerateDto) {
    const records = generateRecords(this.store, { ourParticipantId: body.ourParticipantId, count: body.count, seed: body.seed ?? 1, days: body.days ?? DEFAULT_GENERATE_DAYS });
    const lending = records.filter((record) => record.borrowerId !== body.ourParticipantId).length;
    return { count: records.length, lending, borrowing: records.length - lending, records: records.map((record) => this.json(record)) };
  }

  @Post('faults')
  @HttpCode(HttpStatus.OK)
  faults(@Body() body: CatpFaultsDto) {
    if (body.catpFailNext !== undefined) this.store.faults.catpFailNext = body.catpFailNext;
    if (body.catpStatus !== undefined) this.store.faults.catpStatus = body.catpStatus;
    if (body.expireHandlesAfter !== undefined) this.store.faults.expireHandlesAfter = body.expireHandlesAfter;
    if (body.emptyRetrieveNext !== undefined) this.store.faults.emptyRetrieveNext = body.emptyRetrieveNext;
    if (body.dropAnswerAfterApplyNext !== undefined) this.store.faults.dropAnswerAfterApplyNext = body.dropAnswerAfterApplyNext;
    const expiredHandles = body.expireHandles ? this.store.expireHandles() : 0;
    return { ...this.store.faults, expiredHandles };
  }

  @Get('faults')
  showFaults() {
    return { ...this.store.faults, handles: this.store.handleCount() };
  }

  @Post('settings')
  @HttpCode(HttpStatus.OK)
  settings(@Body() body: SettingsDto) {
    if (body.handleTtlMs !== undefined) this.store.settings.handleTtlMs = body.handleTtlMs;
    if (body.today !== undefined) this.store.settings.today = body.today;
    if (body.retrievePageSize !== undefined) this.store.settings.retrievePageSize = body.retrievePageSize;
    if (body.rangeOperators !== undefined) this.store.settings.rangeOperators = body.rangeOperators;
    if (body.invalidHandle !== undefined) this.store.settings.invalidHandle = { ...body.invalidHandle };
    if (body.getHandleExtraLine !== undefined) this.store.settings.getHandleExtraLine = body.getHandleExtraLine;
    return { ...this.store.settings, today: this.store.today() };
  }

  @Get('calls')
  calls() {
    const calls = this.callLog.list();
    return { count: calls.length, calls };
  }

  @Delete('calls')
  @HttpCode(HttpStatus.NO_CONTENT)
  clearCalls(): void {
    this.callLog.clear();
  }

  /** Forgets everything: participants, records, CAT titles and holdings, handles, CATP faults, settings, calls (HTTP fault
   *  settings are reset at `/_sim/faults/nacsis`). */
  @Delete()
  @HttpCode(HttpStatus.NO_CONTENT)
  reset(): void {
    this.store.reset();
    this.catalog.reset();
    this.callLog.clear();
  }
}
