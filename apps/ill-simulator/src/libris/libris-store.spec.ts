import { LibrisStore } from './libris-store';

/** The simulator's Libris store: windows by creation day and lookups by LF number or request_id, kept in
 *  indexes (a 100,000-request benchmark reads them thousands of times) that must answer as a scan would. */
describe('LibrisStore', () => {
  let store: LibrisStore;
  beforeEach(() => {
    store = new LibrisStore();
  });
  const ids = (records: unknown[]) => records.map((r: any) => r.lf_number);

  it('answers a window oldest first, bounds inclusive, in the order added within a day', () => {
    store.add('Hig', { title: 'c' }, '2026-11-03');
    store.add('Hig', { title: 'a' }, '2026-11-01');
    store.add('Hig', { title: 'b1' }, '2026-11-02');
    store.add('Hig', { title: 'b2' }, '2026-11-02');
    store.add('Hig', { title: 'd' }, '2026-11-04');
    expect(ids(store.outgoing('Hig', '2026-11-02', '2026-11-03'))).toEqual(['Hig-261102-0001', 'Hig-261102-0002', 'Hig-261103-0001']);
    expect(store.outgoing('Hig', '2026-11-02', '2026-11-03').map((r: any) => r.title)).toEqual(['b1', 'b2', 'c']);
    expect(ids(store.outgoing('Hig', '2026-11-05', '2026-11-30'))).toEqual([]);
    expect(ids(store.outgoing('Umu', '2026-11-01', '2026-11-30'))).toEqual([]);
    // A request added later shows in the next window asked for.
    store.add('Hig', { title: 'b3' }, '2026-11-02');
    expect(store.outgoing('Hig', '2026-11-01', '2026-11-02').map((r: any) => r.title)).toEqual(['a', 'b1', 'b2', 'b3']);
  });

  it('finds a request by LF number or request_id, also after either changes, and refuses a second one with the same id', () => {
    const added = store.add('Hig', { title: 'x' }, '2026-11-01');
    const first = added.lf_number;
    expect(store.find('Hig', first)).toBe(store.find('Hig', added.request_id));
    store.update('Hig', first, { lf_number: 'Hig-261101-0099' });
    expect(store.find('Hig', first)).toBeUndefined();
    expect(store.find('Hig', added.request_id)).toBe(added);
    expect((store.find('Hig', 'Hig-261101-0099') as any).title).toBe('x');
    expect(() => store.add('Hig', { lf_number: 'Hig-261101-0099' })).toThrow(/already has request/);
    // A raw record repeating an id: the first one kept is the one found, and the other takes its place when it changes.
    store.addRaw('Hig', { lf_number: 'Hig-261101-0099', title: 'raw twin' }, '2026-11-01');
    expect((store.find('Hig', 'Hig-261101-0099') as any).title).toBe('x');
    store.update('Hig', 'Hig-261101-0099', { lf_number: 'Hig-261101-0100' });
    expect((store.find('Hig', 'Hig-261101-0099') as any).title).toBe('raw twin');
    expect(store.find('Umu', 'Hig-261101-0100')).toBeUndefined();
  });
});
