import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { UnrecoverableError } from 'bullmq';
import { createTransport, Transporter } from 'nodemailer';
import { DataSource } from 'typeorm';
import { SecretBox } from '@illbridge/common/crypto';
import { enqueue, QUEUE, QueueOf } from '@illbridge/queues';
import type { NotificationEvent } from '@illbridge/queues/payloads';
import { NotificationSettings } from './settings';
import { SIGNATURE_HEADER, signatureOf } from './signature';

/** What a webhook receives (and what an e-mail shows): the event, with its profile's code and name. */
export interface NotificationBody {
  id: string;
  type: NotificationEvent['type'];
  occurredAt: string;
  summary: string;
  profile: { id: string; code: string; name: string; system: string } | null;
  data: Record<string, unknown>;
}

export const deliveryJobId = (deliveryId: string) => `delivery_${deliveryId}`;

/** A receiver that did not answer 2xx. */
export class WebhookRefused extends Error {
  constructor(readonly statusCode: number) {
    super(`Webhook answered HTTP ${statusCode}`);
  }
}

interface DeliveryRow {
  id: string;
  status: string;
  body: string;
  event_id: string;
  event_type: string;
  channel: 'EMAIL' | 'WEBHOOK';
  active: boolean;
  email: string | null;
  url: string | null;
  secret_enc: string | null;
}

/** The reporting service's side of notifications: fans an event out to its subscribers (one delivery row each, once
 *  per subscriber and event id), and sends each delivery — a signed webhook POST or an e-mail — recording every
 *  attempt in the delivery log. The one writer of `notification_delivery`. */
