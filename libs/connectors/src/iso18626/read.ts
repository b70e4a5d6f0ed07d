import { readXml, XmlElement } from '../netpunkt/xml';
import {
  AGENCY_ID_TYPES, AgencyId, ERROR_TYPES, ErrorType, Iso18626Confirmation, Iso18626Header, Iso18626MessageKind, ISO18626_MESSAGES, ISO18626_NAMESPACE,
  ISO18626_STATUSES, Iso18626Status, MESSAGE_STATUSES, MessageStatus, REASONS_FOR_MESSAGE, ReasonForMessage, REQUESTING_AGENCY_ACTIONS,
  RequestingAgencyAction, RequestingAgencyMessage, SupplyingAgencyMessage, YES_NO,
} from './schema';

/* Reads ISO 18626 v1.2 messages with the Netpunkt endpoint's XML reader (readXml: namespace-aware, a DTD or any
   entity refused, element count, attributes and depth bounded). Elements must be in the v1.2 namespace; elements this
   connector does not use (offeredCosts, returnInfo, …) are passed over. */

/** A message that cannot be taken, with the ISO 18626 error type to confirm it with and whatever of its header
 *  could be read (to echo in the confirmation). */
export interface Iso18626Refusal {
  ok: false;
  kind: Iso18626MessageKind | null;
  errorType: ErrorType;
  problem: string;
  header: Partial<Iso18626Header>;
}

export type Iso18626Read =
  | { ok: true; kind: 'supplyingAgencyMessage'; message: SupplyingAgencyMessage }
  | { ok: true; kind: 'requestingAgencyMessage'; message: RequestingAgencyMessage }
  | { ok: true; kind: 'request'; message: { header: Iso18626Header } }
  | Iso18626Refusal;

class Refused extends Error {
  constructor(
    readonly errorType: ErrorType,
    message: string,
  ) {
    super(message);
  }
}

const inNamespace = (e: XmlElement) => e.namespace === ISO18626_NAMESPACE;
const child = (parent: XmlElement, name: string) => parent.children.find((c) => c.localName === name && inNamespace(c));
const text = (parent: XmlElement, name: string): string | undefined => {
  const found = child(parent, name);
  return found && found.text !== '' ? found.text : undefined;
};
function required(parent: XmlElement, name: string, where: string): string {
  const found = child(parent, name);
  if (!found) throw new Refused('BadlyFormedMessage', `${where} has no ${name}`);
  return found.text;
}
function requiredElement(parent: XmlElement, name: string, where: string): XmlElement {
  const found = child(parent, name);
  if (!found) throw new Refused('BadlyFormedMessage', `${where} has no ${name}`);
  return found;
}
function closed<T extends string>(value: string | undefined, list: readonly T[], name: string, errorType: ErrorType = 'UnrecognisedDataValue'): T | undefined {
  if (value === undefined) return undefined;
  if (!(list as readonly string[]).includes(value)) throw new Refused(errorType, `${name} "${value}" is not one of ${list.join(', ')}`);
  return value as T;
}
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/;
function timestamp(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (!TIMESTAMP.test(value) || Number.isNaN(Date.parse(value))) throw new Refused('UnrecognisedDataValue', `${name} "${value}" is not an ISO 8601 date and time`);
  return value;
}

/** `mayBeEmpty`: a confirmation of a message too badly formed to name its agencies echoes them empty. */
function agencyId(parent: XmlElement, name: string, mayBeEmpty = false): AgencyId {
  const element = requiredElement(parent, name, 'the header');
  const agencyIdType = closed(required(element, 'agencyIdType', name), AGENCY_ID_TYPES, `${name}.agencyIdType`)!;
  const agencyIdValue = required(element, 'agencyIdValue', name);
  if (!agencyIdValue && !mayBeEmpty) throw new Refused('BadlyFormedMessage', `${name}.agencyIdValue is empty`);
  return { agencyIdType, agencyIdValue };
}

