import { HttpException } from '@nestjs/common';

/** An error as the Libris API answers it: `{ "error": "…" }` (our choice, §1–2). */
export function librisError(status: number, message: string): HttpException {
  return new HttpException({ error: message }, status);
}
