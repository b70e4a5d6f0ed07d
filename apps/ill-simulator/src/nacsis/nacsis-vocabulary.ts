/** Invented but realistic Japanese data for generated NACSIS-ILL records (participant IDs are
 *  fictional `FA` + 6 digits; names follow NACSIS's style of library names). */

export interface SimLibrary {
  participantId: string;
  name: string;
  address: string;
}

export const LIBRARIES: readonly SimLibrary[] = [
  { participantId: 'FA100001', name: '東京大学附属図書館', address: '〒113-0033 東京都文京区本郷7-3-1' },
  { participantId: 'FA100002', name: '京都大学附属図書館', address: '〒606-8501 京都府京都市左京区吉田本町' },
  { participantId: 'FA100003', name: '大阪大学附属図書館', address: '〒560-0043 大阪府豊中市待兼山町1-4' },
  { participantId: 'FA100004', name: '東北大学附属図書館', address: '〒980-8576 宮城県仙台市青葉区川内27-1' },
  { participantId: 'FA100005', name: '名古屋大学附属図書館', address: '〒464-8601 愛知県名古屋市千種区不老町' },
  { participantId: 'FA100006', name: '九州大学附属図書館', address: '〒819-0395 福岡県福岡市西区元岡744' },
  { participantId: 'FA100007', name: '北海道大学附属図書館', address: '〒060-0808 北海道札幌市北区北8条西5丁目' },
  { participantId: 'FA100008', name: '早稲田大学図書館', address: '〒169-8050 東京都新宿区西早稲田1-6-1' },
  { participantId: 'FA100009', name: '慶應義塾大学三田メディアセンター', address: '〒108-8345 東京都港区三田2-15-45' },
  { participantId: 'FA100010', name: '筑波大学附属図書館', address: '〒305-8577 茨城県つくば市天王台1-1-1' },
  { participantId: 'FA100011', name: '神戸大学附属図書館', address: '〒657-8501 兵庫県神戸市灘区六甲台町2-1' },
  { participantId: 'FA100012', name: '広島大学図書館', address: '〒739-8512 広島県東広島市鏡山1-2-3' },
];

export interface SimBook {
  title: string;
  author: string;
  place: string;
  publisher: string;
  year: string;
  isbn: string;
}

export const BOOKS: readonly SimBook[] = [
  { title: '日本近代史', author: '坂野潤治著', place: '東京', publisher: '筑摩書房', year: '2012', isbn: '9784480066428' },
  { title: '源氏物語の世界', author: '秋山虔著', place: '東京', publisher: '岩波書店', year: '1964', isbn: '4004120543' },
  { title: '民法総則', author: '我妻栄著', place: '東京', publisher: '岩波書店', year: '1965', isbn: '4000042460' },
  { title: '借地法', author: '鈴木禄弥著', place: '東京', publisher: '青林書院新社', year: '1980', isbn: '4417004684' },
  { title: '日本語の歴史', author: '山口仲美著', place: '東京', publisher: '岩波書店', year: '2006', isbn: '4004310180' },
  { title: '江戸の都市計画', author: '鈴木理生著', place: '東京', publisher: '三省堂', year: '1988', isbn: '4385350766' },
  { title: '量子力学入門', author: '並木美喜雄著', place: '東京', publisher: '丸善', year: '1992', isbn: '4621037447' },
  { title: '日本仏教史', author: '末木文美士著', place: '東京', publisher: '新潮社', year: '1996', isbn: '4101489114' },
  { title: '明治維新と国家形成', author: '宮地正人著', place: '東京', publisher: '吉川弘文館', year: '2012', isbn: '9784642038065' },
  { title: '近世日本の経済社会', author: '速水融著', place: '東京', publisher: '麗澤大学出版会', year: '2003', isbn: '4892054712' },
  { title: '統計学入門', author: '東京大学教養学部統計学教室編', place: '東京', publisher: '東京大学出版会', year: '1991', isbn: '4130420658' },
  { title: '万葉集の比較文学的研究', author: '中西進著', place: '東京', publisher: '桜楓社', year: '1963', isbn: '' },
];

export interface SimJournal {
  title: string;
  issn: string;
  since: string;
}

export const JOURNALS: readonly SimJournal[] = [
  { title: '史学雑誌', issn: '0018-2478', since: '1889' },
  { title: '日本化学会誌', issn: '0369-4577', since: '1972' },
  { title: '心理学研究', issn: '0021-5236', since: '1926' },
  { title: '法学協会雑誌', issn: '0022-6815', since: '1884' },
  { title: '日本建築学会計画系論文集', issn: '1340-4210', since: '1995' },
  { title: '情報処理学会論文誌', issn: '1882-7764', since: '1960' },
  { title: '国語と国文学', issn: '0387-3110', since: '1924' },
  { title: '免疫薬理', issn: '0910-2015', since: '1983' },
];

export const ARTICLES: readonly string[] = [
  '江戸後期における出版流通の研究 / 佐藤健一',
  '地域社会と近代教育の成立 / 田中美穂',
  '深層学習を用いた古文書の文字認識 / 鈴木一郎, 高橋花子',
  '明治期の法典編纂と外国法の継受 / 伊藤誠',
  '木造住宅の耐震性能評価に関する実験的研究 / 渡辺隆',
  '幼児期における自己制御の発達 / 山本さくら',
  '有機合成における新規触媒の開発 / 中村大輔',
  '中世和歌における本歌取りの技法 / 小林恵子',
];

export const PATRONS: readonly string[] = ['山田太郎', '佐藤花子', '鈴木一郎', '高橋美咲', '田中健太', '伊藤由美', '渡辺翔', '中村あかり', '小林大輝', '加藤真理'];
export const AFFILIATIONS: readonly string[] = ['文学研究科 博士課程', '法学部 4年', '工学研究科 修士課程', '理学部 教員', '医学部 助教', '経済学部 3年', '教育学研究科'];
export const STAFF: readonly string[] = ['ILL担当', '相互利用係', '複写担当', '閲覧係 TEL=03-0000-0001', '情報サービス課'];
export const COPY_TYPES: readonly string[] = ['電子複写', 'マイクロ複写', 'カラー複写'];
export const ACCOUNTS: readonly string[] = ['pb', 'pr', 're', 'ho', 'co'];
export const INQUIRIES: readonly string[] = ['該当号は欠号です。別の号でよろしいですか', '貸出中のため2週間後の発送となります', '複写枚数が多いため料金をご確認ください'];
export const ANSWERS: readonly string[] = ['了解しました。お待ちします', '別の号で結構です', '料金了承しました'];
export const PARDONS: readonly string[] = ['所蔵なし', '貸出中のため謝絶します', '製本中のため提供できません', '禁帯出資料のため謝絶します'];
export const CLAIMS: readonly string[] = ['ページの欠落があります', '依頼と異なる論文が届きました', '判読できない箇所があります'];
export const SEND_NOTES: readonly string[] = ['本日発送しました', '発送しました。ご確認ください', '速達で発送しました'];
export const RENEW_NOTES: readonly string[] = ['貸出期間の延長をお願いします', '利用者の要望により延長希望'];
