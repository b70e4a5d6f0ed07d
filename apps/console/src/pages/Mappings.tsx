import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { getRouteApi, Link } from '@tanstack/react-router';
import { ColumnDef } from '@tanstack/react-table';
import { useForm } from 'react-hook-form';
import { useTranslation } from 'react-i18next';
import { DataTable, ErrorBox, Field, Loading, PageHeader, RequireRole } from '../components/ui';
import { api } from '../lib/api';
import { useServerErrors } from './crud';
import type { Profile } from './Profiles';

const route = getRouteApi('/profiles/$id/mappings');

interface Mapping {
  libraryCode: string;
  externalLibraryCode: string;
}

/** Library-code mappings of one profile: which of our libraries each external library code stands for. */
export function MappingsPage() {
  const { t } = useTranslation();
  const { id } = route.useParams();
  const queryClient = useQueryClient();
  const profile = useQuery({ queryKey: ['profile', id], queryFn: () => api<Profile>('profile-config', `/api/integration-profiles/${id}`) });
  const mappings = useQuery({ queryKey: ['mappings', id], queryFn: () => api<Mapping[]>('profile-config', `/api/integration-profiles/${id}/library-mappings`) });
  const libraries = useQuery({ queryKey: ['libraries'], queryFn: () => api<{ items: { code: string; name: string }[] }>('profile-config', '/api/libraries?limit=500') });
  const form = useForm<Mapping>({ defaultValues: { libraryCode: '', externalLibraryCode: '' } });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['mappings', id] });
  const add = useMutation({
    mutationFn: (m: Mapping) => api('profile-config', `/api/integration-profiles/${id}/library-mappings`, { method: 'POST', body: m }),
    onSuccess: () => {
      form.reset();
      void refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (code: string) => api('profile-config', `/api/integration-profiles/${id}/library-mappings/${encodeURIComponent(code)}`, { method: 'DELETE' }),
    onSuccess: refresh,
  });
  const fields = useServerErrors(add.error, ['libraryCode', 'externalLibraryCode']);
  const columns: ColumnDef<Mapping, any>[] = [
    { accessorKey: 'libraryCode', header: t('mappings.libraryCode') },
    { accessorKey: 'externalLibraryCode', header: t('mappings.externalLibraryCode') },
    {
      id: 'tools',
      header: t('common.actions'),
      enableSorting: false,
      cell: ({ row }) => (
        <button type="button" className="danger" onClick={() => remove.mutate(row.original.externalLibraryCode)} aria-label={t('mappings.remove', { code: row.original.externalLibraryCode })}>
          {t('common.delete')}
        </button>
      ),
    },
  ];
  return (
    <RequireRole role="admin">
      <p className="crumbs">
        <Link to="/profiles">{t('profiles.title')}</Link>
      </p>
      <PageHeader title={t('mappings.title', { name: profile.data ? `${profile.data.name} (${profile.data.code})` : '…' })} />
      <ErrorBox error={mappings.error ?? remove.error} />
      {mappings.isPending ? <Loading /> : <DataTable caption={t('profiles.mappings')} columns={columns} data={mappings.data ?? []} />}
      <form className="card form-row" noValidate onSubmit={form.handleSubmit((m) => add.mutate(m))} aria-label={t('mappings.add')}>
        <Field label={t('mappings.libraryCode')} errors={fields.byField.libraryCode}>
          {(props) => (
            <select {...props} {...form.register('libraryCode')}>
              <option value="">{t('wizard.choose')}</option>
              {(libraries.data?.items ?? []).map((l) => (
                <option key={l.code} value={l.code}>
                  {l.code} — {l.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t('mappings.externalLibraryCode')} errors={fields.byField.externalLibraryCode}>
          {(props) => <input {...props} {...form.register('externalLibraryCode')} />}
        </Field>
        <div className="form-actions">
          <button type="submit" disabled={add.isPending}>
            {t('mappings.add')}
          </button>
        </div>
        {fields.other.length ? <ErrorBox error={{ message: fields.other.join(' ') }} /> : null}
      </form>
    </RequireRole>
  );
}
