import { ORDER_RECEIPT_ELEMENTS, ORDER_RECEIPT_NAMESPACE, OrderElementName, SOAP_ENVELOPE_NAMESPACE } from './schema';
import { escapeXml } from './xml';

/** Any elements of `orderReceipt`, typed values or the exact text to send, so that faulty receipts
 *  (a lower-case `isil`, a missing title) can be built as easily as good ones. */
export type OrderReceiptInput = { [K in OrderElementName]?: string | boolean | readonly string[] };

export interface ReceiptXmlInput {
  authenticationPassword?: string;
  orderReceiptUuid: string;
  trackingId?: string;
  order: OrderReceiptInput;
}

/** A receipt as DBC sends it (netpunkt.md §1): a SOAP 1.1 envelope, elements in schema order,
 *  booleans as true/false, a repeated element once per value. */
export function buildReceiptXml(input: ReceiptXmlInput): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<soapenv:Envelope xmlns:soapenv="${SOAP_ENVELOPE_NAMESPACE}">`,
    '  <soapenv:Body>',
    `    <receipt xmlns="${ORDER_RECEIPT_NAMESPACE}">`,
    '      <receiptRequest>',
    ...elements('authenticationPassword', input.authenticationPassword, '        '),
    '        <orderReceipt>',
    ...ORDER_RECEIPT_ELEMENTS.flatMap((name) => elements(name, input.order[name], '          ')),
    '        </orderReceipt>',
    ...elements('orderReceiptUuid', input.orderReceiptUuid, '        '),
    ...elements('trackingId', input.trackingId, '        '),
    '      </receiptRequest>',
    '    </receipt>',
    '  </soapenv:Body>',
    '</soapenv:Envelope>',
  ].join('\n');
}

function elements(name: string, value: string | boolean | readonly string[] | undefined, indent: string): string[] {
  if (value === undefined) return [];
  const texts = typeof value === 'boolean' ? [String(value)] : typeof value === 'string' ? [value] : value;
  return texts.map((text) => `${indent}<${name}>${escapeXml(text)}</${name}>`);
}
