import { createHmac, randomBytes } from 'crypto';
import { safeEqual } from '@illbridge/common/crypto';

/** The webhook header that carries the body's signature. */
export const SIGNATURE_HEADER = 'X-IllBridge-Signature';

/** `sha256=<hex HMAC-SHA256 of the raw body, keyed with the endpoint's secret>`. */
export function signatureOf(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** What a receiver does: the signature of the raw body it got, compared in constant time. */
export function verifySignature(body: string, secret: string, header: string | null | undefined): boolean {
  return !!header && safeEqual(signatureOf(body, secret), header);
}

/** A new endpoint secret (shown once, stored encrypted). */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}
