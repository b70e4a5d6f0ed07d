import { ColumnDef, flexRender, getCoreRowModel, getSortedRowModel, OnChangeFn, SortingState, useReactTable } from '@tanstack/react-table';
import { ReactNode, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Role } from '../../../../libs/database/src/entities/enums';
import { ApiError } from '../lib/api';
import { useSession } from '../session';

export function Loading() {
  const { t } = useTranslation();
  return (
    <p className="muted" role="status">
      {t('common.loading')}
    </p>
  );
}

/** An API error as staff read it: the sentence(s) the API gave, in a live region. */
export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  const { t } = useTranslation();
  if (!error) return null;
  const messages = error instanceof ApiError ? error.messages : [String((error as Error)?.message ?? error)];
  return (
    <div className="alert alert-error" role="alert">
      <strong>{title ?? t('common.error')}</strong>
      {messages.length === 1 ? <p>{messages[0]}</p> : <ul>{messages.map((m) => <li key={m}>{m}</li>)}</ul>}
    </div>
  );
}

export function Notice({ children }: { children: ReactNode }) {
  return (
    <div className="alert alert-ok" role="status">
      {children}
    </div>
  );
}

/** A page that needs a role: others see why they cannot use it. */
export function RequireRole({ role, children }: { role: Role; children: ReactNode }) {
  const { can } = useSession();
  const { t } = useTranslation();
  if (!can(role)) return <p className="alert alert-error">{t('common.forbidden', { role: t(`roles.${role}`) })}</p>;
  return <>{children}</>;
}

export function PageHeader({ title, children }: { title: ReactNode; children?: ReactNode }) {
  return (
    <div className="page-header">
      <h1>{title}</h1>
      {children ? <div className="page-tools">{children}</div> : null}
    </div>
  );
}

interface TableProps<T> {
  caption: string;
  columns: ColumnDef<T, any>[];
  data: T[];
  /** Server-side sorting (the request lists): the table only shows and reports the wanted order. */
  sorting?: SortingState;
  onSortingChange?: OnChangeFn<SortingState>;
  rowClassName?: (row: T) => string | undefined;
  emptyText?: string;
}

/** A dense table (TanStack Table): sortable headers are buttons with aria-sort; client-side sorting unless `onSortingChange` is given. */
export function DataTable<T>({ caption, columns, data, sorting, onSortingChange, rowClassName, emptyText }: TableProps<T>) {
  const { t } = useTranslation();
  const [localSorting, setLocalSorting] = useState<SortingState>([]);
  const manual = !!onSortingChange;
  const table = useReactTable({
    data,
    columns,
    state: { sorting: manual ? (sorting ?? []) : localSorting },
    onSortingChange: manual ? onSortingChange : setLocalSorting,
    manualSorting: manual,
    enableSortingRemoval: false,
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: manual ? undefined : getSortedRowModel(),
  });
  return (
    <div className="table-wrap">
      <table>
        <caption className="sr-only">{caption}</caption>
        <thead>
          {table.getHeaderGroups().map((group) => (
            <tr key={group.id}>
              {group.headers.map((header) => {
                const sorted = header.column.getIsSorted();
                const label = flexRender(header.column.columnDef.header, header.getContext());
                return (
                  <th key={header.id} scope="col" aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : undefined}>
                    {header.column.getCanSort() ? (
                      <button type="button" className="sort" onClick={header.column.getToggleSortingHandler()}>
                        {label}
                        <span aria-hidden="true" className="sort-mark">
                          {sorted === 'asc' ? '▲' : sorted === 'desc' ? '▼' : '↕'}
                        </span>
                      </button>
                    ) : (
                      label
                    )}
                  </th>
                );
              })}
            </tr>
          ))}
        </thead>
        <tbody>
          {table.getRowModel().rows.length === 0 ? (
            <tr>
              <td colSpan={columns.length} className="muted">
                {emptyText ?? t('common.noRows')}
              </td>
            </tr>
          ) : (
            table.getRowModel().rows.map((row) => (
              <tr key={row.id} className={rowClassName?.(row.original)}>
                {row.getVisibleCells().map((cell) => (
                  <td key={cell.id}>{flexRender(cell.column.columnDef.cell, cell.getContext())}</td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}

export function Pager({ offset, limit, total, onOffset }: { offset: number; limit: number; total: number; onOffset: (offset: number) => void }) {
  const { t } = useTranslation();
  if (!total) return null;
  return (
    <nav className="pager" aria-label="Pages">
      <span>{t('common.pageOf', { from: offset + 1, to: Math.min(offset + limit, total), total })}</span>
      <button type="button" disabled={offset === 0} onClick={() => onOffset(Math.max(0, offset - limit))}>
        {t('common.previous')}
      </button>
      <button type="button" disabled={offset + limit >= total} onClick={() => onOffset(offset + limit)}>
        {t('common.nextPage')}
      </button>
    </nav>
  );
}

/** A labelled form control with its problems beside it (aria-describedby, aria-invalid). */
export function Field({ label, errors, help, children }: { label: string; errors?: string[]; help?: string; children: (props: { id: string; 'aria-invalid'?: boolean; 'aria-describedby'?: string }) => ReactNode }) {
  const id = useId();
  const described = [help ? `${id}-help` : '', errors?.length ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${errors?.length ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-invalid': errors?.length ? true : undefined, 'aria-describedby': described })}
      {help ? (
        <p id={`${id}-help`} className="help">
          {help}
        </p>
      ) : null}
      {errors?.length ? (
        <p id={`${id}-error`} className="field-error" role="alert">
          {errors.join(' ')}
        </p>
      ) : null}
    </div>
  );
}

export function DateTime({ value }: { value: string | null | undefined }) {
  const { i18n } = useTranslation();
  if (!value) return <span className="muted">—</span>;
  const date = new Date(value);
  return <time dateTime={value} title={date.toISOString()}>{date.toLocaleString(i18n.language === 'ja' ? 'ja-JP' : 'en-GB', { dateStyle: 'short', timeStyle: 'short' })}</time>;
}

export function Badge({ value, kind }: { value: ReactNode; kind?: string }) {
  return <span className={`badge${kind ? ` badge-${kind}` : ''}`}>{value}</span>;
}

/** The colour of a run's or an action's state. */
export function stateKind(state: string | null | undefined): string | undefined {
  if (!state) return undefined;
  if (['COMPLETED_SUCCESSFULLY', 'SENT', 'IN_SYNC'].includes(state)) return 'ok';
  if (['COMPLETED_WITH_ERRORS', 'PUSH_PENDING', 'PENDING', 'SENDING', 'RUNNING'].includes(state)) return 'warn';
  if (['FAILED', 'ABORTED', 'PUSH_FAILED', 'DISCARDED'].includes(state)) return 'bad';
  return undefined;
}
