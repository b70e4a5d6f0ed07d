import { buildReceiptResponse, parseReceiptResponse } from './receipt-answer';
import { RECEIPT_STATUSES } from './schema';

describe('buildReceiptResponse', () => {
  it('answers with the SOAP 1.1 receiptResponse of netpunkt.md §4', () => {
    expect(buildReceiptResponse('ok')).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>' +
        '<receiptResponse xmlns="http://oss.dbc.dk/ns/orderReceipt"><receiptResult>' +
        '<receiptStatus>ok</receiptStatus>' +
        '</receiptResult></receiptResponse></soapenv:Body></soapenv:Envelope>',
    );
  });

  it('escapes the message', () => {
    const xml = buildReceiptResponse('incomplete_request', 'orderReceipt/title is missing; <b> & "c"');
    expect(xml).toContain('<receiptStatusMessage>orderReceipt/title is missing; &lt;b&gt; &amp; &quot;c&quot;</receiptStatusMessage>');
  });

  it.each(RECEIPT_STATUSES)('reads back as what it says: %s', (status) => {
    expect(parseReceiptResponse(buildReceiptResponse(status, `${status} <because> & so`))).toEqual({ status, message: `${status} <because> & so` });
  });
});

describe('parseReceiptResponse', () => {
  it('reads a bare receiptResponse under any prefix, without a message', () => {
    expect(
      parseReceiptResponse('<r:receiptResponse xmlns:r="http://oss.dbc.dk/ns/orderReceipt"><r:receiptResult><r:receiptStatus>fatal_internal_error</r:receiptStatus></r:receiptResult></r:receiptResponse>'),
    ).toEqual({ status: 'fatal_internal_error', message: null });
  });

  it.each([
    ['no XML', 'Service Unavailable'],
    ['another element', '<html><body>502 Bad Gateway</body></html>'],
    ['an unknown status', '<receiptResponse xmlns="http://oss.dbc.dk/ns/orderReceipt"><receiptResult><receiptStatus>maybe</receiptStatus></receiptResult></receiptResponse>'],
    ['no receiptResult', '<receiptResponse xmlns="http://oss.dbc.dk/ns/orderReceipt"><receiptStatus>ok</receiptStatus></receiptResponse>'],
  ])('gives null for %s', (_case, text) => {
    expect(parseReceiptResponse(text)).toBeNull();
  });
});
