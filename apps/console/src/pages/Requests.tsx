import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { getRouteApi, Link } from '@tanstack/react-router';
import { ColumnDef, SortingState } from '@tanstack/react-table';
import { FormEvent, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Badge, DataTable, DateTime, ErrorBox, Loading, PageHeader, Pager, stateKind } from '../components/ui';
import { api, queryString } from '../lib/api';
import { useSession } from '../session';
import type { RequestSearch } from '../router';

const route = getRouteApi('/requests/$direction');
export const PAGE_SIZE = 25;

interface FacetValue {
  value: string | null;
  count: number;
}
export interface RequestRow {
  id: string;
  externalId: string;
  system: string;
  direction: string;
  status: string;
  externalSystemStatus: string | null;
  partnerCode: string | null;
  title: string | null;
  author: string | null;
  requesterName: string | null;
  syncState: string;
  updatedAt: string;
  [field: string]: any;
}
interface RequestList {
  items: RequestRow[];
  total: number;
  limit: number;
  offset: number;
  facets: Record<'status' | 'externalSystemStatus' | 'partnerCode' | 'syncState', FacetValue[]>;
}

type FacetName = 'status' | 'externalSystemStatus' | 'partnerCode' | 'syncState';
const FACETS: { name: FacetName; label: string }[] = [
  { name: 'externalSystemStatus', label: 'requests.facetExternal' },
  { name: 'status', label: 'requests.facetStatus' },
  { name: 'partnerCode', label: 'requests.facetPartner' },
  { name: 'syncState', label: 'requests.facetSync' },
];
/** Table columns the API can sort by (column id = the API's `sort` value). */
const SORTABLE = new Set(['externalId', 'title', 'author', 'status', 'externalSystemStatus', 'partnerCode', 'syncState', 'updatedAt']);

