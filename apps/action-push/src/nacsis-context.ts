import type { CatpElement, CatpField, CatpRecord, NacsisDatabase } from '@illbridge/connectors/nacsis';
import { nacsisDatabaseOf, nacsisRecordState } from '@illbridge/connectors/nacsis';
import type { Direction, Format, RequestStatus } from '@illbridge/database/entities/enums';
import {
  NACSIS_PASSED_ON_LENDING_STATUS,
  actionContextFor,
  currentLender,
  isNacsisAction,
  isNacsisStat,
  mapNacsisStatus,
  projectState,
} from '@illbridge/workflow';
import type { NacsisActionContext, NacsisSide } from '@illbridge/workflow';
import type { CatpFieldValues } from './ship-fields';

/** The columns of rs_request the NACSIS rules need. */
export interface NacsisRequestRow {
  direction: Direction;
  format: Format | null;
  external_system_status: string | null;
  raw: unknown;
}

export function sideOf(direction: Direction): NacsisSide {
  return direction === 'BORROWING' ? 'BORROWER' : 'LENDER';
}

function isCatpRecord(value: unknown): value is CatpRecord {
  return Array.isArray(value) && value.every((element) => typeof element === 'object' && element !== null && ('tag' in element || 'group' in element));
}

/** The raw record (as imported or as NACSIS returned it after our last push), if it is one. */
export function rawRecordOf(request: Pick<NacsisRequestRow, 'raw'>): CatpRecord | null {
  return isCatpRecord(request.raw) ? request.raw : null;
}

/** Our participant id: the profile's library code; without a profile, the record's OMLID (borrowing)
 *  or AMLID (lending). */
export function ourParticipantIdOf(request: NacsisRequestRow, profileLibraryCode: string | null): string | null {
  if (profileLibraryCode) return profileLibraryCode;
  const raw = rawRecordOf(request);
  const tag = request.direction === 'BORROWING' ? 'OMLID' : 'AMLID';
  const field = raw?.find((element): element is CatpField => 'tag' in element && element.tag === tag);
  return field?.value || null;
}

/** What an action on the request is judged on before our pending actions: the STAT as NACSIS last
 *  reported it (`externalSystemStatus`), the rest (last SENDG command, candidates, claim cycle) from
 *  the raw record. Null when the STAT is not one NACSIS is known to send. */
export function baseContext(request: NacsisRequestRow, ourParticipantId: string | null): NacsisActionContext | null {
  const stat = request.external_system_status;
  if (!isNacsisStat(stat)) return null;
  const side = sideOf(request.direction);
  const format: Format = request.format ?? 'COPY';
  const raw = rawRecordOf(request);
  const record = raw ? nacsisRecordState(raw, nacsisDatabaseOf(request.direction, request.format)) : null;
  if (record && ourParticipantId) return actionContextFor({ ...record, stat }, side, ourParticipantId);
  return { side, stat, format, ourParticipantId: ourParticipantId ?? '' };
}

/** The context after our accepted-but-unpushed actions (in seq order). */
export function projectedContext(base: NacsisActionContext, pendingActions: readonly string[]): NacsisActionContext {
  return projectState(base, pendingActions.filter(isNacsisAction));
}

/** The local status a NACSIS state means for the request, or null when there is no match. */
export function localStatusFor(direction: Direction, stat: string, passedOn: boolean): RequestStatus | null {
  if (direction === 'LENDING' && passedOn) return NACSIS_PASSED_ON_LENDING_STATUS;
  return mapNacsisStatus(stat, direction);
}

/** Whether a lending record has left us (our REJECT passed it to the next candidate). */
export function passedOnFrom(record: CatpRecord, database: NacsisDatabase, ourParticipantId: string | null): boolean {
  if (!ourParticipantId || !database.endsWith('A')) return false;
  const state = nacsisRecordState(record, database);
  return state !== null && currentLender(state) !== ourParticipantId;
}

/** The outbound action's stored fields as CATP elements: a list of objects becomes one group per entry. */
export function catpElements(fields: CatpFieldValues | null | undefined): CatpElement[] {
  const elements: CatpElement[] = [];
  for (const [tag, value] of Object.entries(fields ?? {})) {
    if (typeof value === 'string') elements.push({ tag, value });
    else if (Array.isArray(value)) {
      for (const entry of value) elements.push({ group: tag, fields: Object.entries(entry).map(([member, text]) => ({ tag: member, value: String(text) })) });
    }
  }
  return elements;
}
