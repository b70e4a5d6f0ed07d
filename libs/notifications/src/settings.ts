/** Tunables of notification delivery (environment, with defaults for production). */
import { setting, SettingDef, settingsOrThrow } from '@illbridge/common';

/** SMTP_URL: an smtp:// or smtps:// URL, or unset (e-mail deliveries then fail with that reason; webhooks still go). */
const smtpUrl: SettingDef<string | undefined> = {
  fallback: undefined,
  parse(raw, name) {
    try {
      if (['smtp:', 'smtps:'].includes(new URL(raw).protocol)) return { value: raw };
    } catch {
      /* not a URL */
    }
    return { problem: `${name} must be an smtp:// or smtps:// URL` };
  },
};

/** The notification settings, part of reporting's schema (validated at start-up with the others: main.ts). */
export const NOTIFICATION_SETTINGS = {
  SMTP_URL: smtpUrl,
  NOTIFY_MAIL_FROM: setting.text('ILL Bridge <illbridge@localhost>'),
  NOTIFY_ATTEMPTS: setting.int(8, { min: 1 }),
  NOTIFY_BACKOFF_MS: setting.ms(5_000, 1),
  NOTIFY_BACKOFF_CAP_MS: setting.ms(15 * 60_000, 1),
  NOTIFY_TIMEOUT_MS: setting.ms(10_000, 1),
  NOTIFY_STALE_MARGIN_MINUTES: setting.int(30, { min: 0 }),
  NOTIFY_STALE_CHECK_MS: setting.ms(5 * 60_000, 0),
};

export class NotificationSettings {
  /** SMTP server for e-mail subscribers, e.g. smtp://user:pass@mail.example.org:587. */
  smtpUrl: string | undefined;
  mailFrom: string;
  /** Attempts of one delivery (the first and its retries), with the shared jittered backoff between them. */
  attempts: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  /** A webhook receiver must answer within this long. */
  timeoutMs: number;
  /** A schedule is stale when no run came this many minutes after it was due. */
  staleMarginMinutes: number;
  /** How often the schedules are checked (0: never). */
  staleCheckEveryMs: number;

  constructor(overrides: Partial<NotificationSettings> = {}, env: NodeJS.ProcessEnv = process.env) {
    const s = settingsOrThrow(NOTIFICATION_SETTINGS, env);
    this.smtpUrl = s.SMTP_URL || undefined;
    this.mailFrom = s.NOTIFY_MAIL_FROM;
    this.attempts = s.NOTIFY_ATTEMPTS;
    this.backoffBaseMs = s.NOTIFY_BACKOFF_MS;
    this.backoffCapMs = s.NOTIFY_BACKOFF_CAP_MS;
    this.timeoutMs = s.NOTIFY_TIMEOUT_MS;
    this.staleMarginMinutes = s.NOTIFY_STALE_MARGIN_MINUTES;
    this.staleCheckEveryMs = s.NOTIFY_STALE_CHECK_MS;
    Object.assign(this, overrides);
  }
}
