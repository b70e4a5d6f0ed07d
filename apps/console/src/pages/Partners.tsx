import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ColumnDef } from '@tanstack/react-table';
import { useForm } from 'react-hook-form';
import { useTranslation } from 'react-i18next';
import { PARTNER_SYSTEMS } from '../../../../libs/connectors/src/systems';
import { DataTable, ErrorBox, Field, Loading, PageHeader, RequireRole } from '../components/ui';
import { api } from '../lib/api';
import { useServerErrors } from './crud';

interface Partner {
  code: string;
  name: string;
  system: string;
  active: boolean;
}

export function PartnersPage() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const partners = useQuery({ queryKey: ['partners'], queryFn: () => api<{ items: Partner[] }>('profile-config', '/api/partners?limit=500') });
  const form = useForm<Partner>({ defaultValues: { code: '', name: '', system: 'LIBRIS', active: true } });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['partners'] });
  const add = useMutation({
    mutationFn: (p: Partner) => api('profile-config', '/api/partners', { method: 'POST', body: { ...p, code: p.code.trim(), name: p.name.trim() } }),
    onSuccess: () => {
      form.reset();
      void refresh();
    },
  });
  const toggle = useMutation({ mutationFn: (p: Partner) => api('profile-config', `/api/partners/${encodeURIComponent(p.code)}`, { method: 'PATCH', body: { active: !p.active } }), onSuccess: refresh });
  const remove = useMutation({ mutationFn: (code: string) => api('profile-config', `/api/partners/${encodeURIComponent(code)}`, { method: 'DELETE' }), onSuccess: refresh });
  const fields = useServerErrors(add.error, ['code', 'name', 'system', 'active']);
  const columns: ColumnDef<Partner, any>[] = [
    { accessorKey: 'code', header: t('partners.code') },
    { accessorKey: 'name', header: t('partners.name') },
    { accessorKey: 'system', header: t('partners.system') },
    { accessorKey: 'active', header: t('partners.active'), cell: ({ getValue }) => (getValue() ? t('common.yes') : t('common.no')) },
    {
      id: 'tools',
      header: t('common.actions'),
      enableSorting: false,
      cell: ({ row }) => (
        <span className="row-tools">
          <button type="button" className="secondary" onClick={() => toggle.mutate(row.original)} aria-label={`${row.original.active ? t('partners.deactivate') : t('partners.activate')}: ${row.original.code}`}>
            {row.original.active ? t('partners.deactivate') : t('partners.activate')}
          </button>
          <button type="button" className="danger" onClick={() => remove.mutate(row.original.code)} aria-label={t('partners.remove', { code: row.original.code })}>
            {t('common.delete')}
          </button>
        </span>
      ),
    },
  ];
  return (
    <RequireRole role="admin">
      <PageHeader title={t('partners.title')} />
      <ErrorBox error={partners.error ?? toggle.error ?? remove.error} />
      <form className="card form-row" noValidate onSubmit={form.handleSubmit((p) => add.mutate(p))} aria-label={t('partners.add')}>
        <Field label={t('partners.code')} errors={fields.byField.code}>
          {(props) => <input {...props} {...form.register('code')} />}
        </Field>
        <Field label={t('partners.name')} errors={fields.byField.name}>
          {(props) => <input {...props} {...form.register('name')} />}
        </Field>
        <Field label={t('partners.system')} errors={fields.byField.system}>
          {(props) => (
            <select {...props} {...form.register('system')}>
              {PARTNER_SYSTEMS.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div className="check">
          <input id="partner-active" type="checkbox" {...form.register('active')} />
          <label htmlFor="partner-active">{t('partners.active')}</label>
        </div>
        <div className="form-actions">
          <button type="submit" disabled={add.isPending}>
            {t('partners.add')}
          </button>
        </div>
        {fields.other.length ? <ErrorBox error={{ message: fields.other.join(' ') }} /> : null}
      </form>
      {partners.isPending ? <Loading /> : <DataTable caption={t('partners.title')} columns={columns} data={partners.data?.items ?? []} />}
    </RequireRole>
  );
}
