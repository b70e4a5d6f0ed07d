import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { ColumnDef } from '@tanstack/react-table';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { Badge, DataTable, DateTime, ErrorBox, Loading, Notice, PageHeader, RequireRole, stateKind } from '../components/ui';
import { api } from '../lib/api';

export interface Schedule {
  type: string;
  time?: string;
  dayOfWeek?: string;
  everyMinutes?: number;
  timezone?: string;
}
export interface Profile {
  id: string;
  code: string;
  name: string;
  integrationType: string;
  description: string | null;
  system: string;
  baseUrl: string | null;
  libraryCode: string;
  resourceSharingLibraryCode: string;
  authentication: { enabled: boolean; userId?: string | null; apiKeySet?: boolean; passwordSet?: boolean };
  active: boolean;
  harvestStartDate: string | null;
  granularity: string;
  schedule: Schedule;
  jobName: string;
  nextRunAt: string | null;
  lastRun: { id: string; state: string; startedAt: string | null; finishedAt: string | null } | null;
}

export function scheduleText(t: TFunction, s: Schedule): string {
  const zone = s.timezone ? ` (${s.timezone})` : '';
  if (s.type === 'DAILY') return `${t('wizard.DAILY')}: ${s.time}${zone}`;
  if (s.type === 'WEEKLY') return `${t('wizard.WEEKLY')}: ${s.dayOfWeek} ${s.time}${zone}`;
  if (s.type === 'INTERVAL') return `${t('wizard.INTERVAL')}: ${s.everyMinutes} min`;
  return t('wizard.NOT_SCHEDULED');
}

/** Integration Profile List (admin): each profile with its schedule and last run; run now, job history, mappings, edit. */
export function ProfilesPage() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const profiles = useQuery({ queryKey: ['profiles'], queryFn: () => api<{ items: Profile[] }>('profile-config', '/api/integration-profiles?limit=500'), refetchInterval: 5000 });
  const run = useMutation({
    mutationFn: (p: Profile) => api<{ jobRunId: string }>('profile-config', `/api/integration-profiles/${p.id}/run`, { method: 'POST' }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['profiles'] }),
  });
  const columns: ColumnDef<Profile, any>[] = [
    { accessorKey: 'code', header: t('profiles.code') },
    { accessorKey: 'name', header: t('profiles.name') },
    { accessorKey: 'system', header: t('profiles.system') },
    { accessorKey: 'active', header: t('profiles.active'), cell: ({ getValue }) => (getValue() ? t('common.yes') : t('common.no')) },
    { id: 'schedule', header: t('profiles.schedule'), enableSorting: false, cell: ({ row }) => scheduleText(t, row.original.schedule) },
    { accessorKey: 'nextRunAt', header: t('profiles.nextRunAt'), cell: ({ getValue }) => <DateTime value={getValue()} /> },
    {
      id: 'lastRun',
      header: t('profiles.lastRun'),
      enableSorting: false,
      cell: ({ row }) =>
        row.original.lastRun ? (
          <Link to="/jobs/$id" params={{ id: row.original.lastRun.id }}>
            <Badge value={t(`state.${row.original.lastRun.state}`)} kind={stateKind(row.original.lastRun.state)} />
          </Link>
        ) : (
          '—'
        ),
    },
    {
      id: 'tools',
      header: t('common.actions'),
      enableSorting: false,
      cell: ({ row }) => (
        <span className="row-tools">
          <button type="button" onClick={() => run.mutate(row.original)} disabled={run.isPending || !row.original.active} aria-label={`${t('profiles.runNow')}: ${row.original.code}`}>
            {t('profiles.runNow')}
          </button>
          <Link to="/profiles/$id/history" params={{ id: row.original.id }} aria-label={`${t('profiles.history')}: ${row.original.code}`}>
            {t('profiles.history')}
          </Link>
          <Link to="/profiles/$id/mappings" params={{ id: row.original.id }} aria-label={`${t('profiles.mappings')}: ${row.original.code}`}>
            {t('profiles.mappings')}
          </Link>
          <Link to="/profiles/$id/notifications" params={{ id: row.original.id }} aria-label={`${t('profiles.notifications')}: ${row.original.code}`}>
            {t('profiles.notifications')}
          </Link>
          <Link to="/profiles/$id/edit" params={{ id: row.original.id }} aria-label={`${t('profiles.edit')}: ${row.original.code}`}>
            {t('profiles.edit')}
          </Link>
        </span>
      ),
    },
  ];
  return (
    <RequireRole role="admin">
      <PageHeader title={t('profiles.title')}>
        <Link className="button" to="/profiles/new">
          {t('profiles.add')}
        </Link>
      </PageHeader>
      {run.data ? <Notice>{t('jobs.started', { id: run.data.jobRunId })}</Notice> : null}
      <ErrorBox error={profiles.error ?? run.error} />
      {profiles.isPending ? <Loading /> : <DataTable caption={t('profiles.title')} columns={columns} data={profiles.data?.items ?? []} />}
    </RequireRole>
  );
}
