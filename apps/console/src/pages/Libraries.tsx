import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ColumnDef } from '@tanstack/react-table';
import { useForm } from 'react-hook-form';
import { useTranslation } from 'react-i18next';
import { DataTable, ErrorBox, Field, Loading, PageHeader, RequireRole } from '../components/ui';
import { api } from '../lib/api';
import { useServerErrors } from './crud';

interface Library {
  code: string;
  name: string;
  resourceSharing: boolean;
}

export function LibrariesPage() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const libraries = useQuery({ queryKey: ['libraries'], queryFn: () => api<{ items: Library[] }>('profile-config', '/api/libraries?limit=500') });
  const form = useForm<Library>({ defaultValues: { code: '', name: '', resourceSharing: true } });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['libraries'] });
  const add = useMutation({
    mutationFn: (l: Library) => api('profile-config', '/api/libraries', { method: 'POST', body: { ...l, code: l.code.trim(), name: l.name.trim() } }),
    onSuccess: () => {
      form.reset();
      void refresh();
    },
  });
  const remove = useMutation({ mutationFn: (code: string) => api('profile-config', `/api/libraries/${encodeURIComponent(code)}`, { method: 'DELETE' }), onSuccess: refresh });
  const fields = useServerErrors(add.error, ['code', 'name', 'resourceSharing']);
  const columns: ColumnDef<Library, any>[] = [
    { accessorKey: 'code', header: t('libraries.code') },
    { accessorKey: 'name', header: t('libraries.name') },
    { accessorKey: 'resourceSharing', header: t('libraries.resourceSharing'), cell: ({ getValue }) => (getValue() ? t('common.yes') : t('common.no')) },
    {
      id: 'tools',
      header: t('common.actions'),
      enableSorting: false,
      cell: ({ row }) => (
        <button type="button" className="danger" onClick={() => remove.mutate(row.original.code)} aria-label={t('libraries.remove', { code: row.original.code })}>
          {t('common.delete')}
        </button>
      ),
    },
  ];
  return (
    <RequireRole role="admin">
      <PageHeader title={t('libraries.title')} />
      <ErrorBox error={libraries.error ?? remove.error} />
      <form className="card form-row" noValidate onSubmit={form.handleSubmit((l) => add.mutate(l))} aria-label={t('libraries.add')}>
        <Field label={t('libraries.code')} errors={fields.byField.code}>
          {(props) => <input {...props} {...form.register('code')} />}
        </Field>
        <Field label={t('libraries.name')} errors={fields.byField.name}>
          {(props) => <input {...props} {...form.register('name')} />}
        </Field>
        <div className="check">
          <input id="library-rs" type="checkbox" {...form.register('resourceSharing')} />
          <label htmlFor="library-rs">{t('libraries.resourceSharing')}</label>
        </div>
        <div className="form-actions">
          <button type="submit" disabled={add.isPending}>
            {t('libraries.add')}
          </button>
        </div>
        {fields.other.length ? <ErrorBox error={{ message: fields.other.join(' ') }} /> : null}
      </form>
      {libraries.isPending ? <Loading /> : <DataTable caption={t('libraries.title')} columns={columns} data={libraries.data?.items ?? []} />}
    </RequireRole>
  );
}
