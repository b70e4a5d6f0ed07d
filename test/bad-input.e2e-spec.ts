import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { AppConfig } from '@illbridge/common';
import { mapLibrisRecord } from '@illbridge/connectors/libris';
import { CatpRecord, decodeRecords, mapNacsisRecord, NACSIS_DATABASES, NacsisDatabase, nacsisRecordState } from '@illbridge/connectors/nacsis';
import { buildReceiptXml, mapReceipt, OrderReceiptInput, parseReceipt, ReceiptXmlInput } from '@illbridge/connectors/netpunkt';
import type { MappingResult } from '@illbridge/connectors/types';
import { createTestDatabase, jsonClient, TEST_ADMIN_KEY, TestDatabase, testConfig, wipeQueuePrefix } from '@illbridge/testing';
import { createActionPushApp } from '../apps/action-push/src/main';
import { PushSettings } from '../apps/action-push/src/push-settings';
import { createProfileConfigApp } from '../apps/profile-config/src/main';
import { createReportingApp } from '../apps/reporting/src/main';
import { daysAgo } from './support/runs';
import { expectStatus, urlOf } from './support/stack';

/** The bad-input suite: well over a thousand generated malformed requests against every admin,
 *  action and reporting route, malformed Netpunkt receipts over HTTP, and hundreds of malformed
 *  records through every connector's mapper. Nothing may answer 5xx or crash; every refusal is a
 *  clear 4xx in the api.md error format, and a refused request creates nothing. Deterministic:
 *  one seeded PRNG drives every choice. */

// ---------------------------------------------------------------------------------------------
// A seeded PRNG (mulberry32) and the junk it draws from

class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  some<T>(items: readonly T[], min: number, max: number): T[] {
    const copy = [...items];
    const n = Math.min(copy.length, min + this.int(max - min + 1));
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(copy.splice(this.int(copy.length), 1)[0]);
    return out;
  }
}

const HUGE = 'x'.repeat(100 * 1024);
const deep = (depth: number): unknown => {
  let value: unknown = { leaf: true };
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
};
/** Strings that are odd in every way, valid or not depending on the field. */
const JUNK_STRINGS = [
  '',
  ' ',
  '\t\r\n',
  HUGE,
  '📚🦄👩‍👩‍👧‍👦',
  'Ünïcödé ÅÄÖ 日本語 العربية',
  '\u202eevil\u202c',
  'ctrl\u0001\u0002\u001f\u007f',
  'nul\u0000byte',
  "'; DROP TABLE integration_profile; --",
  '1 OR 1=1',
  '" OR ""="',
  '<script>alert(1)</script>',
  '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
  '../../../etc/passwd',
  '%00%2F%2e%2e',
  '${jndi:ldap://x/a}',
  '{{7*7}}',
  '__proto__',
  'constructor',
  'null',
  'undefined',
  'NaN',
  '\ud800',
];
/** Values of every JSON type. */
const JUNK_NON_STRINGS: unknown[] = [0, -1, 1.5, -1e308, 1e308, 2 ** 53 + 1, true, false, [], [1, 'a', null], {}, { a: 1 }, [[[[]]]], deep(40)];
const JUNK_ANY = [...JUNK_STRINGS, ...JUNK_NON_STRINGS, null];
const UNKNOWN_KEYS = ['extra', 'id', 'createdAt', 'isAdmin', '$where', 'a.b', 'password ', 'ÅÄÖ', '📚', 'constructor', 'toString', 'hasOwnProperty', ''];

// ---------------------------------------------------------------------------------------------
// Field specs: what makes a value definitely invalid for each field

type FieldKind =
  | { kind: 'string'; max: number; min?: number; pattern?: RegExp; anyString?: false }
  | { kind: 'anyString' } // any string is accepted (only non-strings are refused)
  | { kind: 'bool' }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'int'; min: number; max: number }
  | { kind: 'object'; fields: FieldSpec[] }
  | { kind: 'url' }
  | { kind: 'timezone' }
  | { kind: 'time' }
  | { kind: 'date' };
type FieldSpec = { name: string; required?: boolean } & FieldKind;

/** A value the field must refuse (null only where the field is required and not optional). */
function invalidValue(rng: Rng, spec: FieldSpec): unknown {
  const nonString = () => rng.pick(JUNK_NON_STRINGS.filter((v) => v !== undefined));
  switch (spec.kind) {
    case 'string': {
      const options: unknown[] = [nonString(), 'y'.repeat(spec.max + 1), HUGE];
      if ((spec.min ?? 1) > 0) options.push('');
      if (spec.pattern) options.push(...JUNK_STRINGS.filter((s) => s.length <= spec.max && !spec.pattern!.test(s)));
      if (spec.required) options.push(null);
      return rng.pick(options);
    }
    case 'anyString':
      return nonString();
    case 'bool':
      return rng.pick(['true', 'false', 1, 0, 'yes', [], {}, [true], ...(spec.required ? [null] : [])]);
    case 'enum': {
      const lower = spec.values.map((v) => v.toLowerCase()).filter((v) => !spec.values.includes(v));
      return rng.pick([...lower, ...spec.values.map((v) => `${v} `), 'DROP TABLE', '', HUGE, 42, true, [spec.values[0]], { value: spec.values[0] }, ...(spec.required ? [null] : [])]);
    }
    case 'int':
      return rng.pick([spec.min - 1, spec.max + 1, -1e12, 1e300, 3.5, String(spec.min), '5', true, [], {}, 'NaN']);
    case 'object':
      return rng.pick(['obj', 42, true, [], [{}], 'null']);
    case 'url':
      return rng.pick(['ftp://example.org/x', 'javascript:alert(1)', 'not a url', 'http://', 'http:// spaced/x', `http://example.org/${HUGE}`, `https://${'a'.repeat(600)}.example`, 42, [], {}]);
    case 'timezone':
      return rng.pick(['Mars/Olympus_Mons', 'UTC+25', '', 'Europe/../etc', 'Europe/Stockholm ', HUGE, 'GMT+99', 7, [], {}]);
    case 'time':
      return rng.pick(['24:00', '2:30', '12:60', 'noon', '', '12:30:00', ' 02:30', '٠٢:٣٠', 230, [], {}]);
    case 'date':
      return rng.pick(['2026-02-30', '2026-13-01', '26-01-01', 'yesterday', '2999-01-01', '2026-01-01T00:00:00Z', '0000-00-00', HUGE, 20260101, [], {}]);
  }
}

type Mutation = (rng: Rng, body: Record<string, unknown>) => string;

/** Mutations that each make a body definitely invalid; a case applies one to three of them. */
function mutations(specs: FieldSpec[], nested: boolean): Mutation[] {
  const list: Mutation[] = [
    (rng, body) => {
      const spec = rng.pick(specs);
      body[spec.name] = invalidValue(rng, spec);
      return `bad ${spec.name}`;
    },
    (rng, body) => {
      const key = rng.pick(UNKNOWN_KEYS);
      body[key] = rng.pick(JUNK_ANY);
      return `unknown ${JSON.stringify(key)}`;
    },
  ];
  const required = specs.filter((s) => s.required);
  if (required.length) {
    list.push((rng, body) => {
      const spec = rng.pick(required);
      delete body[spec.name];
      return `missing ${spec.name}`;
    });
  }
  if (nested) {
    const objects = specs.filter((s): s is FieldSpec & { kind: 'object' } => s.kind === 'object');
    list.push((rng, body) => {
      const spec = rng.pick(objects);
      const inner = { ...((body[spec.name] as Record<string, unknown>) ?? {}) };
      if (!spec.fields.length || rng.chance(0.5)) inner[rng.pick(UNKNOWN_KEYS.filter(Boolean))] = rng.pick(JUNK_ANY);
      else {
        const field = rng.pick(spec.fields);
        inner[field.name] = invalidValue(rng, field);
      }
      body[spec.name] = inner;
      return `nested ${spec.name}`;
    });
  }
  return list;
}

// ---------------------------------------------------------------------------------------------
// Cases and their answers

interface Case {
  group: string;
  method: string;
  path: string;
  /** A JSON body (stringified) … */
  body?: unknown;
  /** … or raw text. */
  raw?: string;
  contentType?: string | null;
  headers?: Record<string, string>;
  /** The request is malformed beyond doubt: it must be refused with a 4xx. */
  refuse: boolean;
  /** Netpunkt: answers 200 with a SOAP receiptResponse incomplete_request, or (`'fault'`) a 4xx SOAP 1.1 Fault:
   *  the message cannot be read as SOAP at all. */
  soap?: true | 'fault';
  what: string;
}

interface Answer {
  status: number;
  text: string;
  json: any;
  error?: string;
}

const STABLE_CODES = new Set([
  'VALIDATION_FAILED',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'PROFILE_INACTIVE',
  'JOB_ALREADY_RUNNING',
  'NACSIS_ACTION_NOT_ALLOWED',
  'ACTION_NOT_ALLOWED',
]);

