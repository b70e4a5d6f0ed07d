import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { getRouteApi, Link } from '@tanstack/react-router';
import { ColumnDef, SortingState } from '@tanstack/react-table';
import { FormEvent, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Badge, DataTable, DateTime, ErrorBox, Loading, Notice, PageHeader, Pager, stateKind } from '../components/ui';
import { api, download, queryString } from '../lib/api';
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
  facets: Record<FacetName, FacetValue[]>;
}

type FacetName = 'status' | 'externalSystemStatus' | 'partnerCode' | 'syncState' | 'overdue';
const FACETS: { name: FacetName; label: string }[] = [
  { name: 'overdue', label: 'desk.overdue' },
  { name: 'externalSystemStatus', label: 'requests.facetExternal' },
  { name: 'status', label: 'requests.facetStatus' },
  { name: 'partnerCode', label: 'requests.facetPartner' },
  { name: 'syncState', label: 'requests.facetSync' },
];
/** Table columns the API can sort by (column id = the API's `sort` value). */
const SORTABLE = new Set(['externalId', 'title', 'author', 'status', 'externalSystemStatus', 'partnerCode', 'syncState', 'updatedAt', 'dueDate', 'statusSince']);
/** The work-queue filters of the form above the table (the facets are the others). */
const QUEUE_FIELDS = ['olderThanDays', 'dueFrom', 'dueTo', 'createdFrom', 'createdTo'] as const;
type QueueField = (typeof QUEUE_FIELDS)[number];
/** Actions offered for many requests at once (SHIP needs its own form per request). */
const BULK_ACTIONS = ['RECEIVE', 'RETURN', 'ACCEPT', 'COMPLETE', 'CANCEL', 'REJECT', 'CLAIM'];
interface BulkAnswer {
  accepted: number;
  refused: number;
  results: { requestId: string; result: 'ACCEPTED' | 'REFUSED'; error?: { message: string | string[] } }[];
}

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
    value === null ? t('requests.noValue') : name === 'overdue' ? t(value === 'true' ? 'desk.overdueYes' : 'desk.overdueNo') : name === 'status' ? t(`status.${value}`, { defaultValue: value }) : name === 'syncState' ? t(`sync.${value}`, { defaultValue: value }) : value;

  const queryClient = useQueryClient();
  const operator = can('operator');
  const [selected, setSelected] = useState<string[]>([]);
  useEffect(() => setSelected([]), [direction, search]);
  const pageIds = (list.data?.items ?? []).map((r) => r.id);
  const toggle = (id: string) => setSelected((prev) => (prev.includes(id) ? prev.filter((x) => x !== id) : [...prev, id]));
  const allSelected = pageIds.length > 0 && pageIds.every((id) => selected.includes(id));
  const selectColumn: ColumnDef<RequestRow, any> = {
    id: 'select',
    header: () => <input type="checkbox" aria-label={t('desk.selectAll')} checked={allSelected} onChange={() => setSelected(allSelected ? [] : pageIds)} />,
    cell: ({ row }) => (
      <input type="checkbox" aria-label={t('desk.selectRow', { id: row.original.externalId })} checked={selected.includes(row.original.id)} onChange={() => toggle(row.original.id)} />
    ),
  };
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
    {
      id: 'dueDate',
      accessorKey: 'dueDate',
      header: t('desk.dueDate'),
      cell: ({ row }) => (
        <>
          {row.original.dueDate ?? '—'} {row.original.overdue ? <Badge value={t('desk.overdueYes')} kind="bad" /> : null}
        </>
      ),
    },
    { id: 'statusSince', accessorKey: 'statusSince', header: t('desk.statusSince'), cell: ({ getValue }) => <DateTime value={getValue()} /> },
    { id: 'updatedAt', accessorKey: 'updatedAt', header: t('field.updatedAt'), cell: ({ getValue }) => <DateTime value={getValue()} /> },
    // Last, so that the columns keep their places for every role.
    ...(operator ? [selectColumn] : []),
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
      <WorkQueueForm search={search} onApply={(change) => go(change)} />
      <div className="page-tools">
        <button
          type="button"
          className="secondary"
          onClick={() => void download('reporting', `/api/${lending ? 'lending' : 'borrowing'}-requests.csv${queryString({ ...search, offset: undefined })}`, `${direction}-requests.csv`)}
        >
          {t('desk.downloadCsv')}
        </button>
        <SaveFilter direction={lending ? 'LENDING' : 'BORROWING'} search={search} onSaved={() => void queryClient.invalidateQueries({ queryKey: ['saved-filters'] })} />
      </div>
      {operator && selected.length ? <BulkMenu requestIds={selected} onDone={() => void queryClient.invalidateQueries({ queryKey: ['requests'] })} /> : null}
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

