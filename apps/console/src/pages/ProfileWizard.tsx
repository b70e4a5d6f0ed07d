import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from '@tanstack/react-router';
import { useEffect, useMemo, useState } from 'react';
import { FieldPath, useForm } from 'react-hook-form';
import { useTranslation } from 'react-i18next';
import { DAYS_OF_WEEK, GRANULARITIES, INTEGRATION_TYPES, SCHEDULE_TYPES } from '../../../../libs/database/src/entities/enums';
import { PROFILE_SYSTEMS } from '../../../../libs/connectors/src/systems';
import { ErrorBox, Field, Loading, PageHeader, RequireRole } from '../components/ui';
import { api, ApiError } from '../lib/api';
import { problemsByField } from '../lib/problems';
import type { Profile } from './Profiles';

interface WizardValues {
  code: string;
  name: string;
  integrationType: string;
  description: string;
  system: string;
  baseUrl: string;
  libraryCode: string;
  resourceSharingLibraryCode: string;
  authEnabled: boolean;
  apiKey: string;
  userId: string;
  password: string;
  active: boolean;
  harvestStartDate: string;
  granularity: string;
  scheduleType: string;
  time: string;
  dayOfWeek: string;
  everyMinutes: string;
  timezone: string;
}

/** The API's field paths (as its 400 messages name them) → the wizard's fields. */
const API_FIELDS: Record<string, FieldPath<WizardValues>> = {
  code: 'code',
  name: 'name',
  integrationType: 'integrationType',
  description: 'description',
  system: 'system',
  baseUrl: 'baseUrl',
  libraryCode: 'libraryCode',
  resourceSharingLibraryCode: 'resourceSharingLibraryCode',
  authentication: 'authEnabled',
  'authentication.enabled': 'authEnabled',
  'authentication.apiKey': 'apiKey',
  'authentication.userId': 'userId',
  'authentication.password': 'password',
  active: 'active',
  harvestStartDate: 'harvestStartDate',
  granularity: 'granularity',
  schedule: 'scheduleType',
  'schedule.type': 'scheduleType',
  'schedule.time': 'time',
  'schedule.dayOfWeek': 'dayOfWeek',
  'schedule.everyMinutes': 'everyMinutes',
  'schedule.timezone': 'timezone',
};
const PAGE_ONE: FieldPath<WizardValues>[] = ['code', 'name', 'integrationType', 'description'];
const localZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

const blank = (v: string) => (v.trim() === '' ? undefined : v.trim());

/** The profile as POST/PATCH /api/integration-profiles take it: what the system uses, empty inputs left out
 *  (so the API names what is missing), stored secrets kept when their field is left empty. */
function toBody(v: WizardValues, editing: boolean) {
  const body: Record<string, unknown> = {
    name: blank(v.name),
    description: v.description.trim() === '' ? (editing ? null : undefined) : v.description.trim(),
    libraryCode: blank(v.libraryCode),
    resourceSharingLibraryCode: blank(v.resourceSharingLibraryCode),
    active: v.active,
  };
  if (!editing) Object.assign(body, { code: blank(v.code), integrationType: v.integrationType, system: v.system });
  const auth: Record<string, unknown> = { enabled: v.system === 'LIBRIS' ? v.authEnabled : true };
  if (v.system === 'LIBRIS' && v.authEnabled && blank(v.apiKey)) auth.apiKey = v.apiKey.trim();
  if (v.system === 'NACSIS') auth.userId = blank(v.userId);
  if (v.system !== 'LIBRIS' && blank(v.password)) auth.password = v.password;
  body.authentication = auth;
  if (v.system !== 'NETPUNKT') {
    body.baseUrl = blank(v.baseUrl);
    body.harvestStartDate = blank(v.harvestStartDate);
    body.granularity = v.granularity;
    const schedule: Record<string, unknown> = { type: v.scheduleType };
    if (v.scheduleType === 'DAILY' || v.scheduleType === 'WEEKLY') schedule.time = blank(v.time);
    if (v.scheduleType === 'WEEKLY') schedule.dayOfWeek = blank(v.dayOfWeek);
    if (v.scheduleType === 'INTERVAL') schedule.everyMinutes = blank(v.everyMinutes) === undefined ? undefined : Number(v.everyMinutes);
    if (v.scheduleType !== 'NOT_SCHEDULED') schedule.timezone = blank(v.timezone);
    body.schedule = schedule;
  } else {
    body.schedule = { type: 'NOT_SCHEDULED' };
  }
  return JSON.parse(JSON.stringify(body)); // drops the undefined values
}

