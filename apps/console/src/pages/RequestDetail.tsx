import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { getRouteApi, Link } from '@tanstack/react-router';
import { ColumnDef } from '@tanstack/react-table';
import { ReactNode, useState } from 'react';
import { useFieldArray, useForm } from 'react-hook-form';
import { useTranslation } from 'react-i18next';
import { Badge, DataTable, DateTime, ErrorBox, Field, Loading, Notice, PageHeader, stateKind } from '../components/ui';
import { api, ApiError } from '../lib/api';
import { idempotencyKey } from '../lib/ids';
import { problemsByField } from '../lib/problems';
import { ChargeLine, chargeSubtotal, shipFields, shipTotal } from '../lib/ship';
import { useSession } from '../session';

const route = getRouteApi('/request/$id');

interface OutboundAction {
  id: string;
  seq: number;
  action: string;
  nacsisCommand: string | null;
  state: string;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
}
interface HistoryEvent {
  type: string;
  fromStatus: string | null;
  toStatus: string | null;
  externalSystemStatus: string | null;
  message: string | null;
  jobRunId: string | null;
  /** The API key that took a staff action. */
  actor: { keyId: string; keyName: string } | null;
  createdAt: string;
}
interface RequestDetail {
  id: string;
  [field: string]: any;
  events: HistoryEvent[];
  outboundActions: OutboundAction[];
}
interface AllowedActions {
  allowed: string[];
  externalSystemStatus: string | null;
  pending: OutboundAction[];
}

const NOTE_REQUIRED = ['REJECT', 'CLAIM'];
const WITH_FORM = ['SHIP', ...NOTE_REQUIRED];

