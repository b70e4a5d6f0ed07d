import { Injectable } from '@nestjs/common';
import type { CatpElement } from '@illbridge/connectors/nacsis/catp-codec';
import type { Format } from '@illbridge/database/entities/enums';
import { applyCommand } from '@illbridge/workflow/nacsis/state-table';
import type { CatpRefusalStatus, NacsisCommand } from '@illbridge/workflow/nacsis/state-table';
import type { NacsisSide } from '@illbridge/workflow/nacsis/states';
import { randomBytes } from 'crypto';
import { SimRecord, applyWrites, lenderOf, stateOf, tagsOf } from './nacsis-record';

export interface Participant {
  participantId: string;
  name: string;
  /** Absent for a library that only appears in data (it cannot log in). */
  userId?: string;
  password?: string;
}

/** A result set: records of a SEARCH under `<handle, frame>`. */
export interface Frame {
  entries: { database: string; id: string }[];
  editType: string;
}

export interface Handle {
  id: string;
  participantId: string;
  lastUsed: number;
  frames: Map<string, Frame>;
}

export interface NacsisSettings {
  /** Idle time after which a handle expires (→ 420). Default 30 minutes (nacsis-catp.md G14). */
  handleTtlMs: number;
  /** `YYYYMMDD` used for RNWDT/CRTDT of changes; null = today in Japan (JST). */
  today: string | null;
  /** RETRIEVE returns at most this many records, whatever `Number-of-records-requested` asks (a page). */
  retrievePageSize: number;
  /** Whether a search accepts `>=`, `<=`, `>`, `<`. No public source shows the real server accepting a range
   *  operator, so it answers one with 400 (bad search expression) unless this is switched on. */
  rangeOperators: boolean;
  /** The code, reason phrase and message an unknown, released or expired handle is answered with: 420 by default,
   *  the simulator's choice (nacsis-catp.md §5); the real code is not known, so tests can pick another. */
  invalidHandle: { status: number; reasonPhrase: string; message: string };
  /** A line sent after GETHANDLE's status line that is not `Name: value` (the ruby client reads line 2 of the
   *  answer as the supported methods); null sends none. */
  getHandleExtraLine: string | null;
}

export interface CatpFaults {
  /** Answer the next N CATP calls with `catpStatus` (HTTP 200, CATP status line). */
  catpFailNext: number;
  catpStatus: number;
  /** Every handle expires just before the Nth CATP call from now (0: no such fault), as a session timing out mid-run. */
  expireHandlesAfter: number;
  /** Answer the next N RETRIEVEs with no records but the right Next-result-set-position (as a page whose records
   *  were all deleted or moved since the SEARCH). */
  emptyRetrieveNext: number;
  /** The next N SERVERPROCEDURECALLs that succeed are carried out, then the connection is cut without an answer
   *  (a lost answer: the client cannot tell whether the command was applied). */
  dropAnswerAfterApplyNext: number;
}

export type CommandResult =
  | { ok: true; record: SimRecord }
  | { ok: false; status: CatpRefusalStatus | 404; reasonPhrase: string; message: string };

export const DEFAULT_RETRIEVE_PAGE_SIZE = 100;
const DEFAULT_SETTINGS: NacsisSettings = {
  handleTtlMs: 30 * 60_000,
  today: null,
  retrievePageSize: DEFAULT_RETRIEVE_PAGE_SIZE,
  rangeOperators: false,
  invalidHandle: { status: 420, reasonPhrase: 'Invalid Handle', message: 'handle is unknown, released or expired' },
  getHandleExtraLine: null,
};
const DEFAULT_FAULTS: CatpFaults = { catpFailNext: 0, catpStatus: 503, expireHandlesAfter: 0, emptyRetrieveNext: 0, dropAnswerAfterApplyNext: 0 };
const HANDLE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const JST_OFFSET_MS = 9 * 3_600_000;
const byId = (records: SimRecord[]) => records.sort((a, b) => a.id.localeCompare(b.id));

/** The simulated NACSIS-ILL: participants, shared ILL records, CATP sessions (in memory). */
@Injectable()
export class NacsisStore {
  private participants = new Map<string, Participant>();
  private records = new Map<string, SimRecord>();
  /** The ids of the records renewed on each day (RNWDT), as a real server indexes its records: a sync's search per
   *  day reads that day's records, not every record. */
  private byRenewal = new Map<string, Set<string>>();
  private handles = new Map<string, Handle>();
  private serial = 0;
  settings: NacsisSettings = { ...DEFAULT_SETTINGS, invalidHandle: { ...DEFAULT_SETTINGS.invalidHandle } };
  faults: CatpFaults = { ...DEFAULT_FAULTS };

  reset(): void {
    this.participants.clear();
    this.records.clear();
    this.byRenewal.clear();
    this.handles.clear();
    this.serial = 0;
    this.settings = { ...DEFAULT_SETTINGS, invalidHandle: { ...DEFAULT_SETTINGS.invalidHandle } };
    this.faults = { ...DEFAULT_FAULTS };
  }

  today(): string {
    return this.settings.today ?? new Date(Date.now() + JST_OFFSET_MS).toISOString().slice(0, 10).replaceAll('-', '');
  }

  // --- participants -------------------------------------------------------------------------

