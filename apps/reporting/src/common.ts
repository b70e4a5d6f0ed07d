/** Small helpers shared by the reporting controllers. */

export { isUuid } from '@illbridge/common';

/** A `to` bound given as a bare date (2026-11-22) includes that whole day. */
export function upperBound(to: string): { sql: '<' | '<='; value: string } {
  if (/^\d{4}-\d{2}-\d{2}$/.test(to)) {
    const next = new Date(`${to}T00:00:00.000Z`);
    next.setUTCDate(next.getUTCDate() + 1);
    return { sql: '<', value: next.toISOString() };
  }
  return { sql: '<=', value: to };
}

/** `%` and `_` in a search text are literal. */
export const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Collects WHERE conditions with numbered parameters. */
export class SqlWhere {
  readonly conditions: string[] = [];
  readonly params: unknown[] = [];

  /** Adds a condition; `?` marks stand for the given values, in order. */
  add(condition: string, ...values: unknown[]): this {
    let i = 0;
    this.conditions.push(
      condition.replace(/\?/g, () => {
        this.params.push(values[i++]);
        return `$${this.params.length}`;
      }),
    );
    return this;
  }

  next(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  get sql(): string {
    return this.conditions.length ? `WHERE ${this.conditions.join(' AND ')}` : '';
  }
}