function fromProfile(p: Profile): WizardValues {
  return {
    code: p.code,
    name: p.name,
    integrationType: p.integrationType,
    description: p.description ?? '',
    system: p.system,
    baseUrl: p.baseUrl ?? '',
    libraryCode: p.libraryCode,
    resourceSharingLibraryCode: p.resourceSharingLibraryCode,
    authEnabled: p.authentication?.enabled ?? false,
    apiKey: '',
    userId: p.authentication?.userId ?? '',
    password: '',
    active: p.active,
    harvestStartDate: p.harvestStartDate ?? '',
    granularity: p.granularity ?? 'DAY',
    scheduleType: p.schedule?.type ?? 'NOT_SCHEDULED',
    time: p.schedule?.time ?? '',
    dayOfWeek: p.schedule?.dayOfWeek ?? '',
    everyMinutes: p.schedule?.everyMinutes ? String(p.schedule.everyMinutes) : '',
    timezone: p.schedule?.timezone ?? localZone(),
  };
}

const EMPTY: WizardValues = {
  code: '',
  name: '',
  integrationType: 'RESOURCE_SHARING',
  description: '',
  system: 'LIBRIS',
  baseUrl: '',
  libraryCode: '',
  resourceSharingLibraryCode: '',
  authEnabled: true,
  apiKey: '',
  userId: '',
  password: '',
  active: true,
  harvestStartDate: '',
  granularity: 'DAY',
  scheduleType: 'NOT_SCHEDULED',
  time: '',
  dayOfWeek: '',
  everyMinutes: '',
  timezone: '',
};

/** The integration profile wizard, two pages as in Alma: (1) code, name, integration type, description;
 *  (2) the external system. Every problem the API names is shown beside its field. */
export function ProfileWizardPage() {
  const params = useParams({ strict: false }) as { id?: string };
  const editing = !!params.id;
  const existing = useQuery({ queryKey: ['profile', params.id], queryFn: () => api<Profile>('profile-config', `/api/integration-profiles/${params.id}`), enabled: editing });
  return (
    <RequireRole role="admin">
      {editing && existing.isPending ? <Loading /> : editing && existing.error ? <ErrorBox error={existing.error} /> : <Wizard profile={existing.data} />}
    </RequireRole>
  );
}

