import { bibliographicNote, orderFields, OrderedRequest } from './order-fields';

const request = (over: Partial<OrderedRequest> = {}): OrderedRequest => ({
  request_number: 'ILB-000007',
  format: 'COPY',
  title: '借地法',
  author: '鈴木禄弥著',
  publisher: '青林書院新社',
  place_of_publication: '東京',
  year: '1980',
  edition: null,
  volume: '12',
  issue: '3',
  pages: '1-20',
  article_title: null,
  article_author: null,
  isbn: '4417004684',
  issn: null,
  requester_name: '佐藤 花子',
  ...over,
});

describe('ORDER fields of a request created here', () => {
  it('carries ONO, the bibliographic group, the candidates in order, today and what NACSIS requires', () => {
    const fields = orderFields(
      request(),
      {
        lenders: [{ participantId: 'FA000002', name: '京都大学', location: '附図' }, { participantId: 'FA000001' }],
        bibId: 'BN00762300',
        accounting: 'pb',
        copyType: '電子複写',
        staff: 'ILL担当',
        address: '〒000-0001\n見本市',
      },
      '至急\nお願いします',
      '2026-11-22',
    );
    expect(fields).toEqual({
      ONO: 'ILB-000007',
      ACCT: 'pb',
      TYPE: '電子複写',
      BIBG: [{ BIBID: 'BN00762300', BIBNT: '借地法 / 鈴木禄弥著. -- 東京 : 青林書院新社, 1980', STDNO: 'ISBN=4417004684' }],
      VLNO: '12(3)',
      PAGE: '1-20',
      YEAR: '1980',
      CLNT: '佐藤 花子',
      HMLG: [{ HMLID: 'FA000002', HMLNM: '京都大学', LOC: '附図' }, { HMLID: 'FA000001' }],
      ODATE: '20261122',
      OSTAF: 'ILL担当',
      OADRS: '〒000-0001 見本市',
      CMMNT: '至急 お願いします',
    });
    expect(Object.keys(fields)).toEqual(['ONO', 'ACCT', 'TYPE', 'BIBG', 'VLNO', 'PAGE', 'YEAR', 'CLNT', 'HMLG', 'ODATE', 'OSTAF', 'OADRS', 'CMMNT']);
  });

  it('sends only what the draft has: no TYPE for a loan, no CMMNT without a note, ISSN when there is no ISBN', () => {
    const fields = orderFields(request({ format: 'LOAN', isbn: null, issn: '0000-0000', issue: null }), { lenders: [{ participantId: 'FA000001' }], copyType: '電子複写' }, null, '2026-11-22');
    expect(fields).not.toHaveProperty('TYPE');
    expect(fields).not.toHaveProperty('ACCT');
    expect(fields).not.toHaveProperty('CMMNT');
    expect(fields.VLNO).toBe('12');
    expect(fields.BIBG).toEqual([{ BIBNT: '借地法 / 鈴木禄弥著. -- 東京 : 青林書院新社, 1980', STDNO: 'ISSN=0000-0000' }]);
  });

  it('writes the description the mapper reads back (title / author. -- edition. -- place : publisher, year)', () => {
    expect(bibliographicNote(request({ edition: '第2版', place_of_publication: null }))).toBe('借地法 / 鈴木禄弥著. -- 第2版. -- 青林書院新社, 1980');
    expect(bibliographicNote(request({ title: null }))).toBeNull();
  });
});
