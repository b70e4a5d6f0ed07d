import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ColumnDef } from '@tanstack/react-table';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { useTranslation } from 'react-i18next';
import { ROLES } from '../../../../libs/database/src/entities/enums';
import { DataTable, DateTime, ErrorBox, Field, Loading, PageHeader, RequireRole } from '../components/ui';
import { api } from '../lib/api';
import { useServerErrors } from './crud';

interface ApiKeyRow {
  id: string;
  name: string;
  role: string;
  keyPrefix: string;
  createdAt: string;
}

/** API keys: the list (without keys), create (the new key shown once), delete. */
export function ApiKeysPage() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const keys = useQuery({ queryKey: ['api-keys'], queryFn: () => api<ApiKeyRow[]>('profile-config', '/api/api-keys') });
  const form = useForm<{ name: string; role: string }>({ defaultValues: { name: '', role: 'viewer' } });
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['api-keys'] });
  const add = useMutation({
    mutationFn: (body: { name: string; role: string }) => api<ApiKeyRow & { key: string }>('profile-config', '/api/api-keys', { method: 'POST', body: { ...body, name: body.name.trim() } }),
    onSuccess: (answer) => {
      setCreated({ name: answer.name, key: answer.key });
      setCopied(false);
      form.reset();
      void refresh();
    },
  });
  const remove = useMutation({ mutationFn: (id: string) => api('profile-config', `/api/api-keys/${id}`, { method: 'DELETE' }), onSuccess: refresh });
  const fields = useServerErrors(add.error, ['name', 'role']);
  const columns: ColumnDef<ApiKeyRow, any>[] = [
    { accessorKey: 'name', header: t('apiKeys.name') },
    { accessorKey: 'role', header: t('apiKeys.role'), cell: ({ getValue }) => t(`roles.${getValue()}`) },
    { accessorKey: 'keyPrefix', header: t('apiKeys.prefix'), cell: ({ getValue }) => <code>{getValue()}…</code> },
    { accessorKey: 'createdAt', header: t('apiKeys.createdAt'), cell: ({ getValue }) => <DateTime value={getValue()} /> },
    {
      id: 'tools',
      header: t('common.actions'),
      enableSorting: false,
      cell: ({ row }) => (
        <button type="button" className="danger" onClick={() => remove.mutate(row.original.id)} aria-label={t('apiKeys.remove', { name: row.original.name })}>
          {t('common.delete')}
        </button>
      ),
    },
  ];
  return (
    <RequireRole role="admin">
      <PageHeader title={t('apiKeys.title')} />
      {created ? (
        <div className="alert alert-ok new-key" role="status">
          <p>{t('apiKeys.newKey', { name: created.name })}</p>
          <p>
            <code data-testid="new-api-key">{created.key}</code>{' '}
            <button
              type="button"
              className="secondary"
              onClick={() => {
                void navigator.clipboard?.writeText(created.key).then(() => setCopied(true));
              }}
            >
              {copied ? t('apiKeys.copied') : t('apiKeys.copy')}
            </button>{' '}
            <button type="button" className="secondary" onClick={() => setCreated(null)}>
              {t('common.close')}
            </button>
          </p>
        </div>
      ) : null}
      <ErrorBox error={keys.error ?? remove.error} />
      <form className="card form-row" noValidate onSubmit={form.handleSubmit((body) => add.mutate(body))} aria-label={t('apiKeys.add')}>
        <Field label={t('apiKeys.name')} errors={fields.byField.name}>
          {(props) => <input {...props} {...form.register('name')} />}
        </Field>
        <Field label={t('apiKeys.role')} errors={fields.byField.role}>
          {(props) => (
            <select {...props} {...form.register('role')}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {t(`roles.${r}`)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div className="form-actions">
          <button type="submit" disabled={add.isPending}>
            {t('apiKeys.add')}
          </button>
        </div>
        {fields.other.length ? <ErrorBox error={{ message: fields.other.join(' ') }} /> : null}
      </form>
      {keys.isPending ? <Loading /> : <DataTable caption={t('apiKeys.title')} columns={columns} data={keys.data ?? []} />}
    </RequireRole>
  );
}
