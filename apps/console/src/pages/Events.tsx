import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { getRouteApi, Link } from '@tanstack/react-router';
import { ColumnDef } from '@tanstack/react-table';
import { useTranslation } from 'react-i18next';
import { RECORD_OUTCOMES } from '../../../../libs/database/src/entities/enums';
import { DIRECTIONS } from '../../../../libs/workflow/src/vocabulary';
import { Badge, DataTable, ErrorBox, Field, Loading, PageHeader, Pager } from '../components/ui';
import { api, download, queryString } from '../lib/api';
import type { EventsSearch } from '../router';

const route = getRouteApi('/jobs/$id/events');
const PAGE_SIZE = 50;

interface EventRow {
  externalId: string;
  direction: string;
  outcome: string;
  reasonCode: string | null;
  message: string | null;
  warnings: string[];
  requestId: string | null;
}

/** The events report: one row per external record of the run, filtered by outcome and direction, and its CSV. */
export function EventsPage() {
  const { t } = useTranslation();
  const { id } = route.useParams();
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const offset = search.offset ?? 0;
  const filter = { outcome: search.outcome, direction: search.direction };
  const job = useQuery({ queryKey: ['job', id], queryFn: () => api<{ jobName: string }>('reporting', `/api/jobs/${id}`) });
  const events = useQuery({
    queryKey: ['events', id, search],
    queryFn: () => api<{ items: EventRow[]; total: number }>('reporting', `/api/jobs/${id}/events${queryString({ ...filter, offset, limit: PAGE_SIZE })}`),
    placeholderData: keepPreviousData,
  });
  const csv = useMutation({ mutationFn: () => download('reporting', `/api/jobs/${id}/events.csv${queryString(filter)}`, `job-${id}-events.csv`) });
  const set = (change: Partial<EventsSearch>) => navigate({ to: '.', search: (prev: EventsSearch) => ({ ...prev, offset: undefined, ...change }) });
  const columns: ColumnDef<EventRow, any>[] = [
    { accessorKey: 'externalId', header: t('field.externalId') },
    { accessorKey: 'direction', header: t('events.direction'), cell: ({ getValue }) => t(`dir.${getValue()}`) },
    { accessorKey: 'outcome', header: t('events.outcome'), cell: ({ getValue }) => <Badge value={t(`outcome.${getValue()}`)} kind={getValue() === 'FAILED' ? 'bad' : getValue() === 'CREATED' ? 'ok' : undefined} /> },
    { accessorKey: 'reasonCode', header: t('report.reason'), cell: ({ getValue }) => (getValue() ? <code>{getValue()}</code> : '—') },
    { accessorKey: 'message', header: t('report.message'), cell: ({ getValue }) => <span className="message-cell">{getValue() ?? '—'}</span> },
    { accessorKey: 'warnings', header: t('events.warnings'), enableSorting: false, cell: ({ getValue }) => (getValue()?.length ? getValue().join('; ') : '—') },
    {
      accessorKey: 'requestId',
      header: t('events.request'),
      enableSorting: false,
      cell: ({ row }) =>
        row.original.requestId ? (
          <Link to="/request/$id" params={{ id: row.original.requestId }} aria-label={`${t('events.open')}: ${row.original.externalId}`}>
            {t('events.open')}
          </Link>
        ) : (
          '—'
        ),
    },
  ];
  return (
    <>
      <p className="crumbs">
        <Link to="/jobs/$id" params={{ id }}>
          {t('report.title')}
        </Link>
      </p>
      <PageHeader title={t('events.title')}>
        <button type="button" onClick={() => csv.mutate()} disabled={csv.isPending}>
          {t('events.download')}
        </button>
      </PageHeader>
      {job.data ? <p className="muted">{t('events.forJob', { name: job.data.jobName })}</p> : null}
      <form className="form-row filters" onSubmit={(e) => e.preventDefault()}>
        <Field label={t('events.outcome')}>
          {(props) => (
            <select {...props} value={search.outcome ?? ''} onChange={(e) => set({ outcome: e.target.value || undefined })}>
              <option value="">{t('common.all')}</option>
              {RECORD_OUTCOMES.map((o) => (
                <option key={o} value={o}>
                  {t(`outcome.${o}`)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t('events.direction')}>
          {(props) => (
            <select {...props} value={search.direction ?? ''} onChange={(e) => set({ direction: e.target.value || undefined })}>
              <option value="">{t('common.all')}</option>
              {DIRECTIONS.map((d) => (
                <option key={d} value={d}>
                  {t(`dir.${d}`)}
                </option>
              ))}
            </select>
          )}
        </Field>
      </form>
      <ErrorBox error={events.error ?? csv.error} />
      {events.isPending ? (
        <Loading />
      ) : (
        <>
          <DataTable caption={t('events.title')} columns={columns} data={events.data?.items ?? []} rowClassName={(e) => (e.outcome === 'FAILED' ? 'row-bad' : undefined)} />
          <Pager offset={offset} limit={PAGE_SIZE} total={events.data?.total ?? 0} onOffset={(o) => navigate({ to: '.', search: (prev: EventsSearch) => ({ ...prev, offset: o || undefined }) })} />
        </>
      )}
    </>
  );
}