function Wizard({ profile }: { profile?: Profile }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const editing = !!profile;
  const [page, setPage] = useState<1 | 2>(1);
  const [other, setOther] = useState<string[]>([]);
  const { register, handleSubmit, watch, trigger, setError, clearErrors, formState } = useForm<WizardValues>({
    defaultValues: profile ? fromProfile(profile) : { ...EMPTY, timezone: localZone() },
  });
  const libraries = useQuery({ queryKey: ['libraries'], queryFn: () => api<{ items: { code: string; name: string; resourceSharing: boolean }[] }>('profile-config', '/api/libraries?limit=500') });
  const zones = useMemo(() => (typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : []), []);
  const system = watch('system');
  const scheduleType = watch('scheduleType');
  const authEnabled = watch('authEnabled');

  const save = useMutation({
    mutationFn: (form: WizardValues) => {
      // Fields that cannot change once saved are disabled, and a disabled field has no value in the form.
      const values = profile ? { ...form, code: profile.code, system: profile.system, integrationType: profile.integrationType } : form;
      return editing
        ? api<Profile>('profile-config', `/api/integration-profiles/${profile!.id}`, { method: 'PATCH', body: toBody(values, true) })
        : api<Profile>('profile-config', '/api/integration-profiles', { method: 'POST', body: toBody(values, false) });
    },
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['profiles'] });
      void navigate({ to: '/profiles' });
    },
    onError: (error) => {
      if (!(error instanceof ApiError)) return setOther([String(error)]);
      // A duplicate code (409) belongs to the code field; a 400 names its fields.
      const messages = error.messages;
      const { byField, other: rest } = error.code === 'CONFLICT' && /code/i.test(messages.join(' ')) ? { byField: { code: messages }, other: [] } : problemsByField(messages, Object.keys(API_FIELDS));
      clearErrors();
      for (const [path, list] of Object.entries(byField)) setError(API_FIELDS[path], { type: 'server', message: list.join(' ') });
      setOther(error.status === 400 || error.code === 'CONFLICT' ? rest : messages);
      if (Object.keys(byField).some((path) => PAGE_ONE.includes(API_FIELDS[path]))) setPage(1);
    },
  });

  const err = (name: FieldPath<WizardValues>) => {
    const message = formState.errors[name as keyof WizardValues]?.message;
    return message ? [message] : undefined;
  };
  const next = async () => {
    if (await trigger(PAGE_ONE)) setPage(2);
  };
  useEffect(() => {
    document.getElementById('wizard-title')?.focus();
  }, [page]);

  const title = editing ? t('wizard.editTitle', { code: profile!.code, page }) : t('wizard.newTitle', { page });
  return (
    <>
      <p className="crumbs">
        <Link to="/profiles">{t('profiles.title')}</Link>
      </p>
      <PageHeader title={<span id="wizard-title" tabIndex={-1}>{title}</span>} />
      <ol className="steps" aria-label={title}>
        <li aria-current={page === 1 ? 'step' : undefined}>1. {t('wizard.page1')}</li>
        <li aria-current={page === 2 ? 'step' : undefined}>2. {t('wizard.page2')}</li>
      </ol>
      {other.length ? <ErrorBox error={new ApiError(400, 'VALIDATION_FAILED', other, null)} title={t('common.problems')} /> : null}
      <form className="card wizard" noValidate onSubmit={handleSubmit((values) => save.mutate(values))}>
        <div hidden={page !== 1}>
          <Field label={t('wizard.code')} errors={err('code')}>
            {(props) => <input {...props} disabled={editing} {...register('code', { validate: (v) => editing || v.trim() !== '' || 'code is required' })} />}
          </Field>
          <Field label={t('wizard.name')} errors={err('name')}>
            {(props) => <input {...props} {...register('name', { validate: (v) => v.trim() !== '' || 'name is required' })} />}
          </Field>
          <Field label={t('wizard.integrationType')} errors={err('integrationType')}>
            {(props) => (
              <select {...props} disabled={editing} {...register('integrationType')}>
                {INTEGRATION_TYPES.map((type) => (
                  <option key={type} value={type}>
                    {t(`wizard.${type}`)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label={t('wizard.description')} errors={err('description')}>
            {(props) => <textarea {...props} rows={3} {...register('description')} />}
          </Field>
          <div className="form-actions">
            <button type="button" onClick={() => void next()}>
              {t('common.next')}
            </button>
            <Link to="/profiles" className="button secondary">
              {t('common.cancel')}
            </Link>
          </div>
        </div>

        <div hidden={page !== 2}>
          <div className="form-grid">
            <Field label={t('wizard.system')} errors={err('system')}>
              {(props) => (
                <select {...props} disabled={editing} {...register('system')}>
                  {PROFILE_SYSTEMS.map((s) => (
                    <option key={s} value={s}>
                      {s}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            {system !== 'NETPUNKT' ? (
              <Field label={t('wizard.baseUrl')} errors={err('baseUrl')}>
                {(props) => <input {...props} type="url" placeholder="https://" {...register('baseUrl')} />}
              </Field>
            ) : null}
            <Field label={t('wizard.libraryCode')} errors={err('libraryCode')} help={t('wizard.libraryCodeHelp')}>
              {(props) => <input {...props} {...register('libraryCode')} />}
            </Field>
            <Field label={t('wizard.resourceSharingLibraryCode')} errors={err('resourceSharingLibraryCode')}>
              {(props) => (
                <select {...props} {...register('resourceSharingLibraryCode')}>
                  <option value="">{t('wizard.choose')}</option>
                  {(libraries.data?.items ?? [])
                    .filter((l) => l.resourceSharing)
                    .map((l) => (
                      <option key={l.code} value={l.code}>
                        {l.code} — {l.name}
                      </option>
                    ))}
                </select>
              )}
            </Field>
          </div>
          <fieldset>
            <legend>{t('wizard.authentication')}</legend>
            {system === 'LIBRIS' ? (
              <div className="check">
                <input id="auth-enabled" type="checkbox" {...register('authEnabled')} aria-invalid={err('authEnabled') ? true : undefined} />
                <label htmlFor="auth-enabled">{t('wizard.authEnabled')}</label>
                {err('authEnabled') ? <p className="field-error">{err('authEnabled')}</p> : null}
              </div>
            ) : null}
            <div className="form-grid">
              {system === 'LIBRIS' && authEnabled ? (
                <Field label={t('wizard.apiKey')} errors={err('apiKey')} help={profile?.authentication?.apiKeySet ? t('wizard.secretKept') : undefined}>
                  {(props) => <input {...props} type="password" autoComplete="off" {...register('apiKey')} />}
                </Field>
              ) : null}
              {system === 'NACSIS' ? (
                <Field label={t('wizard.userId')} errors={err('userId')}>
                  {(props) => <input {...props} autoComplete="off" {...register('userId')} />}
                </Field>
              ) : null}
              {system !== 'LIBRIS' ? (
                <Field label={t('wizard.password')} errors={err('password')} help={profile?.authentication?.passwordSet ? t('wizard.secretKept') : undefined}>
                  {(props) => <input {...props} type="password" autoComplete="new-password" {...register('password')} />}
                </Field>
              ) : null}
            </div>
          </fieldset>
          <div className="check">
            <input id="profile-active" type="checkbox" {...register('active')} />
            <label htmlFor="profile-active">{t('wizard.active')}</label>
          </div>
          {system !== 'NETPUNKT' ? (
            <>
              <div className="form-grid">
                <Field label={t('wizard.harvestStartDate')} errors={err('harvestStartDate')}>
                  {(props) => <input {...props} placeholder={watch('granularity') === 'SECOND' ? 'YYYY-MM-DDThh:mm:ssZ' : 'YYYY-MM-DD'} {...register('harvestStartDate')} />}
                </Field>
                <Field label={t('wizard.granularity')} errors={err('granularity')}>
                  {(props) => (
                    <select {...props} {...register('granularity')}>
                      {GRANULARITIES.map((g) => (
                        <option key={g} value={g}>
                          {t(`wizard.${g}`)}
                        </option>
                      ))}
                    </select>
                  )}
                </Field>
              </div>
              <fieldset>
                <legend>{t('wizard.schedule')}</legend>
                <div className="form-grid">
                  <Field label={t('wizard.scheduleType')} errors={err('scheduleType')}>
                    {(props) => (
                      <select {...props} {...register('scheduleType')}>
                        {SCHEDULE_TYPES.map((s) => (
                          <option key={s} value={s}>
                            {t(`wizard.${s}`)}
                          </option>
                        ))}
                      </select>
                    )}
                  </Field>
                  {scheduleType === 'WEEKLY' ? (
                    <Field label={t('wizard.dayOfWeek')} errors={err('dayOfWeek')}>
                      {(props) => (
                        <select {...props} {...register('dayOfWeek')}>
                          <option value="">{t('wizard.choose')}</option>
                          {DAYS_OF_WEEK.map((d) => (
                            <option key={d} value={d}>
                              {d}
                            </option>
                          ))}
                        </select>
                      )}
                    </Field>
                  ) : null}
                  {scheduleType === 'DAILY' || scheduleType === 'WEEKLY' ? (
                    <Field label={t('wizard.time')} errors={err('time')}>
                      {(props) => <input {...props} placeholder="02:30" {...register('time')} />}
                    </Field>
                  ) : null}
                  {scheduleType === 'INTERVAL' ? (
                    <Field label={t('wizard.everyMinutes')} errors={err('everyMinutes')}>
                      {(props) => <input {...props} type="number" min={5} step={1} {...register('everyMinutes')} />}
                    </Field>
                  ) : null}
                  {scheduleType !== 'NOT_SCHEDULED' ? (
                    <Field label={t('wizard.timezone')} errors={err('timezone')}>
                      {(props) => <input {...props} list="time-zones" {...register('timezone')} />}
                    </Field>
                  ) : null}
                </div>
                <datalist id="time-zones">
                  {zones.map((z) => (
                    <option key={z} value={z} />
                  ))}
                </datalist>
              </fieldset>
            </>
          ) : null}
          <div className="form-actions">
            <button type="button" className="secondary" onClick={() => setPage(1)}>
              {t('common.back')}
            </button>
            <button type="submit" disabled={save.isPending}>
              {t('common.save')}
            </button>
          </div>
        </div>
      </form>
    </>
  );
}
