import { useQuery } from '@tanstack/react-query';
import { getRouteApi } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { DataTable, ErrorBox, Loading, PageHeader } from '../components/ui';
import { api } from '../lib/api';
import { finishedColumns, MonitorJob } from './jobs-common';

const route = getRouteApi('/profiles/$id/history');

/** Job History of one profile: its runs, newest first, each with its report. */
export function JobHistoryPage() {
  const { t } = useTranslation();
  const { id } = route.useParams();
  const profile = useQuery({ queryKey: ['profile', id], queryFn: () => api<{ code: string; name: string }>('profile-config', `/api/integration-profiles/${id}`) });
  const history = useQuery({
    queryKey: ['history', id],
    queryFn: () => api<{ items: MonitorJob[] }>('reporting', `/api/integration-profiles/${id}/job-history?limit=200`),
    refetchInterval: 5000,
  });
  return (
    <>
      <PageHeader title={t('jobs.historyOf', { name: profile.data ? `${profile.data.name} (${profile.data.code})` : '…' })} />
      <ErrorBox error={history.error ?? profile.error} />
      {history.isPending ? <Loading /> : <DataTable caption={t('jobs.history')} columns={finishedColumns(t, false)} data={history.data?.items ?? []} />}
    </>
  );
}
