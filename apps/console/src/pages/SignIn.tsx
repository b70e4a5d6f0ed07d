import { useForm } from 'react-hook-form';
import { useTranslation } from 'react-i18next';
import { Field } from '../components/ui';
import { LANGUAGES } from '../i18n';
import { ApiError } from '../lib/api';
import { useSession } from '../session';

export function SignIn() {
  const { t, i18n } = useTranslation();
  const { signIn } = useSession();
  const { register, handleSubmit, setError, formState } = useForm<{ key: string }>({ defaultValues: { key: '' } });
  const submit = handleSubmit(async ({ key }) => {
    try {
      await signIn(key.trim());
    } catch (error) {
      setError('key', { message: error instanceof ApiError && error.status === 401 ? t('signIn.unknown') : (error as Error).message });
    }
  });
  return (
    <main className="signin" id="main">
      <form onSubmit={submit} noValidate aria-labelledby="signin-title">
        <p className="brand-name">{t('app.title')}</p>
        <h1 id="signin-title">{t('signIn.title')}</h1>
        <p className="muted">{t('signIn.help')}</p>
        <Field label={t('signIn.apiKey')} errors={formState.errors.key?.message ? [formState.errors.key.message] : undefined}>
          {(props) => <input {...props} type="password" autoComplete="off" autoFocus {...register('key', { required: t('signIn.required'), validate: (v) => v.trim() !== '' || t('signIn.required') })} />}
        </Field>
        <div className="form-actions">
          <button type="submit" disabled={formState.isSubmitting}>
            {t('signIn.submit')}
          </button>
          <label className="lang">
            <span>{t('app.language')}</span>
            <select value={i18n.language} onChange={(e) => void i18n.changeLanguage(e.target.value)}>
              {LANGUAGES.map((l) => (
                <option key={l} value={l}>
                  {l === 'en' ? 'English' : '日本語'}
                </option>
              ))}
            </select>
          </label>
        </div>
      </form>
    </main>
  );
}
