import { buildReceiptXml, OrderReceiptInput, ReceiptXmlInput } from '@illbridge/connectors/netpunkt';
import { randomInt, randomUUID } from 'crypto';

/** The receipts the simulator sends as DBC would (netpunkt.md §5). */
export const NETPUNKT_SCENARIOS = [
  'minimal',
  'full',
  'article-copy',
  'end-user-request',
  'resend',
  'replacement',
  'wrong-password',
  'missing-password',
  'missing-title',
  'lower-case-isil',
  'non-enum-medium-type',
] as const;
export type NetpunktScenario = (typeof NETPUNKT_SCENARIOS)[number];

/** Scenarios about an earlier order, whose id `orderId` must give: a resend repeats that order, a
 *  replacement names it as `originalOrderId` and gets an order id of its own. */
export const SCENARIOS_ABOUT_AN_EARLIER_ORDER: ReadonlySet<NetpunktScenario> = new Set(['resend', 'replacement']);

export interface ScenarioParams {
  /** The password of the receiving Netpunkt profile. */
  password: string;
  /** Our ISIL, the profile's library code. */
  requesterId: string;
  pickUpAgencyId: string;
  responderId: string;
  /** The order id to use; for a resend or a replacement, the earlier order. A new one otherwise. */
  orderId?: string;
}

export interface ScenarioReceipt {
  orderId: string;
  orderReceiptUuid: string;
  xml: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** A receipt of the scenario, with a new uuid each time. */
export function buildScenario(scenario: NetpunktScenario, params: ScenarioParams): ScenarioReceipt {
  const input = SCENARIOS[scenario](params);
  return { orderId: String(input.order.orderId), orderReceiptUuid: input.orderReceiptUuid, xml: buildReceiptXml(input) };
}

const SCENARIOS: Record<NetpunktScenario, (params: ScenarioParams) => ReceiptXmlInput> = {
  minimal: (params) => receipt(params),

  // Every element but originalOrderId and resendToRequesterDate, which make a replacement and a resend.
  full: (params) =>
    receipt(params, {
      articleDirect: 'pickup',
      articleFirstNote: 'ArticleFirst 4711',
      author: 'Johannes V. Jensen',
      authorOfComponent: 'Johannes V. Jensen',
      autoForwardDeliverToday: true,
      autoForwardReason: 'new_for_responder',
      bibliographicCategory: 'e',
      bibliographicRecordAgencyId: '870970',
      bibliographicRecordId: '05172993',
      callNumber: '86 Jensen',
      copy: false,
      creationDate: isoDate(0),
      edition: '3. udgave',
      exactEdition: false,
      isbn: '9788702000000',
      issn: '0105-0000',
      issue: '2',
      kvik: false,
      language: 'dan',
      lastModification: new Date().toISOString(),
      latestRequesterNote: 'Gerne hurtigst muligt – tak & hilsen',
      localHoldingsId: 'LH-05172993',
      mediumType: 'book',
      needBeforeDate: isoDate(30),
      norfri: false,
      orderSystem: 'netpunkt',
      orderType: 'inter_library_request',
      pagination: '45-67',
      pickUpAgencySubdivision: 'Bogbussen',
      pid: ['870970-basis:05172993', '870970-basis:22222222'],
      pidOfComponent: '870970-basis:33333333',
      pidOfPrimaryObject: '870970-basis:05172993',
      placeOfPublication: 'København',
      placeOnHold: 'responder_depending',
      publicationDate: '1901',
      publicationDateOfComponent: '1901',
      publisher: 'Gyldendal',
      requesterInitials: 'KB',
      seriesTitelNumber: 'Gyldendals Bibliotek 7',
      titleOfComponent: 'Foraarets Død',
      userAddress: 'Vestergade 1, 8000 Aarhus C',
      userDateOfBirth: '1970-01-01',
      userId: 'L123456789',
      userIdAuthenticated: false,
      userIdType: 'barcode',
      userMail: 'laaner@example.dk',
      userName: 'Karen Blixen',
      userReferenceSource: 'Politiken 1. maj',
      userTelephone: '+45 12 34 56 78',
      verificationReferenceSource: 'dbcdatawell',
      volume: '1',
      wantsReceipt: true,
      worldCatNote: 'OCLC 123456',
    }),

  'article-copy': (params) =>
    receipt(params, {
      title: 'Tidsskrift for Bibliotekarer',
      articleDirect: 'electronic',
      authorOfComponent: 'Ib Ibsen',
      copy: true,
      issn: '0105-0000',
      issue: '4',
      mediumType: 'periodical',
      pagination: '12-34',
      pidOfComponent: '870971-tsart:35012345',
      publicationDateOfComponent: '1999',
      titleOfComponent: 'Fjernlån i Norden',
      volume: '12',
    }),

  // bibliotek.dk identifies its patrons by CPR number.
  'end-user-request': (params) =>
    receipt(params, {
      needBeforeDate: isoDate(14),
      orderSystem: 'bibliotekdk',
      orderType: 'enduser_request',
      pid: ['870970-basis:05172993'],
      userId: '0101701234',
      userIdAuthenticated: true,
      userIdType: 'cpr',
      userMail: 'laaner@example.dk',
      userName: 'Karen Blixen',
      wantsReceipt: true,
    }),

  resend: (params) => receipt(params, { orderId: earlierOrderId(params, 'resend'), resendToRequesterDate: new Date().toISOString() }),

  replacement: (params) => receipt(params, { orderId: newOrderId(), originalOrderId: earlierOrderId(params, 'replacement') }),

  'wrong-password': (params) => receipt({ ...params, password: `wrong-${params.password}` }),

  'missing-password': (params) => ({ ...receipt(params), authenticationPassword: undefined }),

  'missing-title': (params) => receipt(params, { title: undefined }),

  'lower-case-isil': (params) =>
    receipt(params, {
      requesterId: params.requesterId.toLowerCase(),
      requesterIdType: 'isil',
      pickUpAgencyId: params.pickUpAgencyId.toLowerCase(),
      pickUpAgencyIdType: 'isil',
      responderId: params.responderId.toLowerCase(),
      responderIdType: 'isil',
    }),

  'non-enum-medium-type': (params) => receipt(params, { mediumType: 'tegneserie' }),
};

/** A receipt with the mandatory elements, then `order` laid over them. */
function receipt(params: ScenarioParams, order: OrderReceiptInput = {}): ReceiptXmlInput {
  return {
    authenticationPassword: params.password,
    orderReceiptUuid: randomUUID(),
    order: {
      orderId: params.orderId ?? newOrderId(),
      requesterId: params.requesterId,
      requesterIdType: 'ISIL',
      pickUpAgencyId: params.pickUpAgencyId,
      pickUpAgencyIdType: 'ISIL',
      responderId: params.responderId,
      responderIdType: 'ISIL',
      title: 'Kongens Fald',
      ...order,
    },
  };
}

function earlierOrderId(params: ScenarioParams, scenario: NetpunktScenario): string {
  if (!params.orderId) throw new Error(`the ${scenario} scenario needs the orderId of an earlier order`);
  return params.orderId;
}

/** An order id in the range DBC's order system numbers Netpunkt and bibliotek.dk orders in. */
function newOrderId(): string {
  return String(randomInt(1_000_000_000, 2_000_000_000));
}

function isoDate(daysFromToday: number): string {
  return new Date(Date.now() + daysFromToday * DAY_MS).toISOString().slice(0, 10);
}
