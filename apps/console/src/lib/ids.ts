/** An Idempotency-Key per click: a repeated send of the same action (a double click, a retry after a lost
 *  answer) takes no second action. crypto.randomUUID needs a secure context; getRandomValues does not. */
export function idempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