/** olderThanDays and the date ranges, applied together (each goes into the URL like the facets). */
function WorkQueueForm({ search, onApply }: { search: RequestSearch; onApply: (change: Partial<RequestSearch>) => void }) {
  const { t } = useTranslation();
  const initial = () => Object.fromEntries(QUEUE_FIELDS.map((f) => [f, search[f] === undefined ? '' : String(search[f])])) as Record<QueueField, string>;
  const [values, setValues] = useState(initial);
  useEffect(() => setValues(initial()), [search]); // eslint-disable-line react-hooks/exhaustive-deps
  const labels: Record<QueueField, string> = { olderThanDays: 'desk.olderThanDays', dueFrom: 'desk.dueFrom', dueTo: 'desk.dueTo', createdFrom: 'desk.createdFrom', createdTo: 'desk.createdTo' };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const days = Number(values.olderThanDays);
    onApply({
      olderThanDays: values.olderThanDays && Number.isInteger(days) && days > 0 ? days : undefined,
      dueFrom: values.dueFrom || undefined,
      dueTo: values.dueTo || undefined,
      createdFrom: values.createdFrom || undefined,
      createdTo: values.createdTo || undefined,
    });
  };
  return (
    <form className="work-queue" aria-label={t('desk.workQueue')} onSubmit={submit}>
      {QUEUE_FIELDS.map((field) => (
        <label key={field}>
          <span>{t(labels[field])}</span>
          <input
            type={field === 'olderThanDays' ? 'number' : 'date'}
            min={field === 'olderThanDays' ? 0 : undefined}
            value={values[field]}
            onChange={(e) => setValues((prev) => ({ ...prev, [field]: e.target.value }))}
          />
        </label>
      ))}
      <button type="submit">{t('desk.apply')}</button>
    </form>
  );
}

/** Saves the list's current filter (not its page) under a name, private or shared. */
function SaveFilter({ direction, search, onSaved }: { direction: 'BORROWING' | 'LENDING'; search: RequestSearch; onSaved: () => void }) {
  const { t } = useTranslation();
  const [name, setName] = useState('');
  const [shared, setShared] = useState(false);
  const save = useMutation({
    mutationFn: () => {
      const filter = Object.fromEntries(Object.entries({ ...search, offset: undefined }).filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => [k, String(v)]));
      return api('reporting', '/api/saved-filters', { method: 'POST', body: { name: name.trim(), direction, visibility: shared ? 'SHARED' : 'PRIVATE', filter } });
    },
    onSuccess: () => {
      onSaved();
    },
  });
  return (
    <form
      className="save-filter"
      onSubmit={(e) => {
        e.preventDefault();
        if (name.trim()) save.mutate();
      }}
    >
      <label>
        <span className="sr-only">{t('desk.filterName')}</span>
        <input value={name} placeholder={t('desk.filterName')} onChange={(e) => setName(e.target.value)} />
      </label>
      <label>
        <input type="checkbox" checked={shared} onChange={(e) => setShared(e.target.checked)} /> {t('desk.shared')}
      </label>
      <button type="submit" className="secondary">
        {t('desk.saveFilter')}
      </button>
      {save.isSuccess ? <Notice>{t('desk.saved', { name: name.trim() })}</Notice> : null}
      <ErrorBox error={save.error} />
    </form>
  );
}

/** One action for the selected requests (POST /api/actions/bulk through the proxy): each is judged on its own,
 *  the refused ones are listed with the reason. */
function BulkMenu({ requestIds, onDone }: { requestIds: string[]; onDone: () => void }) {
  const { t } = useTranslation();
  const [action, setAction] = useState(BULK_ACTIONS[0]);
  const [note, setNote] = useState('');
  const bulk = useMutation({
    mutationFn: () => api<BulkAnswer>('action-push', '/api/actions/bulk', { method: 'POST', body: { action, requestIds, ...(note.trim() ? { note: note.trim() } : {}) } }),
    onSuccess: onDone,
  });
  return (
    <section className="bulk" aria-label={t('desk.bulkSection')}>
      <span data-testid="selected-count">{t('desk.selected', { count: requestIds.length })}</span>
      <label>
        <span>{t('desk.bulkAction')}</span>
        <select value={action} onChange={(e) => setAction(e.target.value)}>
          {BULK_ACTIONS.map((a) => (
            <option key={a} value={a}>
              {t(`action.${a}`, { defaultValue: a })}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span>{t('desk.bulkNote')}</span>
        <input value={note} onChange={(e) => setNote(e.target.value)} />
      </label>
      <button type="button" disabled={bulk.isPending} onClick={() => bulk.mutate()}>
        {t('desk.bulkRun', { action: t(`action.${action}`, { defaultValue: action }), count: requestIds.length })}
      </button>
      <ErrorBox error={bulk.error} />
      {bulk.data ? (
        <div role="status" className="bulk-result">
          <p>{t('desk.bulkResult', { accepted: bulk.data.accepted, refused: bulk.data.refused })}</p>
          <ul>
            {bulk.data.results
              .filter((r) => r.result === 'REFUSED')
              .map((r) => (
                <li key={r.requestId}>{t('desk.refusedItem', { id: r.requestId, message: [r.error?.message ?? ''].flat().join('; ') })}</li>
              ))}
          </ul>
        </div>
      ) : null}
    </section>
  );
}
