import { escapeXml } from '../netpunkt/xml';
import {
  AgencyId, ErrorType, Iso18626Header, ISO18626_NAMESPACE, ISO18626_VERSION, MessageStatus, RequestingAgencyMessage, SupplyingAgencyMessage,
} from './schema';

/* Builds ISO 18626 v1.2 messages as text: one ISO18626Message root in the v1.2 namespace, elements in schema order,
   every value escaped (escapeXml of the Netpunkt XML module). */

type Node = [name: string, content: string | Node[] | undefined | null];

function render(nodes: Node[]): string {
  return nodes
    .filter(([, content]) => content !== undefined && content !== null && !(Array.isArray(content) && content.length === 0))
    .map(([name, content]) => `<${name}>${Array.isArray(content) ? render(content) : escapeXml(content as string)}</${name}>`)
    .join('');
}

const agency = (id: AgencyId): Node[] => [
  ['agencyIdType', id.agencyIdType],
  ['agencyIdValue', id.agencyIdValue],
];

function headerNodes(h: Iso18626Header): Node[] {
  const auth = h.requestingAgencyAuthentication;
  return [
    ['supplyingAgencyId', agency(h.supplyingAgencyId)],
    ['requestingAgencyId', agency(h.requestingAgencyId)],
    ['multipleItemRequestId', h.multipleItemRequestId ?? ''],
    ['timestamp', h.timestamp],
    ['requestingAgencyRequestId', h.requestingAgencyRequestId],
    ['supplyingAgencyRequestId', h.supplyingAgencyRequestId ?? undefined],
    ['requestingAgencyAuthentication', auth ? [['accountId', auth.accountId], ['securityCode', auth.securityCode]] : undefined],
  ];
}

function document(body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ISO18626Message xmlns="${ISO18626_NAMESPACE}" version="${ISO18626_VERSION}">${body}</ISO18626Message>`;
}

/** ISO 8601 with milliseconds and Z, as the header's timestamp. */
export const isoTimestamp = (at: Date = new Date()) => at.toISOString();

export function buildRequestingAgencyMessage(message: RequestingAgencyMessage): string {
  return document(render([['requestingAgencyMessage', [['header', headerNodes(message.header)], ['action', message.action], ['note', message.note]]]]));
}

export function buildSupplyingAgencyMessage(message: SupplyingAgencyMessage): string {
  const m = message.messageInfo;
  const s = message.statusInfo;
  const d = message.deliveryInfo;
  return document(
    render([
      [
        'supplyingAgencyMessage',
        [
          ['header', headerNodes(message.header)],
          [
            'messageInfo',
            [
              ['reasonForMessage', m.reasonForMessage],
              ['answerYesNo', m.answerYesNo],
              ['note', m.note],
              ['reasonUnfilled', m.reasonUnfilled],
              ['reasonRetry', m.reasonRetry],
              ['retryAfter', m.retryAfter],
              ['retryBefore', m.retryBefore],
            ],
          ],
          ['statusInfo', [['status', s.status], ['expectedDeliveryDate', s.expectedDeliveryDate], ['dueDate', s.dueDate], ['lastChange', s.lastChange]]],
          [
            'deliveryInfo',
            d ? [['dateSent', d.dateSent], ['itemId', d.itemId], ['sentVia', d.sentVia], ['sentToPatron', d.sentToPatron], ['loanCondition', d.loanCondition], ['deliveredFormat', d.deliveredFormat]] : undefined,
          ],
        ],
      ],
    ]),
  );
}

export interface ConfirmationInput {
  /** requestConfirmation, supplyingAgencyMessageConfirmation or requestingAgencyMessageConfirmation. */
  kind: 'requestConfirmation' | 'supplyingAgencyMessageConfirmation' | 'requestingAgencyMessageConfirmation';
  /** The header of the message confirmed (its ids and timestamp are echoed); what a badly formed message lacks is sent empty. */
  header: Partial<Pick<Iso18626Header, 'supplyingAgencyId' | 'requestingAgencyId' | 'timestamp' | 'requestingAgencyRequestId' | 'multipleItemRequestId'>>;
  timestampReceived: string;
  messageStatus: MessageStatus;
  error?: { errorType: ErrorType; errorValue?: string };
  /** Echoed: the reasonForMessage of a supplyingAgencyMessage, the action of a requestingAgencyMessage. */
  reasonForMessage?: string;
  action?: string;
}

const NO_AGENCY: AgencyId = { agencyIdType: 'ISIL', agencyIdValue: '' };

/** A confirmation (the answer sent at once to every message): the confirmationHeader, the errorData of an ERROR,
 *  and the echoed reasonForMessage / action. */
export function buildConfirmation(input: ConfirmationInput): string {
  const h = input.header;
  return document(
    render([
      [
        input.kind,
        [
          [
            'confirmationHeader',
            [
              ['supplyingAgencyId', agency(h.supplyingAgencyId ?? NO_AGENCY)],
              ['requestingAgencyId', agency(h.requestingAgencyId ?? NO_AGENCY)],
              ['timestamp', h.timestamp ?? input.timestampReceived],
              ['requestingAgencyRequestId', h.requestingAgencyRequestId ?? ''],
              ['multipleItemRequestId', h.multipleItemRequestId || undefined],
              ['timestampReceived', input.timestampReceived],
              ['messageStatus', input.messageStatus],
            ],
          ],
          ['errorData', input.error ? [['errorType', input.error.errorType], ['errorValue', input.error.errorValue]] : undefined],
          ['reasonForMessage', input.kind === 'supplyingAgencyMessageConfirmation' ? input.reasonForMessage : undefined],
          ['action', input.kind === 'requestingAgencyMessageConfirmation' ? input.action : undefined],
        ],
      ],
    ]),
  );
}

/** The confirmation of a message of `kind` (null: unreadable, confirmed as a supplyingAgencyMessage): OK, or ERROR with
 *  the error; `echo` is the message's reasonForMessage / action. */
export function confirmationOf(
  kind: 'request' | 'supplyingAgencyMessage' | 'requestingAgencyMessage' | null,
  header: ConfirmationInput['header'],
  timestampReceived: string,
  error?: { errorType: ErrorType; errorValue?: string },
  echo?: string,
): string {
  const confirmationKind = kind === 'request' ? 'requestConfirmation' : kind === 'requestingAgencyMessage' ? 'requestingAgencyMessageConfirmation' : 'supplyingAgencyMessageConfirmation';
  return buildConfirmation({ kind: confirmationKind, header, timestampReceived, messageStatus: error ? 'ERROR' : 'OK', error, reasonForMessage: echo, action: echo });
}
