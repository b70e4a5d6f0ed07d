import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, Outlet } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../lib/api';
import { LANGUAGES } from '../i18n';
import { SignIn } from '../pages/SignIn';
import { useSession } from '../session';
import { Loading } from './ui';

/** Header (product, who is signed in, language, sign out), the navigation (configuration only for admins) and the page. */
export function Layout() {
  const { t, i18n } = useTranslation();
  const { key, me, loading, signOut, can } = useSession();
  if (!key || (!loading && !me)) return <SignIn />;
  return (
    <div className="app">
      <a href="#main" className="skip-link">
        {t('app.skip')}
      </a>
      <header className="topbar">
        <div className="brand">
          <span className="brand-name">{t('app.title')}</span>
          <span className="brand-sub">{t('app.subtitle')}</span>
        </div>
        <div className="topbar-tools">
          {me ? <span className="who">{t('app.signedInAs', { name: me.name, role: t(`roles.${me.role}`) })}</span> : null}
          <label className="lang">
            <span>{t('app.language')}</span>
            <select value={i18n.language} onChange={(e) => void i18n.changeLanguage(e.target.value)}>
              {LANGUAGES.map((l) => (
                <option key={l} value={l}>
                  {l === 'en' ? 'English' : '日本語'}
                </option>
              ))}
            </select>
          </label>
          <button type="button" className="secondary" onClick={signOut}>
            {t('app.signOut')}
          </button>
        </div>
      </header>
      <nav className="mainnav" aria-label="Main">
        <ul>
          <li>
            <Link to="/requests/$direction" params={{ direction: 'borrowing' }} activeProps={{ className: 'active', 'aria-current': 'page' }}>
              {t('nav.borrowing')}
            </Link>
          </li>
          <li>
            <Link to="/requests/$direction" params={{ direction: 'lending' }} activeProps={{ className: 'active', 'aria-current': 'page' }}>
              {t('nav.lending')}
            </Link>
          </li>
          <li>
            <Link to="/jobs" activeProps={{ className: 'active', 'aria-current': 'page' }}>
              {t('nav.jobs')}
            </Link>
          </li>
          <li>
            <Link to="/statistics" activeProps={{ className: 'active', 'aria-current': 'page' }}>
              {t('desk.statistics')}
            </Link>
          </li>
          <SavedFilters />
          {can('admin') ? (
            <>
              <li className="nav-group" aria-hidden="true">
                {t('nav.configuration')}
              </li>
              {(
                [
                  ['/profiles', 'nav.profiles'],
                  ['/partners', 'nav.partners'],
                  ['/libraries', 'nav.libraries'],
                  ['/api-keys', 'nav.apiKeys'],
                ] as const
              ).map(([to, label]) => (
                <li key={to}>
                  <Link to={to} activeProps={{ className: 'active', 'aria-current': 'page' }}>
                    {t(label)}
                  </Link>
                </li>
              ))}
            </>
          ) : null}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        {loading ? <Loading /> : <Outlet />}
      </main>
    </div>
  );
}

export function NotFound() {
  const { t } = useTranslation();
  return <p className="alert alert-error">{t('common.notFound')}</p>;
}

interface SavedFilter {
  id: string;
  name: string;
  direction: 'BORROWING' | 'LENDING';
  visibility: 'PRIVATE' | 'SHARED';
  filter: Record<string, string>;
  mine: boolean;
}

/** The key's saved filters and the shared ones, each a link to its list with the filter in the URL. */
function SavedFilters() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const filters = useQuery({ queryKey: ['saved-filters'], queryFn: () => api<{ items: SavedFilter[] }>('reporting', '/api/saved-filters') });
  const remove = useMutation({
    mutationFn: (id: string) => api('reporting', `/api/saved-filters/${id}`, { method: 'DELETE' }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['saved-filters'] }),
  });
  const items = filters.data?.items ?? [];
  if (!items.length) return null;
  return (
    <>
      <li className="nav-group" aria-hidden="true">
        {t('desk.savedFilters')}
      </li>
      {items.map((f) => (
        <li key={f.id} className="saved-filter">
          <Link to="/requests/$direction" params={{ direction: f.direction === 'LENDING' ? 'lending' : 'borrowing' }} search={f.filter as any}>
            {f.name}
            {f.visibility === 'SHARED' ? ' ⇄' : ''}
          </Link>
          {f.mine ? (
            <button type="button" className="link" aria-label={t('desk.deleteFilter', { name: f.name })} onClick={() => remove.mutate(f.id)}>
              ×
            </button>
          ) : null}
        </li>
      ))}
    </>
  );
}
