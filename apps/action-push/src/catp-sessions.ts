import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { SecretBox } from '@illbridge/common';
import { ExternalSystemError } from '@illbridge/connectors/types';
import { CatpClient } from '@illbridge/connectors/nacsis';
import type { CatpHandle } from '@illbridge/connectors/nacsis';
import { PushSettings } from './push-settings';

/** The profile columns a CATP session needs. */
export interface ProfileRow {
  id: string;
  base_url: string | null;
  auth_user_id: string | null;
  secret_enc: string | null;
  library_code: string;
}

export interface CatpSession {
  client: CatpClient;
  handle: CatpHandle;
  /** Serialises the calls that use the handle's result set (SEARCH + RETRIEVE): concurrent drains of
   *  one profile share the handle, and a second SEARCH into the same frame would replace the first. */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
}

interface Entry {
  key: string;
  session: Promise<CatpSession>;
}

/** One CATP handle per profile, kept and shared by every drain of that profile (the client renews it
 *  in place after a 420). A changed profile (URL, user, password) gets a new one. */
@Injectable()
export class CatpSessions implements OnApplicationShutdown {
  private readonly logger = new Logger(CatpSessions.name);
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly secrets: SecretBox,
    private readonly settings: PushSettings,
  ) {}

  get(profile: ProfileRow): Promise<CatpSession> {
    const key = [profile.base_url, profile.auth_user_id, profile.secret_enc].join('\u0000');
    const cached = this.entries.get(profile.id);
    if (cached && cached.key === key) return cached.session;
    if (cached) this.release(cached);
    const session = this.open(profile);
    const entry = { key, session };
    this.entries.set(profile.id, entry);
    session.catch(() => {
      if (this.entries.get(profile.id) === entry) this.entries.delete(profile.id);
    });
    return session;
  }

  /** Forget the profile's session (after an authentication failure): the next drain logs in again. */
  forget(profileId: string): void {
    const entry = this.entries.get(profileId);
    if (!entry) return;
    this.entries.delete(profileId);
    this.release(entry);
  }

  private async open(profile: ProfileRow): Promise<CatpSession> {
    if (!profile.base_url) throw new ExternalSystemError('PERMANENT', 'The NACSIS profile has no base URL (the CATP endpoint)');
    if (!profile.auth_user_id || !profile.secret_enc) throw new ExternalSystemError('PERMANENT', 'The NACSIS profile has no user id or password');
    let password: string;
    try {
      password = this.secrets.decrypt(profile.secret_enc);
    } catch (error) {
      throw new ExternalSystemError('PERMANENT', `The NACSIS profile's password cannot be read (${error instanceof Error ? error.message : String(error)}); set it again`);
    }
    const client = new CatpClient({ baseUrl: profile.base_url, timeoutMs: this.settings.httpTimeoutMs });
    const handle = await client.getHandle(profile.auth_user_id, password);
    let tail: Promise<unknown> = Promise.resolve();
    return {
      client,
      handle,
      exclusive<T>(work: () => Promise<T>): Promise<T> {
        const run = tail.then(work, work);
        tail = run.catch(() => undefined);
        return run;
      },
    };
  }

  private release(entry: Entry): void {
    entry.session.then((s) => s.client.releaseHandle(s.handle)).catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    const sessions = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(
      sessions.map(async (entry) => {
        try {
          const session = await entry.session;
          await session.client.releaseHandle(session.handle);
        } catch (error) {
          this.logger.debug?.(`Could not release a CATP handle: ${error instanceof Error ? error.message : String(error)}`);
        }
      }),
    );
  }
}
