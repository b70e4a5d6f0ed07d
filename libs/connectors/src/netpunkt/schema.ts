/** The vocabulary of DBC's Order Receipt service v1.3 (orderReceipt.wsdl / orderReceipt.xsd), as
 *  netpunkt.md §1–2 describes it: namespaces, enumerations, the elements of `orderReceipt` in schema
 *  order with the kind of value each holds, and the parsed shape of a receipt. */

export const ORDER_RECEIPT_NAMESPACE = 'http://oss.dbc.dk/ns/orderReceipt';
export const SOAP_ENVELOPE_NAMESPACE = 'http://schemas.xmlsoap.org/soap/envelope/';
/** The SOAPAction of the `receipt` operation, quoted as SOAP 1.1 senders send it. */
export const RECEIPT_SOAP_ACTION = `"${ORDER_RECEIPT_NAMESPACE}/Receipt"`;

export const RECEIPT_STATUSES = ['ok', 'incomplete_request', 'fatal_internal_error', 'temporary_error_please_resend'] as const;
export type ReceiptStatus = (typeof RECEIPT_STATUSES)[number];

export const AGENCY_ID_TYPES = ['ISIL', 'DNUCNI'] as const;
export type AgencyIdType = (typeof AGENCY_ID_TYPES)[number];

export const ARTICLE_DIRECT_VALUES = ['electronic', 'pickup', 'postal'] as const;
export type ArticleDirect = (typeof ARTICLE_DIRECT_VALUES)[number];

export const AUTO_FORWARD_REASONS = [
  'delivery_before_deadline', 'error', 'new_for_aut_own', 'new_for_requester', 'new_for_responder', 'no_delivery_date',
  'no_provider', 'not_for_loan', 'not_on_shelf', 'not_possible', 'test', 'test_aut_own', 'user_date_exceeded',
] as const;
export type AutoForwardReason = (typeof AUTO_FORWARD_REASONS)[number];

export const ORDER_SYSTEMS = ['bibliotekdk', 'netpunkt', 'ors', 'pallesgavebod', 'sbserialsolutions', 'zpunkt'] as const;
export type OrderSystem = (typeof ORDER_SYSTEMS)[number];

export const ORDER_TYPES = ['enduser_request', 'enduser_illrequest', 'inter_library_request'] as const;
export type OrderType = (typeof ORDER_TYPES)[number];

export const PLACE_ON_HOLD_VALUES = ['yes', 'no', 'responder_depending'] as const;
export type PlaceOnHold = (typeof PLACE_ON_HOLD_VALUES)[number];

export const USER_ID_TYPES = ['cpr', 'common', 'barcode', 'cardno', 'optional', 'no_userid_selected'] as const;
export type UserIdType = (typeof USER_ID_TYPES)[number];

export const VERIFICATION_REFERENCE_SOURCES = [
  'articlefirst', 'bibsys', 'bibliotekdk', 'danbib', 'dbcdatawell', 'libris', 'none', 'pallesgavebod', 'worldcat',
] as const;
export type VerificationReferenceSource = (typeof VERIFICATION_REFERENCE_SOURCES)[number];

/** One `orderReceipt`, its values typed: dates as `YYYY-MM-DD`, dateTimes as sent, enumerations in
 *  the schema's spelling whatever case they arrived in. Absent or empty optional elements are left out. */
export interface NetpunktOrder {
  orderId: string;
  requesterId: string;
  requesterIdType: AgencyIdType;
  articleDirect?: ArticleDirect;
  articleFirstNote?: string;
  author?: string;
  authorOfComponent?: string;
  autoForwardDeliverToday?: boolean;
  autoForwardReason?: AutoForwardReason;
  bibliographicCategory?: string;
  bibliographicRecordAgencyId?: string;
  bibliographicRecordId?: string;
  callNumber?: string;
  /** A photocopy is wanted. */
  copy?: boolean;
  creationDate?: string;
  edition?: string;
  exactEdition?: boolean;
  isbn?: string;
  issn?: string;
  issue?: string;
  kvik?: boolean;
  language?: string;
  lastModification?: string;
  latestRequesterNote?: string;
  localHoldingsId?: string;
  /** book, periodical, dvd, … or any other text (the schema's union of an enumeration and a string). */
  mediumType?: string;
  needBeforeDate?: string;
  norfri?: boolean;
  orderSystem?: OrderSystem;
  orderType?: OrderType;
  /** The order this one replaces. */
  originalOrderId?: string;
  pagination?: string;
  pickUpAgencyId: string;
  pickUpAgencyIdType: AgencyIdType;
  pickUpAgencySubdivision?: string;
  pid?: string[];
  pidOfComponent?: string;
  pidOfPrimaryObject?: string;
  placeOfPublication?: string;
  placeOnHold?: PlaceOnHold;
  publicationDate?: string;
  publicationDateOfComponent?: string;
  publisher?: string;
  requesterInitials?: string;
  resendToRequesterDate?: string;
  responderId: string;
  responderIdType: AgencyIdType;
  /** Spelt so in the schema. */
  seriesTitelNumber?: string;
  title: string;
  titleOfComponent?: string;
  userAddress?: string;
  userDateOfBirth?: string;
  /** Personal data; a Danish CPR number when `userIdType` is `cpr`. */
  userId?: string;
  userIdAuthenticated?: boolean;
  userIdType?: UserIdType;
  userMail?: string;
  userName?: string;
  userReferenceSource?: string;
  userTelephone?: string;
  verificationReferenceSource?: VerificationReferenceSource;
  volume?: string;
  wantsReceipt?: boolean;
  worldCatNote?: string;
}

