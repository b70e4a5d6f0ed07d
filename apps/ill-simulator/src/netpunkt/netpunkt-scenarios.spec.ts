import { mapReceipt, NetpunktReceipt, ORDER_RECEIPT_ELEMENTS, parseReceipt } from '@illbridge/connectors/netpunkt';
import { buildScenario, NETPUNKT_SCENARIOS, NetpunktScenario, ScenarioParams } from './netpunkt-scenarios';

const PARAMS: ScenarioParams = { password: 'sesam', requesterId: 'DK-820010', pickUpAgencyId: 'DK-820011', responderId: 'DK-710100' };

function sent(scenario: NetpunktScenario, params: ScenarioParams = PARAMS): NetpunktReceipt {
  const result = parseReceipt(buildScenario(scenario, params).xml);
  if (!result.ok) throw new Error(`the ${scenario} receipt is incomplete: ${result.problems.join('; ')}`);
  return result.receipt;
}

describe('Netpunkt scenarios', () => {
  it.each(NETPUNKT_SCENARIOS.filter((scenario) => scenario !== 'missing-title'))('%s: a receipt the parser reads without a warning', (scenario) => {
    const receipt = sent(scenario, { ...PARAMS, orderId: '1500000000' });
    expect(receipt.warnings).toEqual([]);
    expect(receipt.unknownElements).toEqual([]);
  });

  it('minimal: the mandatory elements and the password, a new order id in the Netpunkt range and a new uuid', () => {
    const first = buildScenario('minimal', PARAMS);
    const receipt = sent('minimal');
    expect(Object.keys(receipt.order).sort()).toEqual(
      ['orderId', 'requesterId', 'requesterIdType', 'pickUpAgencyId', 'pickUpAgencyIdType', 'responderId', 'responderIdType', 'title'].sort(),
    );
    expect(receipt.authenticationPassword).toBe('sesam');
    expect(receipt.order).toMatchObject({ requesterId: 'DK-820010', pickUpAgencyId: 'DK-820011', responderId: 'DK-710100' });
    expect(Number(first.orderId)).toBeGreaterThanOrEqual(1_000_000_000);
    expect(Number(first.orderId)).toBeLessThanOrEqual(2_000_000_000);
    expect(parseReceipt(first.xml)).toMatchObject({ ok: true, receipt: { orderReceiptUuid: first.orderReceiptUuid, order: { orderId: first.orderId } } });
    expect(buildScenario('minimal', PARAMS).orderReceiptUuid).not.toBe(first.orderReceiptUuid);
  });

  it('uses the order id it is given', () => {
    expect(sent('minimal', { ...PARAMS, orderId: '1234567890' }).order.orderId).toBe('1234567890');
  });

  it('full: every element but those of a replacement and a resend', () => {
    const names = Object.keys(sent('full').order);
    expect(ORDER_RECEIPT_ELEMENTS.filter((name) => !names.includes(name))).toEqual(['originalOrderId', 'resendToRequesterDate']);
  });

  it('article-copy: a photocopy of an article, mapped as COPY with the article title and author', () => {
    const { request } = mapReceipt(sent('article-copy'));
    expect(request).toMatchObject({ format: 'COPY', articleTitle: 'Fjernlån i Norden', articleAuthor: 'Ib Ibsen', issn: '0105-0000' });
  });

  it('end-user-request: a bibliotek.dk patron identified by CPR number, masked once mapped', () => {
    const receipt = sent('end-user-request');
    expect(receipt.order).toMatchObject({ orderSystem: 'bibliotekdk', orderType: 'enduser_request', userIdType: 'cpr' });
    expect(mapReceipt(receipt).request.requesterId).toBe('cpr:******1234');
  });

  it('resend: the same order again under a new uuid', () => {
    const original = buildScenario('minimal', PARAMS);
    const resend = buildScenario('resend', { ...PARAMS, orderId: original.orderId });
    expect(resend.orderId).toBe(original.orderId);
    expect(resend.orderReceiptUuid).not.toBe(original.orderReceiptUuid);
    expect(sent('resend', { ...PARAMS, orderId: original.orderId }).order.resendToRequesterDate).toBeDefined();
  });

  it('replacement: a new order naming the one it replaces', () => {
    const replacement = buildScenario('replacement', { ...PARAMS, orderId: '1111111111' });
    expect(replacement.orderId).not.toBe('1111111111');
    expect(parseReceipt(replacement.xml)).toMatchObject({ ok: true, receipt: { order: { orderId: replacement.orderId, originalOrderId: '1111111111' } } });
  });

  it.each(['resend', 'replacement'] as const)('%s: refuses to build without the earlier order id', (scenario) => {
    expect(() => buildScenario(scenario, PARAMS)).toThrow(`the ${scenario} scenario needs the orderId of an earlier order`);
  });

  it('wrong-password and missing-password: another password, or none', () => {
    expect(sent('wrong-password').authenticationPassword).not.toBe('sesam');
    expect(sent('wrong-password').authenticationPassword).toBeDefined();
    expect(sent('missing-password')).not.toHaveProperty('authenticationPassword');
  });

  it('missing-title: a receipt the parser refuses as incomplete', () => {
    expect(parseReceipt(buildScenario('missing-title', PARAMS).xml)).toEqual({
      ok: false,
      status: 'incomplete_request',
      problems: ['orderReceipt/title is missing or empty'],
    });
  });

  it('lower-case-isil: lower-case ids and id types, the same agencies once normalized', () => {
    const { xml } = buildScenario('lower-case-isil', PARAMS);
    expect(xml).toContain('<requesterId>dk-820010</requesterId>');
    expect(xml).toContain('<responderIdType>isil</responderIdType>');
    const { request } = mapReceipt(sent('lower-case-isil'));
    expect(request).toMatchObject({ externalRef: 'DK-820010', externalLibraryCode: 'DK-820011', activePartnerCode: 'DK-710100' });
  });

  it('non-enum-medium-type: a medium type outside the enumeration', () => {
    expect(sent('non-enum-medium-type').order.mediumType).toBe('tegneserie');
  });
});
