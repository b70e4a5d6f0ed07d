import type { LibrisIllRequest, LibrisRecipient } from '@illbridge/connectors/libris/libris-wire';
import type { LibrisStatus } from '@illbridge/workflow/libris-status';
import { Random, pick, pickWeighted, randomInt, seededRandom } from '../prng';
import { dateTime, epochSeconds, formatDay, parseDay } from './days';
import { receivingLibrary, recipient } from './libris-record';
import { LENDER_RESPONSES, MEDIA_TYPES } from './libris-vocabulary';

export interface GenerateOptions {
  /** The requesting library's sigel (also the LF number prefix). */
  requestingLibrary: string;
  count: number;
  /** Creation dates are spread over [from, to], `YYYY-MM-DD`. */
  from: string;
  to: string;
  seed: number;
  /** Share (0..1) of requests with a lender sigel nobody knows in their chain. */
  unknownSigelShare: number;
}

/** A generated request before the store gives it its identity (request_id, LF number). */
export interface GeneratedRequest {
  created: string;
  fields: Partial<LibrisIllRequest>;
}

interface Library {
  code: string;
  name: string;
  city: string;
  zip: string;
}

/** Simulated lenders (sigels in Libris style; names and addresses are invented). */
const LIBRARIES: readonly Library[] = [
  { code: 'Hig', name: 'Högskolan i Gävle, biblioteket', city: 'Gävle', zip: '801 76' },
  { code: 'Gk', name: 'Göteborgs universitetsbibliotek, Kuggnäset', city: 'Göteborg', zip: '405 30' },
  { code: 'SEK', name: 'Södra Ekängens bibliotek', city: 'Linköping', zip: '583 30' },
  { code: 'Z', name: 'Stockholms universitetsbibliotek', city: 'Stockholm', zip: '106 91' },
  { code: 'L', name: 'Lunds universitetsbibliotek', city: 'Lund', zip: '221 00' },
  { code: 'U', name: 'Uppsala universitetsbibliotek, Carolina Rediviva', city: 'Uppsala', zip: '753 10' },
  { code: 'Um', name: 'Umeå universitetsbibliotek', city: 'Umeå', zip: '901 74' },
  { code: 'O', name: 'Örebro universitetsbibliotek', city: 'Örebro', zip: '701 82' },
  { code: 'Vx', name: 'Växjö stadsbibliotek', city: 'Växjö', zip: '351 12' },
];
/** Sigels no partner table knows. */
const UNKNOWN_SIGELS = ['Qxa', 'Ykk', 'Zzq'];

const FIRST_NAMES = ['Åsa', 'Björn', 'Märta', 'Göran', 'Örjan', 'Linnéa', 'Sören', 'Ingrid', 'Håkan', 'Kjell', 'Elin', 'Pär', 'Maj-Britt', 'Jöns'];
const LAST_NAMES = ['Åström', 'Björklund', 'Lindqvist', 'Öberg', 'Sjögren', 'Näslund', 'Hällström', 'Ekström', 'Bäckman', 'Söderholm', 'Lövgren', 'Grönvall'];

