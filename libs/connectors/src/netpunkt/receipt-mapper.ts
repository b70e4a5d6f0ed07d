import type { IncomingRequest, MappingResult } from '../types';
import { normalizeAgencyId } from './agency';
import type { NetpunktOrder, NetpunktReceipt } from './schema';
import { writeXml, XmlElement } from './xml';

/** A mapped receipt: it cannot fail, parseReceipt has validated it. `originalOrderId` names the order
 *  this one replaces, `replacedExternalId` the external id of its request, for the importer to link. */
export type NetpunktMapping = Extract<MappingResult, { ok: true }> & { originalOrderId: string | null; replacedExternalId: string | null };

/**
 * The external id of the request of an order: `orderId` + `requesterId` identify an order (the XSD's key,
 * netpunkt.md §2), since two requesters may each send an order with the same `orderId`. Written
 * `<orderId>@<requesterId>`, the requester normalized (agency.ts): `1234567890@DK-820010`. Requests
 * stored before as the bare `orderId` were given their requester by the migration NetpunktOrderKey.
 */
export function netpunktExternalId(orderId: string, requesterId: string, requesterIdType: NetpunktOrder['requesterIdType']): string {
  return `${orderId.trim()}@${normalizeAgencyId(requesterId, requesterIdType)}`;
}

/** The order id in a request's external identifier (`<orderId>@<requesterId>` for Netpunkt; any other id as it is):
 *  what the lender knows the request by (ISO 18626 `requestingAgencyRequestId`). */
export function orderIdOf(externalId: string): string {
  const at = externalId.lastIndexOf('@');
  return at > 0 ? externalId.slice(0, at) : externalId;
}

/** A CPR number: birth date DDMMYY and four digits, with or without the dash. */
const CPR_SHAPE = /^\d{6}-?\d{4}$/;
const MASKED_CPR = /^cpr:\*{6}(\d{4})?$/;

/**
 * Turns a receipt into a borrowing request (netpunkt.md §3). Agency ids are normalized (agency.ts);
 * the status is REQUEST_SENT_TO_PARTNER, since DBC has already sent the order to the responder.
 * `raw` is the redacted receipt: no password, no CPR number in clear.
 */
export function mapReceipt(receipt: NetpunktReceipt): NetpunktMapping {
  const raw = redactReceipt(receipt);
  const { order } = raw;
  const partnerCode = normalizeAgencyId(order.responderId, order.responderIdType);
  const request: IncomingRequest = {
    direction: 'BORROWING',
    externalId: netpunktExternalId(order.orderId, order.requesterId, order.requesterIdType),
    externalRef: normalizeAgencyId(order.requesterId, order.requesterIdType),
    externalSystemStatus: null,
    mappedStatus: 'REQUEST_SENT_TO_PARTNER',
    externalLibraryCode: normalizeAgencyId(order.pickUpAgencyId, order.pickUpAgencyIdType),
    partnerCodes: [partnerCode],
    activePartnerCode: partnerCode,
    requesterName: order.userName ?? null,
    requesterId: order.userId ?? null,
    title: order.title,
    author: order.author ?? null,
    isbn: order.isbn ?? null,
    issn: order.issn ?? null,
    publisher: order.publisher ?? null,
    placeOfPublication: order.placeOfPublication ?? null,
    // An article copy may date only its component (the journal issue).
    year: order.publicationDate ?? order.publicationDateOfComponent ?? null,
    edition: order.edition ?? null,
    volume: order.volume ?? null,
    issue: order.issue ?? null,
    pages: order.pagination ?? null,
    articleTitle: order.titleOfComponent ?? null,
    articleAuthor: order.authorOfComponent ?? null,
    format: order.copy ? 'COPY' : 'LOAN',
    note: order.latestRequesterNote ?? null,
    lastInterestDate: order.needBeforeDate ?? null,
    raw,
  };
  // A replacement comes from the requester of the order it replaces.
  const replaced = order.originalOrderId ? netpunktExternalId(order.originalOrderId, order.requesterId, order.requesterIdType) : null;
  return { ok: true, request, warnings: [...receipt.warnings], originalOrderId: order.originalOrderId ?? null, replacedExternalId: replaced };
}

/**
 * The receipt as it may be stored, shown or logged: a deep, JSON-safe copy without the password and
 * with a CPR number masked (`cpr:******1234`). A CPR number is recognised by `userIdType` cpr, or by
 * its shape when no user id type was given. Redacting twice changes nothing.
 */
export function redactReceipt(receipt: NetpunktReceipt): NetpunktReceipt {
  const copy = structuredClone(receipt);
  delete copy.authenticationPassword;
  if (copy.order.userId !== undefined && holdsCpr(copy.order)) copy.order.userId = maskCpr(copy.order.userId);
  return copy;
}

/**
 * The receipt's XML as it may be stored for audit, written back from the parsed tree (not edited as
 * text, so no prefix, spacing, CDATA or reference can hide a value): every `authenticationPassword`
 * says `[redacted]` and, when the user id is a CPR number, every `userId` holds the masked number,
 * whatever namespace prefix they are written with.
 */
export function redactedReceiptXml(document: XmlElement, receipt: NetpunktReceipt): string {
  const cpr = holdsCpr(receipt.order);
  return writeXml(document, (element) => {
    if (element.localName === 'authenticationPassword') return '[redacted]';
    if (element.localName === 'userId' && (cpr || CPR_SHAPE.test(element.text))) return maskCpr(element.text);
    return undefined;
  });
}

function holdsCpr({ userId = '', userIdType }: NetpunktOrder): boolean {
  return userIdType === 'cpr' || (userIdType === undefined && CPR_SHAPE.test(userId));
}

/** Keeps the last four digits of a full CPR number; shows nothing of anything else. */
export function maskCpr(value: string): string {
  if (MASKED_CPR.test(value)) return value;
  const digits = value.replace(/\D/g, '');
  return `cpr:******${digits.length === 10 ? digits.slice(-4) : ''}`;
}