/** "Borrowing requests" / "Lending requests": table with paging and sorting, search, facets with counts. Every filter is in the URL. */
export function RequestsPage() {
  const { t } = useTranslation();
  const { direction } = route.useParams();
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const lending = direction === 'lending';
  const { can } = useSession();
  const [q, setQ] = useState(search.q ?? '');
  useEffect(() => setQ(search.q ?? ''), [search.q]);

  const offset = search.offset ?? 0;
  const list = useQuery({
    queryKey: ['requests', direction, search],
    queryFn: () =>
      api<RequestList>(
        'reporting',
        `/api/${lending ? 'lending' : 'borrowing'}-requests${queryString({ ...search, offset, limit: PAGE_SIZE })}`,
      ),
    placeholderData: keepPreviousData,
  });

  const go = (change: Partial<RequestSearch>) => navigate({ to: '.', search: (prev: RequestSearch) => ({ ...prev, offset: undefined, ...change }) });
  const label = (name: FacetName, value: string | null) =>
    value === null ? t('requests.noValue') : name === 'status' ? t(`status.${value}`, { defaultValue: value }) : name === 'syncState' ? t(`sync.${value}`, { defaultValue: value }) : value;

  const allColumns: ColumnDef<RequestRow, any>[] = [
    {
      id: 'externalId',
      accessorKey: 'externalId',
      header: t('field.externalId'),
      cell: ({ row }) => (
        <Link to="/request/$id" params={{ id: row.original.id }}>
          {row.original.externalId}
        </Link>
      ),
    },
    {
      id: 'title',
      accessorKey: 'title',
      header: `${t('field.title')} / ${t('field.author')}`,
      cell: ({ row }) => (
        <span className="title-cell">
          {row.original.title ?? '—'}
          {row.original.author ? <span className="author">{row.original.author}</span> : null}
        </span>
      ),
    },
    { id: 'status', accessorKey: 'status', header: t('field.status'), cell: ({ getValue }) => t(`status.${getValue()}`, { defaultValue: getValue() }) },
    { id: 'externalSystemStatus', accessorKey: 'externalSystemStatus', header: t('field.externalSystemStatus'), cell: ({ getValue }) => getValue() ?? '—' },
    { id: 'partnerCode', accessorKey: 'partnerCode', header: t('field.partnerCode'), cell: ({ getValue }) => getValue() ?? '—' },
    { id: 'syncState', accessorKey: 'syncState', header: t('field.syncState'), cell: ({ getValue }) => <Badge value={t(`sync.${getValue()}`)} kind={stateKind(getValue())} /> },
    { id: 'updatedAt', accessorKey: 'updatedAt', header: t('field.updatedAt'), cell: ({ getValue }) => <DateTime value={getValue()} /> },
  ];
  const columns = allColumns.map((c) => ({ ...c, enableSorting: SORTABLE.has(c.id!) }));
  const sorting: SortingState = [{ id: search.sort ?? 'updatedAt', desc: (search.order ?? 'desc') === 'desc' }];

  const submit = (event: FormEvent) => {
    event.preventDefault();
    go({ q: q.trim() || undefined });
  };
  const active = FACETS.filter((f) => search[f.name]);
  const title = t(lending ? 'requests.lendingTitle' : 'requests.borrowingTitle');

  return (
    <>
      <PageHeader title={title}>
        {list.data ? (
          <span className="count" data-testid="request-count">
            {t('requests.count', { count: list.data.total })}
          </span>
        ) : null}
        {!lending && can('operator') ? (
          <Link to="/borrowing/new" className="button">
            {t('newRequest.title')}
          </Link>
        ) : null}
      </PageHeader>
      <form className="searchbar" role="search" onSubmit={submit}>
        <label htmlFor="request-q" className="sr-only">
          {t('requests.search')}
        </label>
        <input id="request-q" type="search" value={q} placeholder={t('requests.search')} onChange={(e) => setQ(e.target.value)} />
        <button type="submit">{t('common.search')}</button>
        {active.length || search.q ? (
          <button type="button" className="secondary" onClick={() => navigate({ to: '.', search: {} })}>
            {t('common.clear')}
          </button>
        ) : null}
      </form>
      {active.length ? (
        <ul className="chips" aria-label={t('requests.filteredBy')}>
          {active.map((f) => (
            <li key={f.name}>
              <button type="button" className="chip" aria-label={t('requests.removeFilter', { name: t(f.label), value: label(f.name, search[f.name] ?? null) })} onClick={() => go({ [f.name]: undefined })}>
                {t(f.label)}: {label(f.name, search[f.name] ?? null)} <span aria-hidden="true">×</span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <div className="with-facets">
        <aside className="facets" aria-label={t('requests.facets')}>
          {FACETS.map((facet) => (
            <section key={facet.name} className="facet" aria-labelledby={`facet-${facet.name}`}>
              <h2 id={`facet-${facet.name}`}>{t(facet.label)}</h2>
              <ul>
                {(list.data?.facets[facet.name] ?? []).map((f) => {
                  const selected = search[facet.name] === f.value;
                  return (
                    <li key={String(f.value)}>
                      <button
                        type="button"
                        className="facet-value"
                        aria-pressed={selected}
                        disabled={f.value === null}
                        onClick={() => go({ [facet.name]: selected ? undefined : (f.value ?? undefined) })}
                      >
                        <span className="facet-label">{label(facet.name, f.value)}</span>
                        <span className="facet-count">{f.count}</span>
                      </button>
                    </li>
                  );
                })}
              </ul>
            </section>
          ))}
        </aside>
        <section className="results" aria-label={title}>
          <ErrorBox error={list.error} />
          {list.isPending ? (
            <Loading />
          ) : (
            <>
              <DataTable
                caption={title}
                columns={columns}
                data={list.data?.items ?? []}
                sorting={sorting}
                onSortingChange={(updater) => {
                  const next = typeof updater === 'function' ? updater(sorting) : updater;
                  const first = next[0];
                  if (first) go({ sort: first.id === 'updatedAt' ? undefined : first.id, order: first.desc ? undefined : 'asc' });
                }}
                rowClassName={(r) => (r.syncState === 'PUSH_FAILED' ? 'row-bad' : undefined)}
              />
              <Pager offset={offset} limit={PAGE_SIZE} total={list.data?.total ?? 0} onOffset={(o) => navigate({ to: '.', search: (prev: RequestSearch) => ({ ...prev, offset: o || undefined }) })} />
            </>
          )}
        </section>
      </div>
    </>
  );
}
