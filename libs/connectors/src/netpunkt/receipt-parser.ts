import {
  AGENCY_ID_TYPE_ELEMENTS,
  ElementKind,
  MANDATORY_ORDER_ELEMENTS,
  NetpunktOrder,
  NetpunktReceipt,
  ORDER_RECEIPT_ELEMENTS,
  ORDER_RECEIPT_NAMESPACE,
  ORDER_RECEIPT_SCHEMA,
  SOAP_ENVELOPE_NAMESPACE,
  OrderElementName,
  RawElement,
  UnknownElement,
} from './schema';
import { isOrderReceiptElement, readXml, soapPayload, XmlElement } from './xml';

/** Receipts are a few kilobytes; anything far larger is refused before it is parsed. */
export const MAX_RECEIPT_LENGTH = 256 * 1024;

/** Not a receipt: `incomplete_request`, a receipt (a readable SOAP message) with content missing or unreadable;
 *  `soap_fault`, a message that cannot be read as SOAP at all (empty, too large, not well-formed XML, a DTD, past
 *  the reader's limits, neither a SOAP 1.1 Envelope with a Body nor a bare receipt), answered with a SOAP 1.1 Fault
 *  rather than a receiptResponse; `tooLarge` says it was the size. */
export type ParseReceiptResult =
  | { ok: true; receipt: NetpunktReceipt }
  | { ok: false; status: 'incomplete_request'; problems: string[] }
  | { ok: false; status: 'soap_fault'; problems: string[]; tooLarge: boolean };

const REQUEST_ELEMENTS = new Set(['authenticationPassword', 'orderReceipt', 'orderReceiptUuid', 'trackingId']);
const ORDER_ELEMENTS: ReadonlySet<string> = new Set(ORDER_RECEIPT_ELEMENTS);
/** xs:boolean, and what DBC's own systems send too (Y/N, yes/no), in any case. */
const TRUE_TEXTS = new Set(['true', '1', 'yes', 'y']);
const FALSE_TEXTS = new Set(['false', '0', 'no', 'n']);
/** An xs:date or xs:dateTime; both are accepted wherever either is expected. */
const DATE_OR_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:\d{2})?$/;

/**
 * Reads a Netpunkt order receipt (netpunkt.md §1–2): a SOAP 1.1 envelope or a bare `receipt`, the
 * orderReceipt namespace under any prefix or none, unknown SOAP headers and elements ignored (the
 * latter kept), elements in any order. A missing mandatory element, an unknown `*IdType` or
 * unreadable XML makes the receipt incomplete, with every problem listed; an unreadable optional
 * value is left out with a warning.
 */
export function parseReceipt(xml: string): ParseReceiptResult {
  const read = readReceipt(xml);
  return read.ok ? { ok: true, receipt: read.receipt } : read;
}

/** As parseReceipt, with the parsed XML (`document`) too, for `redactedReceiptXml`. */
export function readReceipt(xml: string): (ParseReceiptResult & { ok: false }) | { ok: true; receipt: NetpunktReceipt; document: XmlElement } {
  if (!xml.trim()) return soapFault(['the request body is empty']);
  if (xml.length > MAX_RECEIPT_LENGTH) return soapFault([`the receipt is longer than ${MAX_RECEIPT_LENGTH} characters`], true);
  const document = readXml(xml);
  if (!document.ok) return soapFault(document.problems);

  const payload = soapPayload(document.root);
  if (typeof payload === 'string') return soapFault([payload]);
  // Neither a SOAP 1.1 Envelope nor a bare receipt (netpunkt.md §1 accepts one without an envelope).
  if (payload === document.root && payload.localName !== 'receipt') {
    return soapFault([`expected a SOAP 1.1 Envelope (${SOAP_ENVELOPE_NAMESPACE}) or a receipt element, found <${payload.name}>`]);
  }
  if (!isOrderReceiptElement(payload, 'receipt')) return incomplete([`expected a receipt element of ${ORDER_RECEIPT_NAMESPACE}, found <${payload.name}>`]);
  const [receiptRequest] = payload.children.filter((child) => isOrderReceiptElement(child, 'receiptRequest'));
  if (!receiptRequest) return incomplete(['receipt has no receiptRequest']);

  const problems: string[] = [];
  const warnings: string[] = [];
  const unknownElements: UnknownElement[] = [];
  const request = groupChildren(receiptRequest, 'receiptRequest', REQUEST_ELEMENTS, unknownElements);
  const first = (name: string): XmlElement | undefined => {
    const elements = request.get(name) ?? [];
    if (elements.length > 1) warnings.push(`receiptRequest/${name} appears ${elements.length} times; the first is used`);
    return elements[0];
  };

  const orderReceiptUuid = first('orderReceiptUuid')?.text;
  if (!orderReceiptUuid) problems.push('receiptRequest/orderReceiptUuid is missing or empty');
  const orderReceipt = first('orderReceipt');
  if (!orderReceipt) problems.push('receiptRequest/orderReceipt is missing');
  const order = orderReceipt && readOrder(orderReceipt, problems, warnings, unknownElements);
  if (problems.length || !order || !orderReceiptUuid) return incomplete(problems);

  const receipt: NetpunktReceipt = { orderReceiptUuid, order, unknownElements, warnings };
  const authenticationPassword = first('authenticationPassword')?.text;
  if (authenticationPassword) receipt.authenticationPassword = authenticationPassword;
  const trackingId = first('trackingId')?.text;
  if (trackingId) receipt.trackingId = trackingId;
  return { ok: true, receipt, document: document.root };
}

