import { Injectable } from '@nestjs/common';
import { Random, seededRandom } from '../prng';

/** One requestingAgencyMessage the simulated peer received and confirmed OK. `repeat`: the same message (action,
 *  timestamp, request id) came before — confirmed again, not applied again. */
export interface PeerReceived {
  action: string;
  requestingAgencyRequestId: string;
  timestamp: string;
  note: string | null;
  accountId: string | null;
  repeat: boolean;
  /** The confirmation was dropped (the connection closed after the message was applied). */
  dropped: boolean;
  at: string;
}

/** The peer's own faults (on top of the common fault plan, `/_sim/faults/iso18626`, which fails or hangs calls before
 *  they are read): a confirmation dropped after the message was applied, an ERROR answered. */
export interface PeerSettings {
  /** When set, messages must carry this requestingAgencyAuthentication.securityCode (else ERROR). */
  securityCode: string | null;
  dropNext: number;
  dropShare: number;
  errorNext: number;
  seed: number;
}

const DEFAULTS: PeerSettings = { securityCode: null, dropNext: 0, dropShare: 0, errorNext: 0, seed: 1 };

/** The simulated ISO 18626 peer's state: its settings and the messages it received. */
@Injectable()
export class Iso18626Peer {
  private settings: PeerSettings = { ...DEFAULTS };
  private random: Random = seededRandom(DEFAULTS.seed);
  private received: PeerReceived[] = [];
  private seen = new Set<string>();

  configure(changes: Partial<PeerSettings>): PeerSettings {
    const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
    this.settings = { ...this.settings, ...defined };
    if (changes.seed !== undefined) this.random = seededRandom(changes.seed);
    return this.show();
  }

  show(): PeerSettings {
    return { ...this.settings };
  }

  reset(): void {
    this.settings = { ...DEFAULTS };
    this.random = seededRandom(DEFAULTS.seed);
    this.received = [];
    this.seen.clear();
  }

  /** Whether to answer this one ERROR (errorNext). */
  takeError(): boolean {
    if (this.settings.errorNext <= 0) return false;
    this.settings.errorNext--;
    return true;
  }

  /** Records the message; answers whether it is a repeat and whether its confirmation is to be dropped. */
  record(message: Omit<PeerReceived, 'repeat' | 'dropped' | 'at'>): PeerReceived {
    const key = [message.action, message.timestamp, message.requestingAgencyRequestId].join('\u0000');
    const repeat = this.seen.has(key);
    this.seen.add(key);
    const draw = this.random();
    let dropped = false;
    if (this.settings.dropNext > 0) {
      this.settings.dropNext--;
      dropped = true;
    } else if (draw < this.settings.dropShare) dropped = true;
    const entry = { ...message, repeat, dropped, at: new Date().toISOString() };
    this.received.push(entry);
    return entry;
  }

  log(): PeerReceived[] {
    return [...this.received];
  }

  clearLog(): void {
    this.received = [];
  }
}
