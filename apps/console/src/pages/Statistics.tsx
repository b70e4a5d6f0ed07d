import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { getRouteApi } from '@tanstack/react-router';
import { ColumnDef } from '@tanstack/react-table';
import { FormEvent, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { DataTable, ErrorBox, Loading, PageHeader } from '../components/ui';
import { api, download, queryString } from '../lib/api';
import type { StatisticsSearch } from '../router';

const route = getRouteApi('/statistics');

interface Turnaround {
  median: number | null;
  p90: number | null;
}
interface StatisticsRow {
  month: string;
  direction: 'BORROWING' | 'LENDING';
  partnerCode?: string | null;
  created: number;
  filled: number;
  rejectedOrCancelled: number;
  fillRate: number | null;
  requestToShippedDays: Turnaround;
  shippedToReceivedDays: Turnaround;
}
interface Statistics {
  from: string;
  to: string;
  totals: StatisticsRow[];
  rows: StatisticsRow[];
}

const num = (v: number | null | undefined) => (v === null || v === undefined ? '—' : String(v));
const percent = (v: number | null) => (v === null ? '—' : `${Math.round(v * 1000) / 10}%`);

/** GET /api/statistics as a chart (created and filled per month, borrowing and lending) and tables (all partners,
 *  then per partner), with the month range, profile and direction in the URL; "Download CSV" for the per-partner rows. */
export function StatisticsPage() {
  const { t } = useTranslation();
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const [form, setForm] = useState<StatisticsSearch>(search);
  useEffect(() => setForm(search), [search]);
  const stats = useQuery({
    queryKey: ['statistics', search],
    queryFn: () => api<Statistics>('reporting', `/api/statistics${queryString({ ...search })}`),
    placeholderData: keepPreviousData,
  });

  const chart = Object.values(
    (stats.data?.totals ?? []).reduce<Record<string, Record<string, number | string>>>((acc, r) => {
      const key = r.month;
      acc[key] ??= { month: key };
      const side = r.direction === 'BORROWING' ? 'borrowing' : 'lending';
      acc[key][`${side}Created`] = r.created;
      acc[key][`${side}Filled`] = r.filled;
      return acc;
    }, {}),
  );
  const columns = (withPartner: boolean): ColumnDef<StatisticsRow, any>[] => [
    { id: 'month', accessorKey: 'month', header: t('desk.month') },
    { id: 'direction', accessorKey: 'direction', header: t('desk.directionCol'), cell: ({ getValue }) => t(getValue() === 'BORROWING' ? 'desk.borrowing' : 'desk.lending') },
    ...(withPartner ? [{ id: 'partnerCode', accessorKey: 'partnerCode', header: t('desk.partner'), cell: ({ getValue }: any) => getValue() ?? t('requests.noValue') } as ColumnDef<StatisticsRow, any>] : []),
    { id: 'created', accessorKey: 'created', header: t('desk.created') },
    { id: 'filled', accessorKey: 'filled', header: t('desk.filled') },
    { id: 'rejected', accessorKey: 'rejectedOrCancelled', header: t('desk.rejected') },
    { id: 'fillRate', accessorKey: 'fillRate', header: t('desk.fillRate'), cell: ({ getValue }) => percent(getValue()) },
    { id: 'shipMedian', accessorFn: (r) => r.requestToShippedDays.median, header: t('desk.shipMedian'), cell: ({ getValue }) => num(getValue()) },
    { id: 'shipP90', accessorFn: (r) => r.requestToShippedDays.p90, header: t('desk.shipP90'), cell: ({ getValue }) => num(getValue()) },
    { id: 'receiveMedian', accessorFn: (r) => r.shippedToReceivedDays.median, header: t('desk.receiveMedian'), cell: ({ getValue }) => num(getValue()) },
    { id: 'receiveP90', accessorFn: (r) => r.shippedToReceivedDays.p90, header: t('desk.receiveP90'), cell: ({ getValue }) => num(getValue()) },
  ];
  const submit = (event: FormEvent) => {
    event.preventDefault();
    navigate({ to: '.', search: { from: form.from || undefined, to: form.to || undefined, profileId: form.profileId?.trim() || undefined, direction: form.direction || undefined } });
  };

  return (
    <>
      <PageHeader title={t('desk.statistics')}>
        <button type="button" className="secondary" onClick={() => void download('reporting', `/api/statistics.csv${queryString({ ...search })}`, 'statistics.csv')}>
          {t('desk.downloadCsv')}
        </button>
      </PageHeader>
      <form className="work-queue" onSubmit={submit} aria-label={t('desk.statistics')}>
        <label>
          <span>{t('desk.from')}</span>
          <input type="month" value={form.from ?? ''} onChange={(e) => setForm((f) => ({ ...f, from: e.target.value }))} />
        </label>
        <label>
          <span>{t('desk.to')}</span>
          <input type="month" value={form.to ?? ''} onChange={(e) => setForm((f) => ({ ...f, to: e.target.value }))} />
        </label>
        <label>
          <span>{t('desk.profileFilter')}</span>
          <input value={form.profileId ?? ''} onChange={(e) => setForm((f) => ({ ...f, profileId: e.target.value }))} />
        </label>
        <label>
          <span>{t('desk.directionCol')}</span>
          <select value={form.direction ?? ''} onChange={(e) => setForm((f) => ({ ...f, direction: e.target.value }))}>
            <option value="">{t('common.all')}</option>
            <option value="BORROWING">{t('desk.borrowing')}</option>
            <option value="LENDING">{t('desk.lending')}</option>
          </select>
        </label>
        <button type="submit">{t('desk.apply')}</button>
      </form>
      <ErrorBox error={stats.error} />
      {stats.isPending ? (
        <Loading />
      ) : (
        <>
          <section aria-labelledby="stats-chart">
            <h2 id="stats-chart">{t('desk.chartTitle')}</h2>
            <div className="chart" role="img" aria-label={t('desk.chartTitle')} style={{ width: '100%', height: 280 }}>
              <ResponsiveContainer>
                <BarChart data={chart}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis dataKey="month" />
                  <YAxis allowDecimals={false} />
                  <Tooltip />
                  <Legend />
                  <Bar dataKey="borrowingCreated" name={`${t('desk.borrowing')}: ${t('desk.created')}`} isAnimationActive={false} fill="#5b7db1" />
                  <Bar dataKey="borrowingFilled" name={`${t('desk.borrowing')}: ${t('desk.filled')}`} isAnimationActive={false} fill="#2f6b3c" />
                  <Bar dataKey="lendingCreated" name={`${t('desk.lending')}: ${t('desk.created')}`} isAnimationActive={false} fill="#b1865b" />
                  <Bar dataKey="lendingFilled" name={`${t('desk.lending')}: ${t('desk.filled')}`} isAnimationActive={false} fill="#7a4b1f" />
                </BarChart>
              </ResponsiveContainer>
            </div>
          </section>
          <section aria-labelledby="stats-totals">
            <h2 id="stats-totals">{t('desk.totals')}</h2>
            <DataTable caption={t('desk.totals')} columns={columns(false)} data={stats.data?.totals ?? []} />
          </section>
          <section aria-labelledby="stats-partners">
            <h2 id="stats-partners">{t('desk.perPartner')}</h2>
            <DataTable caption={t('desk.perPartner')} columns={columns(true)} data={stats.data?.rows ?? []} />
          </section>
        </>
      )}
    </>
  );
}
