import { useQuery } from '@tanstack/react-query';
import { getRouteApi, Link } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { Badge, DateTime, ErrorBox, Loading, PageHeader, stateKind } from '../components/ui';
import { api } from '../lib/api';
import { ACTIVE_STATES, Counters } from './jobs-common';

const route = getRouteApi('/jobs/$id');

interface FailedRecord {
  externalId: string;
  reasonCode: string | null;
  message: string | null;
}
interface JobReport {
  id: string;
  profileId: string;
  jobName: string;
  trigger: string;
  state: string;
  startedAt: string | null;
  finishedAt: string | null;
  window: { from: string | null; to: string | null };
  progress: { stage: string; recordsRead: number };
  counters: Counters;
  failedBorrowing: FailedRecord[];
  failedLending: FailedRecord[];
  error: { code: string; message: string } | null;
}

const COUNTERS: (keyof Counters)[] = [
  'totalRecordsProcessed',
  'borrowingProcessed',
  'borrowingSucceeded',
  'borrowingFailed',
  'lendingProcessed',
  'lendingSucceeded',
  'lendingFailed',
  'created',
  'updated',
  'unchanged',
];

/** The job report: the seed's counters, created / updated / unchanged, and the failed requests per direction with their reasons, linked to the events report. */
export function JobReportPage() {
  const { t } = useTranslation();
  const { id } = route.useParams();
  const report = useQuery({
    queryKey: ['job', id],
    queryFn: () => api<JobReport>('reporting', `/api/jobs/${id}`),
    refetchInterval: (query) => (query.state.data && ACTIVE_STATES.includes(query.state.data.state) ? 2000 : false),
  });
  if (report.isPending) return <Loading />;
  if (report.error) return <ErrorBox error={report.error} />;
  const r = report.data;
  const failed = (direction: 'BORROWING' | 'LENDING', list: FailedRecord[], title: string) => (
    <section className="card" aria-labelledby={`failed-${direction}`}>
      <h2 id={`failed-${direction}`}>{title}</h2>
      {list.length === 0 ? (
        <p className="muted">{t('report.noFailures')}</p>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">{title}</caption>
            <thead>
              <tr>
                <th scope="col">{t('field.externalId')}</th>
                <th scope="col">{t('report.reason')}</th>
                <th scope="col">{t('report.message')}</th>
              </tr>
            </thead>
            <tbody>
              {list.map((f) => (
                <tr key={f.externalId}>
                  <td>
                    <Link to="/jobs/$id/events" params={{ id }} search={{ outcome: 'FAILED', direction }} aria-label={`${f.externalId}: ${t('report.showEvents')}`}>
                      {f.externalId}
                    </Link>
                  </td>
                  <td>
                    <code>{f.reasonCode ?? '—'}</code>
                  </td>
                  <td className="message-cell">{f.message ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
  return (
    <>
      <p className="crumbs">
        <Link to="/jobs">{t('jobs.title')}</Link> ·{' '}
        <Link to="/profiles/$id/history" params={{ id: r.profileId }}>
          {t('jobs.history')}
        </Link>
      </p>
      <PageHeader title={r.jobName}>
        <Badge value={t(`state.${r.state}`, { defaultValue: r.state })} kind={stateKind(r.state)} />
        <Link className="button" to="/jobs/$id/events" params={{ id }} search={{}}>
          {t('report.preview')}
        </Link>
      </PageHeader>
      {r.error ? (
        <div className="alert alert-error" role="alert">
          <strong>{t('report.error')}</strong> <code>{r.error.code}</code> {r.error.message}
        </div>
      ) : null}
      <div className="card-grid">
        <section className="card" aria-labelledby="run-facts">
          <h2 id="run-facts">{t('report.title')}</h2>
          <dl className="fields">
            <div>
              <dt>{t('jobs.trigger')}</dt>
              <dd>{t(`trigger.${r.trigger}`, { defaultValue: r.trigger })}</dd>
            </div>
            <div>
              <dt>{t('jobs.startedAt')}</dt>
              <dd>
                <DateTime value={r.startedAt} />
              </dd>
            </div>
            <div>
              <dt>{t('jobs.finishedAt')}</dt>
              <dd>
                <DateTime value={r.finishedAt} />
              </dd>
            </div>
            <div>
              <dt>{t('report.window')}</dt>
              <dd>{r.window.from || r.window.to ? `${r.window.from ?? '…'} – ${r.window.to ?? '…'}` : '—'}</dd>
            </div>
            <div>
              <dt>{t('jobs.stage')}</dt>
              <dd>{t('jobs.progress', { stage: t(`stage.${r.progress.stage}`), count: r.progress.recordsRead })}</dd>
            </div>
          </dl>
        </section>
        <section className="card" aria-labelledby="counters-title">
          <h2 id="counters-title">{t('report.counters')}</h2>
          <table className="counters">
            <caption className="sr-only">{t('report.counters')}</caption>
            <tbody>
              {COUNTERS.map((c) => (
                <tr key={c} className={c.endsWith('Failed') && r.counters[c] > 0 ? 'row-bad' : undefined}>
                  <th scope="row">{t(`report.${c}`)}</th>
                  <td className="num" data-counter={c}>
                    {r.counters[c]}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
      {failed('BORROWING', r.failedBorrowing, t('report.borrowingDetails'))}
      {failed('LENDING', r.failedLending, t('report.lendingDetails'))}
    </>
  );
}