/** Why an answer breaks the contract, or null when it keeps it. */
function contractBreach(c: Case, a: Answer): string | null {
  if (a.error) return `no answer: ${a.error}`;
  if (a.status >= 500) return `HTTP ${a.status}: ${a.text.slice(0, 300)}`;
  if (c.soap === 'fault') {
    if (a.status !== 400 && a.status !== 413) return `Netpunkt answered HTTP ${a.status} to an unreadable message, not 400 or 413`;
    if (!/<soapenv:Fault><faultcode>soapenv:Client<\/faultcode><faultstring>[^<]+<\/faultstring>/.test(a.text)) return `no SOAP 1.1 Fault: ${a.text.slice(0, 300)}`;
    return null;
  }
  if (c.soap) {
    if (a.status !== 200) return `Netpunkt answered HTTP ${a.status}, not 200`;
    const status = /<(?:\w+:)?receiptStatus>([^<]+)</.exec(a.text)?.[1];
    if (status !== 'incomplete_request') return `receiptStatus ${status}, not incomplete_request: ${a.text.slice(0, 300)}`;
    return null;
  }
  if (c.refuse && a.status < 400) return `accepted with HTTP ${a.status}: ${a.text.slice(0, 200)}`;
  if (a.status < 400) return null;
  const body = a.json;
  if (!body || typeof body !== 'object') return `HTTP ${a.status} without a JSON error body: ${a.text.slice(0, 200)}`;
  if (body.statusCode !== a.status) return `statusCode ${body.statusCode} ≠ HTTP ${a.status}`;
  if (typeof body.error !== 'string' || !body.error) return 'no error text';
  if (!Array.isArray(body.message) || !body.message.length || !body.message.every((m: unknown) => typeof m === 'string' && m.length > 0)) {
    return `message is not a non-empty array of texts: ${JSON.stringify(body.message)?.slice(0, 200)}`;
  }
  if (a.status === 400 && body.code !== 'VALIDATION_FAILED') return `400 with code ${body.code}`;
  if (!STABLE_CODES.has(body.code)) return `HTTP ${a.status} with unstable code ${body.code}`;
  return null;
}

async function send(baseUrl: string, c: Case): Promise<Answer> {
  const headers: Record<string, string> = { Authorization: `Bearer ${TEST_ADMIN_KEY}`, ...(c.headers ?? {}) };
  let body: string | undefined;
  if (c.raw !== undefined) body = c.raw;
  else if (c.body !== undefined) body = JSON.stringify(c.body);
  const contentType = c.contentType === undefined ? (body !== undefined ? 'application/json' : null) : c.contentType;
  if (contentType) headers['Content-Type'] = contentType;
  try {
    const res = await fetch(`${baseUrl}${c.path}`, { method: c.method, headers, body, signal: AbortSignal.timeout(20_000) });
    const text = await res.text();
    let json: any = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    return { status: res.status, text, json };
  } catch (error: any) {
    return { status: 0, text: '', json: null, error: `${error?.name}: ${error?.message} ${error?.cause?.message ?? ''}` };
  }
}

async function inPool<T, R>(items: readonly T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]);
      }
    }),
  );
  return results;
}

// ---------------------------------------------------------------------------------------------
// Whole-body, path and query junk

/** The object's JSON with its first key repeated at the end, with a number (JSON.parse keeps the last). */
const lastKeyWrong = (value: unknown) => `${JSON.stringify(value).slice(0, -1)},${JSON.stringify(Object.keys(value as object)[0])}:12345}`;

