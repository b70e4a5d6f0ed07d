/** Tunables of notification delivery (environment, with defaults for production). */
export class NotificationSettings {
  /** SMTP server for e-mail subscribers, e.g. smtp://user:pass@mail.example.org:587 (unset: e-mail deliveries fail
   *  with that reason, webhooks still go). */
  smtpUrl = process.env.SMTP_URL || undefined;
  mailFrom = process.env.NOTIFY_MAIL_FROM || 'ILL Bridge <illbridge@localhost>';
  /** Attempts of one delivery (the first and its retries), with the shared jittered backoff between them. */
  attempts = Number(process.env.NOTIFY_ATTEMPTS || 8);
  backoffBaseMs = Number(process.env.NOTIFY_BACKOFF_MS || 5_000);
  backoffCapMs = Number(process.env.NOTIFY_BACKOFF_CAP_MS || 15 * 60_000);
  /** A webhook receiver must answer within this long. */
  timeoutMs = Number(process.env.NOTIFY_TIMEOUT_MS || 10_000);
  /** A schedule is stale when no run came this many minutes after it was due. */
  staleMarginMinutes = Number(process.env.NOTIFY_STALE_MARGIN_MINUTES || 30);
  /** How often the schedules are checked (0: never). */
  staleCheckEveryMs = Number(process.env.NOTIFY_STALE_CHECK_MS ?? 5 * 60_000);

  constructor(overrides: Partial<NotificationSettings> = {}) {
    Object.assign(this, overrides);
  }

  /** What is wrong with these settings (listed at start-up). */
  problems(): string[] {
    const problems: string[] = [];
    const whole = (name: string, value: number, min: number) => {
      if (!Number.isInteger(value) || value < min) problems.push(`${name} must be a whole number of at least ${min}, got "${value}"`);
    };
    whole('NOTIFY_ATTEMPTS', this.attempts, 1);
    whole('NOTIFY_BACKOFF_MS', this.backoffBaseMs, 1);
    whole('NOTIFY_BACKOFF_CAP_MS', this.backoffCapMs, 1);
    whole('NOTIFY_TIMEOUT_MS', this.timeoutMs, 1);
    whole('NOTIFY_STALE_MARGIN_MINUTES', this.staleMarginMinutes, 0);
    whole('NOTIFY_STALE_CHECK_MS', this.staleCheckEveryMs, 0);
    if (this.smtpUrl) {
      try {
        if (!['smtp:', 'smtps:'].includes(new URL(this.smtpUrl).protocol)) problems.push('SMTP_URL must be an smtp:// or smtps:// URL');
      } catch {
        problems.push('SMTP_URL must be an smtp:// or smtps:// URL');
      }
    }
    return problems;
  }
}
