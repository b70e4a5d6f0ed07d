import { createHash } from 'crypto';
import { mapLibrisRecord } from '@illbridge/connectors/libris';
import type { IncomingRequest } from '@illbridge/connectors/types';
import { canonicalJson, CONTENT_HASH_VERSION, contentHash, HashedContent, hashVersionOf, legacyContentHash, stableHash } from './content-hash';

/** The hash as earlier versions computed it (stored in rs_request.content_hash): must not change. */
function previousHash(value: unknown): string {
  const canonical = (v: any): any =>
    Array.isArray(v) ? v.map(canonical) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])])) : v;
  return createHash('sha1').update(JSON.stringify(canonical(value))).digest('hex');
}

describe('stableHash (the version 1 content hash)', () => {
  const samples: unknown[] = [
    { request: { b: 1, a: 'x', c: undefined, d: null, e: [1, undefined, { z: 1, y: [] }], f: true }, pickup: 'MAIN', partners: ['Gk'], partnerCode: null },
    { '10': 'ten', '2': 'two', b: 'b', a: 'a', '01': 'zero-one', '-1': 'minus', '4294967295': 'big', '4294967294': 'max' },
    { s: 'åäö "quoted" \\ \n \u2028 \ud83d\ude00', n: -0, m: 1e21, k: 0.1, nan: NaN, inf: Infinity, fn: () => 1, date: new Date(0) },
    [],
    {},
    'text',
    42,
    null,
    [{ nested: { deeper: { deepest: [1, 2, { b: 2, a: 1 }] } } }],
  ];

  it.each(samples.map((s, i) => [i, s]))('gives the same hash as before (sample %i)', (_, sample) => {
    expect(typeof canonicalJson(sample)).toBe('string');
    expect(stableHash(sample)).toBe(previousHash(sample));
  });

  it('ignores the order of keys', () => {
    expect(stableHash({ a: 1, b: { c: 2, d: 3 } })).toBe(stableHash({ b: { d: 3, c: 2 }, a: 1 }));
  });
});

describe('contentHash (version 2)', () => {
  const raw = () => ({
    request_id: '5000001',
    lf_number: 'Hig-20261101-0001',
    requesting_library: 'Hig',
    status: 'Uteliggande',
    media_type: 'Lån',
    title: 'Nils Holgerssons underbara resa genom Sverige',
    author: 'Lagerlöf, Selma',
    isbn_issn: '9789100000000',
    recipients: [{ library_code: 'Gk', is_active_library: true }, { library_code: 'U' }],
    end_user: { first_name: 'Åsa', last_name: 'Öberg' },
  });
  const content = (record: Record<string, unknown> = raw(), extra: Partial<HashedContent> = {}): HashedContent => {
    const mapped = mapLibrisRecord(record);
    if (!mapped.ok) throw new Error(mapped.failure.message);
    return { request: mapped.request, pickup: 'MAIN', partners: ['Gk', 'U'], partnerCode: 'Gk', ...extra };
  };

  it('is prefixed with its version and fits content_hash (char(40))', () => {
    const hash = contentHash(content());
    expect(hash).toMatch(new RegExp(`^${CONTENT_HASH_VERSION}:[0-9a-f]{37}$`));
    expect(hash).toHaveLength(40);
    expect(hashVersionOf(hash)).toBe(CONTENT_HASH_VERSION);
  });

  it('is the same for the same record read again (parsed from the same JSON)', () => {
    const text = JSON.stringify(raw());
    expect(contentHash(content(JSON.parse(text)))).toBe(contentHash(content(JSON.parse(text))));
  });

  it('changes with any change to the raw record, even one the mapping does not read', () => {
    const base = contentHash(content());
    const changes: [string, (r: any) => void][] = [
      ['status', (r) => (r.status = 'Levererad')],
      ['title', (r) => (r.title += '.')],
      ['an unmapped field', (r) => (r.end_user.first_name = 'Asa')],
      ['a lender', (r) => r.recipients.push({ library_code: 'L' })],
      ['a new field', (r) => (r.due_date = '2026-12-01')],
    ];
    for (const [what, change] of changes) {
      const record = raw();
      change(record);
      expect([what, contentHash(content(record))]).not.toEqual([what, base]);
    }
  });

  it('tells a character past U+00FF from the Latin-1 characters of its UTF-8 bytes', () => {
    const dash = contentHash(content({ ...raw(), title: 'a — b' }));
    const mojibake = contentHash(content({ ...raw(), title: `a ${Buffer.from('—').toString('latin1')} b` }));
    const japanese = contentHash(content({ ...raw(), title: '日本語の本' }));
    expect(new Set([dash, mojibake, japanese, contentHash(content())]).size).toBe(4);
    expect(japanese).toBe(contentHash(content({ ...raw(), title: '日本語の本' })));
  });

  it('changes with what the run resolved (pickup library, partners, active partner)', () => {
    const base = contentHash(content());
    expect(contentHash(content(raw(), { pickup: 'BRANCH' }))).not.toBe(base);
    expect(contentHash(content(raw(), { partners: ['GK', 'U'] }))).not.toBe(base);
    expect(contentHash(content(raw(), { partnerCode: null }))).not.toBe(base);
  });

  it('changes when the mapping makes something else of the same raw record', () => {
    const c = content();
    const remapped: IncomingRequest = { ...c.request, mappedStatus: 'SHIPPED_PHYSICALLY' };
    expect(contentHash({ ...c, request: remapped })).not.toBe(contentHash(c));
  });

  it('never equals the version 1 hash, which has no prefix', () => {
    const c = content();
    expect(legacyContentHash(c)).toMatch(/^[0-9a-f]{40}$/);
    expect(legacyContentHash(c)).toBe(previousHash({ request: c.request, pickup: c.pickup, partners: c.partners, partnerCode: c.partnerCode }));
    expect(hashVersionOf(legacyContentHash(c))).toBe('v1');
    expect(contentHash(c)).not.toBe(legacyContentHash(c));
  });
});
