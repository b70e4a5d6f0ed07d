import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Badge, DataTable, DateTime, ErrorBox, Field, Loading, Notice, PageHeader, stateKind } from '../components/ui';
import { api } from '../lib/api';
import { useSession } from '../session';
import { ACTIVE_STATES, finishedColumns, MonitorJob } from './jobs-common';

interface ProfileSummary {
  id: string;
  code: string;
  name: string;
  active: boolean;
}

/** Monitor Jobs: the running runs with their live progress (the page refreshes itself), abort for operators; the finished ones newest first. */
export function JobsPage() {
  const { t } = useTranslation();
  const { can } = useSession();
  const queryClient = useQueryClient();
  const jobs = useQuery({ queryKey: ['jobs'], queryFn: () => api<{ items: MonitorJob[]; total: number }>('reporting', '/api/jobs?limit=100'), refetchInterval: 2000 });
  const abort = useMutation({
    mutationFn: (id: string) => api('reporting', `/api/jobs/${id}/abort`, { method: 'POST' }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['jobs'] }),
  });
  const running = (jobs.data?.items ?? []).filter((j) => ACTIVE_STATES.includes(j.state));
  const finished = (jobs.data?.items ?? []).filter((j) => !ACTIVE_STATES.includes(j.state));
  return (
    <>
      <PageHeader title={t('jobs.title')}>
        <span className="muted">{t('jobs.autoRefresh')}</span>
      </PageHeader>
      {can('operator') ? <RunNow onStarted={() => queryClient.invalidateQueries({ queryKey: ['jobs'] })} /> : null}
      <ErrorBox error={jobs.error ?? abort.error} />
      <section className="card" aria-labelledby="running-title">
        <h2 id="running-title">{t('jobs.running')}</h2>
        {jobs.isPending ? (
          <Loading />
        ) : running.length === 0 ? (
          <p className="muted">{t('jobs.none')}</p>
        ) : (
          <ul className="running-jobs" aria-live="polite">
            {running.map((job) => (
              <li key={job.id} className="running-job">
                <div>
                  <Link to="/jobs/$id" params={{ id: job.id }}>
                    {job.jobName}
                  </Link>{' '}
                  <Badge value={t(`state.${job.state}`)} kind={stateKind(job.state)} /> {job.abortRequested ? <Badge value={t('jobs.aborting')} kind="bad" /> : null}
                </div>
                <div className="progress-line">
                  <progress aria-label={`${job.jobName}: ${t('jobs.progress', { stage: t(`stage.${job.progress.stage}`), count: job.progress.recordsRead })}`} />
                  <span>{t('jobs.progress', { stage: t(`stage.${job.progress.stage}`), count: job.progress.recordsRead })}</span>
                  <span className="muted">
                    {t('jobs.startedAt')}: <DateTime value={job.startedAt ?? job.createdAt} />
                  </span>
                  {can('operator') && !job.abortRequested ? (
                    <button type="button" className="danger" onClick={() => abort.mutate(job.id)} disabled={abort.isPending} aria-label={`${t('jobs.abort')}: ${job.jobName}`}>
                      {t('jobs.abort')}
                    </button>
                  ) : null}
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="card" aria-labelledby="finished-title">
        <h2 id="finished-title">{t('jobs.finished')}</h2>
        <DataTable caption={t('jobs.finished')} columns={finishedColumns(t, true)} data={finished} rowClassName={(j) => (j.state === 'FAILED' ? 'row-bad' : undefined)} />
      </section>
    </>
  );
}

function RunNow({ onStarted }: { onStarted: () => void }) {
  const { t } = useTranslation();
  const profiles = useQuery({ queryKey: ['profiles'], queryFn: () => api<{ items: ProfileSummary[] }>('profile-config', '/api/integration-profiles?limit=500') });
  const [profileId, setProfileId] = useState('');
  const run = useMutation({
    mutationFn: (id: string) => api<{ jobRunId: string }>('profile-config', `/api/integration-profiles/${id}/run`, { method: 'POST' }),
    onSuccess: onStarted,
  });
  const choices = (profiles.data?.items ?? []).filter((p) => p.active);
  return (
    <section className="card" aria-labelledby="run-title">
      <h2 id="run-title">{t('jobs.runNow')}</h2>
      <form
        className="form-row"
        onSubmit={(e) => {
          e.preventDefault();
          if (profileId) run.mutate(profileId);
        }}
      >
        <Field label={t('jobs.runProfile')}>
          {(props) => (
            <select {...props} value={profileId} onChange={(e) => setProfileId(e.target.value)}>
              <option value="">{t('wizard.choose')}</option>
              {choices.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.code} — {p.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div className="form-actions">
          <button type="submit" disabled={!profileId || run.isPending}>
            {t('jobs.run')}
          </button>
        </div>
      </form>
      {run.data ? <Notice>{t('jobs.started', { id: run.data.jobRunId })}</Notice> : null}
      <ErrorBox error={run.error ?? profiles.error} />
    </section>
  );
}
