import { Injectable } from '@nestjs/common';
import type { CatpElement, CatpRecord } from '@illbridge/connectors/nacsis/catp-codec';
import { CAT_DATABASES } from '@illbridge/connectors/nacsis/holdings';

/* The simulated NACSIS-CAT files that locating lenders reads (libs/connectors/src/nacsis/holdings.ts): bibliographic
   records in BOOK / SERIAL (ID = BIBID, TR, ISBN / ISSN) and their holdings in BHOLD / SHOLD (ID, BID, FANO,
   LIBABL, LOC, HOLD groups of VOL, CLN, RGTN). Created through the control API only; searched by any handle. */

export const CAT_DATABASE_NAMES: readonly string[] = Object.values(CAT_DATABASES);

export function isCatDatabase(name: string): boolean {
  return CAT_DATABASE_NAMES.includes(name);
}

export interface SimHolding {
  participantId: string;
  location?: string;
  volumes?: string[];
  callNumber?: string;
  registrationNumber?: string;
}

export interface SimTitle {
  bibId: string;
  title: string;
  isbn?: string;
  issn?: string;
  holdings: SimHolding[];
}

const isSerial = (bibId: string) => /^A/i.test(bibId);

@Injectable()
export class NacsisCatalog {
  private titles = new Map<string, SimTitle>();

  reset(): void {
    this.titles.clear();
  }

  /** Adds (or replaces) a title with its holdings. */
  setTitle(title: SimTitle): SimTitle {
    this.titles.set(title.bibId, title);
    return title;
  }

  listTitles(): SimTitle[] {
    return [...this.titles.values()];
  }

  /** Every record of a CAT database, in a stable order; `nameOf` gives a participant's short name (LIBABL). */
  records(database: string, nameOf: (participantId: string) => string): { id: string; record: CatpRecord }[] {
    const out: { id: string; record: CatpRecord }[] = [];
    for (const title of this.titles.values()) {
      const serial = isSerial(title.bibId);
      if (database === (serial ? CAT_DATABASES.serial : CAT_DATABASES.book)) {
        const record: CatpElement[] = [
          { tag: '_DBNAME_', value: database },
          { tag: 'ID', value: title.bibId },
          { tag: 'TR', value: title.title },
        ];
        if (title.isbn) record.push({ tag: 'ISBN', value: title.isbn });
        if (title.issn) record.push({ tag: 'ISSN', value: title.issn });
        out.push({ id: title.bibId, record });
      }
      if (database === (serial ? CAT_DATABASES.serialHoldings : CAT_DATABASES.bookHoldings)) {
        title.holdings.forEach((holding, index) => {
          const id = `${title.bibId}-H${String(index + 1).padStart(3, '0')}`;
          const record: CatpElement[] = [
            { tag: '_DBNAME_', value: database },
            { tag: 'ID', value: id },
            { tag: 'BID', value: title.bibId },
            { tag: 'FANO', value: holding.participantId },
            { tag: 'LIBABL', value: nameOf(holding.participantId) },
            { tag: 'LOC', value: holding.location || '@' },
          ];
          const group: CatpElement[] = [];
          for (const volume of holding.volumes?.length ? holding.volumes : ['']) {
            const fields = [];
            if (volume) fields.push({ tag: serial ? 'HLV' : 'VOL', value: volume });
            if (holding.callNumber) fields.push({ tag: 'CLN', value: holding.callNumber });
            if (holding.registrationNumber) fields.push({ tag: 'RGTN', value: holding.registrationNumber });
            if (fields.length) group.push({ group: 'HOLD', fields });
          }
          out.push({ id, record: [...record, ...group] });
        });
      }
    }
    return out;
  }
}
