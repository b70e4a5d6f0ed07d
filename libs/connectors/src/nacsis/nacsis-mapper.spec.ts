import { actionContextFor, allowedActions } from '@illbridge/workflow';
import type { IncomingRequest } from '../types';
import { decodeRecords, decodeResponse } from './catp-codec';
import type { CatpRecord } from './catp-codec';
import * as examples from './fixtures/catp-examples';
import { isNacsisDatabase, mapNacsisRecord, nacsisRecordState } from './nacsis-mapper';
import type { NacsisDatabase } from './nacsis-mapper';

/** One record written as CATP lines (LF), decoded the way the client decodes answers. */
function catpRecord(lines: string): CatpRecord {
  const [record] = decodeRecords(lines.trim());
  return record;
}

function mapped(record: CatpRecord, database: NacsisDatabase): IncomingRequest {
  const result = mapNacsisRecord(record, database);
  if (!result.ok) throw new Error(`mapping failed: ${result.failure.message}`);
  return result.request;
}

const [LENDING_COPY, LENDING_BOOK_COPY] = decodeRecords(decodeResponse(examples.SEARCH_STAT_RESPONSE).body);

/** A borrowing copy request the lender has shipped (nacsis-ill-research.md §5.1), second candidate active. */
const BORROWING_COPY = catpRecord(`
_DBNAME_=COPYO
ID=250512000873
CRTDT=20250512
RNWDT=20250514
STAT=発送
SRVCE=C
ONO=ALMA-BR-873
OMLID=FA012345
OMLNM=架空大図
AMLID=FA067890
AMLNM=例示大附図
ACCT=pb
TYPE=電子複写
SPVIA=普通
<BIBG>
BIBID=AN10184701
BIBNT=免疫薬理. -- Vol. 8, no. 1 (1990)-
STDNO=ISSN=0000-0000
</BIBG>
VLNO=12(3)
PAGE=45-52
YEAR=1994
ARTCL=免疫応答の制御機構 / 山田太郎, 佐藤花子
<HMLG>
HMLID=FA054321
HMLNM=見本大図
VOL=12
</HMLG>
<HMLG>
HMLID=FA067890
HMLNM=例示大附図
LOC=図
VOL=12
AMLIDA=FA067890
</HMLG>
CLNT=佐藤 花子
CLNTP=医学研究科
ODATE=20250512
ADATE=20250513
SDATE=20250514
OSTAF=ILL担当 相互利用係 TEL=000-000-0000
OADRS=〒000-0000 架空市1-1 架空大学附属図書館 相互利用係
<CHG>
ITEM=A4
QNT=8
UPRCE=35
CHRGE=280
</CHG>
FEE=0
POSTG=84
SUM=364
<SENDG>
SENDCMND=ORDER
SENDMLID=FA012345
</SENDG>
<SENDG>
SENDCMND=PARDON
SENDMLID=FA054321
SENDCMNT=所蔵なし
</SENDG>
<SENDG>
SENDCMND=RECEIVE
SENDMLID=FA067890
</SENDG>
<SENDG>
SENDCMND=SEND
SENDMLID=FA067890
SENDCMNT=本日発送しました
</SENDG>
`);

/** A borrowing loan on loan at our library; the book has an edition and a place of publication. */
const BORROWING_LOAN = catpRecord(`
_DBNAME_=LOANO
ID=250601000117
STAT=借用中
SRVCE=L
ONO=R25-0117
OMLID=FA012345
OMLNM=架空大図
AMLID=FA054321
AMLNM=見本大図
<BIBG>
BIBID=BN00762300
BIBNT=借地法 / 鈴木禄弥著 ; 山田一郎補訂. -- 改訂版. -- 東京 : 青林書院新社, 1980.
STDNO=ISBN=4417004684
</BIBG>
VLNO=上巻
<HMLG>
HMLID=FA054321
HMLNM=見本大図
CLN=324.81||Su
</HMLG>
CLNT=鈴木 一郎
DDATE=20250701
<SENDG>
SENDCMND=BORROW
SENDMLID=FA012345
</SENDG>
`);

const NULL_BIBLIOGRAPHY = {
  title: null, author: null, isbn: null, issn: null, publisher: null, placeOfPublication: null, year: null, edition: null,
  volume: null, issue: null, pages: null, articleTitle: null, articleAuthor: null,
};

