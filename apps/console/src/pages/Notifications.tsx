import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { getRouteApi, Link } from '@tanstack/react-router';
import { ColumnDef } from '@tanstack/react-table';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { useTranslation } from 'react-i18next';
import { Badge, DataTable, DateTime, ErrorBox, Field, Loading, Notice, PageHeader, RequireRole } from '../components/ui';
import { api } from '../lib/api';
import { useServerErrors } from './crud';
import type { Profile } from './Profiles';

const route = getRouteApi('/profiles/$id/notifications');

interface Subscriber {
  id: string;
  channel: 'EMAIL' | 'WEBHOOK';
  name: string;
  email: string | null;
  url: string | null;
  events: string[] | null;
  active: boolean;
}
interface Delivery {
  id: string;
  eventType: string;
  status: string;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}
interface NewSubscriber {
  channel: 'EMAIL' | 'WEBHOOK';
  name: string;
  address: string;
}

const deliveryKind = (status: string) => (status === 'DELIVERED' ? 'ok' : status === 'FAILED' ? 'bad' : 'warn');

/** Notifications of one profile: its e-mail and webhook subscribers (a webhook's secret shown once), test-send, and
 *  each subscriber's delivery log. */
export function NotificationsPage() {
  const { t } = useTranslation();
  const { id } = route.useParams();
  const queryClient = useQueryClient();
  const profile = useQuery({ queryKey: ['profile', id], queryFn: () => api<Profile>('profile-config', `/api/integration-profiles/${id}`) });
  const subscribers = useQuery({ queryKey: ['subscribers', id], queryFn: () => api<{ items: Subscriber[] }>('profile-config', `/api/notification-subscribers?profileId=${id}&limit=500`) });
  const [shown, setShown] = useState<Subscriber | null>(null);
  const deliveries = useQuery({
    queryKey: ['deliveries', shown?.id],
    enabled: !!shown,
    queryFn: () => api<{ items: Delivery[] }>('profile-config', `/api/notification-subscribers/${shown!.id}/deliveries?limit=50`),
  });
  const [secret, setSecret] = useState<{ name: string; secret: string } | null>(null);
  const form = useForm<NewSubscriber>({ defaultValues: { channel: 'WEBHOOK', name: '', address: '' } });
  const channel = form.watch('channel');
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['subscribers', id] });
  const add = useMutation({
    mutationFn: ({ channel, name, address }: NewSubscriber) =>
      api<Subscriber & { secret?: string }>('profile-config', '/api/notification-subscribers', {
        method: 'POST',
        body: { profileId: id, channel, name: name.trim(), ...(channel === 'EMAIL' ? { email: address.trim() } : { url: address.trim() }) },
      }),
    onSuccess: (answer) => {
      setSecret(answer.secret ? { name: answer.name, secret: answer.secret } : null);
      form.reset({ channel: form.getValues('channel'), name: '', address: '' });
      void refresh();
    },
  });
  const test = useMutation({
    mutationFn: (s: Subscriber) => api<{ eventId: string }>('profile-config', `/api/notification-subscribers/${s.id}/test`, { method: 'POST' }),
    onSuccess: (_, s) => {
      setShown(s);
      setTimeout(() => void queryClient.invalidateQueries({ queryKey: ['deliveries', s.id] }), 1500);
    },
  });
  const remove = useMutation({
    mutationFn: (s: Subscriber) => api('profile-config', `/api/notification-subscribers/${s.id}`, { method: 'DELETE' }),
    onSuccess: (_, s) => {
      if (shown?.id === s.id) setShown(null);
      void refresh();
    },
  });
  const fields = useServerErrors(add.error, ['name', 'email', 'url']);
  const columns: ColumnDef<Subscriber, any>[] = [
    { accessorKey: 'name', header: t('notifications.name') },
    { accessorKey: 'channel', header: t('notifications.channel'), cell: ({ getValue }) => t(`notifications.${getValue()}`) },
    { id: 'address', header: t('notifications.address'), cell: ({ row }) => <code>{row.original.email ?? row.original.url}</code> },
    { id: 'events', header: t('notifications.events'), cell: ({ row }) => row.original.events?.join(', ') ?? t('notifications.allEvents') },
    {
      id: 'tools',
      header: t('common.actions'),
      enableSorting: false,
      cell: ({ row }) => (
        <span className="row-tools">
          <button type="button" className="secondary" onClick={() => test.mutate(row.original)} aria-label={t('notifications.testOf', { name: row.original.name })}>
            {t('notifications.test')}
          </button>
          <button type="button" className="secondary" onClick={() => setShown(row.original)} aria-label={t('notifications.deliveriesOf', { name: row.original.name })}>
            {t('notifications.deliveries')}
          </button>
          <button type="button" className="danger" onClick={() => remove.mutate(row.original)} aria-label={t('notifications.remove', { name: row.original.name })}>
            {t('common.delete')}
          </button>
        </span>
      ),
    },
  ];
  const deliveryColumns: ColumnDef<Delivery, any>[] = [
    { accessorKey: 'createdAt', header: t('notifications.createdAt'), cell: ({ getValue }) => <DateTime value={getValue()} /> },
    { accessorKey: 'eventType', header: t('notifications.eventType') },
    { accessorKey: 'status', header: t('notifications.status'), cell: ({ getValue }) => <Badge value={getValue()} kind={deliveryKind(getValue())} /> },
    { accessorKey: 'attempts', header: t('notifications.attempts') },
    { accessorKey: 'lastError', header: t('notifications.lastError') },
  ];
  return (
    <RequireRole role="admin">
      <p className="crumbs">
        <Link to="/profiles">{t('profiles.title')}</Link>
      </p>
      <PageHeader title={t('notifications.title', { name: profile.data ? `${profile.data.name} (${profile.data.code})` : '…' })} />
      {secret ? (
        <div className="alert alert-ok new-key" role="status">
          <p>{t('notifications.newSecret', { name: secret.name })}</p>
          <p>
            <code data-testid="new-webhook-secret">{secret.secret}</code>{' '}
            <button type="button" className="secondary" onClick={() => setSecret(null)}>
              {t('common.close')}
            </button>
          </p>
        </div>
      ) : null}
      {test.data ? <Notice>{t('notifications.testSent')}</Notice> : null}
      <ErrorBox error={subscribers.error ?? remove.error ?? test.error} />
      {subscribers.isPending ? <Loading /> : <DataTable caption={t('notifications.subscribers')} columns={columns} data={subscribers.data?.items ?? []} />}
      <form className="card form-row" noValidate onSubmit={form.handleSubmit((body) => add.mutate(body))} aria-label={t('notifications.add')}>
        <Field label={t('notifications.channel')}>
          {(props) => (
            <select {...props} {...form.register('channel')}>
              <option value="WEBHOOK">{t('notifications.WEBHOOK')}</option>
              <option value="EMAIL">{t('notifications.EMAIL')}</option>
            </select>
          )}
        </Field>
        <Field label={t('notifications.name')} errors={fields.byField.name}>
          {(props) => <input {...props} {...form.register('name')} />}
        </Field>
        <Field label={channel === 'EMAIL' ? t('notifications.email') : t('notifications.url')} errors={channel === 'EMAIL' ? fields.byField.email : fields.byField.url}>
          {(props) => <input {...props} type={channel === 'EMAIL' ? 'email' : 'url'} {...form.register('address')} />}
        </Field>
        <div className="form-actions">
          <button type="submit" disabled={add.isPending}>
            {t('notifications.add')}
          </button>
        </div>
        {fields.other.length ? <ErrorBox error={{ message: fields.other.join(' ') }} /> : null}
      </form>
      {shown ? (
        deliveries.isPending ? (
          <Loading />
        ) : (
          <DataTable caption={t('notifications.deliveriesOf', { name: shown.name })} columns={deliveryColumns} data={deliveries.data?.items ?? []} emptyText={t('notifications.noDeliveries')} />
        )
      ) : null}
    </RequireRole>
  );
}
