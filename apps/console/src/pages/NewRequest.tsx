import { useMutation, useQuery } from '@tanstack/react-query';
import { Link, useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { useTranslation } from 'react-i18next';
import { ColumnDef } from '@tanstack/react-table';
import { DataTable, ErrorBox, Field, PageHeader, RequireRole } from '../components/ui';
import { api } from '../lib/api';
import { useServerErrors } from './crud';

interface Profile {
  id: string;
  code: string;
  name: string;
  system: string;
  active: boolean;
}
interface Library {
  code: string;
  name: string;
}
interface Holding {
  bibId: string;
  participantId: string;
  name: string | null;
  location: string | null;
  volumes: string[];
  callNumber: string | null;
}
interface HoldingsAnswer {
  bibliographies: { bibId: string; title: string | null }[];
  holdings: Holding[];
}

interface FormValues {
  profileId: string;
  format: 'COPY' | 'LOAN';
  title: string;
  author: string;
  publisher: string;
  year: string;
  volume: string;
  issue: string;
  pages: string;
  articleTitle: string;
  isbn: string;
  issn: string;
  bibId: string;
  requesterId: string;
  requesterName: string;
  pickupLibraryCode: string;
  accounting: string;
  copyType: string;
  staff: string;
  address: string;
  note: string;
}

const MAX_LENDERS = 5;
const FIELDS = [
  'profileId', 'format', 'title', 'author', 'publisher', 'year', 'volume', 'issue', 'pages', 'articleTitle', 'isbn', 'issn', 'bibId', 'requesterId', 'requesterName',
  'pickupLibraryCode', 'lenders', 'nacsis', 'note',
];
const TEXT_FIELDS = ['title', 'author', 'publisher', 'year', 'volume', 'issue', 'pages', 'articleTitle', 'isbn', 'issn', 'bibId', 'requesterId', 'requesterName', 'note'] as const;

/** The body of POST /api/borrowing-requests from the form: empty texts are left out. */
function bodyOf(values: FormValues, lenders: Holding[]) {
  const body: Record<string, unknown> = { format: values.format, pickupLibraryCode: values.pickupLibraryCode };
  if (values.profileId) body.profileId = values.profileId;
  for (const key of TEXT_FIELDS) if (values[key].trim()) body[key] = values[key].trim();
  if (!body.title) body.title = '';
  const nacsis: Record<string, string> = {};
  for (const key of ['accounting', 'copyType', 'staff', 'address'] as const) if (values[key].trim()) nacsis[key] = values[key].trim();
  if (Object.keys(nacsis).length) body.nacsis = nacsis;
  if (lenders.length) {
    body.lenders = lenders.map((h) => ({
      participantId: h.participantId,
      ...(h.name ? { name: h.name } : {}),
      ...(h.location ? { location: h.location } : {}),
      ...(values.volume.trim() ? { volume: values.volume.trim() } : {}),
    }));
  }
  return body;
}

/** "New request" (Borrowing requests): search NACSIS-CAT holdings by BIBID, ISBN or ISSN, tick the candidate lenders
 *  (in the order ticked, at most five), fill in the request, then save it as a draft or order it now. */
export function NewRequestPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const profiles = useQuery({ queryKey: ['profiles', 'NACSIS'], queryFn: () => api<{ items: Profile[] }>('profile-config', '/api/integration-profiles?system=NACSIS&limit=500') });
  const libraries = useQuery({ queryKey: ['libraries'], queryFn: () => api<{ items: Library[] }>('profile-config', '/api/libraries?limit=500') });
  const profileList = (profiles.data?.items ?? []).filter((p) => p.system === 'NACSIS');
  const form = useForm<FormValues>({
    defaultValues: {
      profileId: '', format: 'COPY', title: '', author: '', publisher: '', year: '', volume: '', issue: '', pages: '', articleTitle: '', isbn: '', issn: '', bibId: '',
      requesterId: '', requesterName: '', pickupLibraryCode: '', accounting: 'pb', copyType: '', staff: '', address: '', note: '',
    },
  });
  const [searchKind, setSearchKind] = useState<'bibId' | 'isbn' | 'issn'>('bibId');
  const [searchValue, setSearchValue] = useState('');
  const [lenders, setLenders] = useState<Holding[]>([]);

  const holdings = useMutation({
    mutationFn: () =>
      api<HoldingsAnswer>('action-push', `/api/nacsis/holdings?profileId=${encodeURIComponent(form.getValues('profileId'))}&${searchKind}=${encodeURIComponent(searchValue.trim())}`),
    onSuccess: (answer) => {
      setLenders([]);
      const [first] = answer.bibliographies;
      if (first?.bibId && !form.getValues('bibId')) form.setValue('bibId', first.bibId);
      if (first?.title && !form.getValues('title')) form.setValue('title', first.title);
      if (searchKind !== 'bibId' && !form.getValues(searchKind)) form.setValue(searchKind, searchValue.trim());
    },
  });
  const save = useMutation({
    // Once created, the request is shown even if its ORDER is refused (the detail page tells why): never created twice.
    mutationFn: async ({ values, order }: { values: FormValues; order: boolean }) => {
      const created = await api<{ id: string }>('action-push', '/api/borrowing-requests', { method: 'POST', body: bodyOf(values, lenders) });
      if (order) await api('action-push', `/api/borrowing-requests/${created.id}/order`, { method: 'POST', body: {} }).catch(() => undefined);
      return created;
    },
    onSuccess: (created) => void navigate({ to: '/request/$id', params: { id: created.id } }),
  });
  const errors = useServerErrors(save.error, FIELDS);
  const toggle = (holding: Holding) =>
    setLenders((current) => (current.some((l) => l.participantId === holding.participantId) ? current.filter((l) => l.participantId !== holding.participantId) : current.length < MAX_LENDERS ? [...current, holding] : current));
  const holdingColumns: ColumnDef<Holding, any>[] = [
    {
      id: 'candidate',
      header: t('newRequest.candidate'),
      enableSorting: false,
      cell: ({ row }) => {
        const h = row.original;
        const index = lenders.findIndex((l) => l.participantId === h.participantId);
        const id = `lender-${h.participantId}`;
        return (
          <>
            <input id={id} type="checkbox" checked={index >= 0} disabled={index < 0 && lenders.length >= MAX_LENDERS} onChange={() => toggle(h)} />{' '}
            <label htmlFor={id}>{index >= 0 ? t('newRequest.order', { n: index + 1 }) : t('newRequest.tick', { id: h.participantId })}</label>
          </>
        );
      },
    },
    { id: 'library', header: t('newRequest.library'), enableSorting: false, cell: ({ row }) => `${row.original.participantId} ${row.original.name ?? ''}`.trim() },
    { id: 'location', header: t('newRequest.location'), enableSorting: false, cell: ({ row }) => row.original.location ?? '—' },
    { id: 'volumes', header: t('field.volume'), enableSorting: false, cell: ({ row }) => row.original.volumes.join(', ') || '—' },
    { id: 'callNumber', header: t('newRequest.callNumber'), enableSorting: false, cell: ({ row }) => row.original.callNumber ?? '—' },
  ];
  const text = (name: keyof FormValues, label: string) => (
    <Field label={label} errors={errors.byField[name]}>
      {(props) => <input {...props} {...form.register(name)} />}
    </Field>
  );
  const submit = (order: boolean) => form.handleSubmit((values) => save.mutate({ values, order }));

  return (
    <RequireRole role="operator">
      <PageHeader title={t('newRequest.title')}>
        <Link to="/requests/$direction" params={{ direction: 'borrowing' }}>
          {t('detail.back')}
        </Link>
      </PageHeader>
      <ErrorBox error={profiles.error ?? libraries.error} />
      <form className="card" noValidate aria-label={t('newRequest.title')} onSubmit={(e) => e.preventDefault()}>
        <fieldset>
          <legend>{t('newRequest.locate')}</legend>
          <Field label={t('field.profile')} errors={errors.byField.profileId}>
            {(props) => (
              <select {...props} {...form.register('profileId')}>
                <option value="">{t('newRequest.noProfile')}</option>
                {profileList.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name} ({p.code})
                  </option>
                ))}
              </select>
            )}
          </Field>
          <div className="form-row">
            <Field label={t('newRequest.searchBy')}>
              {(props) => (
                <select {...props} value={searchKind} onChange={(e) => setSearchKind(e.target.value as 'bibId' | 'isbn' | 'issn')}>
                  <option value="bibId">BIBID</option>
                  <option value="isbn">ISBN</option>
                  <option value="issn">ISSN</option>
                </select>
              )}
            </Field>
            <Field label={t('newRequest.searchValue')}>{(props) => <input {...props} value={searchValue} onChange={(e) => setSearchValue(e.target.value)} />}</Field>
            <div className="form-actions">
              <button type="button" className="secondary" disabled={!searchValue.trim() || holdings.isPending} onClick={() => holdings.mutate()}>
                {t('newRequest.searchHoldings')}
              </button>
            </div>
          </div>
          <ErrorBox error={holdings.error} />
          {holdings.data ? (
            holdings.data.holdings.length ? (
              <DataTable caption={t('newRequest.holdings')} columns={holdingColumns} data={holdings.data.holdings} />
            ) : (
              <p>{t('newRequest.noHoldings')}</p>
            )
          ) : null}
          {errors.byField.lenders ? <ErrorBox error={{ message: errors.byField.lenders.join(' ') }} /> : null}
          <p data-testid="candidates">{t('newRequest.candidates', { list: lenders.map((l) => l.participantId).join(' → ') || '—' })}</p>
        </fieldset>
        <fieldset>
          <legend>{t('detail.biblio')}</legend>
          <Field label={t('field.format')} errors={errors.byField.format}>
            {(props) => (
              <select {...props} {...form.register('format')}>
                <option value="COPY">{t('newRequest.copy')}</option>
                <option value="LOAN">{t('newRequest.loan')}</option>
              </select>
            )}
          </Field>
          {text('title', t('field.title'))}
          {text('author', t('field.author'))}
          {text('publisher', t('field.publisher'))}
          {text('year', t('field.year'))}
          {text('volume', t('field.volume'))}
          {text('issue', t('field.issue'))}
          {text('pages', t('field.pages'))}
          {text('articleTitle', t('field.articleTitle'))}
          {text('isbn', t('field.isbn'))}
          {text('issn', t('field.issn'))}
          {text('bibId', 'BIBID')}
        </fieldset>
        <fieldset>
          <legend>{t('detail.partnersSection')}</legend>
          {text('requesterId', t('field.requesterId'))}
          {text('requesterName', t('field.requesterName'))}
          <Field label={t('field.pickupLibraryCode')} errors={errors.byField.pickupLibraryCode}>
            {(props) => (
              <select {...props} {...form.register('pickupLibraryCode')}>
                <option value="">—</option>
                {(libraries.data?.items ?? []).map((l) => (
                  <option key={l.code} value={l.code}>
                    {l.name} ({l.code})
                  </option>
                ))}
              </select>
            )}
          </Field>
          {text('accounting', t('newRequest.accounting'))}
          {text('copyType', t('newRequest.copyType'))}
          {text('staff', t('newRequest.staff'))}
          {text('address', t('newRequest.address'))}
          {text('note', t('field.note'))}
          {errors.byField.nacsis ? <ErrorBox error={{ message: errors.byField.nacsis.join(' ') }} /> : null}
        </fieldset>
        {errors.other.length ? <ErrorBox error={{ message: errors.other.join(' ') }} /> : null}
        <div className="form-actions">
          <button type="button" className="secondary" disabled={save.isPending} onClick={submit(false)}>
            {t('newRequest.saveDraft')}
          </button>
          <button type="button" disabled={save.isPending || !lenders.length || !form.watch('profileId')} onClick={submit(true)}>
            {t('newRequest.orderNow')}
          </button>
        </div>
      </form>
    </RequireRole>
  );
}