/** As much of the header as can be read, for the confirmation of a message that is refused. */
function partialHeader(header: XmlElement | undefined): Partial<Iso18626Header> {
  if (!header) return {};
  const partial: Partial<Iso18626Header> = {};
  for (const name of ['supplyingAgencyId', 'requestingAgencyId'] as const) {
    const element = child(header, name);
    if (element) partial[name] = { agencyIdType: text(element, 'agencyIdType') ?? '', agencyIdValue: text(element, 'agencyIdValue') ?? '' };
  }
  partial.timestamp = text(header, 'timestamp');
  partial.requestingAgencyRequestId = text(header, 'requestingAgencyRequestId');
  partial.multipleItemRequestId = text(header, 'multipleItemRequestId');
  return partial;
}

function readHeader(parent: XmlElement, confirmation = false): Iso18626Header {
  const header = requiredElement(parent, confirmation ? 'confirmationHeader' : 'header', parent.localName);
  const auth = child(header, 'requestingAgencyAuthentication');
  const requestId = required(header, 'requestingAgencyRequestId', 'the header');
  if (!requestId && !confirmation) throw new Refused('BadlyFormedMessage', 'the header\'s requestingAgencyRequestId is empty');
  return {
    supplyingAgencyId: agencyId(header, 'supplyingAgencyId', confirmation),
    requestingAgencyId: agencyId(header, 'requestingAgencyId', confirmation),
    multipleItemRequestId: confirmation ? (text(header, 'multipleItemRequestId') ?? '') : required(header, 'multipleItemRequestId', 'the header'),
    timestamp: timestamp(required(header, 'timestamp', 'the header'), 'timestamp')!,
    requestingAgencyRequestId: requestId,
    supplyingAgencyRequestId: text(header, 'supplyingAgencyRequestId') ?? null,
    requestingAgencyAuthentication: auth ? { accountId: text(auth, 'accountId'), securityCode: text(auth, 'securityCode') } : null,
  };
}

/** The message element of a document: the child of ISO18626Message (or the document element itself). */
function messageElement(root: XmlElement): XmlElement {
  if (!inNamespace(root)) throw new Refused('BadlyFormedMessage', `<${root.name}> is not in the ISO 18626 namespace ${ISO18626_NAMESPACE}`);
  if (root.localName !== 'ISO18626Message') return root;
  const message = root.children.filter(inNamespace);
  if (message.length !== 1) throw new Refused('BadlyFormedMessage', 'ISO18626Message must hold exactly one message');
  return message[0];
}

function readSupplyingAgencyMessage(element: XmlElement): SupplyingAgencyMessage {
  const header = readHeader(element);
  const info = requiredElement(element, 'messageInfo', 'supplyingAgencyMessage');
  const status = requiredElement(element, 'statusInfo', 'supplyingAgencyMessage');
  const delivery = child(element, 'deliveryInfo');
  const reasonForMessage = closed(required(info, 'reasonForMessage', 'messageInfo'), REASONS_FOR_MESSAGE, 'reasonForMessage', 'UnsupportedReasonForMessageType') as ReasonForMessage;
  const answerYesNo = closed(text(info, 'answerYesNo'), YES_NO, 'answerYesNo');
  if ((reasonForMessage === 'CancelResponse' || reasonForMessage === 'RenewResponse') && !answerYesNo) {
    throw new Refused('BadlyFormedMessage', `a ${reasonForMessage} must carry answerYesNo (Y or N)`);
  }
  const dueDate = text(status, 'dueDate');
  if (dueDate !== undefined && Number.isNaN(Date.parse(dueDate))) throw new Refused('UnrecognisedDataValue', `dueDate "${dueDate}" is not a date`);
  const optional = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  return {
    header,
    messageInfo: optional({
      reasonForMessage,
      answerYesNo,
      note: text(info, 'note'),
      reasonUnfilled: text(info, 'reasonUnfilled'),
      reasonRetry: text(info, 'reasonRetry'),
      retryAfter: text(info, 'retryAfter'),
      retryBefore: text(info, 'retryBefore'),
    }),
    statusInfo: optional({
      status: closed(required(status, 'status', 'statusInfo'), ISO18626_STATUSES, 'status') as Iso18626Status,
      expectedDeliveryDate: text(status, 'expectedDeliveryDate'),
      dueDate,
      lastChange: timestamp(required(status, 'lastChange', 'statusInfo'), 'lastChange')!,
    }),
    ...(delivery && {
      deliveryInfo: optional({
        dateSent: text(delivery, 'dateSent'),
        itemId: text(delivery, 'itemId'),
        sentVia: text(delivery, 'sentVia'),
        sentToPatron: text(delivery, 'sentToPatron'),
        loanCondition: text(delivery, 'loanCondition'),
        deliveredFormat: text(delivery, 'deliveredFormat'),
      }),
    }),
  };
}

