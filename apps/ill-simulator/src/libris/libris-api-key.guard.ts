import { CanActivate, ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { librisError } from './libris-error';
import { LibrisStore } from './libris-store';

/** One key per sigel, in the `api-key` header of every call (§1); 401 `{ "error": … }` otherwise. */
@Injectable()
export class LibrisApiKeyGuard implements CanActivate {
  constructor(private readonly store: LibrisStore) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    const sigel = String(request.params.sigel);
    const apiKey = request.header('api-key');
    if (!apiKey) throw librisError(HttpStatus.UNAUTHORIZED, 'api-key header is missing');
    if (apiKey !== this.store.apiKeyOf(sigel)) throw librisError(HttpStatus.UNAUTHORIZED, `invalid api-key for library ${sigel}`);
    return true;
  }
}