/** Bodies that are not a JSON object of the right shape at all, or not JSON. */
function bodyJunk(rng: Rng, valid: unknown): Array<Pick<Case, 'body' | 'raw' | 'contentType' | 'what'>> {
  const json = JSON.stringify(valid);
  return [
    { raw: json.slice(0, Math.max(1, rng.int(json.length - 1))), what: 'truncated JSON' },
    { raw: `${json.slice(0, -1)},}`, what: 'trailing comma' },
    { raw: "{'single': 'quotes'}", what: 'single quotes' },
    { raw: '<xml><code>MAIN</code></xml>', contentType: 'application/xml', what: 'XML body' },
    { raw: '<xml><code>MAIN</code></xml>', what: 'XML as JSON' },
    { raw: '', what: 'empty JSON body' },
    { raw: 'null', what: 'JSON null' },
    { raw: '"a string"', what: 'JSON string' },
    { raw: '42', what: 'JSON number' },
    { body: [valid], what: 'array of the body' },
    { body: [], what: 'empty array' },
    { raw: json, contentType: 'text/plain', what: 'JSON as text/plain' },
    { raw: 'code=MAIN&name=x', contentType: 'application/x-www-form-urlencoded', what: 'form body' },
    { raw: json, contentType: 'application/json; charset=utf-16', what: 'unsupported charset' },
    { raw: `\ufeff${JSON.stringify(Array.isArray(valid) ? [...valid, 42] : { ...(valid as object), extra: 1 })}`, what: 'BOM before JSON, unknown property' },
    { raw: json.replace(/^(\[?)\{/, '$1{"__proto__":{"polluted":"yes"},'), what: '__proto__ key' },
    { raw: json.replace(/^(\[?)\{/, '$1{"constructor":{"prototype":{"polluted":"yes"}},'), what: 'constructor.prototype key' },
    { raw: `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`, what: 'nested 3000 deep' },
    { raw: `${'['.repeat(3000)}${']'.repeat(3000)}`, what: 'arrays nested 3000 deep' },
    { raw: JSON.stringify({ ...(valid as object), blob: 'z'.repeat(1_100_000) }), what: 'body over 1 MB' },
    { raw: Array.isArray(valid) ? `[${[lastKeyWrong(valid[0]), ...valid.slice(1).map((v) => JSON.stringify(v))].join(',')}]` : lastKeyWrong(valid), what: 'duplicate key, the last one wrong' },
  ];
}

const BAD_IDS = [
  'not-a-uuid',
  '123',
  '00000000-0000-0000-0000-00000000000g',
  '00000000-0000-4000-8000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  'x'.repeat(4000),
  encodeURIComponent("1' OR '1'='1"),
  encodeURIComponent('📚'),
  '%2F..%2F..%2Fapi-keys',
  'a%2Fb',
  '%00',
  'nul%00byte',
  '%E2%80%AE',
  '%20',
  encodeURIComponent('<script>alert(1)</script>'),
  '__proto__',
  'constructor',
  '...',
];

/** Query strings a list must refuse. */
const BAD_PAGES = ['limit=-1', 'limit=0', 'limit=501', 'limit=abc', 'limit=1.5', 'limit=', 'limit=1&limit=2', 'offset=-5', 'offset=1e99', 'offset=99999999999999999999', 'offset=abc', 'offset=NaN', 'offset=Infinity', 'unknown=1', 'limit[]=5', 'limit=%00'];
/** Query values that are odd but may be accepted (they must only never break anything). */
const ODD_SEARCHES = ['%27%20OR%201%3D1%20--', '%25', '_', '%5C', '%F0%9F%93%9A', '%3Cscript%3E', 'nul%00byte', `${'q'.repeat(150)}`];

function queryCases(group: string, path: string, filters: Record<string, { bad: string[]; odd?: string[] }>): Case[] {
  const cases: Case[] = BAD_PAGES.map((q) => ({ group, method: 'GET', path: `${path}?${q}`, refuse: true, what: q }));
  for (const [name, { bad, odd }] of Object.entries(filters)) {
    for (const value of bad) cases.push({ group, method: 'GET', path: `${path}?${name}=${value}`, refuse: true, what: `${name}=${value}` });
    cases.push({ group, method: 'GET', path: `${path}?${name}=${bad[0]}&${name}=${bad[0]}`, refuse: true, what: `repeated ${name}` });
    for (const value of odd ?? []) cases.push({ group, method: 'GET', path: `${path}?${name}=${value}`, refuse: false, what: `${name}=${value}` });
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------

describe('bad input (end to end)', () => {
  const LIBRIS_KEY = 'libris-api-key';
  const NETPUNKT_PASSWORD = 'netpunkt-password';
  const OUR_ISIL = 'DK-820010';
  let db: TestDatabase;
  let config: AppConfig;
  let pg: Client;
  let admin: INestApplication;
  let actions: INestApplication;
  let reporting: INestApplication;
  const urls = { admin: '', actions: '', reporting: '' };
  const profiles: Record<'LIBRIS' | 'NACSIS' | 'NETPUNKT', string> = { LIBRIS: '', NACSIS: '', NETPUNKT: '' };
  const requests: Record<'NACSIS' | 'LIBRIS' | 'NETPUNKT', string> = { NACSIS: '', LIBRIS: '', NETPUNKT: '' };
  const jobRuns: string[] = [];
  let outboundActionId = '';
  const TABLES = ['api_key', 'library', 'partner', 'integration_profile', 'library_mapping', 'job_run', 'rs_request', 'request_event', 'outbound_action', 'netpunkt_receipt', 'record_event'];
  const counts = async () => {
    const { rows } = await pg.query(TABLES.map((t) => `SELECT '${t}' AS t, count(*)::int AS n FROM ${t}`).join(' UNION ALL '));
    return Object.fromEntries(rows.map((r) => [r.t, r.n]));
  };
  const rowsOf = async (table: string) => (await pg.query(`SELECT * FROM ${table} ORDER BY 1`)).rows;

  beforeAll(async () => {
    db = await createTestDatabase();
    config = testConfig(db.url);
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    admin = await createProfileConfigApp(config);
    await admin.listen(0, '127.0.0.1');
    actions = await createActionPushApp(config, new PushSettings({ worker: false, sweepIntervalMs: 0 }));
    await actions.listen(0, '127.0.0.1');
    reporting = await createReportingApp(config);
    await reporting.listen(0, '127.0.0.1');
    urls.admin = await urlOf(admin);
    urls.actions = await urlOf(actions);
    urls.reporting = await urlOf(reporting);

    const api = jsonClient(urls.admin, TEST_ADMIN_KEY);
    const ok = (what: string, res: { status: number; body: any }, status: number) => expectStatus(what, res, status).body;
    ok('library MAIN', await api('POST', '/api/libraries', { code: 'MAIN', name: 'Main library', resourceSharing: true }), 201);
    ok('library BRANCH', await api('POST', '/api/libraries', { code: 'BRANCH', name: 'Branch', resourceSharing: false }), 201);
    ok('partner', await api('POST', '/api/partners', { code: 'Hig', name: 'Högskolan i Gävle', system: 'LIBRIS', active: true }), 201);
    const harvestStartDate = daysAgo(30);
    const createProfile = async (code: string, name: string, fields: Record<string, unknown> & { system: string }) =>
      ok(
        `${fields.system} profile`,
        await api('POST', '/api/integration-profiles', { code, name, integrationType: 'RESOURCE_SHARING', resourceSharingLibraryCode: 'MAIN', active: true, schedule: { type: 'NOT_SCHEDULED' }, ...fields }),
        201,
      ).id;
    profiles.LIBRIS = await createProfile('LIBRIS_BAD', 'Libris bad input', {
      system: 'LIBRIS',
      baseUrl: 'http://127.0.0.1:9/libris/api',
      libraryCode: 'Hig',
      authentication: { enabled: true, apiKey: LIBRIS_KEY },
      harvestStartDate,
      granularity: 'DAY',
    });
    profiles.NACSIS = await createProfile('NACSIS_BAD', 'NACSIS bad input', {
      system: 'NACSIS',
      baseUrl: 'http://127.0.0.1:9/nacsis/catp',
      libraryCode: 'FA100001',
      authentication: { enabled: true, userId: 'us-user', password: 'us-password' },
      harvestStartDate,
      granularity: 'DAY',
    });
    profiles.NETPUNKT = await createProfile('NETPUNKT_BAD', 'Netpunkt bad input', { system: 'NETPUNKT', libraryCode: OUR_ISIL, authentication: { enabled: true, password: NETPUNKT_PASSWORD } });
    ok('mappings', await api('PUT', `/api/integration-profiles/${profiles.LIBRIS}/library-mappings`, [{ libraryCode: 'MAIN', externalLibraryCode: 'Hig' }]), 200);
    // Pending runs (no import worker here): real targets for the reporting routes, and "run" answers 409 from now on.
    for (const system of ['LIBRIS', 'NACSIS'] as const) jobRuns.push(ok(`run ${system}`, await api('POST', `/api/integration-profiles/${profiles[system]}/run`), 202).jobRunId);

    const insertRequest = async (system: string, direction: string, externalId: string, status: string, externalStatus: string, format: string, raw: unknown) =>
      (
        await pg.query(
          `INSERT INTO rs_request (profile_id, system, direction, external_id, status, external_system_status, partner_code, owner_library_code, format, title, raw)
           VALUES ($1, $2, $3, $4, $5, $6, 'Hig', 'MAIN', $7, 'Seeded', $8) RETURNING id`,
          [profiles[system as keyof typeof profiles], system, direction, externalId, status, externalStatus, format, JSON.stringify(raw)],
        )
      ).rows[0].id as string;
    requests.NACSIS = await insertRequest('NACSIS', 'LENDING', '260101000001', 'BEING_PROCESSED', '未処理', 'LOAN', [
      { tag: 'ID', value: '260101000001' },
      { tag: 'STAT', value: '未処理' },
      { tag: 'OMLID', value: 'FA200002' },
      { tag: 'AMLID', value: 'FA100001' },
      { group: 'HMLG', fields: [{ tag: 'HMLID', value: 'FA100001' }] },
      { group: 'SENDG', fields: [{ tag: 'SENDCMND', value: 'ORDER' }, { tag: 'SENDMLID', value: 'FA200002' }] },
    ]);
    requests.LIBRIS = await insertRequest('LIBRIS', 'BORROWING', 'Hig-260101-0001', 'REQUEST_SENT_TO_PARTNER', 'Uteliggande', 'LOAN', { lf_number: 'Hig-260101-0001' });
    requests.NETPUNKT = await insertRequest('NETPUNKT', 'BORROWING', '1000000001', 'REQUEST_SENT_TO_PARTNER', 'ok', 'COPY', { orderId: '1000000001' });
    outboundActionId = (
      await pg.query(
        `INSERT INTO outbound_action (request_id, seq, action, nacsis_command, from_external_status, to_external_status, state, attempts, fields)
         VALUES ($1, 1, 'ACCEPT', 'RECEIVE', '未処理', '処理中', 'PENDING', 0, '{}') RETURNING id`,
        [requests.NACSIS],
      )
    ).rows[0].id;
  });

  afterAll(async () => {
    await reporting?.close();
    await actions?.close();
    await admin?.close();
    await pg?.end();
    if (config) await wipeQueuePrefix(config.redisUrl, config.queuePrefix);
    await db?.drop();
  });

  // -------------------------------------------------------------------------------------------
  // The cases

  const LIBRARY_SPECS: FieldSpec[] = [
    { name: 'code', kind: 'string', max: 64, pattern: /^[A-Za-z0-9][A-Za-z0-9_.:\-]*$/, required: true },
    { name: 'name', kind: 'string', max: 300, required: true },
    { name: 'resourceSharing', kind: 'bool' },
  ];
  const PARTNER_SPECS: FieldSpec[] = [
    { name: 'code', kind: 'string', max: 64, pattern: /^[A-Za-z0-9][A-Za-z0-9_.:\-]*$/, required: true },
    { name: 'name', kind: 'string', max: 300, required: true },
    { name: 'system', kind: 'enum', values: ['LIBRIS', 'NACSIS', 'NETPUNKT', 'ISO18626', 'EMAIL'], required: true },
    { name: 'active', kind: 'bool' },
  ];
  const API_KEY_SPECS: FieldSpec[] = [
    { name: 'name', kind: 'string', max: 200, required: true },
    { name: 'role', kind: 'enum', values: ['viewer', 'operator', 'admin'], required: true },
  ];
  const SCHEDULE_FIELDS: FieldSpec[] = [
    { name: 'type', kind: 'enum', values: ['NOT_SCHEDULED', 'DAILY', 'WEEKLY', 'INTERVAL'], required: true },
    { name: 'time', kind: 'time' },
    { name: 'dayOfWeek', kind: 'enum', values: ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'] },
    { name: 'everyMinutes', kind: 'int', min: 5, max: 10080 },
    { name: 'timezone', kind: 'timezone' },
  ];
  const profileSpecs = (system: 'LIBRIS' | 'NACSIS' | 'NETPUNKT'): FieldSpec[] => [
    { name: 'code', kind: 'string', max: 64, pattern: /^[A-Za-z0-9][A-Za-z0-9_.:\-]*$/, required: true },
    { name: 'name', kind: 'string', max: 200, required: true },
    { name: 'integrationType', kind: 'enum', values: ['RESOURCE_SHARING'], required: true },
    { name: 'description', kind: 'string', max: 2000, min: 0 },
    { name: 'system', kind: 'enum', values: ['LIBRIS', 'NACSIS', 'NETPUNKT'], required: true },
    system === 'NETPUNKT' ? { name: 'baseUrl', kind: 'anyString' } : { name: 'baseUrl', kind: 'url', required: true },
    { name: 'libraryCode', kind: 'string', max: 64, required: true },
    { name: 'resourceSharingLibraryCode', kind: 'string', max: 64, required: true },
    {
      name: 'authentication',
      kind: 'object',
      fields: [
        { name: 'enabled', kind: 'bool' },
        { name: 'apiKey', kind: 'string', max: 500 },
        { name: 'userId', kind: 'string', max: 200 },
        { name: 'password', kind: 'string', max: 500 },
      ],
    },
    { name: 'active', kind: 'bool' },
    system === 'NETPUNKT' ? { name: 'harvestStartDate', kind: 'anyString' } : { name: 'harvestStartDate', kind: 'date', required: true },
    { name: 'granularity', kind: 'enum', values: ['DAY', 'SECOND'] },
    { name: 'schedule', kind: 'object', fields: SCHEDULE_FIELDS },
  ];
  const validProfile = (system: 'LIBRIS' | 'NACSIS' | 'NETPUNKT', code: string): Record<string, unknown> => {
    const common = { code, name: `Bad ${code}`, integrationType: 'RESOURCE_SHARING', description: 'generated', system, libraryCode: 'X1', resourceSharingLibraryCode: 'MAIN', active: true };
    if (system === 'NETPUNKT') return { ...common, authentication: { enabled: true, password: 'netpunkt-pw-0001' }, schedule: { type: 'NOT_SCHEDULED' } };
    const auth = system === 'LIBRIS' ? { enabled: true, apiKey: 'k' } : { enabled: true, userId: 'u', password: 'p' };
    return { ...common, baseUrl: 'https://example.org/api', authentication: auth, harvestStartDate: '2026-01-01', granularity: 'DAY', schedule: { type: 'DAILY', time: '02:30', timezone: 'Europe/Stockholm' } };
  };

  /** `n` bodies of the route: each a valid body with one to three definite mutations. */
  function mutatedBodies(rng: Rng, n: number, valid: () => Record<string, unknown>, specs: FieldSpec[], partial = false): Array<{ body: Record<string, unknown>; what: string }> {
    const list = mutations(partial ? specs.map((s) => ({ ...s, required: false }) as FieldSpec) : specs, specs.some((s) => s.kind === 'object'));
    const definite = partial ? list.filter((_, i) => i !== 2 || !specs.some((s) => s.required)) : list;
    return Array.from({ length: n }, () => {
      const body = valid();
      const applied = rng.some(definite, 1, 3).map((m) => m(rng, body));
      return { body, what: applied.join(', ') };
    });
  }

  function adminCases(rng: Rng): Case[] {
    const cases: Case[] = [];
    const add = (group: string, method: string, path: string, extra: Partial<Case>) => cases.push({ group, method, path, refuse: true, what: '', ...extra });
    let serial = 0;
    const code = () => `GEN_${++serial}`;

    // api-keys
    for (const { body, what } of mutatedBodies(rng, 50, () => ({ name: 'generated key', role: 'viewer' }), API_KEY_SPECS)) add('POST /api/api-keys', 'POST', '/api/api-keys', { body, what });
    for (const junk of bodyJunk(rng, { name: 'generated key', role: 'viewer' })) add('POST /api/api-keys', 'POST', '/api/api-keys', junk);
    for (const id of BAD_IDS) add('DELETE /api/api-keys/:id', 'DELETE', `/api/api-keys/${id}`, { what: id });
    add('GET /api/api-keys', 'GET', '/api/api-keys?limit=abc&unknown=1', { refuse: false, what: 'query ignored' });

    // libraries
    for (const { body, what } of mutatedBodies(rng, 70, () => ({ code: code(), name: 'Generated', resourceSharing: true }), LIBRARY_SPECS)) add('POST /api/libraries', 'POST', '/api/libraries', { body, what });
    for (const junk of bodyJunk(rng, { code: code(), name: 'Generated', resourceSharing: false })) add('POST /api/libraries', 'POST', '/api/libraries', junk);
    for (const { body, what } of mutatedBodies(rng, 40, () => ({ name: 'Renamed' }), LIBRARY_SPECS.filter((s) => s.name !== 'code'), true)) {
      add('PATCH /api/libraries/:code', 'PATCH', `/api/libraries/${rng.pick(['MAIN', 'BRANCH'])}`, { body, what });
    }
    for (const junk of bodyJunk(rng, { name: 'Renamed' })) {
      // An empty or unparsed body is an empty patch: it may be accepted (and change nothing).
      const maybeEmpty = /text\/plain|form body|empty JSON body/.test(junk.what) || junk.contentType === 'application/xml';
      add('PATCH /api/libraries/:code', 'PATCH', '/api/libraries/BRANCH', { ...junk, refuse: !maybeEmpty });
    }
    for (const id of BAD_IDS) {
      add('GET /api/libraries/:code', 'GET', `/api/libraries/${id}`, { what: id });
      add('PATCH /api/libraries/:code', 'PATCH', `/api/libraries/${id}`, { body: { name: 'x' }, what: id });
      add('DELETE /api/libraries/:code', 'DELETE', `/api/libraries/${id}`, { what: id });
    }
    add('DELETE /api/libraries/:code', 'DELETE', '/api/libraries/MAIN', { what: 'in use' });
    cases.push(...queryCases('GET /api/libraries', '/api/libraries', {}));

    // partners
    for (const { body, what } of mutatedBodies(rng, 70, () => ({ code: code(), name: 'Generated', system: 'LIBRIS', active: true }), PARTNER_SPECS)) add('POST /api/partners', 'POST', '/api/partners', { body, what });
    for (const junk of bodyJunk(rng, { code: code(), name: 'Generated', system: 'NACSIS' })) add('POST /api/partners', 'POST', '/api/partners', junk);
    add('POST /api/partners', 'POST', '/api/partners', { body: { code: 'HIG', name: 'Duplicate in another case', system: 'LIBRIS' }, what: 'duplicate code' });
    for (const { body, what } of mutatedBodies(rng, 40, () => ({ name: 'Renamed' }), PARTNER_SPECS.filter((s) => s.name !== 'code'), true)) add('PATCH /api/partners/:code', 'PATCH', '/api/partners/hig', { body, what });
    for (const id of BAD_IDS) {
      add('GET /api/partners/:code', 'GET', `/api/partners/${id}`, { what: id });
      add('PATCH /api/partners/:code', 'PATCH', `/api/partners/${id}`, { body: { active: false }, what: id });
      add('DELETE /api/partners/:code', 'DELETE', `/api/partners/${id}`, { what: id });
    }
    cases.push(...queryCases('GET /api/partners', '/api/partners', { system: { bad: ['libris', 'X', '', '%00'] } }));

    // integration profiles
    for (const system of ['LIBRIS', 'NACSIS', 'NETPUNKT'] as const) {
      for (const { body, what } of mutatedBodies(rng, 55, () => validProfile(system, code()), profileSpecs(system))) add('POST /api/integration-profiles', 'POST', '/api/integration-profiles', { body, what: `${system}: ${what}` });
      for (const { body, what } of mutatedBodies(rng, 35, () => ({ name: 'Renamed' }), profileSpecs(system), true)) {
        add('PATCH /api/integration-profiles/:id', 'PATCH', `/api/integration-profiles/${profiles[system]}`, { body, what: `${system}: ${what}` });
      }
    }
    for (const junk of bodyJunk(rng, validProfile('LIBRIS', code()))) add('POST /api/integration-profiles', 'POST', '/api/integration-profiles', junk);
    for (const junk of bodyJunk(rng, { name: 'Renamed' })) {
      // An empty body is an empty patch: it may be accepted (and change nothing).
      add('PATCH /api/integration-profiles/:id', 'PATCH', `/api/integration-profiles/${profiles.NACSIS}`, { ...junk, refuse: junk.what !== 'empty JSON body' });
    }
    // Rules across fields: each of these is wrong as a whole though every field is well typed.
    const crossField: Array<[string, Record<string, unknown>]> = [
      ['NETPUNKT with a schedule', { ...validProfile('NETPUNKT', code()), schedule: { type: 'DAILY', time: '02:30' } }],
      ['NETPUNKT with a baseUrl', { ...validProfile('NETPUNKT', code()), baseUrl: 'https://example.org' }],
      ['NETPUNKT without password', { ...validProfile('NETPUNKT', code()), authentication: { enabled: true } }],
      ['NACSIS with apiKey', { ...validProfile('NACSIS', code()), authentication: { enabled: true, userId: 'u', password: 'p', apiKey: 'k' } }],
      ['WEEKLY without day', { ...validProfile('LIBRIS', code()), schedule: { type: 'WEEKLY', time: '02:30' } }],
      ['INTERVAL without minutes', { ...validProfile('LIBRIS', code()), schedule: { type: 'INTERVAL' } }],
      ['SECOND granularity with a day', { ...validProfile('LIBRIS', code()), granularity: 'SECOND' }],
      ['future harvest start', { ...validProfile('LIBRIS', code()), harvestStartDate: '2999-12-31' }],
      ['unknown library', { ...validProfile('LIBRIS', code()), resourceSharingLibraryCode: 'NOPE' }],
      ['not a resource sharing library', { ...validProfile('LIBRIS', code()), resourceSharingLibraryCode: 'BRANCH' }],
      ['duplicate code', { ...validProfile('LIBRIS', 'LIBRIS_BAD') }],
      ['baseUrl too long', { ...validProfile('LIBRIS', code()), baseUrl: `https://example.org/${'p'.repeat(600)}` }],
      ['baseUrl of 100 KB', { ...validProfile('NACSIS', code()), baseUrl: `https://example.org/${HUGE}` }],
      ['nul byte in description', { ...validProfile('LIBRIS', code()), description: 'nul\u0000byte', name: 1 }],
    ];
    for (const [what, body] of crossField) add('POST /api/integration-profiles', 'POST', '/api/integration-profiles', { body, what });
    for (const id of BAD_IDS) {
      add('GET /api/integration-profiles/:id', 'GET', `/api/integration-profiles/${id}`, { what: id });
      add('PATCH /api/integration-profiles/:id', 'PATCH', `/api/integration-profiles/${id}`, { body: { name: 'x' }, what: id });
      add('DELETE /api/integration-profiles/:id', 'DELETE', `/api/integration-profiles/${id}`, { what: id });
      add('POST /api/integration-profiles/:id/run', 'POST', `/api/integration-profiles/${id}/run`, { what: id });
      add('GET /api/integration-profiles/:id/library-mappings', 'GET', `/api/integration-profiles/${id}/library-mappings`, { what: id });
      add('PUT /api/integration-profiles/:id/library-mappings', 'PUT', `/api/integration-profiles/${id}/library-mappings`, { body: [], what: id });
      add('POST /api/integration-profiles/:id/library-mappings', 'POST', `/api/integration-profiles/${id}/library-mappings`, { body: { libraryCode: 'MAIN', externalLibraryCode: 'Zz' }, what: id });
      add('DELETE /api/integration-profiles/:id/library-mappings/:code', 'DELETE', `/api/integration-profiles/${id}/library-mappings/Hig`, { what: id });
      add('DELETE /api/integration-profiles/:id/library-mappings/:code', 'DELETE', `/api/integration-profiles/${profiles.LIBRIS}/library-mappings/${id}`, { what: `external ${id}` });
    }
    for (const system of ['LIBRIS', 'NACSIS', 'NETPUNKT'] as const) add('POST /api/integration-profiles/:id/run', 'POST', `/api/integration-profiles/${profiles[system]}/run`, { body: { force: true }, what: `${system} again` });
    cases.push(
      ...queryCases('GET /api/integration-profiles', '/api/integration-profiles', {
        system: { bad: ['libris', 'EMAIL', '', '%00'] },
        active: { bad: ['maybe', '1', 'TRUE', ''] },
        code: { bad: ['a&code=b'], odd: ODD_SEARCHES },
      }),
    );

    // library mappings
    const MAPPING_SPECS: FieldSpec[] = [
      { name: 'libraryCode', kind: 'string', max: 64, required: true },
      { name: 'externalLibraryCode', kind: 'string', max: 64, required: true },
    ];
    for (const { body, what } of mutatedBodies(rng, 45, () => ({ libraryCode: 'MAIN', externalLibraryCode: `Ext${++serial}` }), MAPPING_SPECS)) {
      add('POST /api/integration-profiles/:id/library-mappings', 'POST', `/api/integration-profiles/${rng.pick(Object.values(profiles))}/library-mappings`, { body, what });
    }
    for (const junk of bodyJunk(rng, { libraryCode: 'MAIN', externalLibraryCode: 'Ext' })) add('POST /api/integration-profiles/:id/library-mappings', 'POST', `/api/integration-profiles/${profiles.NACSIS}/library-mappings`, junk);
    add('POST /api/integration-profiles/:id/library-mappings', 'POST', `/api/integration-profiles/${profiles.LIBRIS}/library-mappings`, { body: { libraryCode: 'NOPE', externalLibraryCode: 'Nope' }, what: 'unknown library' });
    add('POST /api/integration-profiles/:id/library-mappings', 'POST', `/api/integration-profiles/${profiles.LIBRIS}/library-mappings`, { body: { libraryCode: 'MAIN', externalLibraryCode: 'Hig' }, what: 'clash' });
    for (let i = 0; i < 40; i++) {
      // A list with at least one broken entry among good ones, or a duplicate.
      const list: unknown[] = Array.from({ length: 1 + rng.int(4) }, (_, j) => ({ libraryCode: j === 0 ? 'MAIN' : 'BRANCH', externalLibraryCode: `E${i}_${j}` }));
      const broken = mutatedBodies(rng, 1, () => ({ libraryCode: 'MAIN', externalLibraryCode: `B${i}` }), MAPPING_SPECS)[0];
      const choice = rng.int(4);
      if (choice === 0) list.splice(rng.int(list.length + 1), 0, broken.body);
      else if (choice === 1) list.splice(rng.int(list.length + 1), 0, rng.pick(JUNK_ANY));
      else if (choice === 2) list.push({ ...(list[0] as object) });
      else list.push({ libraryCode: 'NOPE', externalLibraryCode: 'N' });
      add('PUT /api/integration-profiles/:id/library-mappings', 'PUT', `/api/integration-profiles/${rng.pick(Object.values(profiles))}/library-mappings`, { body: list, what: broken.what });
    }
    for (const junk of bodyJunk(rng, [{ libraryCode: 'MAIN', externalLibraryCode: 'Hig' }])) {
      if (junk.what === 'empty array' || junk.what === 'array of the body') continue; // well-formed lists (the second is nested one level too deep: still refused below)
      add('PUT /api/integration-profiles/:id/library-mappings', 'PUT', `/api/integration-profiles/${profiles.LIBRIS}/library-mappings`, junk);
    }
    add('PUT /api/integration-profiles/:id/library-mappings', 'PUT', `/api/integration-profiles/${profiles.LIBRIS}/library-mappings`, { body: [[{ libraryCode: 'MAIN', externalLibraryCode: 'Hig' }]], what: 'nested list' });
    add('PUT /api/integration-profiles/:id/library-mappings', 'PUT', `/api/integration-profiles/${profiles.LIBRIS}/library-mappings`, {
      body: Array.from({ length: 3000 }, (_, i) => ({ libraryCode: 'MAIN', externalLibraryCode: `L${i}` })),
      what: '3000 entries, one library',
    });
    return cases;
  }

  function actionCases(rng: Rng): Case[] {
    const cases: Case[] = [];
    const add = (group: string, method: string, path: string, extra: Partial<Case>) => cases.push({ group, method, path, refuse: true, what: '', ...extra });
    const ACTIONS = ['ACCEPT', 'SHIP', 'REJECT', 'CLAIM', 'RECEIVE', 'RETURN', 'CALLBACK', 'COMPLETE', 'CANCEL'];
    const ACTION_SPECS: FieldSpec[] = [
      { name: 'action', kind: 'enum', values: ACTIONS, required: true },
      { name: 'note', kind: 'string', max: 1000, min: 0 },
      { name: 'fields', kind: 'object', fields: [] },
    ];
    const badShipFields = (): Record<string, unknown> => {
      const fields: Record<string, unknown> = {};
      const options: Array<() => void> = [
        () => (fields.dueDate = rng.pick(['2026-02-30', '2026-13-01', 'tomorrow', 20261201, '', HUGE])),
        () => (fields.shipDate = rng.pick(['2026-02-30', '31/12/2026', 0, []])),
        () => (fields.charges = rng.pick(['A4', 1, { item: 'A4' }, [null], [{ item: '', quantity: 1, unitPrice: 1 }], [{ item: 'A4', quantity: -1, unitPrice: 1 }], [{ item: 'A4', quantity: 1.5, unitPrice: 1 }], [{ item: 'A4', quantity: 1, unitPrice: -3 }], [{ item: '<x>', quantity: 1, unitPrice: 1 }], [{ item: 'A4', quantity: 1, unitPrice: 1, extra: 1 }], Array.from({ length: 11 }, () => ({ item: 'A4', quantity: 1, unitPrice: 1 }))])),
        () => (fields.fee = rng.pick([-1, 1.5, '10', true, 1e300])),
        () => (fields.postage = rng.pick([-1, 1_000_000, '84', [], 1e300])),
        () => (fields[rng.pick(['SUM', 'bogus', '__proto__x', 'constructor'])] = rng.pick(JUNK_ANY)),
        () => Object.assign(fields, { charges: [{ item: 'A4', quantity: 99_999, unitPrice: 99_999 }], dueDate: '2026-12-31', shipDate: '2026-12-01' }),
        () => Object.assign(fields, { dueDate: '2026-01-01', shipDate: '2026-12-01' }),
      ];
      for (const set of rng.some(options, 1, 3)) set();
      return fields;
    };
    const systems = ['NACSIS', 'LIBRIS', 'NETPUNKT'] as const;
    for (let i = 0; i < 210; i++) {
      const system = rng.pick(systems);
      const path = `/api/requests/${requests[system]}/actions`;
      const valid = () => ({ action: rng.pick(ACTIONS), note: rng.pick(['', 'ok', '本日発送しました', rng.pick(JUNK_STRINGS).slice(0, 900)]) });
      const kind = rng.int(6);
      let body: Record<string, unknown>;
      let what: string;
      const headers: Record<string, string> = {};
      if (kind === 0) {
        body = { action: 'SHIP', note: 'n', fields: badShipFields() };
        what = `SHIP with bad fields ${JSON.stringify(body.fields).slice(0, 80)}`;
        if (system !== 'NACSIS') what += ' (local: no fields taken)';
      } else if (kind === 1) {
        body = { action: rng.pick(['REJECT', 'CLAIM']), note: rng.pick([undefined, '', '   ', '\r\n\t']) };
        if (system !== 'NACSIS') body.fields = { reason: 'x' }; // the local workflow needs no note; fields make it definitely wrong
        what = `${body.action} without a note`;
      } else if (kind === 2) {
        body = { action: rng.pick(ACTIONS) };
        headers['Idempotency-Key'] = rng.pick(['', 'k'.repeat(201), 'k'.repeat(5000)]);
        what = `Idempotency-Key of ${headers['Idempotency-Key'].length} characters`;
      } else {
        const generated = mutatedBodies(rng, 1, valid, ACTION_SPECS)[0];
        body = generated.body;
        what = generated.what;
        if (rng.chance(0.3)) headers['Idempotency-Key'] = rng.pick(["'; DROP TABLE outbound_action; --", 'key-1', '%00', 'k'.repeat(200)]);
      }
      add('POST /api/requests/:id/actions', 'POST', path, { body, headers, what: `${system}: ${what}` });
    }
    for (const junk of bodyJunk(rng, { action: 'ACCEPT', note: 'x' })) {
      // No body at all is no action: still refused (action is required).
      add('POST /api/requests/:id/actions', 'POST', `/api/requests/${requests.NACSIS}/actions`, junk);
    }
    for (const id of BAD_IDS) {
      add('POST /api/requests/:id/actions', 'POST', `/api/requests/${id}/actions`, { body: { action: 'ACCEPT' }, what: id });
      add('GET /api/requests/:id/actions', 'GET', `/api/requests/${id}/actions`, { what: id });
      add('GET /api/requests/:id/outbound-actions', 'GET', `/api/requests/${id}/outbound-actions`, { what: id });
      add('POST /api/outbound-actions/:id/retry', 'POST', `/api/outbound-actions/${id}/retry`, { what: id });
      add('POST /api/outbound-actions/:id/discard', 'POST', `/api/outbound-actions/${id}/discard`, { what: id });
    }
    add('POST /api/outbound-actions/:id/retry', 'POST', `/api/outbound-actions/${outboundActionId}/retry`, { body: { force: true }, what: 'a PENDING action' });
    add('POST /api/outbound-actions/:id/discard', 'POST', `/api/outbound-actions/${outboundActionId}/discard`, { what: 'a PENDING action' });
    return cases;
  }

  function reportingCases(): Case[] {
    const cases: Case[] = [];
    const add = (group: string, method: string, path: string, extra: Partial<Case>) => cases.push({ group, method, path, refuse: true, what: '', ...extra });
    const dates = { bad: ['yesterday', '2026-02-30', '2026-13-01', '2026-01-01T25:00:00Z', '2026-1-1', '%00', '', '1e99'] };
    const jobFilters = { state: { bad: ['running', 'DONE', ''] }, from: dates, to: dates };
    cases.push(...queryCases('GET /api/jobs', '/api/jobs', { ...jobFilters, profileId: { bad: ['not-a-uuid', '', '%00'] } }));
    cases.push(...queryCases('GET /api/integration-profiles/:id/job-history', `/api/integration-profiles/${profiles.LIBRIS}/job-history`, jobFilters));
    const eventFilters = { outcome: { bad: ['failed', 'X', ''] }, direction: { bad: ['borrowing', 'BOTH', ''] } };
    cases.push(...queryCases('GET /api/jobs/:id/events', `/api/jobs/${jobRuns[0]}/events`, eventFilters));
    for (const [name, { bad }] of Object.entries({ ...eventFilters, unknown: { bad: ['1'] }, limit: { bad: ['5'] } })) {
      for (const value of bad) add('GET /api/jobs/:id/events.csv', 'GET', `/api/jobs/${jobRuns[1]}/events.csv?${name}=${value}`, { what: `${name}=${value}` });
    }
    const requestFilters = (statuses: string[]) => ({
      status: { bad: statuses },
      externalSystemStatus: { bad: ['', 'e'.repeat(65)], odd: ['%E7%99%BA%E9%80%81', 'nul%00byte', '%27--'] },
      partnerCode: { bad: ['', 'p'.repeat(65)], odd: ['hig', 'nul%00byte', '%25_%5C'] },
      profileId: { bad: ['not-a-uuid', '', '%00'] },
      syncState: { bad: ['in_sync', 'X', ''] },
      q: { bad: ['', 'q'.repeat(201)], odd: ODD_SEARCHES },
    });
    cases.push(...queryCases('GET /api/borrowing-requests', '/api/borrowing-requests', requestFilters(['BEING_PROCESSED', 'shipped', ''])));
    cases.push(...queryCases('GET /api/lending-requests', '/api/lending-requests', requestFilters(['REQUEST_SENT_TO_PARTNER', 'x', ''])));
    for (const id of BAD_IDS) {
      add('GET /api/jobs/:id', 'GET', `/api/jobs/${id}`, { what: id });
      add('POST /api/jobs/:id/abort', 'POST', `/api/jobs/${id}/abort`, { what: id });
      add('GET /api/jobs/:id/events', 'GET', `/api/jobs/${id}/events`, { what: id });
      add('GET /api/jobs/:id/events.csv', 'GET', `/api/jobs/${id}/events.csv`, { what: id });
      add('GET /api/integration-profiles/:id/job-history', 'GET', `/api/integration-profiles/${id}/job-history`, { what: id });
      add('GET /api/requests/:id', 'GET', `/api/requests/${id}`, { what: id });
    }
    return cases;
  }

  /** Receipts that are malformed beyond doubt: each must be answered incomplete_request (a readable SOAP message whose
   *  receipt lacks content) or, `fault`, with a SOAP 1.1 Fault (XML that cannot be read as a SOAP message at all). */
  function netpunktXml(rng: Rng, n: number, requesterId: string, password: string): Array<{ xml: string; what: string; fault: boolean }> {
    const order = (): OrderReceiptInput => ({
      orderId: String(1_000_000_000 + rng.int(1_000_000)),
      requesterId,
      requesterIdType: 'ISIL',
      pickUpAgencyId: 'DK-820011',
      pickUpAgencyIdType: 'ISIL',
      responderId: 'DK-710100',
      responderIdType: 'ISIL',
      title: 'Kongens fald',
      author: 'Johannes V. Jensen',
      copy: false,
      needBeforeDate: '2026-12-31',
    });
    const input = (): ReceiptXmlInput => ({ authenticationPassword: password, orderReceiptUuid: `0f0e0d0c-0000-4000-8000-${String(rng.int(1e12)).padStart(12, '0')}`, order: order() });
    const MANDATORY = ['orderId', 'requesterId', 'requesterIdType', 'pickUpAgencyId', 'pickUpAgencyIdType', 'responderId', 'responderIdType', 'title'] as const;
    const generators: Array<() => { xml: string; what: string; fault: boolean }> = [
      () => {
        const xml = buildReceiptXml(input());
        return { xml: xml.slice(0, 20 + rng.int(xml.length - 40)), what: 'truncated', fault: true };
      },
      () => {
        const i = input();
        const name = rng.pick(MANDATORY);
        delete (i.order as Record<string, unknown>)[name];
        return { xml: buildReceiptXml(i), what: `no ${name}`, fault: false };
      },
      () => {
        const i = input();
        (i.order as Record<string, unknown>)[rng.pick(MANDATORY)] = rng.pick(['', '   ']);
        return { xml: buildReceiptXml(i), what: 'empty mandatory element', fault: false };
      },
      () => {
        const i = input();
        (i.order as Record<string, unknown>)[rng.pick(['requesterIdType', 'pickUpAgencyIdType', 'responderIdType'])] = rng.pick(['isbn', 'X', '1', 'ISIL ISIL', '<b>', HUGE.slice(0, 5000)]);
        return { xml: buildReceiptXml(i), what: 'unknown id type', fault: false };
      },
      () => ({ xml: buildReceiptXml({ ...input(), orderReceiptUuid: '' }), what: 'no orderReceiptUuid', fault: false }),
      () => ({ xml: buildReceiptXml(input()).replace('<title>Kongens fald</title>', `<title>Kongens fald &${rng.pick(['nbsp', 'e', 'xxe', '#0', '#x1', '#xFFFE', '#99999999'])};</title>`), what: 'bad reference', fault: true }),
      () => ({
        xml: `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>${buildReceiptXml(input()).replace(/^<\?xml[^>]*\?>/, '').replace('Kongens fald', '&e;')}`,
        what: 'DTD / XXE', fault: true,
      }),
      () => ({ xml: buildReceiptXml(input()).replace('<title>Kongens fald</title>', `<title>Kongens ${rng.pick(['\u0000', '\u0001', '\u001b', '\uffff'])} fald</title>`), what: 'a character XML cannot hold', fault: true }),
      () => ({ xml: buildReceiptXml(input()).replaceAll('http://oss.dbc.dk/ns/orderReceipt', rng.pick(['http://example.org/other', 'urn:x'])), what: 'wrong namespace', fault: false }),
      () => ({ xml: buildReceiptXml(input()).replace('soapenv:Body', 'soapenv:Bodie').replace('/soapenv:Body', '/soapenv:Bodie'), what: 'no SOAP Body', fault: true }),
      () => ({ xml: buildReceiptXml(input()).replace(/xmlns:soapenv="[^"]*"/, ''), what: 'undeclared prefix', fault: true }),
      () => ({ xml: rng.pick(['', '   ', 'not xml', '{"receipt": {}}', '<a>', '<a></b>', '<<>>', '<?xml version="1.0"?>', '<a/><b/>', HUGE, `<x>${HUGE}</x>`]), what: 'not a receipt', fault: true }),
      () => ({ xml: `${'<a>'.repeat(500)}${'</a>'.repeat(500)}`, what: 'nested 500 deep', fault: true }),
      () => ({ xml: buildReceiptXml(input()).replace(/<receiptRequest>[\s\S]*<\/receiptRequest>/, ''), what: 'no receiptRequest', fault: false }),
      () => ({ xml: buildReceiptXml(input()).replace(/<orderReceipt>[\s\S]*<\/orderReceipt>/, ''), what: 'no orderReceipt', fault: false }),
      () => ({ xml: buildReceiptXml(input()).replace('<title>', '<title attr="unclosed>'), what: 'broken attribute', fault: true }),
    ];
    return Array.from({ length: n }, () => rng.pick(generators)());
  }

  // -------------------------------------------------------------------------------------------

  it('refuses well over a thousand malformed requests to every admin, action and reporting route clearly, never with a 5xx', async () => {
    const started = Date.now();
    const before = await counts();
    const keysBefore = await rowsOf('api_key');
    const rng = new Rng(0x1b2d3e);
    const routed: Array<{ base: string; c: Case }> = [
      ...adminCases(rng).map((c) => ({ base: urls.admin, c })),
      ...actionCases(rng).map((c) => ({ base: urls.actions, c })),
      ...reportingCases().map((c) => ({ base: urls.reporting, c })),
      ...netpunktXml(rng, 120, OUR_ISIL, NETPUNKT_PASSWORD).map(({ xml, what, fault }) => ({
        base: urls.admin,
        c: { group: 'POST /netpunkt/receipt', method: 'POST', path: '/netpunkt/receipt', raw: xml, contentType: rng.pick(['text/xml; charset=utf-8', 'application/soap+xml', null, 'application/json']), refuse: true, soap: fault ? 'fault' : true, what } as Case,
      })),
    ];
    const answers = await inPool(routed, 16, ({ base, c }) => send(base, c));

    const perRoute = new Map<string, { sent: number; statuses: Record<number, number> }>();
    const breaches: string[] = [];
    routed.forEach(({ c }, i) => {
      const a = answers[i];
      const entry = perRoute.get(c.group) ?? { sent: 0, statuses: {} };
      entry.sent++;
      entry.statuses[a.status] = (entry.statuses[a.status] ?? 0) + 1;
      perRoute.set(c.group, entry);
      const breach = contractBreach(c, a);
      if (breach) breaches.push(`${c.method} ${c.path.slice(0, 120)} [${c.what.slice(0, 120)}]: ${breach}`);
    });
    const summary = [...perRoute.entries()].map(([route, { sent, statuses }]) => `${String(sent).padStart(4)}  ${route}  ${JSON.stringify(statuses)}`).join('\n');
    console.log(`bad input: ${routed.length} requests in ${Date.now() - started} ms\n${summary}`);

    expect(breaches).toEqual([]);
    expect(routed.length).toBeGreaterThanOrEqual(1000);
    // Every route of the contract was exercised.
    for (const route of [
      'POST /api/api-keys', 'DELETE /api/api-keys/:id', 'POST /api/libraries', 'PATCH /api/libraries/:code', 'DELETE /api/libraries/:code', 'POST /api/partners',
      'PATCH /api/partners/:code', 'DELETE /api/partners/:code', 'POST /api/integration-profiles', 'PATCH /api/integration-profiles/:id', 'DELETE /api/integration-profiles/:id',
      'POST /api/integration-profiles/:id/run', 'PUT /api/integration-profiles/:id/library-mappings', 'POST /api/integration-profiles/:id/library-mappings',
      'DELETE /api/integration-profiles/:id/library-mappings/:code', 'POST /api/requests/:id/actions', 'POST /api/outbound-actions/:id/retry',
      'POST /api/outbound-actions/:id/discard', 'GET /api/jobs', 'GET /api/jobs/:id/events', 'GET /api/borrowing-requests', 'GET /api/lending-requests', 'POST /netpunkt/receipt',
    ]) {
      expect(perRoute.get(route)?.sent ?? 0).toBeGreaterThan(0);
    }
    // Refused requests created nothing, and changed no API key.
    expect(await counts()).toEqual(before);
    expect(await rowsOf('api_key')).toEqual(keysBefore);
    expect(({} as any).polluted).toBeUndefined();
    expect((Object.prototype as any).polluted).toBeUndefined();
  });

  it('every service still answers /health with 200 afterwards, and the seeded data is intact', async () => {
    for (const base of [urls.admin, urls.actions, urls.reporting]) {
      const res = await fetch(`${base}/health`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'ok' });
    }
    const api = jsonClient(urls.admin, TEST_ADMIN_KEY);
    const listed = await api('GET', '/api/integration-profiles');
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((p: any) => p.code)).toEqual(['LIBRIS_BAD', 'NACSIS_BAD', 'NETPUNKT_BAD']);
    expect(listed.body.items.map((p: any) => p.name)).toEqual(['Libris bad input', 'NACSIS bad input', 'Netpunkt bad input']);
    expect((await api('GET', '/api/libraries')).body.items.map((l: any) => [l.code, l.resourceSharing])).toEqual([
      ['BRANCH', false],
      ['MAIN', true],
    ]);
    expect((await api('GET', '/api/partners/hig')).body).toMatchObject({ code: 'Hig', name: 'Högskolan i Gävle', system: 'LIBRIS', active: true });
    expect((await api('GET', `/api/integration-profiles/${profiles.LIBRIS}/library-mappings`)).body).toEqual([{ libraryCode: 'MAIN', externalLibraryCode: 'Hig' }]);
    const actionsApi = jsonClient(urls.actions, TEST_ADMIN_KEY);
    expect((await actionsApi('GET', `/api/requests/${requests.NACSIS}/outbound-actions`)).body.map((a: any) => [a.seq, a.state])).toEqual([[1, 'PENDING']]);
    const reportingApi = jsonClient(urls.reporting, TEST_ADMIN_KEY);
    expect((await reportingApi('GET', '/api/jobs')).body.items.map((r: any) => r.state)).toEqual(['PENDING', 'PENDING']);
  });

  // -------------------------------------------------------------------------------------------
  // Connectors

  /** A mapping result that keeps the contract: ok with an external id, or a failure with a reason. */
  function mappingBreach(result: MappingResult): string | null {
    if (!result || typeof result !== 'object') return `not a result: ${String(result)}`;
    if (result.ok) {
      if (typeof result.request.externalId !== 'string' || !result.request.externalId) return 'ok without an external id';
      if (!Array.isArray(result.warnings) || !result.warnings.every((w) => typeof w === 'string' && w)) return 'warnings are not texts';
      return null;
    }
    const f = result.failure;
    if (!f || typeof f.reasonCode !== 'string' || !f.reasonCode) return 'failure without a reasonCode';
    if (typeof f.message !== 'string' || !f.message.trim()) return 'failure without a message';
    if (typeof f.externalId !== 'string') return 'failure externalId is not a text';
    return null;
  }

  it('Libris: hundreds of malformed records each map or fail alone with a reason, never throw', () => {
    const rng = new Rng(0x11b215);
    const valid = (): Record<string, unknown> => ({
      request_id: '12345',
      lf_number: `Hig-2601${String(rng.int(100)).padStart(2, '0')}-${String(rng.int(10_000)).padStart(4, '0')}`,
      request_type: 'Lån',
      status: rng.pick(['Uteliggande', 'Levererad', 'Negativt svar', 'Reservation']),
      media_type: rng.pick(['Lån', 'Kopia']),
      media_type_code: rng.pick(['1', '2']),
      requesting_library: 'Hig',
      active_library: 'U',
      receiving_library: { library_code: 'Hig', name: 'Högskolan i Gävle', bibsam: true },
      recipients: [{ library_code: 'U', is_active_library: true, response: '' }, { library_code: 'S' }],
      user: 'Anna Andersson',
      user_id: '42',
      title: 'Röda rummet',
      author: 'Strindberg, August',
      isbn_issn: rng.pick(['9789100000000', '1234-567X']),
      year: '1879',
      pages: '320',
      message: 'Tack!',
    });
    const FIELDS = Object.keys(valid());
    const records: Array<{ raw: unknown; mustFail: boolean; what: string }> = [];
    const topLevelJunk = [null, undefined, 42, 'lf_number', true, [], [valid()], () => 1, new Date(0), Object.create(null), JSON.parse('{"__proto__": {"lf_number": "X"}}')];
    for (const raw of topLevelJunk) records.push({ raw, mustFail: true, what: `top level ${Object.prototype.toString.call(raw)}` });
    const TEXT_FIELDS = ['status', 'media_type', 'requesting_library', 'active_library', 'user', 'title', 'author', 'isbn_issn', 'message'];
    const NUMERIC_FIELDS = ['request_id', 'media_type_code', 'user_id', 'year', 'pages'];
    for (let i = 0; i < 340; i++) {
      const raw = valid();
      const what: string[] = [];
      /** Fields holding a value of a type the mapper must refuse. */
      const broken = new Set<string>();
      for (let k = 1 + rng.int(4); k > 0; k--) {
        const choice = rng.int(8);
        if (choice === 0) {
          const bad = rng.pick([undefined, null, '', '   ', 42.5, true, [], {}, ['Hig-1'], { id: 1 }]);
          raw.lf_number = bad;
          what.push(`lf_number ${JSON.stringify(bad)}`);
        } else if (choice === 1) {
          const field = rng.pick([...TEXT_FIELDS, ...NUMERIC_FIELDS]);
          const value = rng.pick(JUNK_NON_STRINGS);
          raw[field] = value;
          if (NUMERIC_FIELDS.includes(field) && typeof value === 'number') broken.delete(field); // a number is fine there
          else broken.add(field);
          what.push(`${field} ${JSON.stringify(value)?.slice(0, 40)}`);
        } else if (choice === 2) {
          const field = rng.pick(FIELDS);
          raw[field] = rng.pick(JUNK_STRINGS);
          broken.delete(field);
          what.push(`${field} junk text`);
        } else if (choice === 3) {
          const index = rng.int(6);
          raw.recipients = [[null], [1, 'U'], [{ library_code: 5 }], [[]], Array.from({ length: 2000 }, (_, j) => ({ library_code: `L${j}` })), [deep(200)]][index];
          if (index < 4) broken.add('recipients');
          else broken.delete('recipients');
          what.push('junk recipients');
        } else if (choice === 4) {
          raw.receiving_library = rng.pick([{ library_code: [] }, { library_code: { nested: deep(100) } }, { library_code: 1e308 }, 'Hig', [{ library_code: 'Hig' }]]);
          what.push('junk receiving_library'); // refused only when read (no requesting_library)
        } else if (choice === 5) {
          raw[rng.pick(['unknown', '__proto__', 'constructor', 'toString', ''])] = rng.pick(JUNK_ANY);
          what.push('unknown field');
        } else if (choice === 6) {
          const field = rng.pick(FIELDS);
          delete raw[field];
          broken.delete(field);
          what.push(`${field} left out`);
        } else {
          raw.status = rng.pick(['constructor', '__proto__', 'hasOwnProperty', 'Levererad', 'levererad', HUGE]);
          raw.media_type = rng.pick(['constructor', '__proto__', 'toString', 'Lån', '']);
          broken.delete('status');
          broken.delete('media_type');
          what.push('status/media junk');
        }
      }
      const lfMissing = !(typeof raw.lf_number === 'string' && raw.lf_number.trim());
      const mustFail = lfMissing || broken.size > 0;
      records.push({ raw: rng.chance(0.1) ? JSON.parse(JSON.stringify(raw) ?? 'null') : raw, mustFail, what: what.join(', ') });
    }
    const breaches: string[] = [];
    let ok = 0;
    let failed = 0;
    for (const { raw, mustFail, what } of records) {
      let result: MappingResult;
      try {
        result = mapLibrisRecord(raw);
      } catch (error: any) {
        breaches.push(`[${what}] threw ${error?.message}`);
        continue;
      }
      const breach = mappingBreach(result);
      if (breach) breaches.push(`[${what}] ${breach}`);
      if (mustFail && result.ok) breaches.push(`[${what}] mapped though malformed`);
      if (!result.ok && result.failure.reasonCode !== 'MALFORMED_RECORD') breaches.push(`[${what}] reason ${result.failure.reasonCode}`);
      if (result.ok) {
        ok++;
        expect(() => JSON.stringify(result.request)).not.toThrow();
      } else failed++;
    }
    console.log(`Libris mapper: ${records.length} malformed records, ${ok} mapped (with warnings where odd), ${failed} failed alone`);
    expect(breaches).toEqual([]);
    expect(records.length).toBeGreaterThanOrEqual(300);
    expect(failed).toBeGreaterThan(100);
  });

  it('NACSIS: hundreds of malformed decoded records each map or fail alone with a reason, never throw', () => {
    const rng = new Rng(0x4ac515);
    const DATABASES = Object.keys(NACSIS_DATABASES) as NacsisDatabase[];
    const field = (tag: string, value: string) => ({ tag, value });
    const valid = (): Array<{ tag: string; value: string } | { group: string; fields: Array<{ tag: string; value: string }> }> => [
      field('ID', `2601${String(rng.int(1e8)).padStart(8, '0')}`),
      field('STAT', rng.pick(['未処理', '処理中', '発送', '受付'])),
      field('OMLID', 'FA200002'),
      field('OMLNM', '相手大学図書館'),
      field('AMLID', 'FA100001'),
      field('SRVCE', 'C'),
      { group: 'BIBG', fields: [field('BIBID', 'BN00762300'), field('BIBNT', '借地法 / 鈴木禄弥著. -- 改訂版. -- 東京 : 青林書院新社, 1980.'), field('STDNO', 'ISBN=4417004684')] },
      field('VLNO', '12(3)'),
      field('YEAR', '1980'),
      { group: 'HMLG', fields: [field('HMLID', 'FA100001')] },
      { group: 'SENDG', fields: [field('SENDCMND', 'ORDER'), field('SENDMLID', 'FA200002'), field('SENDCMNT', 'よろしく')] },
    ];
    const REQUIRED = ['ID', 'STAT', 'OMLID', 'AMLID'];
    /** What the mapper must refuse: ID, STAT, OMLID (and, lending, AMLID) each with exactly one non-blank value; AMLID never with two. */
    const mustFailNacsis = (record: CatpRecord, database: NacsisDatabase) => {
      const distinct = (tag: string) => new Set(record.filter((e): e is { tag: string; value: string } => 'tag' in e && e.tag === tag).map((e) => e.value.trim()).filter(Boolean)).size;
      const lending = NACSIS_DATABASES[database].direction === 'LENDING';
      return ['ID', 'STAT', 'OMLID'].some((tag) => distinct(tag) !== 1) || (lending ? distinct('AMLID') !== 1 : distinct('AMLID') > 1);
    };
    const cases: Array<{ record: CatpRecord; database: NacsisDatabase; mustFail: boolean; what: string }> = [];
    for (let i = 0; i < 320; i++) {
      let record = valid();
      const database = rng.pick(DATABASES);
      const what: string[] = [];
      for (let k = 1 + rng.int(4); k > 0; k--) {
        const choice = rng.int(8);
        if (choice === 0) {
          const tag = rng.pick(REQUIRED);
          record = record.filter((e) => !('tag' in e) || e.tag !== tag);
          what.push(`no ${tag}`);
        } else if (choice === 1) {
          const tag = rng.pick(REQUIRED);
          record.push(field(tag, `OTHER-${rng.int(100)}`));
          what.push(`second ${tag}`);
        } else if (choice === 2) {
          const tag = rng.pick(REQUIRED);
          const blank = rng.pick(['', '   ', '\t']);
          record = record.map((e) => ('tag' in e && e.tag === tag ? field(tag, blank) : e));
          what.push(`blank ${tag}`);
        } else if (choice === 3) {
          const tag = rng.pick(['STAT', 'SRVCE', 'YEAR', 'VLNO', 'PAGE', 'ARTCL', 'ONO', 'CLNT', 'CLNTP', 'OMLNM']);
          record = record.filter((e) => !('tag' in e) || e.tag !== tag);
          record.push(field(tag, rng.pick(JUNK_STRINGS.filter((s) => !/[\r\n]/.test(s))) || 'x'));
          what.push(`junk ${tag}`);
        } else if (choice === 4) {
          const group = rng.pick(['HMLG', 'BIBG', 'SENDG', 'CHG', 'ID']);
          record.push({ group, fields: rng.pick([[], [field('X', '')], [field('HMLID', '')], [field('BIBNT', ' / . -- , 9999')], [field('SENDCMND', 'EXPLODE'), field('SENDMLID', '')], [field('STDNO', 'ISBN=')], [field('BIBNT', `${HUGE} / ${HUGE}. -- ${HUGE} : ${HUGE}, 2026`)]]) });
          what.push(`junk group ${group}`);
        } else if (choice === 5) {
          for (let j = 0; j < 500; j++) record.push({ group: 'HMLG', fields: [field('HMLID', `FA${j}`)] });
          what.push('500 candidates');
        } else if (choice === 6) {
          record.push(field(rng.pick(['ID_', 'X', '_DBNAME_', 'constructor', '__proto__']), rng.pick(JUNK_STRINGS.filter((s) => !/[\r\n]/.test(s)))));
          what.push('unknown tag');
        } else {
          record.push({ group: rng.pick(['STAT', 'AMLID']), fields: [field('ID', 'inside')] });
          what.push('group named like a field');
        }
      }
      cases.push({ record, database, mustFail: mustFailNacsis(record, database), what: what.join(', ') });
    }
    // Records as the decoder reads them from junk CATP bodies (the decoder may refuse a body: that is its contract).
    const BODIES = [
      'ID=1\nSTAT=未処理',
      'ID=\nSTAT=\nOMLID=',
      '--NACSIS-CATP\nID=1\n--NACSIS-CATP\nSTAT=x\n--NACSIS-CATP--',
      '<HMLG>\nHMLID=\n</HMLG>',
      'ID=1\nID=2\nSTAT=未処理\nOMLID=FA1\nAMLID=FA2',
      '=novalue',
      'ID=1\n<BIBG>\nBIBNT=\n</BIBG>\nSTAT=発送\nOMLID=FA1',
      '--NACSIS-CATP\n\n--NACSIS-CATP--',
      `ID=${HUGE}\nSTAT=${HUGE}\nOMLID=${HUGE}\nAMLID=${HUGE}`,
      'ID=１２３\nSTAT=謎\nOMLID=ＦＡ\nAMLID=\u0000',
      '<BIBG>\n</BIBG>\n<HMLG>\n</HMLG>',
      'ID=1\r\nSTAT=未処理\r\nOMLID=FA1\r\n',
    ];
    let decodedRefused = 0;
    for (let i = 0; i < 40; i++) {
      const body = rng.pick(BODIES);
      let decoded: CatpRecord[] = [];
      try {
        decoded = decodeRecords(body);
      } catch {
        decodedRefused++;
      }
      for (const record of decoded) {
        const database = rng.pick(DATABASES);
        cases.push({ record, database, mustFail: mustFailNacsis(record, database), what: `decoded ${JSON.stringify(body.slice(0, 40))}` });
      }
    }
    const breaches: string[] = [];
    let ok = 0;
    let failed = 0;
    for (const { record, database, mustFail, what } of cases) {
      let result: MappingResult;
      try {
        result = mapNacsisRecord(record, database);
        nacsisRecordState(record, database);
      } catch (error: any) {
        breaches.push(`[${what}] threw ${error?.message}`);
        continue;
      }
      const breach = mappingBreach(result);
      if (breach) breaches.push(`[${what}] ${breach}`);
      if (mustFail === result.ok) breaches.push(`[${what}] ${result.ok ? 'mapped though malformed' : 'failed though well-formed'}`);
      if (result.ok) ok++;
      else failed++;
    }
    console.log(`NACSIS mapper: ${cases.length} malformed records (${decodedRefused} junk bodies refused by the decoder), ${ok} mapped, ${failed} failed alone`);
    expect(breaches).toEqual([]);
    expect(cases.length).toBeGreaterThanOrEqual(300);
    expect(failed).toBeGreaterThan(100);
  });

  it('Netpunkt: hundreds of malformed receipts are each incomplete_request, or a SOAP fault when unreadable, with the problems listed, never a throw', () => {
    const rng = new Rng(0x2e7b0);
    const receipts = netpunktXml(rng, 330, OUR_ISIL, NETPUNKT_PASSWORD);
    const breaches: string[] = [];
    for (const { xml, what, fault } of receipts) {
      let result: ReturnType<typeof parseReceipt>;
      try {
        result = parseReceipt(xml);
      } catch (error: any) {
        breaches.push(`[${what}] threw ${error?.message}`);
        continue;
      }
      if (result.ok) {
        breaches.push(`[${what}] read as a complete receipt`);
        expect(() => mapReceipt(result.ok ? result.receipt : (undefined as never))).not.toThrow();
        continue;
      }
      const expected = fault ? 'soap_fault' : 'incomplete_request';
      if (result.status !== expected) breaches.push(`[${what}] status ${result.status}, not ${expected}`);
      if (!result.problems.length || !result.problems.every((p) => typeof p === 'string' && p.trim())) breaches.push(`[${what}] no problems listed`);
    }
    console.log(`Netpunkt parser: ${receipts.length} malformed receipts, every one incomplete_request or (unreadable) a SOAP fault`);
    expect(breaches).toEqual([]);
    expect(receipts.length).toBeGreaterThanOrEqual(300);
  });
});