describe('mapNacsisRecord (nacsis-ill.md §5 step 3)', () => {
  it('maps a lending copy request for a journal article', () => {
    expect(mapNacsisRecord(LENDING_COPY, 'COPYA')).toEqual({
      ok: true,
      warnings: [],
      request: {
        direction: 'LENDING',
        externalId: '250512000101',
        externalRef: null,
        externalSystemStatus: '未処理',
        mappedStatus: 'CREATED_LENDING_REQUEST',
        externalLibraryCode: 'FA012345',
        partnerCodes: ['FA054321'],
        activePartnerCode: 'FA054321',
        requesterName: '見本大図',
        requesterId: 'FA054321',
        title: '免疫薬理',
        author: null,
        isbn: null,
        issn: '0000-0000',
        publisher: null,
        placeOfPublication: null,
        year: '1994',
        edition: null,
        volume: '12',
        issue: '3',
        pages: '45-52',
        articleTitle: 'Sample article',
        articleAuthor: 'Yamada T.',
        format: 'COPY',
        note: null,
        lastInterestDate: null,
        dueDate: null,
        raw: LENDING_COPY,
      },
    });
  });

  it('maps a lending copy request for a book chapter', () => {
    expect(mapped(LENDING_BOOK_COPY, 'COPYA')).toMatchObject({
      externalId: '250512000102',
      externalLibraryCode: 'FA012345',
      requesterName: '例示大附図',
      requesterId: 'FA067890',
      partnerCodes: ['FA067890'],
      title: '借地法',
      author: '鈴木禄弥著',
      isbn: '4417004684',
      publisher: '青林書院新社',
      placeOfPublication: null,
      year: '1980',
      pages: '1-20',
      volume: null,
    });
  });

  it('maps a borrowing copy request: candidates in order, the active one, the patron, the last message', () => {
    expect(mapNacsisRecord(BORROWING_COPY, 'COPYO')).toEqual({
      ok: true,
      warnings: [],
      request: {
        direction: 'BORROWING',
        externalId: '250512000873',
        externalRef: 'ALMA-BR-873',
        externalSystemStatus: '発送',
        mappedStatus: 'SHIPPED_PHYSICALLY',
        externalLibraryCode: 'FA012345',
        partnerCodes: ['FA054321', 'FA067890'],
        activePartnerCode: 'FA067890',
        requesterName: '佐藤 花子 (医学研究科)',
        requesterId: null,
        title: '免疫薬理',
        author: null,
        isbn: null,
        issn: '0000-0000',
        publisher: null,
        placeOfPublication: null,
        year: '1994',
        edition: null,
        volume: '12',
        issue: '3',
        pages: '45-52',
        articleTitle: '免疫応答の制御機構',
        articleAuthor: '山田太郎, 佐藤花子',
        format: 'COPY',
        note: '本日発送しました',
        lastInterestDate: null,
        dueDate: null,
        raw: BORROWING_COPY,
      },
    });
  });

  it('maps a borrowing loan: edition, place and publisher from the description', () => {
    expect(mapNacsisRecord(BORROWING_LOAN, 'LOANO')).toEqual({
      ok: true,
      warnings: [],
      request: expect.objectContaining({
        direction: 'BORROWING',
        externalSystemStatus: '借用中',
        mappedStatus: 'PHYSICALLY_RECEIVED_BY_LIBRARY',
        partnerCodes: ['FA054321'],
        activePartnerCode: 'FA054321',
        requesterName: '鈴木 一郎',
        title: '借地法',
        author: '鈴木禄弥著 ; 山田一郎補訂',
        edition: '改訂版',
        placeOfPublication: '東京',
        publisher: '青林書院新社',
        year: '1980',
        isbn: '4417004684',
        volume: '上巻',
        issue: null,
        format: 'LOAN',
        note: null,
      }),
    });
  });

  it('maps the record an SPC answer returns', () => {
    const [record] = decodeRecords(decodeResponse(examples.SPC_RECEIVE_RESPONSE).body);
    expect(mapped(record, 'COPYA')).toMatchObject({ externalSystemStatus: '処理中', mappedStatus: 'BEING_PROCESSED' });
  });

  it('maps a draft with no lender yet', () => {
    const draft = catpRecord(`
ID=250520000001
STAT=準備中
OMLID=FA012345
<HMLG>
HMLID=FA054321
</HMLG>
`);
    expect(mapped(draft, 'LOANO')).toMatchObject({
      ...NULL_BIBLIOGRAPHY,
      mappedStatus: 'CREATED_BORROWING_REQUEST',
      partnerCodes: ['FA054321'],
      activePartnerCode: null,
      requesterName: null,
      format: 'LOAN',
    });
  });

  it('keeps the raw STAT of a state with no local match, without a warning', () => {
    const answered = catpRecord('ID=1\nSTAT=回答待\nOMLID=FA054321\nAMLID=FA012345');
    expect(mapNacsisRecord(answered, 'LOANA')).toMatchObject({ ok: true, warnings: [], request: { externalSystemStatus: '回答待', mappedStatus: null } });
  });

  it('warns about an unknown STAT, a SRVCE that contradicts the database and a candidate without HMLID', () => {
    const odd = catpRecord('ID=1\nSTAT=調査中\nSRVCE=L\nOMLID=FA012345\n<HMLG>\nHMLNM=見本大図\n</HMLG>');
    expect(mapNacsisRecord(odd, 'COPYO')).toMatchObject({
      warnings: ['unknown NACSIS STAT "調査中": status left unchanged', 'SRVCE "L" does not match database COPYO: taken as COPY', 'HMLG 1 has no HMLID'],
      request: { externalSystemStatus: '調査中', mappedStatus: null, format: 'COPY', partnerCodes: [] },
    });
  });

  it.each([
    ['no ID', 'STAT=未処理\nOMLID=FA054321\nAMLID=FA012345', '', 'the record has no ID'],
    ['no STAT', 'ID=250512000101\nOMLID=FA054321\nAMLID=FA012345', '250512000101', 'the record has no STAT'],
    ['no OMLID', 'ID=250512000101\nSTAT=未処理\nAMLID=FA012345', '250512000101', 'the record has no OMLID'],
    ['no AMLID on a lending record', 'ID=250512000101\nSTAT=未処理\nOMLID=FA054321', '250512000101', 'the record has no AMLID'],
    ['two different STATs', 'ID=250512000101\nSTAT=未処理\nSTAT=処理中\nOMLID=FA054321\nAMLID=FA012345', '250512000101', 'STAT occurs with 2 different values'],
    ['an empty ID', 'ID= \nSTAT=未処理\nOMLID=FA054321\nAMLID=FA012345', '', 'the record has no ID'],
  ])('fails a record with %s', (_case, lines, externalId, message) => {
    expect(mapNacsisRecord(catpRecord(lines), 'COPYA')).toEqual({
      ok: false,
      failure: { externalId, direction: 'LENDING', reasonCode: 'MALFORMED_RECORD', message: `malformed NACSIS record: ${message}` },
    });
  });

  it('knows the database names', () => {
    expect(['COPYO', 'LOANO', 'COPYA', 'LOANA'].every(isNacsisDatabase)).toBe(true);
    expect(isNacsisDatabase('COPYOB')).toBe(false);
    expect(isNacsisDatabase('toString')).toBe(false);
  });
});

