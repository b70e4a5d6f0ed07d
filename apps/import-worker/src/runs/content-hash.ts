import { createHash } from 'crypto';
import type { IncomingRequest } from '@illbridge/connectors/types';
import type { Direction, RequestStatus } from '@illbridge/database/entities';

/* What the request writer stores for a record, and its content hash: the hash tells the writer whether a record
   read again changed. Version 2 (`contentHash`) is what is written; version 1 (`legacyContentHash`, no prefix) is
   what earlier versions stored, still recognised so that their rows read again unchanged stay UNCHANGED. */

export const DEFAULT_STATUS: Record<Direction, RequestStatus> = { BORROWING: 'CREATED_BORROWING_REQUEST', LENDING: 'CREATED_LENDING_REQUEST' };

/** Columns written from an incoming record (status handled separately: it may stay as it was). */
export const DATA_COLUMNS = [
  ['external_ref', 'externalRef'],
  ['external_system_status', 'externalSystemStatus'],
  ['requester_name', 'requesterName'],
  ['requester_id', 'requesterId'],
  ['title', 'title'],
  ['author', 'author'],
  ['isbn', 'isbn'],
  ['issn', 'issn'],
  ['publisher', 'publisher'],
  ['place_of_publication', 'placeOfPublication'],
  ['year', 'year'],
  ['edition', 'edition'],
  ['volume', 'volume'],
  ['issue', 'issue'],
  ['pages', 'pages'],
  ['article_title', 'articleTitle'],
  ['article_author', 'articleAuthor'],
  ['format', 'format'],
  ['note', 'note'],
  ['last_interest_date', 'lastInterestDate'],
] as const;

/** The version of the content hash that `contentHash` gives, stored as its prefix (`v2:` and 37 hex digits of
 *  sha1: `content_hash` is char(40)). A stored hash without a prefix is the version 1 hash (`legacyContentHash`).
 *  Bump the version (and keep the old function in `OLDER_HASHES`) when the hashed text changes for records
 *  whose content did not: a stored hash of another version is then compared with that version's hash. */
export const CONTENT_HASH_VERSION = 'v2';
export const HASH_PREFIX = `${CONTENT_HASH_VERSION}:`;

/** A mapped record (with the raw record it carries) and what the run resolved for it: what a row is made of. */
export interface HashedContent {
  request: IncomingRequest;
  pickup: string;
  partners: string[];
  partnerCode: string | null;
}

/** The row the writer stores for a record, as JSON without its hash (and without the record's warnings, which
 *  are not stored with it): every column written from the record, the raw record last, in the order it came
 *  (the source's JSON order). */
function rowJson(content: HashedContent): string {
  return JSON.stringify(storedRow(content));
}

export function storedRow(content: HashedContent): Record<string, unknown> {
  const { request } = content;
  const row: Record<string, unknown> = {
    direction: request.direction,
    external_id: request.externalId,
    mapped_status: request.mappedStatus ?? null,
    default_status: DEFAULT_STATUS[request.direction],
    partner_code: content.partnerCode,
    partners: content.partners,
    pickup_library_code: content.pickup,
  };
  for (const [column, field] of DATA_COLUMNS) row[column] = request[field] ?? null;
  // Only when the record has one: the rows (and hashes) of records without a due date stay as they were.
  if (request.dueDate) row.due_date = request.dueDate;
  row.raw = request.raw ?? null;
  return row;
}

/** The content hash (version 2) of a row's JSON (`rowJson`): sha1 of the hash version and that text, so any change
 *  to a column the writer stores or to the raw record (even a field no column reads) changes it, and a change to
 *  the mapping changes it where it changes what is stored. One plain `JSON.stringify` in the order the record came,
 *  about a third of the CPU of the version 1 hash (sorted keys). A source that sent the same record with its keys
 *  in another order would show as UPDATED once: Libris, NACSIS and Netpunkt send a record the same way each time. */
function hashOfRow(json: string): string {
  const hash = createHash('sha1');
  // A text with no character past U+00FF (most records) is hashed as its Latin-1 bytes, a copy, instead of being
  // encoded as UTF-8; the first byte tells the two encodings apart, so different texts still hash differently.
  if (BEYOND_LATIN1.test(json)) hash.update(`U${CONTENT_HASH_VERSION}\n`).update(json, 'utf8');
  else hash.update(`L${CONTENT_HASH_VERSION}\n`).update(json, 'latin1');
  return HASH_PREFIX + hash.digest('hex').slice(0, 40 - HASH_PREFIX.length);
}

const BEYOND_LATIN1 = /[^\u0000-\u00ff]/;

/** The content hash (version 2) of a record: `hashOfRow(rowJson(content))`. */
export function contentHash(content: HashedContent): string {
  return hashOfRow(rowJson(content));
}

/** The version 1 content hash (stored by earlier versions, without a prefix). Computed only for records
 *  whose stored hash is of that version, to tell whether they changed. */
export function legacyContentHash(content: HashedContent): string {
  return stableHash({ request: content.request, pickup: content.pickup, partners: content.partners, partnerCode: content.partnerCode });
}

/** Hashes of earlier versions, by the version a stored hash names (`hashVersionOf`). */
export const OLDER_HASHES: Record<string, (content: HashedContent) => string> = { v1: legacyContentHash };

/** The version of a stored hash: its prefix, or v1 for a hash without one. */
export function hashVersionOf(stored: string): string {
  const match = /^(v\d+):/.exec(stored);
  return match ? match[1] : 'v1';
}

/** sha1 of a value's JSON with object keys sorted: the version 1 content hash. Serialized in one pass, giving
 *  the very string `JSON.stringify` gives for a copy of the value with sorted keys (the hashes stored by
 *  earlier versions stay valid), without building that copy. */
export function stableHash(value: unknown): string {
  return createHash('sha1').update(canonicalJson(value) ?? 'undefined').digest('hex');
}

const INDEX_KEY = /^(?:0|[1-9]\d{0,9})$/;
const isIndexKey = (key: string) => INDEX_KEY.test(key) && Number(key) < 4294967295;

/** As `JSON.stringify(canonical(value))` where canonical copies objects with their own keys sorted (into plain
 *  objects, where integer-like keys come first in numeric order) and arrays element-wise. */
export function canonicalJson(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
    case 'boolean':
    case 'bigint':
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      return undefined;
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + (canonicalJson(value[i]) ?? 'null');
    return out + ']';
  }
  const keys = Object.keys(value).sort();
  const indexes = keys.filter(isIndexKey);
  const ordered = indexes.length ? [...indexes.sort((a, b) => Number(a) - Number(b)), ...keys.filter((k) => !isIndexKey(k))] : keys;
  let out = '{';
  let first = true;
  for (const key of ordered) {
    const json = canonicalJson((value as Record<string, unknown>)[key]);
    if (json === undefined) continue;
    out += (first ? '' : ',') + JSON.stringify(key) + ':' + json;
    first = false;
  }
  return out + '}';
}

/** Whether a stored hash is of the current version. */
export const isCurrentHash = (stored: string) => stored.startsWith(HASH_PREFIX);