function incomplete(problems: string[]): ParseReceiptResult & { ok: false } {
  return { ok: false, status: 'incomplete_request', problems };
}

function soapFault(problems: string[], tooLarge = false): ParseReceiptResult & { ok: false } {
  return { ok: false, status: 'soap_fault', problems, tooLarge };
}

/** The children the schema knows, by local name in document order; the others go to `unknown`. */
function groupChildren(
  parent: XmlElement,
  parentName: UnknownElement['parent'],
  known: ReadonlySet<string>,
  unknown: UnknownElement[],
): Map<string, XmlElement[]> {
  const groups = new Map<string, XmlElement[]>();
  for (const child of parent.children) {
    if (known.has(child.localName) && isOrderReceiptElement(child, child.localName)) {
      groups.set(child.localName, [...(groups.get(child.localName) ?? []), child]);
    } else {
      unknown.push({ parent: parentName, ...toRawElement(child) });
    }
  }
  return groups;
}

function toRawElement(element: XmlElement): RawElement {
  return { name: element.name, text: element.text, children: element.children.map(toRawElement) };
}

function readOrder(orderReceipt: XmlElement, problems: string[], warnings: string[], unknown: UnknownElement[]): NetpunktOrder | undefined {
  const elements = groupChildren(orderReceipt, 'orderReceipt', ORDER_ELEMENTS, unknown);
  const order: Partial<Record<OrderElementName, unknown>> = {};
  for (const name of ORDER_RECEIPT_ELEMENTS) {
    const kind = ORDER_RECEIPT_SCHEMA[name];
    const texts = (elements.get(name) ?? []).map((element) => element.text).filter(Boolean);
    if (kind === 'repeatable') {
      if (texts.length) order[name] = texts;
      continue;
    }
    if (texts.length > 1) warnings.push(`orderReceipt/${name} appears ${texts.length} times; the first is used`);
    if (!texts.length) continue;
    const value = readValue(kind, texts[0]);
    if (value.ok) order[name] = value.value;
    else if (AGENCY_ID_TYPE_ELEMENTS.has(name)) problems.push(`orderReceipt/${name} "${texts[0]}" ${value.expected}`);
    else warnings.push(`orderReceipt/${name} "${texts[0]}" ${value.expected}; it was left out`);
  }
  for (const name of MANDATORY_ORDER_ELEMENTS) {
    if (!(elements.get(name) ?? []).some((element) => element.text)) problems.push(`orderReceipt/${name} is missing or empty`);
  }
  // Every mandatory element is present and every value was read by its kind in ORDER_RECEIPT_SCHEMA.
  return problems.length ? undefined : (order as NetpunktOrder);
}

type ReadValue = { ok: true; value: string | boolean } | { ok: false; expected: string };

function readValue(kind: Exclude<ElementKind, 'repeatable'>, text: string): ReadValue {
  switch (kind) {
    case 'text':
      return { ok: true, value: text };
    case 'boolean': {
      const lower = text.toLowerCase();
      if (TRUE_TEXTS.has(lower) || FALSE_TEXTS.has(lower)) return { ok: true, value: TRUE_TEXTS.has(lower) };
      return { ok: false, expected: 'is not a boolean (true, false, 1, 0, Y, N, yes or no)' };
    }
    case 'date':
    case 'dateTime': {
      const match = DATE_OR_DATE_TIME.exec(text);
      if (!match || !isCalendarDate(match[1], match[2], match[3])) return { ok: false, expected: 'is not a date (YYYY-MM-DD) or dateTime (YYYY-MM-DDThh:mm:ss)' };
      // A date keeps the day as written, whatever the time zone of a dateTime sent in its place.
      return { ok: true, value: kind === 'date' ? `${match[1]}-${match[2]}-${match[3]}` : text };
    }
    default: {
      const value = kind.oneOf.find((candidate) => candidate.toLowerCase() === text.toLowerCase());
      if (value !== undefined) return { ok: true, value };
      return { ok: false, expected: `is not one of ${kind.oneOf.join(', ')}` };
    }
  }
}

function isCalendarDate(year: string, month: string, day: string): boolean {
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  return date.getUTCFullYear() === Number(year) && date.getUTCMonth() === Number(month) - 1 && date.getUTCDate() === Number(day);
}
