import { readXml, XmlElement } from '../netpunkt/xml';
import { AGENCY_ID_TYPES, ERROR_TYPES, ISO18626_NAMESPACE, ISO18626_STATUSES, ISO18626_VERSION, MESSAGE_STATUSES, REASONS_FOR_MESSAGE, REQUESTING_AGENCY_ACTIONS, YES_NO } from './schema';

/* The element lists of the messages and confirmations ILL Bridge builds (iso18626.md, ISO-18626-v1_2.xsd), as data:
   each element's children in schema order ('?' optional), and the closed lists of leaf values. `conformanceProblems`
   checks a document against them: the unit test checks every message built and every confirmation answered, the
   end-to-end test every one stored, and the simulated peer refuses what does not conform. */

type ChildList = readonly string[];

const AGENCY: ChildList = ['agencyIdType', 'agencyIdValue'];
export const ISO18626_ELEMENTS: Readonly<Record<string, ChildList>> = {
  header: ['supplyingAgencyId', 'requestingAgencyId', 'multipleItemRequestId', 'timestamp', 'requestingAgencyRequestId', 'supplyingAgencyRequestId?', 'requestingAgencyAuthentication?'],
  confirmationHeader: ['supplyingAgencyId', 'requestingAgencyId', 'timestamp', 'requestingAgencyRequestId', 'multipleItemRequestId?', 'timestampReceived', 'messageStatus'],
  supplyingAgencyId: AGENCY,
  requestingAgencyId: AGENCY,
  requestingAgencyAuthentication: ['accountId?', 'securityCode?'],
  requestingAgencyMessage: ['header', 'action', 'note?'],
  supplyingAgencyMessage: ['header', 'messageInfo', 'statusInfo', 'deliveryInfo?', 'returnInfo?'],
  messageInfo: ['reasonForMessage', 'answerYesNo?', 'note?', 'reasonUnfilled?', 'reasonRetry?', 'offeredCosts?', 'retryAfter?', 'retryBefore?'],
  statusInfo: ['status', 'expectedDeliveryDate?', 'dueDate?', 'lastChange'],
  deliveryInfo: ['dateSent?', 'itemId?', 'sentVia?', 'sentToPatron?', 'loanCondition?', 'deliveredFormat?', 'deliveryCosts?'],
  requestConfirmation: ['confirmationHeader', 'errorData?'],
  supplyingAgencyMessageConfirmation: ['confirmationHeader', 'errorData?', 'reasonForMessage?'],
  requestingAgencyMessageConfirmation: ['confirmationHeader', 'errorData?', 'action?'],
  errorData: ['errorType', 'errorValue?'],
};

/** Leaves whose value is a closed list (by parent/element, or element alone). */
export const ISO18626_CLOSED_LISTS: Readonly<Record<string, readonly string[]>> = {
  agencyIdType: AGENCY_ID_TYPES,
  'requestingAgencyMessage/action': REQUESTING_AGENCY_ACTIONS,
  'requestingAgencyMessageConfirmation/action': REQUESTING_AGENCY_ACTIONS,
  reasonForMessage: REASONS_FOR_MESSAGE,
  answerYesNo: YES_NO,
  status: ISO18626_STATUSES,
  messageStatus: MESSAGE_STATUSES,
  errorType: ERROR_TYPES,
};

const DATE_TIMES = new Set(['timestamp', 'timestampReceived', 'lastChange']);
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const MESSAGES = ['request', 'requestConfirmation', 'supplyingAgencyMessage', 'supplyingAgencyMessageConfirmation', 'requestingAgencyMessage', 'requestingAgencyMessageConfirmation'];

function checkElement(element: XmlElement, path: string, problems: string[]): void {
  if (element.namespace !== ISO18626_NAMESPACE) problems.push(`${path} is not in the ISO 18626 namespace`);
  const expected = ISO18626_ELEMENTS[element.localName];
  if (!expected) {
    const list = ISO18626_CLOSED_LISTS[`${path.split('/').at(-2)}/${element.localName}`] ?? ISO18626_CLOSED_LISTS[element.localName];
    if (list && !list.includes(element.text)) problems.push(`${path} "${element.text}" is not one of ${list.join(', ')}`);
    if (DATE_TIMES.has(element.localName) && !DATE_TIME.test(element.text)) problems.push(`${path} "${element.text}" is not an ISO 8601 date-time with a time zone`);
    if (element.children.length) problems.push(`${path} must hold text only`);
    return;
  }
  if (element.text) problems.push(`${path} must not hold text`);
  const names = expected.map((n) => n.replace('?', ''));
  let position = 0;
  for (const child of element.children) {
    const at = names.indexOf(child.localName, position);
    if (at < 0) {
      problems.push(names.includes(child.localName) ? `${path}/${child.localName} is out of schema order or repeated` : `${path}/${child.localName} is not an element of ${element.localName}`);
      continue;
    }
    position = at + 1;
    checkElement(child, `${path}/${child.localName}`, problems);
  }
  for (const name of expected) {
    if (!name.endsWith('?') && !element.children.some((c) => c.localName === name)) problems.push(`${path} has no ${name}`);
  }
}

/** Every way the document departs from the v1.2 element lists and closed lists; [] when it conforms. */
export function conformanceProblems(xml: string): string[] {
  const document = readXml(xml);
  if (!document.ok) return document.problems;
  const root = document.root;
  const problems: string[] = [];
  if (root.localName !== 'ISO18626Message' || root.namespace !== ISO18626_NAMESPACE) return [`the root element must be ISO18626Message in ${ISO18626_NAMESPACE}`];
  if (root.attributes.version !== ISO18626_VERSION) problems.push(`ISO18626Message must carry version="${ISO18626_VERSION}"`);
  if (root.children.length !== 1 || !MESSAGES.includes(root.children[0].localName)) return [...problems, 'ISO18626Message must hold exactly one message or confirmation'];
  const message = root.children[0];
  if (message.localName === 'request') return problems; // not built by ILL Bridge
  checkElement(message, message.localName, problems);
  return problems;
}