function readRequestingAgencyMessage(element: XmlElement): RequestingAgencyMessage {
  const header = readHeader(element);
  const action = closed(required(element, 'action', 'requestingAgencyMessage'), REQUESTING_AGENCY_ACTIONS, 'action', 'UnsupportedActionType') as RequestingAgencyAction;
  const note = text(element, 'note');
  return { header, action, ...(note !== undefined && { note }) };
}

/** Reads a message sent to us: a supplyingAgencyMessage, a requestingAgencyMessage or a request (the header only). */
export function readIso18626Message(xml: string): Iso18626Read {
  const document = readXml(xml);
  if (!document.ok) return { ok: false, kind: null, errorType: 'BadlyFormedMessage', problem: document.problems.join('; '), header: {} };
  let element: XmlElement | undefined;
  let kind: Iso18626MessageKind | null = null;
  try {
    element = messageElement(document.root);
    kind = (ISO18626_MESSAGES as readonly string[]).includes(element.localName) ? (element.localName as Iso18626MessageKind) : null;
    if (kind === 'supplyingAgencyMessage') return { ok: true, kind, message: readSupplyingAgencyMessage(element) };
    if (kind === 'requestingAgencyMessage') return { ok: true, kind, message: readRequestingAgencyMessage(element) };
    if (kind === 'request') return { ok: true, kind, message: { header: readHeader(element) } };
    throw new Refused('UnsupportedActionType', `<${element.localName}> is not an ISO 18626 message this endpoint takes`);
  } catch (error) {
    if (!(error instanceof Refused)) throw error;
    return { ok: false, kind, errorType: error.errorType, problem: error.message, header: partialHeader(element && child(element, 'header')) };
  }
}

/** Reads a confirmation sent back to us; null when the text is none (not XML, another element, a header missing). */
export function readIso18626Confirmation(xml: string): Iso18626Confirmation | null {
  const document = readXml(xml);
  if (!document.ok) return null;
  try {
    const element = messageElement(document.root);
    if (!element.localName.endsWith('Confirmation')) return null;
    const header = readHeader(element, true);
    const confirmationHeader = child(element, 'confirmationHeader')!;
    const messageStatus = closed(required(confirmationHeader, 'messageStatus', 'confirmationHeader'), MESSAGE_STATUSES, 'messageStatus') as MessageStatus;
    const timestampReceived = required(confirmationHeader, 'timestampReceived', 'confirmationHeader');
    const error = child(element, 'errorData');
    return {
      kind: element.localName,
      header: { ...header, timestampReceived, messageStatus },
      ...(error && { errorData: { errorType: closed(required(error, 'errorType', 'errorData'), ERROR_TYPES, 'errorType')!, errorValue: text(error, 'errorValue') } }),
      ...(text(element, 'reasonForMessage') && { reasonForMessage: text(element, 'reasonForMessage') }),
      ...(text(element, 'action') && { action: text(element, 'action') }),
    };
  } catch (error) {
    if (error instanceof Refused) return null;
    throw error;
  }
}