  setParticipant(participant: Participant): Participant {
    this.participants.set(participant.participantId, participant);
    return participant;
  }

  participant(participantId: string): Participant | undefined {
    return this.participants.get(participantId);
  }

  listParticipants(): Participant[] {
    return [...this.participants.values()];
  }

  nameOf = (participantId: string): string => this.participants.get(participantId)?.name ?? participantId;

  // --- handles --------------------------------------------------------------------------------

  /** GETHANDLE: a new handle for the participant with these credentials, or null (401). */
  openHandle(userId: string, password: string): Handle | null {
    const participant = [...this.participants.values()].find((p) => p.userId !== undefined && p.userId === userId);
    if (!participant || participant.password !== password) return null;
    let id: string;
    do id = [...randomBytes(10)].map((byte) => HANDLE_ALPHABET[byte % HANDLE_ALPHABET.length]).join('');
    while (this.handles.has(id));
    const handle: Handle = { id, participantId: participant.participantId, lastUsed: Date.now(), frames: new Map() };
    this.handles.set(id, handle);
    return handle;
  }

  /** The live handle `id` (its idle time restarts), or null when unknown, released or expired. */
  useHandle(id: string): Handle | null {
    const handle = this.handles.get(id);
    if (!handle) return null;
    if (Date.now() - handle.lastUsed > this.settings.handleTtlMs) {
      this.handles.delete(id);
      return null;
    }
    handle.lastUsed = Date.now();
    return handle;
  }

  releaseHandle(id: string): void {
    this.handles.delete(id);
  }

  /** Every handle expires now (their next use answers 420). */
  expireHandles(): number {
    const count = this.handles.size;
    this.handles.clear();
    return count;
  }

  handleCount(): number {
    return this.handles.size;
  }

  // --- records --------------------------------------------------------------------------------

  record(id: string): SimRecord | undefined {
    return this.records.get(id);
  }

  allRecords(): SimRecord[] {
    return byId([...this.records.values()]);
  }

  /** The records renewed on `day` (`YYYYMMDD`), or on any day starting with it when `prefix` (`YYYYMM`), in the
   *  order of `allRecords`. */
  renewedOn(day: string, prefix: boolean): SimRecord[] {
    const days = prefix ? [...this.byRenewal.keys()].filter((d) => d.startsWith(day)) : [day];
    return byId(days.flatMap((d) => [...(this.byRenewal.get(d) ?? [])].map((id) => this.records.get(id)!)));
  }

  /** The stored records with these ids, in the order of `allRecords`. */
  withIds(ids: readonly string[]): SimRecord[] {
    return byId([...new Set(ids)].flatMap((id) => this.records.get(id) ?? []));
  }

  /** Stores a record and keeps the renewal-day index in step. */
  private put(record: SimRecord): void {
    const previous = this.records.get(record.id);
    if (previous) this.byRenewal.get(previous.rnwdt)?.delete(previous.id);
    this.records.set(record.id, record);
    let day = this.byRenewal.get(record.rnwdt);
    if (!day) this.byRenewal.set(record.rnwdt, (day = new Set()));
    day.add(record.id);
  }

  /** Records where the participant is the borrower or the current lender. */
  recordsOf(participantId: string): SimRecord[] {
    return this.allRecords().filter((record) => record.borrowerId === participantId || lenderOf(record) === participantId);
  }

  /** A new draft (準備中, no lender, no ID in use yet: it is stored only when a command succeeds). */
  draft(borrowerId: string, service: Format, date = this.today()): SimRecord {
    return {
      id: '',
      service,
      crtdt: date,
      rnwdt: date,
      stat: '準備中',
      borrowerId,
      candidates: [],
      currentLenderIndex: null,
      history: [],
      fields: new Map(),
      groups: new Map(),
    };
  }

  /** Stores a draft as it is (準備中 records made by the control routes). */
  saveDraft(record: SimRecord): SimRecord {
    const stored = { ...record, id: record.id || this.nextId(record.crtdt) };
    this.put(stored);
    return stored;
  }

  /** Runs an ILL-command on a record through `applyCommand` (nacsis-catp.md §8): fields are written
   *  first for the required-field checks, and nothing changes on a refusal. A draft that was never
   *  stored gets its ID on success. RNWDT becomes `date` on every change. */
  runCommand(
    record: SimRecord,
    side: NacsisSide,
    command: NacsisCommand,
    participantId: string,
    writes: readonly CatpElement[],
    comment: string | undefined,
    date = this.today(),
  ): CommandResult {
    const written = applyWrites(record, writes);
    const tags = tagsOf(written);
    const outcome = applyCommand(stateOf(written), side, command, participantId, { comment, fields: tags });
    if (!outcome.ok) return outcome;
    const next: SimRecord = {
      ...written,
      id: written.id || this.nextId(date),
      stat: outcome.record.stat,
      currentLenderIndex: outcome.record.currentLenderIndex,
      history: [...outcome.record.history],
      rnwdt: date,
    };
    if (!record.id) next.crtdt = date;
    this.put(next);
    return { ok: true, record: next };
  }

  private nextId(date: string): string {
    this.serial++;
    return `${date.slice(2, 8)}${String(this.serial).padStart(6, '0')}`;
  }
}