const BOOKS = [
  { title: 'Röda rummet', author: 'Strindberg, August', isbn: '91-1-300847-2', publisher: 'Bonnier', place: 'Stockholm', year: '1879' },
  { title: 'Gösta Berlings saga', author: 'Lagerlöf, Selma', isbn: '978-91-7429-123-5', publisher: 'Norstedt', place: 'Stockholm', year: '1891' },
  { title: 'Utvandrarna', author: 'Moberg, Vilhelm', isbn: '978-91-0-012345-6', publisher: 'Bonnier', place: 'Stockholm', year: '1949' },
  { title: 'Doktor Glas', author: 'Söderberg, Hjalmar', isbn: '91-46-17034-5', publisher: 'Wahlström & Widstrand', place: 'Stockholm', year: '1905' },
  { title: 'Kallocain', author: 'Boye, Karin', isbn: '978-91-27-13456-7', publisher: 'Natur & Kultur', place: 'Stockholm', year: '1940' },
  { title: 'Bröderna Lejonhjärta', author: 'Lindgren, Astrid', isbn: '978-91-29-65893-1', publisher: 'Rabén & Sjögren', place: 'Stockholm', year: '1973' },
  { title: 'Östersjöns miljöhistoria', author: 'Hällström, Åke', isbn: '978-91-44-09876-5', publisher: 'Studentlitteratur', place: 'Lund', year: '2016' },
  { title: 'Fjällens växter och djur i Jämtland', author: 'Grönvall, Märit', isbn: '978-91-40-68754-3', publisher: 'Gleerups', place: 'Malmö', year: '2008' },
  { title: 'Skärgårdsliv i Roslagen under 1800-talet', author: 'Öhman, Gösta', isbn: '', publisher: 'Roslagens hembygdsförening', place: 'Norrtälje', year: '1962' },
  { title: 'Mästaren och Margarita', author: 'Bulgakov, Michail', isbn: '978-91-7343-654-8', publisher: 'Wahlström & Widstrand', place: 'Stockholm', year: '2011' },
];
const JOURNALS = [
  { title: 'Historisk tidskrift', issn: '0345-469X', place: 'Stockholm' },
  { title: 'Läkartidningen', issn: '0023-7205', place: 'Stockholm' },
  { title: 'Svensk botanisk tidskrift', issn: '0039-646X', place: 'Lund' },
  { title: 'Samlaren', issn: '0348-6133', place: 'Uppsala' },
];
const ARTICLE_TITLES = [
  'Fjärrlånets framväxt i Norrland',
  'Sjöfart och handel på Gävle hamn 1750–1850',
  'Blåsippans utbredning i Hälsingland',
  'Läsvanor bland äldre i Västerbotten',
  'Kvinnors röster i 1800-talets brevkultur',
];
const MESSAGES = ['', '', '', 'Behövs till kursstart.', 'Äldre upplaga går bra.', 'Låntagaren hämtar själv på biblioteket.', 'Endast läsesal går också bra.'];

/** How often each status occurs: mostly waiting or delivered, now and then anything else. */
const STATUS_WEIGHTS: ReadonlyArray<readonly [LibrisStatus, number]> = [
  ['Uteliggande', 20],
  ['Remitterad', 8],
  ['Läst', 10],
  ['Kan reserveras', 6],
  ['Reservation', 4],
  ['Reserverad', 5],
  ['Negativt svar', 6],
  ['Levererad', 30],
  ['Avbeställd', 5],
  ['Makulerad', 3],
  ['Ej avbeställd!', 2],
];
/** What the active lender has answered for each status; none while it has not answered. */
const ACTIVE_RESPONSE: Partial<Record<LibrisStatus, string>> = { 'Kan reserveras': '1', Reservation: '1', Reserverad: '7', Levererad: '9' };
const NEGATIVE_RESPONSES = ['2', '3', '4', '5', '8'];

const EMPTY_FIELD_SHARE = 0.08;
const EMPTY_TITLE_SHARE = 0.02;
const COPY_SHARE = 0.3;

function orBlank(random: Random, value: string, share = EMPTY_FIELD_SHARE): string {
  return random() < share ? '' : value;
}

/** The lender chain: lenders before the active one have said no; the active one answered per status.
 *  Answers are dated in order between the creation and the last change. */
function lenderChain(random: Random, options: GenerateOptions, status: LibrisStatus, createdAt: number, lastModified: number): LibrisRecipient[] {
  const candidates = LIBRARIES.filter((library) => library.code !== options.requestingLibrary).map((library) => library.code);
  const length = randomInt(random, status === 'Remitterad' || status === 'Negativt svar' ? 2 : 1, 4);
  const codes: string[] = [];
  while (codes.length < length) {
    const code = pick(random, candidates);
    if (!codes.includes(code)) codes.push(code);
  }
  if (random() < options.unknownSigelShare) codes[randomInt(random, 0, codes.length - 1)] = pick(random, UNKNOWN_SIGELS);
  const activeIndex = status === 'Negativt svar' ? codes.length - 1 : status === 'Remitterad' ? randomInt(random, 1, codes.length - 1) : randomInt(random, 0, codes.length - 1);
  const answeredAt = (index: number) => dateTime(createdAt + Math.round(((lastModified - createdAt) * (index + 1)) / codes.length));
  return codes.map((code, index) => {
    const responseId = index < activeIndex || status === 'Negativt svar' ? pick(random, NEGATIVE_RESPONSES) : index === activeIndex ? ACTIVE_RESPONSE[status] : undefined;
    const known = LIBRARIES.findIndex((library) => library.code === code);
    return recipient(code, {
      library_id: known < 0 ? '' : String(1000 + known),
      is_active_library: index === activeIndex,
      response_id: responseId ?? '',
      response: responseId ? LENDER_RESPONSES.get(responseId)! : '',
      response_date: responseId ? answeredAt(index) : '',
      reserve: status === 'Kan reserveras' && index === activeIndex,
    });
  });
}