/** The request with every field, its history, its outbound actions and the actions allowed now. */
export function RequestDetailPage() {
  const { t } = useTranslation();
  const { id } = route.useParams();
  const { can } = useSession();
  const queryClient = useQueryClient();
  const request = useQuery({
    queryKey: ['request', id],
    queryFn: () => api<RequestDetail>('reporting', `/api/requests/${id}`),
    // While an action is on its way to NACSIS, the page follows it by itself.
    refetchInterval: (query) => {
      const data = query.state.data;
      return data && (data.syncState === 'PUSH_PENDING' || data.outboundActions.some((a) => a.state === 'PENDING' || a.state === 'SENDING')) ? 1000 : false;
    },
  });
  const actions = useQuery({ queryKey: ['actions', id], queryFn: () => api<AllowedActions>('action-push', `/api/requests/${id}/actions`) });
  const [form, setForm] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: ['request', id] });
    void queryClient.invalidateQueries({ queryKey: ['actions', id] });
    void queryClient.invalidateQueries({ queryKey: ['requests'] });
  };
  const take = useMutation({
    mutationFn: (body: { action: string; note?: string; fields?: Record<string, unknown> }) =>
      api('action-push', `/api/requests/${id}/actions`, { method: 'POST', body, headers: { 'Idempotency-Key': idempotencyKey() } }),
    onSuccess: (_answer, body) => {
      setForm(null);
      setDone(body.action);
      refresh();
    },
    onError: (error) => {
      setDone(null);
      // Refused because the request moved on (another desk, a sync): the buttons show what is allowed now.
      if (error instanceof ApiError && error.status === 409) void queryClient.invalidateQueries({ queryKey: ['actions', id] });
    },
  });
  const outbound = useMutation({
    mutationFn: ({ actionId, verb }: { actionId: string; verb: 'retry' | 'discard' }) => api('action-push', `/api/outbound-actions/${actionId}/${verb}`, { method: 'POST' }),
    onSuccess: refresh,
  });

  // A draft created in ILL Bridge (POST /api/borrowing-requests) is ordered in NACSIS through its own route.
  const order = useMutation({
    mutationFn: () => api('action-push', `/api/borrowing-requests/${id}/order`, { method: 'POST', body: {}, headers: { 'Idempotency-Key': idempotencyKey() } }),
    onSuccess: refresh,
  });

  if (request.isPending) return <Loading />;
  if (request.error) return <ErrorBox error={request.error} />;
  const r = request.data;
  const actionLabel = (a: string) => t(`action.${a}`, { defaultValue: a });
  const start = (action: string) => {
    take.reset();
    setDone(null);
    if (WITH_FORM.includes(action)) setForm(action);
    else {
      setForm(null);
      take.mutate({ action });
    }
  };
  const refusal = take.error instanceof ApiError && (take.error.code === 'NACSIS_ACTION_NOT_ALLOWED' || take.error.code === 'ACTION_NOT_ALLOWED') ? take.error : null;
  const formProblems = take.error instanceof ApiError && take.error.status === 400 ? take.error.messages : [];

  const historyColumns: ColumnDef<HistoryEvent, any>[] = [
    { accessorKey: 'createdAt', header: t('detail.when'), cell: ({ getValue }) => <DateTime value={getValue()} /> },
    { accessorKey: 'type', header: t('detail.event') },
    { accessorKey: 'fromStatus', header: t('detail.from'), cell: ({ getValue }) => (getValue() ? t(`status.${getValue()}`, { defaultValue: getValue() }) : '—') },
    { accessorKey: 'toStatus', header: t('detail.to'), cell: ({ getValue }) => (getValue() ? t(`status.${getValue()}`, { defaultValue: getValue() }) : '—') },
    { accessorKey: 'externalSystemStatus', header: t('field.externalSystemStatus'), cell: ({ getValue }) => getValue() ?? '—' },
    { accessorKey: 'message', header: t('detail.message'), cell: ({ getValue }) => getValue() ?? '—' },
    { id: 'actor', accessorFn: (e) => e.actor?.keyName ?? null, header: t('detail.by'), cell: ({ getValue }) => getValue() ?? '—' },
    {
      accessorKey: 'jobRunId',
      header: t('detail.job'),
      enableSorting: false,
      cell: ({ getValue }) =>
        getValue() ? (
          <Link to="/jobs/$id" params={{ id: getValue() }}>
            {t('report.title')}
          </Link>
        ) : (
          '—'
        ),
    },
  ];
  const outboundColumns: ColumnDef<OutboundAction, any>[] = [
    { accessorKey: 'seq', header: t('detail.seq') },
    { accessorKey: 'action', header: t('detail.action'), cell: ({ getValue }) => actionLabel(getValue()) },
    { accessorKey: 'nacsisCommand', header: t('detail.command'), cell: ({ getValue }) => getValue() ?? '—' },
    { accessorKey: 'state', header: t('detail.state'), cell: ({ getValue }) => <Badge value={t(`state.${getValue()}`, { defaultValue: getValue() })} kind={stateKind(getValue())} /> },
    { accessorKey: 'attempts', header: t('detail.attempts') },
    { accessorKey: 'lastError', header: t('detail.lastError'), cell: ({ getValue }) => getValue() ?? '—' },
    { accessorKey: 'createdAt', header: t('field.createdAt'), cell: ({ getValue }) => <DateTime value={getValue()} /> },
    { accessorKey: 'sentAt', header: t('detail.sentAt'), cell: ({ getValue }) => <DateTime value={getValue()} /> },
  ];

  const nacsis = r.system === 'NACSIS';
  const failed = r.outboundActions.filter((a) => a.state === 'FAILED');
  const value = (field: string): ReactNode => {
    const v = r[field];
    if (v === null || v === undefined || v === '') return <span className="muted">—</span>;
    if (field === 'status') return t(`status.${v}`, { defaultValue: v });
    if (field === 'syncState') return <Badge value={t(`sync.${v}`)} kind={stateKind(v)} />;
    if (field === 'direction') return t(`dir.${v}`, { defaultValue: v });
    if (field === 'createdAt' || field === 'updatedAt' || field === 'statusSince') return <DateTime value={v} />;
    if (field === 'overdue') return v ? <Badge value={t('desk.overdueYes')} kind="bad" /> : t('common.no');
    if (field === 'closed') return v ? t('common.yes') : t('common.no');
    if (field === 'lastJobRunId')
      return (
        <Link to="/jobs/$id" params={{ id: v }}>
          {t('report.title')}
        </Link>
      );
    if (field === 'partners') return Array.isArray(v) && v.length ? v.map((p: any) => (typeof p === 'string' ? p : [p.code, p.name].filter(Boolean).join(' '))).join(', ') : <span className="muted">—</span>;
    return String(v);
  };
  const group = (title: string, fields: string[]) => (
    <section className="card" aria-labelledby={`g-${title}`}>
      <h2 id={`g-${title}`}>{t(title)}</h2>
      <dl className="fields">
        {fields.map((f) => (
          <div key={f}>
            <dt>{t(f === 'requesterName' && nacsis ? 'field.requesterNameNacsis' : `field.${f}`)}</dt>
            <dd>{value(f)}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
  return (
    <>
      <p className="crumbs">
        <Link to="/requests/$direction" params={{ direction: r.direction === 'LENDING' ? 'lending' : 'borrowing' }}>
          {t('detail.back')}
        </Link>
      </p>
      <PageHeader title={<>{t('detail.title', { id: r.externalId })}</>}>
        <Badge value={r.externalSystemStatus ?? '—'} />
        <Badge value={t(`status.${r.status}`, { defaultValue: r.status })} />
      </PageHeader>

      <section className="card actions-card" aria-labelledby="actions-title">
        <h2 id="actions-title">{t('detail.actions')}</h2>
        {done && !failed.length ? <Notice>{t('detail.taken', { action: actionLabel(done) })}</Notice> : null}
        {refusal ? (
          <div className="alert alert-error" role="alert">
            <strong>{refusal.code === 'NACSIS_ACTION_NOT_ALLOWED' ? t('detail.notAllowed') : t('detail.localNotAllowed')}</strong>
            <p>{refusal.messages.join(' ')}</p>
            {Array.isArray(refusal.body?.allowed) ? (
              <p>
                {t('detail.allowedNow')}: {refusal.body.allowed.length ? refusal.body.allowed.map(actionLabel).join(', ') : '—'}
              </p>
            ) : null}
          </div>
        ) : take.error && !formProblems.length ? (
          <ErrorBox error={take.error} />
        ) : null}
        {failed.map((a) => (
          <div key={a.id} className="alert alert-error push-failed" role="alert">
            <strong>{t('detail.pushFailed')}</strong>
            <p>
              #{a.seq} {actionLabel(a.action)} ({a.nacsisCommand ?? '—'}): {a.lastError ?? '—'}
            </p>
            {can('operator') ? (
              <p className="row-tools">
                <button type="button" onClick={() => outbound.mutate({ actionId: a.id, verb: 'retry' })} disabled={outbound.isPending} aria-label={`${t('detail.retry')}: #${a.seq} ${actionLabel(a.action)}`}>
                  {t('detail.retry')}
                </button>
                <button type="button" className="danger" onClick={() => outbound.mutate({ actionId: a.id, verb: 'discard' })} disabled={outbound.isPending} aria-label={`${t('detail.discard')}: #${a.seq} ${actionLabel(a.action)}`}>
                  {t('detail.discard')}
                </button>
              </p>
            ) : null}
          </div>
        ))}
        <ErrorBox error={outbound.error} />
        {can('operator') && r.requestNumber && !r.externalSystemStatus && r.profileId && !r.outboundActions.some((a) => a.action === 'ORDER' && a.state !== 'DISCARDED') ? (
          <div className="action-buttons" role="group" aria-label={t('newRequest.orderDraft')}>
            <button type="button" onClick={() => order.mutate()} disabled={order.isPending}>
              {t('newRequest.orderNow')}
            </button>
          </div>
        ) : null}
        <ErrorBox error={order.error} />
        {actions.error ? <ErrorBox error={actions.error} /> : null}
        {!can('operator') ? (
          <p className="muted">{t('detail.viewOnly')}</p>
        ) : actions.data ? (
          actions.data.allowed.length ? (
            <div className="action-buttons" role="group" aria-label={t('detail.allowedNow')}>
              {actions.data.allowed.map((a) => (
                <button key={a} type="button" onClick={() => start(a)} disabled={take.isPending} aria-expanded={WITH_FORM.includes(a) ? form === a : undefined}>
                  {actionLabel(a)}
                </button>
              ))}
            </div>
          ) : (
            <p className="muted">{t('detail.noActions')}</p>
          )
        ) : (
          <Loading />
        )}
        {form === 'SHIP' ? (
          <ShipForm format={r.format} problems={formProblems} busy={take.isPending} onCancel={() => setForm(null)} onSubmit={(body) => take.mutate({ action: 'SHIP', ...body })} />
        ) : form ? (
          <NoteForm action={form} problems={formProblems} busy={take.isPending} onCancel={() => setForm(null)} onSubmit={(note) => take.mutate({ action: form, note })} />
        ) : null}
      </section>

      <div className="card-grid">
        {group('detail.general', ['externalId', 'requestNumber', 'externalRef', 'system', 'direction', 'status', 'externalSystemStatus', 'format', 'ownerLibraryCode', 'pickupLibraryCode', 'lastInterestDate', 'dueDate', 'overdue', 'note', 'closed'])}
        {group('detail.partnersSection', ['partnerCode', 'partners', 'requesterName', 'requesterId'])}
        {group('detail.biblio', ['title', 'author', 'articleTitle', 'articleAuthor', 'isbn', 'issn', 'publisher', 'placeOfPublication', 'year', 'edition', 'volume', 'issue', 'pages'])}
        {group('detail.sync', ['syncState', 'syncError', 'lastJobRunId', 'statusSince', 'createdAt', 'updatedAt'])}
      </div>

      <section className="card" aria-labelledby="outbound-title">
        <h2 id="outbound-title">{t('detail.outbound')}</h2>
        <DataTable caption={t('detail.outbound')} columns={outboundColumns} data={r.outboundActions} rowClassName={(a) => (a.state === 'FAILED' ? 'row-bad' : undefined)} />
      </section>
      <section className="card" aria-labelledby="history-title">
        <h2 id="history-title">{t('detail.history')}</h2>
        <DataTable caption={t('detail.history')} columns={historyColumns} data={r.events} />
      </section>
      <details className="card raw">
        <summary>{t('detail.raw')}</summary>
        <pre tabIndex={0}>{JSON.stringify(r.raw, null, 2)}</pre>
      </details>
    </>
  );
}

function NoteForm({ action, problems, busy, onCancel, onSubmit }: { action: string; problems: string[]; busy: boolean; onCancel: () => void; onSubmit: (note: string) => void }) {
  const { t } = useTranslation();
  const label = t(`action.${action}`, { defaultValue: action });
  const { register, handleSubmit, formState } = useForm<{ note: string }>({ defaultValues: { note: '' } });
  const { byField, other } = problemsByField(problems, ['note']);
  const errors = [...(formState.errors.note?.message ? [formState.errors.note.message] : []), ...(byField.note ?? [])];
  return (
    <form className="action-form" onSubmit={handleSubmit((v) => onSubmit(v.note.trim()))} noValidate aria-label={t('detail.noteFor', { action: label })}>
      {other.length ? <ErrorBox error={new ApiError(400, 'VALIDATION_FAILED', other, null)} title={t('common.problems')} /> : null}
      <Field label={t('detail.noteFor', { action: label })} errors={errors.length ? errors : undefined}>
        {(props) => <textarea {...props} rows={3} {...register('note', { validate: (v) => !NOTE_REQUIRED.includes(action) || v.trim() !== '' || t('detail.noteRequired', { action: label }) })} />}
      </Field>
      <div className="form-actions">
        <button type="submit" disabled={busy}>
          {t('detail.send', { action: label })}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}

interface ShipValues {
  dueDate: string;
  shipDate: string;
  charges: ChargeLine[];
  fee: string;
  postage: string;
  note: string;
}

/** SHIP: due date (required for loans), ship date, charge lines, fee and postage, with the total computed as NACSIS's SUM will be. */
function ShipForm({ format, problems, busy, onCancel, onSubmit }: { format: string | null; problems: string[]; busy: boolean; onCancel: () => void; onSubmit: (body: { note?: string; fields: Record<string, unknown> }) => void }) {
  const { t } = useTranslation();
  const { register, handleSubmit, control, watch, formState } = useForm<ShipValues>({
    defaultValues: { dueDate: '', shipDate: new Date().toISOString().slice(0, 10), charges: [{ item: '', quantity: '', unitPrice: '' }], fee: '', postage: '', note: '' },
  });
  const lines = useFieldArray({ control, name: 'charges' });
  const charges = watch('charges');
  const total = shipTotal(charges, watch('fee'), watch('postage'));
  const paths = ['fields.dueDate', 'fields.shipDate', 'fields.charges', 'fields.fee', 'fields.postage', 'note', 'the total', ...charges.flatMap((_, i) => [`fields.charges[${i}].item`, `fields.charges[${i}].quantity`, `fields.charges[${i}].unitPrice`, `fields.charges[${i}]`])];
  const { byField, other } = problemsByField(problems, paths);
  const errorsOf = (path: string, local?: string) => {
    const list = [...(local ? [local] : []), ...(byField[path] ?? [])];
    return list.length ? list : undefined;
  };
  return (
    <form
      className="action-form"
      noValidate
      aria-label={t('detail.shipTitle')}
      onSubmit={handleSubmit((v) => onSubmit({ note: v.note.trim() || undefined, fields: shipFields(v) }))}
    >
      <h3>{t('detail.shipTitle')}</h3>
      {other.length || byField['the total'] || byField['fields.charges'] ? (
        <ErrorBox error={new ApiError(400, 'VALIDATION_FAILED', [...other, ...(byField['the total'] ?? []), ...(byField['fields.charges'] ?? [])], null)} title={t('common.problems')} />
      ) : null}
      <div className="form-row">
        <Field label={t('detail.dueDate')} errors={errorsOf('fields.dueDate', formState.errors.dueDate?.message)}>
          {(props) => <input {...props} type="date" {...register('dueDate', { validate: (v) => format !== 'LOAN' || v !== '' || t('detail.dueDateRequired') })} />}
        </Field>
        <Field label={t('detail.shipDate')} errors={errorsOf('fields.shipDate')}>
          {(props) => <input {...props} type="date" {...register('shipDate')} />}
        </Field>
      </div>
      <fieldset>
        <legend>{t('detail.charges')}</legend>
        {lines.fields.map((line, i) => (
          <div className="form-row charge-line" key={line.id}>
            <Field label={`${t('detail.item')} ${i + 1}`} errors={errorsOf(`fields.charges[${i}].item`) ?? errorsOf(`fields.charges[${i}]`)}>
              {(props) => <input {...props} {...register(`charges.${i}.item`)} placeholder="A4" />}
            </Field>
            <Field label={`${t('detail.quantity')} ${i + 1}`} errors={errorsOf(`fields.charges[${i}].quantity`)}>
              {(props) => <input {...props} type="number" min={1} step={1} inputMode="numeric" {...register(`charges.${i}.quantity`)} />}
            </Field>
            <Field label={`${t('detail.unitPrice')} ${i + 1}`} errors={errorsOf(`fields.charges[${i}].unitPrice`)}>
              {(props) => <input {...props} type="number" min={0} step={1} inputMode="numeric" {...register(`charges.${i}.unitPrice`)} />}
            </Field>
            <p className="subtotal">
              {t('detail.subtotal')}: <output>{t('detail.yen', { amount: chargeSubtotal(charges[i] ?? line).toLocaleString() })}</output>
            </p>
            <button type="button" className="secondary" aria-label={t('detail.removeCharge', { n: i + 1 })} onClick={() => lines.remove(i)}>
              ×
            </button>
          </div>
        ))}
        <button type="button" className="secondary" onClick={() => lines.append({ item: '', quantity: '', unitPrice: '' })}>
          {t('detail.addCharge')}
        </button>
      </fieldset>
      <div className="form-row">
        <Field label={t('detail.fee')} errors={errorsOf('fields.fee')}>
          {(props) => <input {...props} type="number" min={0} step={1} inputMode="numeric" {...register('fee')} />}
        </Field>
        <Field label={t('detail.postage')} errors={errorsOf('fields.postage')}>
          {(props) => <input {...props} type="number" min={0} step={1} inputMode="numeric" {...register('postage')} />}
        </Field>
        <p className="total">
          {t('detail.total')}: <output data-testid="ship-total">{t('detail.yen', { amount: total.toLocaleString() })}</output>
        </p>
      </div>
      <Field label={t('detail.noteFor', { action: t('action.SHIP') })} errors={errorsOf('note')}>
        {(props) => <textarea {...props} rows={2} {...register('note')} />}
      </Field>
      <div className="form-actions">
        <button type="submit" disabled={busy}>
          {t('detail.send', { action: t('action.SHIP') })}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
