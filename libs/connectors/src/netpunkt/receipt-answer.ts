import { ORDER_RECEIPT_NAMESPACE, RECEIPT_STATUSES, ReceiptStatus, SOAP_ENVELOPE_NAMESPACE } from './schema';
import { escapeXml, isOrderReceiptElement, readXml, soapPayload, XmlElement } from './xml';

export interface ReceiptAnswer {
  status: ReceiptStatus;
  message: string | null;
}

/** The SOAP 1.1 answer to a receipt (netpunkt.md §4), sent with HTTP 200 whatever the status. */
export function buildReceiptResponse(status: ReceiptStatus, message?: string): string {
  const statusMessage = message ? `<receiptStatusMessage>${escapeXml(message)}</receiptStatusMessage>` : '';
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<soapenv:Envelope xmlns:soapenv="${SOAP_ENVELOPE_NAMESPACE}"><soapenv:Body>` +
    `<receiptResponse xmlns="${ORDER_RECEIPT_NAMESPACE}"><receiptResult>` +
    `<receiptStatus>${status}</receiptStatus>${statusMessage}` +
    '</receiptResult></receiptResponse></soapenv:Body></soapenv:Envelope>'
  );
}

/** A SOAP 1.1 Fault (SOAP 1.1 §4.4), for what goes wrong below the receipt: a body too large to read.
 *  `Client`: the sender's message is at fault, resending it as it is will not help. */
export function buildSoapFault(faultString: string, faultCode: 'Client' | 'Server' = 'Client'): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<soapenv:Envelope xmlns:soapenv="${SOAP_ENVELOPE_NAMESPACE}"><soapenv:Body><soapenv:Fault>` +
    `<faultcode>soapenv:${faultCode}</faultcode><faultstring>${escapeXml(faultString)}</faultstring>` +
    '</soapenv:Fault></soapenv:Body></soapenv:Envelope>'
  );
}

/** Reads an answer as DBC's sender does: the receiptStatus and its message, or null when the text is
 *  no receiptResponse with a known status. */
export function parseReceiptResponse(xml: string): ReceiptAnswer | null {
  const document = readXml(xml);
  if (!document.ok) return null;
  const payload = soapPayload(document.root);
  if (typeof payload === 'string' || !isOrderReceiptElement(payload, 'receiptResponse')) return null;
  const result = childNamed(payload, 'receiptResult');
  const statusText = result && childNamed(result, 'receiptStatus')?.text;
  const status = RECEIPT_STATUSES.find((candidate) => candidate === statusText);
  if (!result || !status) return null;
  return { status, message: childNamed(result, 'receiptStatusMessage')?.text || null };
}

function childNamed(parent: XmlElement, localName: string): XmlElement | undefined {
  return parent.children.find((child) => isOrderReceiptElement(child, localName));
}
