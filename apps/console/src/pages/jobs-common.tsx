import { Link } from '@tanstack/react-router';
import { ColumnDef } from '@tanstack/react-table';
import type { TFunction } from 'i18next';
import { Badge, DateTime, stateKind } from '../components/ui';

export interface Counters {
  totalRecordsProcessed: number;
  borrowingProcessed: number;
  borrowingSucceeded: number;
  borrowingFailed: number;
  lendingProcessed: number;
  lendingSucceeded: number;
  lendingFailed: number;
  created: number;
  updated: number;
  unchanged: number;
}
export interface MonitorJob {
  id: string;
  profileId: string;
  profileCode: string | null;
  jobName: string;
  trigger: string;
  state: string;
  startedAt: string | null;
  finishedAt: string | null;
  createdAt: string;
  abortRequested: boolean;
  progress: { stage: string; recordsRead: number };
  counters: Counters;
}
export const ACTIVE_STATES = ['PENDING', 'RUNNING'];

/** The columns of finished runs, shared by Monitor Jobs and a profile's job history. */
export function finishedColumns(t: TFunction, withProfile: boolean): ColumnDef<MonitorJob, any>[] {
  const columns: ColumnDef<MonitorJob, any>[] = [
    {
      accessorKey: 'jobName',
      header: t('jobs.job'),
      cell: ({ row }) => (
        <Link to="/jobs/$id" params={{ id: row.original.id }} className="job-name">
          {row.original.jobName}
        </Link>
      ),
    },
    { accessorKey: 'state', header: t('jobs.state'), cell: ({ getValue }) => <Badge value={t(`state.${getValue()}`, { defaultValue: getValue() })} kind={stateKind(getValue())} /> },
    { accessorKey: 'trigger', header: t('jobs.trigger'), cell: ({ getValue }) => t(`trigger.${getValue()}`, { defaultValue: getValue() }) },
    { accessorKey: 'startedAt', header: t('jobs.startedAt'), cell: ({ getValue }) => <DateTime value={getValue()} /> },
    { accessorKey: 'finishedAt', header: t('jobs.finishedAt'), cell: ({ getValue }) => <DateTime value={getValue()} /> },
    { id: 'processed', accessorFn: (r) => r.counters.totalRecordsProcessed, header: t('jobs.processed') },
    { id: 'failed', accessorFn: (r) => r.counters.borrowingFailed + r.counters.lendingFailed, header: t('jobs.failed') },
    {
      id: 'report',
      header: t('jobs.report'),
      enableSorting: false,
      cell: ({ row }) => (
        <Link to="/jobs/$id" params={{ id: row.original.id }} aria-label={`${t('jobs.report')}: ${row.original.jobName}, ${row.original.createdAt}`}>
          {t('jobs.report')}
        </Link>
      ),
    },
  ];
  if (withProfile)
    columns.splice(1, 0, {
      accessorKey: 'profileCode',
      header: t('jobs.profile'),
      cell: ({ row }) => (
        <Link to="/profiles/$id/history" params={{ id: row.original.profileId }} aria-label={`${t('jobs.history')}: ${row.original.profileCode ?? row.original.profileId}`}>
          {row.original.profileCode ?? '—'}
        </Link>
      ),
    });
  return columns;
}
