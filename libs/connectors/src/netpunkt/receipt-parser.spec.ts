import { MAX_RECEIPT_LENGTH, parseReceipt, ParseReceiptResult } from './receipt-parser';
import type { NetpunktReceipt } from './schema';

const NS = 'http://oss.dbc.dk/ns/orderReceipt';
const SOAP = 'http://schemas.xmlsoap.org/soap/envelope/';

const MANDATORY = `
  <orderId>1234567890</orderId>
  <requesterId>DK-820010</requesterId>
  <requesterIdType>ISIL</requesterIdType>
  <pickUpAgencyId>DK-820010</pickUpAgencyId>
  <pickUpAgencyIdType>ISIL</pickUpAgencyIdType>
  <responderId>DK-710100</responderId>
  <responderIdType>ISIL</responderIdType>
  <title>Kongens Fald</title>`;

function envelope(orderReceipt: string, request = '<authenticationPassword>secret</authenticationPassword>', uuid = '<orderReceiptUuid>5d3b2a4e-0c1f-4b7e-9a51-7f3e0c2d1a11</orderReceiptUuid>'): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="${SOAP}">
  <soapenv:Body>
    <receipt xmlns="${NS}">
      <receiptRequest>
        ${request}
        <orderReceipt>${orderReceipt}</orderReceipt>
        ${uuid}
      </receiptRequest>
    </receipt>
  </soapenv:Body>