describe('nacsisRecordState', () => {
  it('reads the state, candidates, current lender and history of a record', () => {
    expect(nacsisRecordState(BORROWING_COPY, 'COPYO')).toEqual({
      stat: '発送',
      service: 'COPY',
      borrowerId: 'FA012345',
      candidates: ['FA054321', 'FA067890'],
      currentLenderIndex: 1,
      history: [
        { command: 'ORDER', participantId: 'FA012345' },
        { command: 'PARDON', participantId: 'FA054321', comment: '所蔵なし' },
        { command: 'RECEIVE', participantId: 'FA067890' },
        { command: 'SEND', participantId: 'FA067890', comment: '本日発送しました' },
      ],
    });
  });

  it('feeds the action rules: a shipped copy must be accepted before it is received', () => {
    const state = nacsisRecordState(BORROWING_COPY, 'COPYO')!;
    expect(allowedActions(actionContextFor(state, 'BORROWER', 'FA012345'))).toEqual(['ACCEPT']);
    const lending = nacsisRecordState(LENDING_BOOK_COPY, 'COPYA')!;
    expect(allowedActions(actionContextFor(lending, 'LENDER', 'FA012345'))).toEqual(['ACCEPT']);
  });

  it('takes the accepting counter (AMLIDA) of a candidate as the lender', () => {
    const record = catpRecord('ID=1\nSTAT=未処理\nOMLID=FA012345\nAMLID=FA099999\n<HMLG>\nHMLID=FA054321\nAMLIDA=FA099999\n</HMLG>');
    expect(nacsisRecordState(record, 'LOANO')).toMatchObject({ candidates: ['FA099999'], currentLenderIndex: 0 });
  });

  it.each([
    ['an unknown STAT', 'ID=1\nSTAT=調査中\nOMLID=FA012345'],
    ['no OMLID', 'ID=1\nSTAT=準備中'],
    ['an AMLID that is not a candidate', 'ID=1\nSTAT=未処理\nOMLID=FA012345\nAMLID=FA099999\n<HMLG>\nHMLID=FA054321\n</HMLG>'],
    ['an unknown command in the history', 'ID=1\nSTAT=準備中\nOMLID=FA012345\n<SENDG>\nSENDCMND=REMIND\nSENDMLID=FA012345\n</SENDG>'],
    ['a history entry without its library', 'ID=1\nSTAT=準備中\nOMLID=FA012345\n<SENDG>\nSENDCMND=ORDER\n</SENDG>'],
  ])('cannot judge a record with %s', (_case, lines) => {
    expect(nacsisRecordState(catpRecord(lines), 'COPYO')).toBeNull();
  });
});
