import type { LibrisStatus } from '@illbridge/workflow/libris-status';

/** `status_code` per status. 6, 7 and 10 are documented (libris-ill-api.md §5); the others are our choice. */
export const STATUS_CODES: Readonly<Record<LibrisStatus, string>> = {
  Uteliggande: '1',
  Remitterad: '2',
  Läst: '3',
  Reservation: '4',
  Reserverad: '5',
  'Negativt svar': '6',
  'Kan reserveras': '7',
  Avbeställd: '8',
  Makulerad: '9',
  Levererad: '10',
  'Ej avbeställd!': '11',
};

/** The code of a status; empty for a text Libris is not known to send (tests use such texts). */
export function statusCodeOf(status: string): string {
  return Object.hasOwn(STATUS_CODES, status) ? STATUS_CODES[status as LibrisStatus] : '';
}

export const MEDIA_TYPES = { loan: { text: 'Lån', code: '1' }, copy: { text: 'Kopia', code: '2' } } as const;

export function mediaTypeCodeOf(mediaType: string): string {
  return Object.values(MEDIA_TYPES).find((type) => type.text === mediaType)?.code ?? '';
}

/** Lender answers, `recipients[].response_id` → `response` (§5). */
export const LENDER_RESPONSES: ReadonlyMap<string, string> = new Map([
  ['1', 'Utlånad'],
  ['2', 'Förkommen'],
  ['3', 'Utlånas ej'],
  ['4', 'Finns ej'],
  ['5', 'F n ej tillgänglig'],
  ['6', 'Ej anländ'],
  ['7', 'Reserverad för er'],
  ['8', 'Övrigt'],
  ['9', 'Levererad'],
]);

/** The read flag (`xstatus`): unread until the library marks it read (our choice of code for "read"). */
export const READ_FLAGS = { unread: { text: 'Oläst', code: '1' }, read: { text: 'Läst', code: '2' } } as const;
