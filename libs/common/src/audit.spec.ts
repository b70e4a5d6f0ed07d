import { configChange, maskSecrets } from './audit';

describe('audit changes', () => {
  it('masks passwords, API key secrets, webhook secrets and tokens, but not flags about them', () => {
    expect(maskSecrets({ name: 'x', key: 'ilb_abc', authentication: { password: 'p', apiKey: 'k', passwordSet: true }, webhook: { secret: 's', url: 'https://h' }, token: null })).toEqual({
      name: 'x',
      key: '***',
      authentication: { password: '***', apiKey: '***', passwordSet: true },
      webhook: { secret: '***', url: 'https://h' },
      token: null,
    });
  });

  it('keeps only the changed fields, before → after, and counts a secret set in the body as changed', () => {
    const before = { id: 'p1', name: 'Old', authentication: { enabled: true, passwordSet: true }, partners: ['A'], updatedAt: '2026-01-01' };
    const after = { id: 'p1', name: 'New', authentication: { enabled: true, passwordSet: true }, partners: ['A', 'B'], updatedAt: '2026-02-02' };
    expect(configChange(before, after, { name: 'New', authentication: { password: 'hunter2-secret' } })).toEqual({
      before: { name: 'Old', partners: ['A'], 'authentication.password': '***' },
      after: { name: 'New', partners: ['A', 'B'], 'authentication.password': '***' },
    });
    expect(configChange(before, { ...before })).toEqual({ before: {}, after: {} });
    expect(JSON.stringify(configChange(before, after, { authentication: { password: 'hunter2-secret' } }))).not.toContain('hunter2');
  });
});