</soapenv:Envelope>`;
}

function parsed(xml: string): NetpunktReceipt {
  const result = parseReceipt(xml);
  if (!result.ok) throw new Error(`expected a receipt, got problems: ${result.problems.join('; ')}`);
  return result.receipt;
}

/** The problems of a receipt that is `status`: incomplete_request (readable SOAP, content missing) or soap_fault
 *  (cannot be read as SOAP at all). */
function problemsOf(xml: string, status: 'incomplete_request' | 'soap_fault' = 'incomplete_request'): string[] {
  const result: ParseReceiptResult = parseReceipt(xml);
  if (result.ok) throw new Error(`expected ${status}, got a receipt`);
  expect(result.status).toBe(status);
  return result.problems;
}
const faultOf = (xml: string) => problemsOf(xml, 'soap_fault');

const MINIMAL_ORDER = {
  orderId: '1234567890',
  requesterId: 'DK-820010',
  requesterIdType: 'ISIL',
  pickUpAgencyId: 'DK-820010',
  pickUpAgencyIdType: 'ISIL',
  responderId: 'DK-710100',
  responderIdType: 'ISIL',
  title: 'Kongens Fald',
};

describe('parseReceipt', () => {
  it('reads a minimal receipt: the mandatory elements, the password and the uuid', () => {
    expect(parsed(envelope(MANDATORY))).toEqual({
      authenticationPassword: 'secret',
      orderReceiptUuid: '5d3b2a4e-0c1f-4b7e-9a51-7f3e0c2d1a11',
      order: MINIMAL_ORDER,
      unknownElements: [],
      warnings: [],
    });
  });

  it('reads every optional element of a full receipt, typed', () => {
    const receipt = parsed(
      envelope(
        `${MANDATORY}
        <articleDirect>electronic</articleDirect>
        <articleFirstNote>AF 17</articleFirstNote>
        <author>Johannes V. Jensen</author>
        <authorOfComponent>Ib Ibsen</authorOfComponent>
        <autoForwardDeliverToday>true</autoForwardDeliverToday>
        <autoForwardReason>not_on_shelf</autoForwardReason>
        <bibliographicCategory>e</bibliographicCategory>
        <bibliographicRecordAgencyId>870970</bibliographicRecordAgencyId>
        <bibliographicRecordId>05172993</bibliographicRecordId>
        <callNumber>86 Jen</callNumber>
        <copy>false</copy>
        <creationDate>2025-03-01</creationDate>
        <edition>3. udgave</edition>
        <exactEdition>1</exactEdition>
        <isbn>9788702000000</isbn>
        <issn>0105-0000</issn>
        <issue>4</issue>
        <kvik>0</kvik>
        <language>dan</language>
        <lastModification>2025-03-01T10:15:00Z</lastModification>
        <latestRequesterNote>Please hurry</latestRequesterNote>
        <localHoldingsId>LH-1</localHoldingsId>
        <mediumType>book</mediumType>
        <needBeforeDate>2025-04-30</needBeforeDate>
        <norfri>false</norfri>
        <orderSystem>netpunkt</orderSystem>
        <orderType>inter_library_request</orderType>
        <originalOrderId>1234567000</originalOrderId>
        <pagination>12-34</pagination>
        <pickUpAgencySubdivision>Bogbussen</pickUpAgencySubdivision>
        <pid>870970-basis:05172993</pid>
        <pid>870971-avis:12345678</pid>
        <pidOfComponent>870971-tsart:1</pidOfComponent>
        <pidOfPrimaryObject>870970-basis:05172993</pidOfPrimaryObject>
        <placeOfPublication>København</placeOfPublication>
        <placeOnHold>responder_depending</placeOnHold>
        <publicationDate>1901</publicationDate>
        <publicationDateOfComponent>1999</publicationDateOfComponent>
        <publisher>Gyldendal</publisher>
        <requesterInitials>ABC</requesterInitials>
        <resendToRequesterDate>2025-03-02T08:00:00+01:00</resendToRequesterDate>
        <seriesTitelNumber>Serie 7</seriesTitelNumber>
        <titleOfComponent>Et kapitel</titleOfComponent>
        <userAddress>Vestergade 1, 8000 Aarhus C</userAddress>
        <userDateOfBirth>1970-01-01</userDateOfBirth>
        <userId>A123456</userId>
        <userIdAuthenticated>yes</userIdAuthenticated>
        <userIdType>barcode</userIdType>
        <userMail>laaner@example.dk</userMail>
        <userName>Karen Blixen</userName>
        <userReferenceSource>Politiken</userReferenceSource>
        <userTelephone>+45 12345678</userTelephone>
        <verificationReferenceSource>dbcdatawell</verificationReferenceSource>
        <volume>12</volume>
        <wantsReceipt>true</wantsReceipt>
        <worldCatNote>WC 1</worldCatNote>`,
        '<authenticationPassword>secret</authenticationPassword>',
        '<orderReceiptUuid>uuid-1</orderReceiptUuid><trackingId>track-1</trackingId>',
      ),
    );
    expect(receipt.trackingId).toBe('track-1');
    expect(receipt.warnings).toEqual([]);
    expect(receipt.order).toEqual({
      ...MINIMAL_ORDER,
      articleDirect: 'electronic',
      articleFirstNote: 'AF 17',
      author: 'Johannes V. Jensen',
      authorOfComponent: 'Ib Ibsen',
      autoForwardDeliverToday: true,
      autoForwardReason: 'not_on_shelf',
      bibliographicCategory: 'e',
      bibliographicRecordAgencyId: '870970',
      bibliographicRecordId: '05172993',
      callNumber: '86 Jen',
      copy: false,
      creationDate: '2025-03-01',
      edition: '3. udgave',
      exactEdition: true,
      isbn: '9788702000000',
      issn: '0105-0000',
      issue: '4',
      kvik: false,
      language: 'dan',
      lastModification: '2025-03-01T10:15:00Z',
      latestRequesterNote: 'Please hurry',
      localHoldingsId: 'LH-1',
      mediumType: 'book',
      needBeforeDate: '2025-04-30',
      norfri: false,
      orderSystem: 'netpunkt',
      orderType: 'inter_library_request',
      originalOrderId: '1234567000',
      pagination: '12-34',
      pickUpAgencySubdivision: 'Bogbussen',
      pid: ['870970-basis:05172993', '870971-avis:12345678'],
      pidOfComponent: '870971-tsart:1',
      pidOfPrimaryObject: '870970-basis:05172993',
      placeOfPublication: 'København',
      placeOnHold: 'responder_depending',
      publicationDate: '1901',
      publicationDateOfComponent: '1999',
      publisher: 'Gyldendal',
      requesterInitials: 'ABC',
      resendToRequesterDate: '2025-03-02T08:00:00+01:00',
      seriesTitelNumber: 'Serie 7',
      titleOfComponent: 'Et kapitel',
      userAddress: 'Vestergade 1, 8000 Aarhus C',
      userDateOfBirth: '1970-01-01',
      userId: 'A123456',
      userIdAuthenticated: true,
      userIdType: 'barcode',
      userMail: 'laaner@example.dk',
      userName: 'Karen Blixen',
      userReferenceSource: 'Politiken',
      userTelephone: '+45 12345678',
      verificationReferenceSource: 'dbcdatawell',
      volume: '12',
      wantsReceipt: true,
      worldCatNote: 'WC 1',
    });
  });

  it('keeps ids as sent and takes a lower-case dk- ISIL and a lower-case isil type', () => {
    const { order } = parsed(
      envelope(`
        <orderId>1234567890</orderId>
        <requesterId>dk-820010</requesterId><requesterIdType>isil</requesterIdType>
        <pickUpAgencyId>820010</pickUpAgencyId><pickUpAgencyIdType>Isil</pickUpAgencyIdType>
        <responderId>dk-710100</responderId><responderIdType>dnucni</responderIdType>
        <title>Kongens Fald</title>`),
    );
    expect(order).toMatchObject({
      requesterId: 'dk-820010',
      requesterIdType: 'ISIL',
      pickUpAgencyId: '820010',
      pickUpAgencyIdType: 'ISIL',
      responderId: 'dk-710100',
      responderIdType: 'DNUCNI',
    });
  });

  it('reads a bare receipt without a SOAP envelope', () => {
    const receipt = parsed(`<receipt xmlns="${NS}"><receiptRequest><orderReceipt>${MANDATORY}</orderReceipt><orderReceiptUuid>u-1</orderReceiptUuid></receiptRequest></receipt>`);
    expect(receipt.order).toEqual(MINIMAL_ORDER);
    expect(receipt.orderReceiptUuid).toBe('u-1');
    expect(receipt.authenticationPassword).toBeUndefined();
  });

  it('reads the orderReceipt namespace under any prefix, and elements that carry no namespace at all', () => {
    const prefixed = MANDATORY.replace(/<(\/?)(\w+)>/g, '<$1ors:$2>');
    const receipt = parsed(`<S:Envelope xmlns:S="${SOAP}" xmlns:ors="${NS}"><S:Body>
      <ors:receipt><ors:receiptRequest><ors:authenticationPassword>pw</ors:authenticationPassword>
      <ors:orderReceipt>${prefixed}</ors:orderReceipt><ors:orderReceiptUuid>u-2</ors:orderReceiptUuid></ors:receiptRequest></ors:receipt>
    </S:Body></S:Envelope>`);
    expect(receipt.order).toEqual(MINIMAL_ORDER);
    expect(receipt.authenticationPassword).toBe('pw');

    const withoutNamespace = parsed(`<receipt><receiptRequest><orderReceipt>${MANDATORY}</orderReceipt><orderReceiptUuid>u-3</orderReceiptUuid></receiptRequest></receipt>`);
    expect(withoutNamespace.order).toEqual(MINIMAL_ORDER);
  });

  it('ignores SOAP headers it does not know, mustUnderstand or not', () => {
    const xml = envelope(MANDATORY).replace(
      '<soapenv:Body>',
      `<soapenv:Header><wsse:Security xmlns:wsse="urn:wsse" soapenv:mustUnderstand="1"><wsse:Token>t</wsse:Token></wsse:Security></soapenv:Header><soapenv:Body>`,
    );
    const receipt = parsed(xml);
    expect(receipt.order).toEqual(MINIMAL_ORDER);
    expect(receipt.unknownElements).toEqual([]);
  });

  it('keeps unknown elements, nested ones and ones of another namespace, and reads the rest', () => {
    const receipt = parsed(
      envelope(
        `${MANDATORY}<futureElement>42</futureElement>
         <ext:title xmlns:ext="urn:other">Not our title</ext:title>
         <delivery><method>post</method><method>mail</method></delivery>`,
        '<authenticationPassword>secret</authenticationPassword><priority>high</priority>',
      ),
    );
    expect(receipt.order).toEqual(MINIMAL_ORDER);
    expect(receipt.unknownElements).toEqual([
      { parent: 'receiptRequest', name: 'priority', text: 'high', children: [] },
      { parent: 'orderReceipt', name: 'futureElement', text: '42', children: [] },
      { parent: 'orderReceipt', name: 'ext:title', text: 'Not our title', children: [] },
      {
        parent: 'orderReceipt',
        name: 'delivery',
        text: '',
        children: [
          { name: 'method', text: 'post', children: [] },
          { name: 'method', text: 'mail', children: [] },
        ],
      },
    ]);
  });

  it('takes the elements in any order, receiptRequest and orderReceipt alike', () => {
    const shuffled = MANDATORY.trim().split('\n').reverse().join('\n');
    const receipt = parsed(`<receipt xmlns="${NS}"><receiptRequest>
      <orderReceiptUuid>u-4</orderReceiptUuid><orderReceipt><pid>b</pid>${shuffled}<pid>a</pid></orderReceipt>
      <authenticationPassword>pw</authenticationPassword></receiptRequest></receipt>`);
    expect(receipt.order).toEqual({ ...MINIMAL_ORDER, pid: ['b', 'a'] });
    expect(receipt.authenticationPassword).toBe('pw');
  });

  it('refuses a receipt without a title', () => {
    expect(problemsOf(envelope(MANDATORY.replace('<title>Kongens Fald</title>', '')))).toEqual(['orderReceipt/title is missing or empty']);
    expect(problemsOf(envelope(MANDATORY.replace('<title>Kongens Fald</title>', '<title>  </title>')))).toEqual(['orderReceipt/title is missing or empty']);
  });

  it('refuses an unknown *IdType, naming the value', () => {
    expect(problemsOf(envelope(MANDATORY.replace('<responderIdType>ISIL</responderIdType>', '<responderIdType>VIP</responderIdType>')))).toEqual([
      'orderReceipt/responderIdType "VIP" is not one of ISIL, DNUCNI',
    ]);
  });

  it('lists every problem at once', () => {
    const order = MANDATORY.replace('<orderId>1234567890</orderId>', '')
      .replace('<title>Kongens Fald</title>', '')
      .replace('<pickUpAgencyIdType>ISIL</pickUpAgencyIdType>', '<pickUpAgencyIdType>ISBN</pickUpAgencyIdType>');
    expect(problemsOf(envelope(order, '', ''))).toEqual([
      'receiptRequest/orderReceiptUuid is missing or empty',
      'orderReceipt/pickUpAgencyIdType "ISBN" is not one of ISIL, DNUCNI',
      'orderReceipt/orderId is missing or empty',
      'orderReceipt/title is missing or empty',
    ]);
  });

  it('refuses a receiptRequest without an orderReceipt, and a receipt without a receiptRequest', () => {
    expect(problemsOf(`<receipt xmlns="${NS}"><receiptRequest><orderReceiptUuid>u</orderReceiptUuid></receiptRequest></receipt>`)).toEqual([
      'receiptRequest/orderReceipt is missing',
    ]);
    expect(problemsOf(`<receipt xmlns="${NS}"/>`)).toEqual(['receipt has no receiptRequest']);
  });

  it.each([
    ['an empty body', '', 'the request body is empty', 'soap_fault'],
    ['a blank body', ' \n ', 'the request body is empty', 'soap_fault'],
    ['plain text', 'hello', 'the XML is not well-formed: char \'h\' is not expected. (line 1, column 1)', 'soap_fault'],
    ['an unclosed element', `<receipt xmlns="${NS}"><receiptRequest></receipt>`, 'the XML is not well-formed', 'soap_fault'],
    ['a stray ampersand', `<receipt xmlns="${NS}">Tom & Jerry</receipt>`, 'the XML is not well-formed', 'soap_fault'],
    ['two root elements', `<receipt xmlns="${NS}"/><receipt xmlns="${NS}"/>`, 'the XML must have exactly one root element', 'soap_fault'],
    ['an undeclared prefix', '<x:receipt/>', 'the namespace prefix "x" of <x:receipt> is not declared', 'soap_fault'],
    ['another root element', '<order/>', `expected a SOAP 1.1 Envelope (${SOAP}) or a receipt element, found <order>`, 'soap_fault'],
    ['a SOAP 1.2 envelope', '<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>', 'expected a SOAP 1.1 Envelope', 'soap_fault'],
    ['a receipt of another namespace', '<receipt xmlns="urn:other"/>', `expected a receipt element of ${NS}, found <receipt>`, 'incomplete_request'],
    ['an envelope without a Body', `<e:Envelope xmlns:e="${SOAP}"><e:Header/></e:Envelope>`, 'the SOAP Envelope has no Body', 'soap_fault'],
    ['an empty Body', `<e:Envelope xmlns:e="${SOAP}"><e:Body/></e:Envelope>`, 'the SOAP Body is empty', 'soap_fault'],
    ['a SOAP fault', `<e:Envelope xmlns:e="${SOAP}"><e:Body><e:Fault/></e:Body></e:Envelope>`, `expected a receipt element of ${NS}, found <e:Fault>`, 'incomplete_request'],
  ] as const)('refuses %s', (_case, xml, problem, status) => {
    const problems = problemsOf(xml, status);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(problem);
  });

  it('refuses a document with a DTD: no entity expansion ("billion laughs"), no external entity', () => {
    const laughs = `<?xml version="1.0"?>
