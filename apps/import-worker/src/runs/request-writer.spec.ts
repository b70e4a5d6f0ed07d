import { mapLibrisRecord } from '@illbridge/connectors/libris';
import type { MappingResult } from '@illbridge/connectors/types';
import { contentHash } from './content-hash';
import { resolveBatch } from './request-writer';
import type { LibraryResolver, PartnerResolver } from './resolvers';
import type { RunContext } from './run-context';

/** The writer's first step, without a database: what a batch of mapped records becomes before it is written. */
describe('resolveBatch', () => {
  const ctx = {
    profile: { code: 'LIBRIS_T' },
    libraries: { resolve: (code: string | null | undefined) => (code === 'Hig' ? 'MAIN' : null) } as unknown as LibraryResolver,
    partners: { resolve: (code: string) => ({ gk: 'Gk', u: 'U' })[code.toLowerCase()] ?? null } as unknown as PartnerResolver,
  } as unknown as RunContext;
  const record = (n: number, extra: Record<string, unknown> = {}) =>
    mapLibrisRecord({
      request_id: String(5_000_000 + n),
      lf_number: `Hig-20261101-${String(n).padStart(4, '0')}`,
      requesting_library: 'Hig',
      status: 'Uteliggande',
      media_type: 'Lån',
      title: `Titel ${n}`,
      active_library: 'gk',
      recipients: [{ library_code: 'gk', is_active_library: true }, { library_code: 'Zz' }],
      ...extra,
    });

  it('resolves the pickup library and partners (as we spell them) and hashes what will be stored', () => {
    const batch = resolveBatch(ctx, [record(1)]);
    const [resolved] = batch.records.values();
    expect(resolved.pickupLibraryCode).toBe('MAIN');
    expect(resolved.partners).toEqual(['Gk', 'Zz']);
    expect(resolved.partnerCode).toBe('Gk');
    expect(resolved.warnings).toEqual(['Unknown partner code "Zz"']);
    expect(resolved.hash).toBe(contentHash({ request: resolved.request, pickup: 'MAIN', partners: ['Gk', 'Zz'], partnerCode: 'Gk' }));
    expect(batch.failed.size).toBe(0);
  });

  it('fails a record whose library is not mapped, and a record the mapper refused, each with its reason', () => {
    const refused: MappingResult = { ok: false, failure: { externalId: '', direction: 'BORROWING', reasonCode: 'MISSING_FIELD', message: 'no id' } };
    const batch = resolveBatch(ctx, [record(2, { requesting_library: 'Xx' }), refused]);
    expect(batch.records.size).toBe(0);
    expect([...batch.failed.values()]).toEqual([
      expect.objectContaining({ external_id: 'Hig-20261101-0002', reason_code: 'LIBRARY_NOT_MAPPED', message: expect.stringContaining('"Xx" is not mapped in profile LIBRIS_T') }),
      { external_id: '(no id)', direction: 'BORROWING', reason_code: 'MISSING_FIELD', message: 'no id', warnings: [] },
    ]);
    expect(batch.externalIds).toEqual(['Hig-20261101-0002', '(no id)']);
  });

  it('keeps the last copy of a record read twice, and a record that failed and then imported counts as imported', () => {
    const batch = resolveBatch(ctx, [record(3, { requesting_library: 'Xx' }), record(3), record(3, { title: 'Later' })]);
    expect(batch.failed.size).toBe(0);
    expect([...batch.records.values()].map((r) => r.request.title)).toEqual(['Later']);
    expect(batch.externalIds).toEqual(['Hig-20261101-0003']);
  });
});
