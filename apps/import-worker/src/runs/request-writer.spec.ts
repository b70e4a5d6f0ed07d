import { createHash } from 'crypto';
import { canonicalJson, stableHash } from './request-writer';

/** The hash as earlier versions computed it (stored in rs_request.content_hash): must not change. */
function previousHash(value: unknown): string {
  const canonical = (v: any): any =>
    Array.isArray(v) ? v.map(canonical) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])])) : v;
  return createHash('sha1').update(JSON.stringify(canonical(value))).digest('hex');
}

describe('stableHash', () => {
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