<!DOCTYPE receipt [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
${envelope(MANDATORY.replace('Kongens Fald', '&lol3;')).replace('<?xml version="1.0" encoding="UTF-8"?>', '')}`;
    expect(faultOf(laughs)).toEqual(['a DTD (<!DOCTYPE …>) is not allowed']);

    const external = `<!DOCTYPE receipt [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${envelope(MANDATORY.replace('Kongens Fald', '&xxe;')).replace('<?xml version="1.0" encoding="UTF-8"?>', '')}`;
    expect(faultOf(external)).toEqual(['a DTD (<!DOCTYPE …>) is not allowed']);
  });

  it('refuses an element named after a JavaScript internal, leaving Object.prototype untouched', () => {
    expect(faultOf(envelope(`${MANDATORY}<__proto__><polluted>yes</polluted></__proto__>`))[0]).toContain('the XML cannot be read');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses an entity that nothing declares, such as an HTML one', () => {
    expect(faultOf(envelope(MANDATORY.replace('Kongens Fald', 'Kongens&nbsp;Fald')))).toEqual(['the entity &nbsp; is not defined']);
  });

  it('decodes the predefined entities and character references, and keeps CDATA as written', () => {
    const { order } = parsed(
      envelope(
        MANDATORY.replace('Kongens Fald', 'R&#229;d &amp; d&#xE5;d &lt;1&gt; &quot;x&quot; &apos;y&apos;') +
          '<latestRequesterNote><![CDATA[<b>bold</b> &amp; raw]]></latestRequesterNote>',
      ),
    );
    expect(order.title).toBe('Råd & dåd <1> "x" \'y\'');
    expect(order.latestRequesterNote).toBe('<b>bold</b> &amp; raw');
  });

  it('refuses a character reference to a character XML cannot hold', () => {
    expect(faultOf(envelope(MANDATORY.replace('Kongens Fald', 'A&#0;B')))).toEqual(['the character reference &#0; is not a legal XML character']);
  });

  it(`refuses a body longer than ${MAX_RECEIPT_LENGTH} characters before parsing it, as too large`, () => {
    const huge = envelope(`${MANDATORY}<latestRequesterNote>${'x'.repeat(MAX_RECEIPT_LENGTH)}</latestRequesterNote>`);
    expect(faultOf(huge)).toEqual([`the receipt is longer than ${MAX_RECEIPT_LENGTH} characters`]);
    expect(parseReceipt(huge)).toMatchObject({ tooLarge: true });
  });

  it('refuses nesting deeper than the parser allows, without overflowing the stack', () => {
    const deep = `${'<a>'.repeat(500)}${'</a>'.repeat(500)}`;
    expect(faultOf(envelope(`${MANDATORY}${deep}`))[0]).toContain('Maximum nested tags exceeded');
  });

  it.each([
    ['true', true], ['TRUE', true], ['1', true], ['yes', true],
    ['false', false], ['False', false], ['0', false], ['no', false],
    ['Y', true], ['y', true], ['N', false], ['n', false], ['YES', true], ['No', false],
  ])('reads the boolean %s as %s', (text, value) => {
    expect(parsed(envelope(`${MANDATORY}<copy>${text}</copy>`)).order.copy).toBe(value);
  });

  it.each([
    ['2025-04-30', '2025-04-30'],
    ['2025-04-30T23:30:00Z', '2025-04-30'],
    ['2025-04-30T00:30:00+02:00', '2025-04-30'],
    ['2025-04-30T12:00', '2025-04-30'],
    ['2025-04-30Z', '2025-04-30'],
  ])('reads the date %s as %s (a full dateTime too)', (text, date) => {
    expect(parsed(envelope(`${MANDATORY}<needBeforeDate>${text}</needBeforeDate>`)).order.needBeforeDate).toBe(date);
  });

  it('leaves out an unreadable optional value with a warning, and keeps the receipt', () => {
    const receipt = parsed(
      envelope(`${MANDATORY}
        <copy>ja</copy>
        <needBeforeDate>2025-02-30</needBeforeDate>
        <lastModification>yesterday</lastModification>
        <orderType>express</orderType>
        <userIdType>passport</userIdType>`),
    );
    expect(receipt.order).toEqual(MINIMAL_ORDER);
    expect(receipt.warnings).toEqual([
      'orderReceipt/copy "ja" is not a boolean (true, false, 1, 0, Y, N, yes or no); it was left out',
      'orderReceipt/lastModification "yesterday" is not a date (YYYY-MM-DD) or dateTime (YYYY-MM-DDThh:mm:ss); it was left out',
      'orderReceipt/needBeforeDate "2025-02-30" is not a date (YYYY-MM-DD) or dateTime (YYYY-MM-DDThh:mm:ss); it was left out',
      'orderReceipt/orderType "express" is not one of enduser_request, enduser_illrequest, inter_library_request; it was left out',
      'orderReceipt/userIdType "passport" is not one of cpr, common, barcode, cardno, optional, no_userid_selected; it was left out',
    ]);
  });

  it('takes any text as mediumType and enumerations in any case', () => {
    const { order } = parsed(envelope(`${MANDATORY}<mediumType>tegneserie</mediumType><orderSystem>BibliotekDK</orderSystem><userIdType>CPR</userIdType>`));
    expect(order).toMatchObject({ mediumType: 'tegneserie', orderSystem: 'bibliotekdk', userIdType: 'cpr' });
  });

  it('takes the first of a repeated element, with a warning', () => {
    const receipt = parsed(envelope(`${MANDATORY}<title>Second title</title>`, '', '<orderReceiptUuid>u-a</orderReceiptUuid><orderReceiptUuid>u-b</orderReceiptUuid>'));
    expect(receipt.order.title).toBe('Kongens Fald');
    expect(receipt.orderReceiptUuid).toBe('u-a');
    expect(receipt.warnings).toEqual([
      'receiptRequest/orderReceiptUuid appears 2 times; the first is used',
      'orderReceipt/title appears 2 times; the first is used',
    ]);
  });

  it('leaves out empty optional elements', () => {
    const receipt = parsed(envelope(`${MANDATORY}<author/><pid> </pid><copy></copy>`, '<authenticationPassword/>', '<orderReceiptUuid>u</orderReceiptUuid><trackingId/>'));
    expect(receipt.order).toEqual(MINIMAL_ORDER);
    expect(receipt).not.toHaveProperty('authenticationPassword');
    expect(receipt).not.toHaveProperty('trackingId');
  });
});