function bibliographicFields(random: Random, isCopy: boolean): Partial<LibrisIllRequest> {
  if (!isCopy) {
    const book = pick(random, BOOKS);
    return {
      title: book.title, author: orBlank(random, book.author), isbn_issn: orBlank(random, book.isbn), publisher: book.publisher,
      place_of_publication: orBlank(random, book.place), year: book.year, imprint: `${book.place} : ${book.publisher}, ${book.year}`,
      bib_id: book.isbn ? String(randomInt(random, 1_000_000, 19_999_999)) : '',
    };
  }
  const journal = pick(random, JOURNALS);
  const year = String(randomInt(random, 1975, 2024));
  const volume = `${Number(year) - 1880}:${randomInt(random, 1, 4)}`;
  const firstPage = randomInt(random, 1, 400);
  const pages = `${firstPage}-${firstPage + randomInt(random, 4, 30)}`;
  const articleTitle = pick(random, ARTICLE_TITLES);
  const articleAuthor = orBlank(random, `${pick(random, LAST_NAMES)}, ${pick(random, FIRST_NAMES)}`);
  return {
    title: journal.title, isbn_issn: journal.issn, place_of_publication: journal.place, year, volume_designation: volume, pages,
    title_of_article: articleTitle, author_of_article: articleAuthor, journal_article: `${volume}, s. ${pages}: ${articleTitle}`,
  };
}

function generateOne(random: Random, options: GenerateOptions, created: string): Partial<LibrisIllRequest> {
  const status = pickWeighted(random, STATUS_WEIGHTS);
  const isCopy = random() < COPY_SHARE;
  const media = isCopy ? MEDIA_TYPES.copy : MEDIA_TYPES.loan;
  const createdAt = epochSeconds(created, randomInt(random, 8 * 3600, 16 * 3600));
  // A request changes after it was sent, but not after the end of the range (usually today).
  const daysLeft = parseDay(options.to)! - parseDay(created)!;
  const changedAfterDays = status === 'Uteliggande' || daysLeft === 0 ? 0 : randomInt(random, 1, Math.min(10, daysLeft));
  const lastModified = createdAt + changedAfterDays * 86_400;
  const recipients = lenderChain(random, options, status, createdAt, lastModified);
  const home = LIBRARIES.find((library) => library.code === options.requestingLibrary);
  const fields: Partial<LibrisIllRequest> = {
    requesting_library: options.requestingLibrary,
    status,
    media_type: media.text,
    media_type_code: media.code,
    ...(isCopy && { delivery_type: 'E-post', delivery_type_code: '2' }),
    ...(random() < 0.1 && { processing_time: 'Brådskande', processing_time_code: '2' }),
    ...bibliographicFields(random, isCopy),
    message: pick(random, MESSAGES),
    user: orBlank(random, `${pick(random, FIRST_NAMES)} ${pick(random, LAST_NAMES)}`),
    user_id: orBlank(random, String(randomInt(random, 2_000_000_000, 2_099_999_999))),
    operator: `${pick(random, FIRST_NAMES).toLowerCase()}.${options.requestingLibrary.toLowerCase()}`,
    receiving_library: receivingLibrary(options.requestingLibrary, {
      name: home?.name ?? `Biblioteket ${options.requestingLibrary}`, department: 'Fjärrlån', city: home?.city ?? '', zip_code: home?.zip ?? '',
      email: `fjarrlan@${options.requestingLibrary.toLowerCase()}.example.se`, bibsam: true,
    }),
    recipients,
    last_modified: String(lastModified),
    sign_date: created,
    ...(status === 'Levererad' && !isCopy && { due_date: formatDay(parseDay(created)! + 35) }),
  };
  if (random() < EMPTY_TITLE_SHARE) fields.title = '';
  return fields;
}

/** `count` realistic Swedish borrowing requests (å, ä, ö everywhere; every status of §5; loans and
 *  copies; some empty fields, now and then an empty title or an unknown lender sigel), created on
 *  days spread over [from, to] and sorted by that day. The same options give the same requests. */
export function generateLibrisRequests(options: GenerateOptions): GeneratedRequest[] {
  const random = seededRandom(options.seed);
  const first = parseDay(options.from)!;
  const span = parseDay(options.to)! - first + 1;
  const days = Array.from({ length: options.count }, () => first + Math.floor(random() * span)).sort((a, b) => a - b);
  return days.map((day) => ({ created: formatDay(day), fields: generateOne(random, options, formatDay(day)) }));
}