@Injectable()
export class NotificationDelivery implements OnModuleDestroy {
  private readonly logger = new Logger(NotificationDelivery.name);
  private mailer?: Transporter;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(QUEUE.NOTIFICATIONS) private readonly queue: QueueOf<typeof QUEUE.NOTIFICATIONS>,
    private readonly secrets: SecretBox,
    private readonly settings: NotificationSettings,
  ) {}

  /** Makes the event's deliveries (to `subscriberId` only, for a test-send; else to the active subscribers of its
   *  profile and the global ones that take its type) and enqueues those not sent yet. Answers how many there are. */
  async fanOut(event: NotificationEvent, subscriberId?: string): Promise<number> {
    const [profile] = event.profileId ? await this.dataSource.query('SELECT id, code, name, system FROM integration_profile WHERE id = $1', [event.profileId]) : [];
    const payload: NotificationBody = { id: event.id, type: event.type, occurredAt: event.occurredAt, summary: event.summary, profile: profile ?? null, data: event.data };
    const body = JSON.stringify(payload);
    const subscribers: { id: string }[] = subscriberId
      ? await this.dataSource.query('SELECT id FROM notification_subscriber WHERE id = $1', [subscriberId])
      : await this.dataSource.query(
          `SELECT id FROM notification_subscriber
            WHERE active AND (profile_id IS NULL OR profile_id = $1) AND (events IS NULL OR events ? $2)`,
          [event.profileId, event.type],
        );
    if (!subscribers.length) return 0;
    const ids = subscribers.map((s) => s.id);
    await this.dataSource.query(
      `INSERT INTO notification_delivery (subscriber_id, event_id, event_type, body)
       SELECT s, $2, $3, $4 FROM unnest($1::uuid[]) AS s
       ON CONFLICT (subscriber_id, event_id) DO NOTHING`,
      [ids, event.id, event.type, body],
    );
    // Those still pending, made now or by an earlier attempt of this job that stopped before enqueueing them.
    const pending: { id: string }[] = await this.dataSource.query(`SELECT id FROM notification_delivery WHERE event_id = $1 AND subscriber_id = ANY($2::uuid[]) AND status = 'PENDING'`, [event.id, ids]);
    for (const { id } of pending) {
      await enqueue(QUEUE.NOTIFICATIONS, this.queue, 'deliver', { kind: 'deliver', deliveryId: id }, { jobId: deliveryJobId(id), attempts: this.settings.attempts });
    }
    return ids.length;
  }

  /** One attempt of one delivery (`attemptsMade`: the attempts before this one, of `maxAttempts`). Throws on failure
   *  so that BullMQ retries with the backoff; the log shows RETRYING until the last attempt failed (FAILED). */
  async deliver(deliveryId: string, attemptsMade: number, maxAttempts: number): Promise<'DELIVERED' | 'SKIPPED'> {
    const [row]: DeliveryRow[] = await this.dataSource.query(
      `SELECT d.id, d.status, d.body, d.event_id, d.event_type, s.channel, s.active, s.email, s.url, s.secret_enc
         FROM notification_delivery d JOIN notification_subscriber s ON s.id = d.subscriber_id WHERE d.id = $1`,
      [deliveryId],
    );
    if (!row || row.status === 'DELIVERED' || row.status === 'FAILED') return 'SKIPPED';
    let statusCode: number | null = null;
    try {
      if (!row.active && row.event_type !== 'TEST') throw new UnrecoverableError('The subscriber was deactivated');
      if (row.channel === 'WEBHOOK') statusCode = await this.post(row);
      else await this.mail(row);
      await this.dataSource.query(
        `UPDATE notification_delivery SET status = 'DELIVERED', attempts = attempts + 1, last_status_code = $2, delivered_at = now(), updated_at = now() WHERE id = $1`,
        [row.id, statusCode],
      );
      return 'DELIVERED';
    } catch (error: any) {
      if (error instanceof WebhookRefused) statusCode = error.statusCode;
      const final = error instanceof UnrecoverableError || attemptsMade + 1 >= maxAttempts;
      const message = String(error?.cause?.message ? `${error.message}: ${error.cause.message}` : (error?.message ?? error)).slice(0, 1000);
      await this.dataSource.query(`UPDATE notification_delivery SET status = $2, attempts = attempts + 1, last_error = $3, last_status_code = $4, updated_at = now() WHERE id = $1`, [
        row.id,
        final ? 'FAILED' : 'RETRYING',
        message,
        statusCode,
      ]);
      this.logger.warn(`Delivery ${row.id} of ${row.event_id} (${row.channel}) attempt ${attemptsMade + 1}/${maxAttempts} failed${final ? ' for good' : ''}: ${message}`);
      throw error;
    }
  }

  private async post(row: DeliveryRow): Promise<number> {
    if (!row.url || !row.secret_enc) throw new UnrecoverableError('The webhook endpoint has no URL or secret');
    const response = await fetch(row.url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'ILL-Bridge-Notifications',
        'X-IllBridge-Event': row.event_type,
        'X-IllBridge-Delivery': row.id,
        [SIGNATURE_HEADER]: signatureOf(row.body, this.secrets.decrypt(row.secret_enc)),
      },
      body: row.body,
      // A redirect is not followed: the endpoint is the URL an admin registered, nothing else.
      redirect: 'manual',
      signal: AbortSignal.timeout(this.settings.timeoutMs),
    });
    await response.arrayBuffer().catch(() => undefined);
    if (response.status < 200 || response.status > 299) throw new WebhookRefused(response.status);
    return response.status;
  }

  private async mail(row: DeliveryRow): Promise<void> {
    if (!this.settings.smtpUrl) throw new UnrecoverableError('E-mail is not configured (SMTP_URL is not set)');
    if (!row.email) throw new UnrecoverableError('The subscriber has no e-mail address');
    this.mailer ??= createTransport(this.settings.smtpUrl);
    const event: NotificationBody = JSON.parse(row.body);
    await this.mailer.sendMail({
      from: this.settings.mailFrom,
      to: row.email,
      subject: `[ILL Bridge] ${event.summary}`,
      headers: { 'X-IllBridge-Event': event.type, 'X-IllBridge-Event-Id': event.id },
      text: mailText(event),
    });
  }

  onModuleDestroy() {
    this.mailer?.close();
  }
}

/** The e-mail's text: the summary, the profile, the event's details, and the event as JSON (what a webhook gets). */
export function mailText(event: NotificationBody): string {
  const details = Object.entries(event.data)
    .filter(([, value]) => value !== null && value !== undefined)
    .map(([key, value]) => `  ${key}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
  return [
    event.summary,
    '',
    `Event: ${event.type} at ${event.occurredAt}`,
    `Profile: ${event.profile ? `${event.profile.code} (${event.profile.name}, ${event.profile.system})` : '—'}`,
    ...(details.length ? ['Details:', ...details] : []),
    '',
    'As JSON:',
    JSON.stringify(event, null, 2),
    '',
  ].join('\n');
}