export type OrderElementName = keyof NetpunktOrder;

/** An element the schema does not define, kept as read (without its attributes) for the audit trail. */
export interface RawElement {
  /** The name as written, prefix included. */
  name: string;
  text: string;
  children: RawElement[];
}

export interface UnknownElement extends RawElement {
  /** The schema element it was found in. */
  parent: 'receiptRequest' | 'orderReceipt';
}

export interface NetpunktReceipt {
  authenticationPassword?: string;
  orderReceiptUuid: string;
  trackingId?: string;
  order: NetpunktOrder;
  /** Elements of `receiptRequest` and `orderReceipt` the schema does not define: ignored, but kept. */
  unknownElements: UnknownElement[];
  /** Optional values that could not be read and were left out, or repeated elements of which only the
   *  first was taken; they become warnings of the record event. Never quote personal data here. */
  warnings: string[];
}

/** How the text of an element is read. */
export type ElementKind = 'text' | 'date' | 'dateTime' | 'boolean' | 'repeatable' | { oneOf: readonly string[] };

/** The kind that fits a field of the given type. */
type ElementKindOf<T> = [T] extends [boolean]
  ? 'boolean'
  : [T] extends [string[]]
    ? 'repeatable'
    : [string] extends [T]
      ? 'text' | 'date' | 'dateTime'
      : { oneOf: readonly T[] };

type OrderSchema = { readonly [K in OrderElementName]-?: ElementKindOf<NonNullable<NetpunktOrder[K]>> };

/** Every element of `orderReceipt` in schema order: orderId, requesterId, requesterIdType, then the
 *  others alphabetically, mandatory and optional alike (orderReceipt.xsd v1.3). */
export const ORDER_RECEIPT_SCHEMA: OrderSchema = {
  orderId: 'text',
  requesterId: 'text',
  requesterIdType: { oneOf: AGENCY_ID_TYPES },
  articleDirect: { oneOf: ARTICLE_DIRECT_VALUES },
  articleFirstNote: 'text',
  author: 'text',
  authorOfComponent: 'text',
  autoForwardDeliverToday: 'boolean',
  autoForwardReason: { oneOf: AUTO_FORWARD_REASONS },
  bibliographicCategory: 'text',
  bibliographicRecordAgencyId: 'text',
  bibliographicRecordId: 'text',
  callNumber: 'text',
  copy: 'boolean',
  creationDate: 'date',
  edition: 'text',
  exactEdition: 'boolean',
  isbn: 'text',
  issn: 'text',
  issue: 'text',
  kvik: 'boolean',
  language: 'text',
  lastModification: 'dateTime',
  latestRequesterNote: 'text',
  localHoldingsId: 'text',
  mediumType: 'text',
  needBeforeDate: 'date',
  norfri: 'boolean',
  orderSystem: { oneOf: ORDER_SYSTEMS },
  orderType: { oneOf: ORDER_TYPES },
  originalOrderId: 'text',
  pagination: 'text',
  pickUpAgencyId: 'text',
  pickUpAgencyIdType: { oneOf: AGENCY_ID_TYPES },
  pickUpAgencySubdivision: 'text',
  pid: 'repeatable',
  pidOfComponent: 'text',
  pidOfPrimaryObject: 'text',
  placeOfPublication: 'text',
  placeOnHold: { oneOf: PLACE_ON_HOLD_VALUES },
  publicationDate: 'text',
  publicationDateOfComponent: 'text',
  publisher: 'text',
  requesterInitials: 'text',
  resendToRequesterDate: 'dateTime',
  responderId: 'text',
  responderIdType: { oneOf: AGENCY_ID_TYPES },
  seriesTitelNumber: 'text',
  title: 'text',
  titleOfComponent: 'text',
  userAddress: 'text',
  userDateOfBirth: 'text',
  userId: 'text',
  // xs:string in the schema, but a yes/no flag: DBC's own services turn "yes" into "true".
  userIdAuthenticated: 'boolean',
  userIdType: { oneOf: USER_ID_TYPES },
  userMail: 'text',
  userName: 'text',
  userReferenceSource: 'text',
  userTelephone: 'text',
  verificationReferenceSource: { oneOf: VERIFICATION_REFERENCE_SOURCES },
  volume: 'text',
  // xs:string in the schema too; "User wants a receipt sent".
  wantsReceipt: 'boolean',
  worldCatNote: 'text',
};

export const ORDER_RECEIPT_ELEMENTS = Object.keys(ORDER_RECEIPT_SCHEMA) as OrderElementName[];

export const MANDATORY_ORDER_ELEMENTS = [
  'orderId', 'requesterId', 'requesterIdType', 'pickUpAgencyId', 'pickUpAgencyIdType', 'responderId', 'responderIdType', 'title',
] as const satisfies readonly OrderElementName[];

/** The `*IdType` elements: an unknown value there makes the receipt incomplete, not just a warning. */
export const AGENCY_ID_TYPE_ELEMENTS: ReadonlySet<OrderElementName> = new Set(['requesterIdType', 'pickUpAgencyIdType', 'responderIdType']);
