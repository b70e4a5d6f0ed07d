import { RunningSimulator, startSimulator } from '../simulator';

/** Seeding a record through the control route: the caller's fields replace the generated ones. */
describe('NACSIS simulator seeding', () => {
  let sim: RunningSimulator;
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${sim.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as any };
  };

  beforeAll(async () => {
    sim = await startSimulator({ logLevels: false });
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('keeps one ONO and one BIBG: the ones the caller gave', async () => {
    await post('/_sim/nacsis/participants', { participantId: 'FA012345', name: 'デモ大学', userId: 'u', password: 'p' });
    await post('/_sim/nacsis/participants', { participantId: 'FA000001', name: '東京大学附属図書館' });
    const created = await post('/_sim/nacsis/records', {
      as: 'FA012345',
      candidates: ['FA000001'],
      fields: { ONO: 'OUR-0001' },
      groups: { BIBG: [{ BIBNT: '吾輩は猫である / 夏目漱石著. -- 東京 : 岩波書店, 1990' }] },
    });
    expect(created).toMatchObject({ status: 201 });
    expect(created.body.fields.ONO).toBe('OUR-0001'); // one value, not the generated one as well
    expect(created.body.groups.BIBG).toHaveLength(1);
    expect(JSON.stringify(created.body.groups.BIBG)).toContain('吾輩は猫である');
  });
});
