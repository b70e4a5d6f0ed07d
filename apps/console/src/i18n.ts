import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';

/** English and Japanese. Local statuses, states and labels are translated; the external systems' own
 *  statuses (NACSIS 未処理 / 発送 …, Libris Levererad …) are shown exactly as the system sends them. */
const en = {
  app: { title: 'ILL Bridge', subtitle: 'Resource sharing staff console', language: 'Language', signOut: 'Sign out', signedInAs: 'Signed in as {{name}} ({{role}})', skip: 'Skip to content' },
  nav: { borrowing: 'Borrowing requests', lending: 'Lending requests', jobs: 'Monitor Jobs', profiles: 'Integration profiles', partners: 'Partners', libraries: 'Libraries', apiKeys: 'API keys', configuration: 'Configuration' },
  signIn: { title: 'Sign in', apiKey: 'API key', help: 'Use the API key your administrator gave you. It is kept in this browser tab only and forgotten when the tab closes.', submit: 'Sign in', unknown: 'This API key is not known.', required: 'Enter an API key.' },
  roles: { viewer: 'viewer', operator: 'operator', admin: 'admin' },
  common: {
    loading: 'Loading…', none: '—', save: 'Save', cancel: 'Cancel', delete: 'Delete', add: 'Add', yes: 'Yes', no: 'No', back: 'Back', next: 'Next', refresh: 'Refresh',
    previous: 'Previous', nextPage: 'Next', pageOf: 'Rows {{from}}–{{to}} of {{total}}', noRows: 'Nothing to show.', search: 'Search', clear: 'Clear filters', all: 'All',
    problems: 'Please correct the following:', forbidden: 'This page needs the {{role}} role.', notFound: 'Not found.', error: 'Something went wrong', retry: 'Try again', actions: 'Actions',
    created: 'Created', updated: 'Updated', close: 'Close', sortBy: 'Sort by {{column}}',
  },
  requests: {
    borrowingTitle: 'Borrowing requests', lendingTitle: 'Lending requests', search: 'Search title, author, identifier, requester or request number', count_one: '{{count}} request', count_other: '{{count}} requests',
    facets: 'Filter', facetStatus: 'Status', facetExternal: 'External System Status', facetPartner: 'Partner', facetSync: 'Sync state', filteredBy: 'Filtered by', removeFilter: 'Remove filter {{name}}: {{value}}',
    noValue: '(none)',
  },
  field: {
    externalId: 'External Identifier', externalRef: 'External reference', system: 'System', direction: 'Direction', status: 'Status', externalSystemStatus: 'External System Status',
    partnerCode: 'Partner', partners: 'Partners', ownerLibraryCode: 'Owner library', pickupLibraryCode: 'Pickup library', requesterName: 'Requester', requesterNameNacsis: 'Requester (OMLNM)',
    requesterId: 'Requester id', title: 'Title', author: 'Author', isbn: 'ISBN', issn: 'ISSN', publisher: 'Publisher', placeOfPublication: 'Place of publication', year: 'Year',
    edition: 'Edition', volume: 'Volume', issue: 'Issue', pages: 'Pages', articleTitle: 'Article title', articleAuthor: 'Article author', format: 'Format', note: 'Note',
    lastInterestDate: 'Last interest date', dueDate: 'Due date', overdue: 'Overdue', statusSince: 'Waiting since', syncState: 'Sync state', syncError: 'Sync error', createdAt: 'Created', updatedAt: 'Updated', closed: 'Closed', lastJobRunId: 'Last job',
    profile: 'Profile', requestNumber: 'Request number',
  },
  detail: {
    title: 'Request {{id}}', general: 'Request', partnersSection: 'Partners and requester', biblio: 'Bibliographic data', sync: 'Synchronisation', raw: 'Record as the external system sent it',
    history: 'History', outbound: 'Outbound actions', actions: 'Actions', noActions: 'No action is allowed now.', allowedNow: 'Allowed now', notAllowed: 'NACSIS Action Not Allowed', localNotAllowed: 'Action Not Allowed',
    taken: '{{action}} was accepted and will be sent.', event: 'Event', from: 'From', to: 'To', message: 'Message', when: 'When', job: 'Job', by: 'By', seq: '#', action: 'Action',
    command: 'NACSIS command', state: 'State', attempts: 'Attempts', lastError: 'Last error', sentAt: 'Sent', retry: 'Retry', discard: 'Discard', pushFailed: 'A push to NACSIS-ILL failed: retry it or discard it.',
    noteFor: 'Note for {{action}}', noteRequired: 'A note is required for {{action}}.', send: 'Send {{action}}', shipTitle: 'Ship', dueDate: 'Due date', dueDateRequired: 'A due date is required to ship a loan.', shipDate: 'Ship date',
    charges: 'Charges', item: 'Item', quantity: 'Quantity', unitPrice: 'Unit price (yen)', subtotal: 'Subtotal', addCharge: 'Add a charge line', removeCharge: 'Remove charge line {{n}}',
    fee: 'Fee (yen)', postage: 'Postage (yen)', total: 'Total (SUM)', yen: '{{amount}} yen', back: 'Back to the list', viewOnly: 'Your role can look, not act.',
  },
  action: {
    ACCEPT: 'Accept', SHIP: 'Ship', REJECT: 'Reject', CLAIM: 'Claim', CALLBACK: 'Callback', RECEIVE: 'Receive', RETURN: 'Return', CANCEL: 'Cancel', REACTIVATE: 'Reactivate',
    ANSWER: 'Answer', FORWARD: 'Forward', RENEW: 'Renew request', CHECK_IN: 'Check in', INQUIRY: 'Inquiry', CONDITIONAL: 'Conditional',
  },
  jobs: {
    title: 'Monitor Jobs', running: 'Running jobs', finished: 'Finished jobs', none: 'No job is running.', job: 'Job', profile: 'Profile', trigger: 'Trigger', state: 'State',
    stage: 'Stage', recordsRead: 'Records read', startedAt: 'Started', finishedAt: 'Finished', createdAt: 'Created', processed: 'Processed', failed: 'Failed', report: 'Report',
    abort: 'Abort', aborting: 'Abort requested', progress: '{{stage}}: {{count}} records read', runNow: 'Run a profile now', runProfile: 'Profile to run', run: 'Run now',
    started: 'Job {{id}} started.', history: 'Job history', historyOf: 'Job history: {{name}}', autoRefresh: 'Refreshes by itself every 2 seconds.',
  },
  report: {
    title: 'Job report', counters: 'Counters', window: 'Window', error: 'Error', totalRecordsProcessed: 'Total records processed', borrowingProcessed: 'Total borrowing requests processed',
    borrowingSucceeded: 'Total borrowing requests succeeded', borrowingFailed: 'Total borrowing requests failed', lendingProcessed: 'Total lending requests processed',
    lendingSucceeded: 'Total lending requests succeeded', lendingFailed: 'Total lending requests failed', created: 'Created', updated: 'Updated', unchanged: 'Unchanged',
    borrowingDetails: 'Import of Borrowing Requests – Details', lendingDetails: 'Import of Lending Requests – Details', noFailures: 'No request failed.', reason: 'Reason', message: 'Message',
    events: 'Events report', preview: 'Preview records', showEvents: 'Show in the events report',
  },
  events: { title: 'Events report', outcome: 'Outcome', direction: 'Direction', request: 'Request', warnings: 'Warnings', download: 'Download CSV', open: 'Open request', forJob: 'Job: {{name}}' },
  profiles: {
    title: 'Integration Profile List', add: 'Add Integration Profile', code: 'Code', name: 'Name', system: 'System', active: 'Active', schedule: 'Schedule', nextRunAt: 'Next run',
    lastRun: 'Last run', runNow: 'Run now', history: 'Job history', edit: 'Edit', mappings: 'Library mappings', notifications: 'Notifications', deleteConfirm: 'Delete profile {{code}}?',
  },
  wizard: {
    newTitle: 'External System – Page {{page}} of 2', editTitle: 'Edit profile {{code}} – Page {{page}} of 2', page1: 'Profile', page2: 'External system',
    code: 'Code', name: 'Name', integrationType: 'Integration type', RESOURCE_SHARING: 'Resource Sharing Integration', description: 'Description', system: 'System',
    baseUrl: 'System base URL', libraryCode: 'Library code', libraryCodeHelp: 'Your library as the external system knows it (Libris sigel, NACSIS participant id, Netpunkt ISIL)',
    resourceSharingLibraryCode: 'Resource sharing library', authentication: 'Authentication', authEnabled: 'Require authentication', apiKey: 'API key of the external system', userId: 'User id',
    password: 'Password', secretKept: 'A secret is stored; leave empty to keep it.', active: 'Active', harvestStartDate: 'Harvest start date', granularity: 'Granularity', DAY: 'Day (YYYY-MM-DD)',
    SECOND: 'Second (YYYY-MM-DDThh:mm:ssZ)', schedule: 'Schedule', scheduleType: 'Schedule', NOT_SCHEDULED: 'Not scheduled', DAILY: 'Every day at a time', WEEKLY: 'Every week on a day at a time',
    INTERVAL: 'Every few minutes', time: 'Time (HH:mm)', dayOfWeek: 'Day of week', everyMinutes: 'Every (minutes)', timezone: 'Time zone', saved: 'Profile {{code}} saved.', choose: 'Choose…',
  },
  mappings: { title: 'Library mappings: {{name}}', libraryCode: 'Library', externalLibraryCode: 'External library code', add: 'Add mapping', remove: 'Remove mapping {{code}}' },
  notifications: {
    title: 'Notifications: {{name}}', subscribers: 'Subscribers', name: 'Name', channel: 'Channel', EMAIL: 'E-mail', WEBHOOK: 'Webhook', address: 'Address', email: 'E-mail address',
    url: 'Webhook URL', events: 'Events', allEvents: 'All', add: 'Add subscriber', remove: 'Delete subscriber {{name}}', test: 'Test', testOf: 'Send a test to {{name}}',
    testSent: 'Test notification sent; its delivery shows in the log.', deliveries: 'Deliveries', deliveriesOf: 'Deliveries to {{name}}', noDeliveries: 'Nothing delivered yet.',
    createdAt: 'Raised', eventType: 'Event', status: 'Status', attempts: 'Attempts', lastError: 'Last error',
    newSecret: 'The signing secret of {{name}}. Copy it now: it is shown only this once.',
  },
  partners: { title: 'Partners', code: 'Code', name: 'Name', system: 'System', active: 'Active', add: 'Add partner', remove: 'Delete partner {{code}}', activate: 'Activate', deactivate: 'Deactivate' },
  libraries: { title: 'Libraries', code: 'Code', name: 'Name', resourceSharing: 'Resource sharing library', add: 'Add library', remove: 'Delete library {{code}}' },
  apiKeys: {
    title: 'API keys', name: 'Name', role: 'Role', prefix: 'Starts with', createdAt: 'Created', add: 'Create API key', remove: 'Delete API key {{name}}',
    newKey: 'The new key for {{name}}. Copy it now: it is shown only this once.', copy: 'Copy', copied: 'Copied',
  },
  status: {
    CREATED_BORROWING_REQUEST: 'Created', REQUEST_SENT_TO_PARTNER: 'Sent to partner', REQUEST_ACCEPTED: 'Accepted by partner', CONDITIONAL: 'Conditional', REJECTED_BY_PARTNER: 'Rejected by partner',
    SHIPPED_PHYSICALLY: 'Shipped physically', SHIPPED_DIGITALLY: 'Shipped digitally', PHYSICALLY_RECEIVED_BY_LIBRARY: 'Received (physical)', DIGITALLY_RECEIVED_BY_LIBRARY: 'Received (digital)',
    RENEW_REQUESTED: 'Renew requested', RETURNED_ITEM_TO_PARTNER: 'Returned to partner', REQUEST_COMPLETED: 'Completed', CANCELED_BY_STAFF: 'Cancelled by staff', CANCELED_BY_PARTNER: 'Cancelled by partner',
    EXPIRED: 'Expired', CREATED_LENDING_REQUEST: 'Created', BEING_PROCESSED: 'Being processed', RECEIVED_BY_PARTNER: 'Received by partner', RETURNED_BY_PARTNER: 'Returned by partner',
    REJECTED: 'Rejected', CANCELLED: 'Cancelled',
  },
  sync: { IN_SYNC: 'In sync', PUSH_PENDING: 'Push pending', PUSH_FAILED: 'Push failed' },
  state: {
    PENDING: 'Pending', RUNNING: 'Running', COMPLETED_SUCCESSFULLY: 'Completed successfully', COMPLETED_WITH_ERRORS: 'Completed with errors', FAILED: 'Failed', ABORTED: 'Aborted',
    SENDING: 'Sending', SENT: 'Sent', DISCARDED: 'Discarded',
  },
  stage: { QUEUED: 'Queued', STARTING: 'Starting', HARVESTING: 'Harvesting', REFRESHING: 'Refreshing', FINALIZING: 'Finalizing', DONE: 'Done' },
  outcome: { CREATED: 'Created', UPDATED: 'Updated', UNCHANGED: 'Unchanged', FAILED: 'Failed' },
  newRequest: {
    title: 'New request', locate: 'Locate lenders in NACSIS-CAT', noProfile: '(none: order later)', searchBy: 'Search by', searchValue: 'BIBID, ISBN or ISSN', searchHoldings: 'Search holdings',
    holdings: 'Holding libraries', candidate: 'Candidate', library: 'Library', location: 'Location', callNumber: 'Call number', order: 'Candidate {{n}}', tick: 'Ask {{id}}',
    noHoldings: 'No other library holds this title.', candidates: 'Candidate lenders in order: {{list}}', copy: 'Copy', loan: 'Loan', accounting: 'Accounting (ACCT: pb, pr, re, ho, co)',
    copyType: 'Copy type (TYPE)', staff: 'Staff in charge (OSTAF)', address: 'Address (OADRS)', saveDraft: 'Save as draft', orderNow: 'Order now', orderDraft: 'Order the draft in NACSIS-ILL',
  },
  dir: { BORROWING: 'Borrowing', LENDING: 'Lending' },
  trigger: { SCHEDULED: 'Scheduled', MANUAL: 'Manual', INBOUND: 'Inbound' },
  desk: {
    statistics: 'Statistics', overdue: 'Overdue', overdueYes: 'Overdue', overdueNo: 'Not overdue', dueDate: 'Due date', statusSince: 'Waiting since',
    workQueue: 'Work queue', olderThanDays: 'Waiting at least (days)', dueFrom: 'Due from', dueTo: 'Due until', createdFrom: 'Created from', createdTo: 'Created until', apply: 'Apply',
    downloadCsv: 'Download CSV', savedFilters: 'Saved filters', saveFilter: 'Save this filter', filterName: 'Name of the filter', shared: 'Shared with every key', saved: 'Filter "{{name}}" saved.',
    deleteFilter: 'Delete saved filter {{name}}', selectRow: 'Select request {{id}}', selectAll: 'Select every request on this page', selected_one: '{{count}} selected', selected_other: '{{count}} selected',
    bulkSection: 'Bulk action', bulkAction: 'Action for the selected requests', bulkNote: 'Note (optional; REJECT and CLAIM need one)', bulkRun: 'Take {{action}} on {{count}} requests', bulkResult: '{{accepted}} accepted, {{refused}} refused',
    refusedItem: '{{id}}: {{message}}', from: 'From month', to: 'To month', profileFilter: 'Profile id (optional)', month: 'Month', directionCol: 'Direction', partner: 'Partner',
    created: 'Created', filled: 'Filled', rejected: 'Rejected or cancelled', fillRate: 'Fill rate', shipMedian: 'Request → shipped, median (days)', shipP90: 'Request → shipped, p90 (days)',
    receiveMedian: 'Shipped → received, median (days)', receiveP90: 'Shipped → received, p90 (days)', chartTitle: 'Requests created and filled per month', totals: 'All partners', perPartner: 'Per partner',
    borrowing: 'Borrowing', lending: 'Lending',
  },
};

type Tree = { [key: string]: string | Tree };
const ja: Tree = {
  app: { title: 'ILL Bridge', subtitle: '相互貸借 業務コンソール', language: '言語', signOut: 'サインアウト', signedInAs: '{{name}}（{{role}}）でサインイン中', skip: '本文へ移動' },
  nav: { borrowing: '借受依頼', lending: '貸出依頼', jobs: 'ジョブ監視', profiles: '連携プロファイル', partners: 'パートナー', libraries: '図書館', apiKeys: 'APIキー', configuration: '設定' },
  signIn: { title: 'サインイン', apiKey: 'API key', help: '管理者から受け取ったAPIキーを入力してください。このタブの中だけに保存され、タブを閉じると消えます。', submit: 'サインイン', unknown: 'このAPIキーは登録されていません。', required: 'APIキーを入力してください。' },
  roles: { viewer: '閲覧者', operator: 'オペレーター', admin: '管理者' },
  common: {
    loading: '読み込み中…', none: '—', save: '保存', cancel: 'キャンセル', delete: '削除', add: '追加', yes: 'はい', no: 'いいえ', back: '戻る', next: '次へ', refresh: '再読み込み',
    previous: '前へ', nextPage: '次へ', pageOf: '{{total}}件中 {{from}}–{{to}}件', noRows: '表示するものはありません。', search: '検索', clear: '絞り込みを解除', all: 'すべて',
    problems: '次の点を修正してください：', forbidden: 'このページには{{role}}の権限が必要です。', notFound: '見つかりません。', error: 'エラーが発生しました', retry: '再試行', actions: '操作',
    created: '作成', updated: '更新', close: '閉じる', sortBy: '{{column}}で並べ替え',
  },
  requests: {
    borrowingTitle: '借受依頼', lendingTitle: '貸出依頼', search: 'タイトル・著者・外部ID・依頼者・依頼番号で検索', count_one: '{{count}}件', count_other: '{{count}}件',
    facets: '絞り込み', facetStatus: 'ステータス', facetExternal: '外部システムのステータス', facetPartner: 'パートナー', facetSync: '同期状態', filteredBy: '絞り込み条件', removeFilter: '絞り込み {{name}}: {{value}} を解除',
    noValue: '（なし）',
  },
  field: {
    externalId: '外部ID', externalRef: '外部参照', system: 'システム', direction: '方向', status: 'ステータス', externalSystemStatus: '外部システムのステータス',
    partnerCode: 'パートナー', partners: 'パートナー', ownerLibraryCode: '所属図書館', pickupLibraryCode: '受取図書館', requesterName: '依頼者', requesterNameNacsis: '依頼館 (OMLNM)',
    requesterId: '依頼者ID', title: 'タイトル', author: '著者', isbn: 'ISBN', issn: 'ISSN', publisher: '出版者', placeOfPublication: '出版地', year: '出版年',
    edition: '版', volume: '巻', issue: '号', pages: 'ページ', articleTitle: '論文名', articleAuthor: '論文著者', format: '種別', note: '備考',
    lastInterestDate: '期限日', dueDate: '返却期限', overdue: '延滞', statusSince: '現状態になった日時', syncState: '同期状態', syncError: '同期エラー', createdAt: '作成日時', updatedAt: '更新日時', closed: '完了', lastJobRunId: '最終ジョブ', profile: 'プロファイル', requestNumber: '依頼番号',
  },
  detail: {
    title: '依頼 {{id}}', general: '依頼', partnersSection: 'パートナーと依頼者', biblio: '書誌情報', sync: '同期', raw: '外部システムから届いたレコード',
    history: '履歴', outbound: '送信アクション', actions: '操作', noActions: '現在可能な操作はありません。', allowedNow: '現在可能な操作', notAllowed: 'NACSIS Action Not Allowed', localNotAllowed: 'この操作はできません',
    taken: '{{action}} を受け付けました。送信されます。', event: 'イベント', from: '前', to: '後', message: 'メッセージ', when: '日時', job: 'ジョブ', by: '実行者', seq: '#', action: '操作',
    command: 'NACSISコマンド', state: '状態', attempts: '試行回数', lastError: '最後のエラー', sentAt: '送信日時', retry: '再送', discard: '破棄', pushFailed: 'NACSIS-ILLへの送信に失敗しました。再送するか破棄してください。',
    noteFor: '{{action}} のコメント', noteRequired: '{{action}} にはコメントが必要です。', send: '{{action}} を送信', shipTitle: '発送', dueDate: '返却期限', dueDateRequired: '貸出の発送には返却期限が必要です。', shipDate: '発送日',
    charges: '料金', item: '項目', quantity: '数量', unitPrice: '単価（円）', subtotal: '小計', addCharge: '料金行を追加', removeCharge: '料金行 {{n}} を削除',
    fee: '手数料（円）', postage: '送料（円）', total: '合計 (SUM)', yen: '{{amount}}円', back: '一覧へ戻る', viewOnly: '閲覧のみの権限です。',
  },
  action: {
    ACCEPT: '受付', SHIP: '発送', REJECT: '謝絶', CLAIM: '督促', CALLBACK: '取消（コールバック）', RECEIVE: '受領', RETURN: '返却', CANCEL: 'キャンセル', REACTIVATE: '再開',
    ANSWER: '回答', FORWARD: '回送', RENEW: '更新依頼', CHECK_IN: '返却確認', INQUIRY: '照会', CONDITIONAL: '条件付き',
  },
  jobs: {
    title: 'ジョブ監視', running: '実行中のジョブ', finished: '終了したジョブ', none: '実行中のジョブはありません。', job: 'ジョブ', profile: 'プロファイル', trigger: '起動', state: '状態',
    stage: '段階', recordsRead: '読込件数', startedAt: '開始', finishedAt: '終了', createdAt: '作成', processed: '処理件数', failed: '失敗', report: 'レポート',
    abort: '中止', aborting: '中止要求済み', progress: '{{stage}}：{{count}}件読込', runNow: 'プロファイルを今すぐ実行', runProfile: '実行するプロファイル', run: '今すぐ実行',
    started: 'ジョブ {{id}} を開始しました。', history: 'ジョブ履歴', historyOf: 'ジョブ履歴：{{name}}', autoRefresh: '2秒ごとに自動で更新されます。',
  },
  report: {
    title: 'ジョブレポート', counters: '件数', window: '期間', error: 'エラー', totalRecordsProcessed: '処理レコード総数', borrowingProcessed: '借受依頼 処理件数',
    borrowingSucceeded: '借受依頼 成功件数', borrowingFailed: '借受依頼 失敗件数', lendingProcessed: '貸出依頼 処理件数', lendingSucceeded: '貸出依頼 成功件数', lendingFailed: '貸出依頼 失敗件数',
    created: '作成', updated: '更新', unchanged: '変更なし', borrowingDetails: '借受依頼の取込 – 詳細', lendingDetails: '貸出依頼の取込 – 詳細', noFailures: '失敗した依頼はありません。',
    reason: '理由', message: 'メッセージ', events: 'イベントレポート', preview: 'レコードを表示', showEvents: 'イベントレポートで表示',
  },
  events: { title: 'イベントレポート', outcome: '結果', direction: '方向', request: '依頼', warnings: '警告', download: 'CSVをダウンロード', open: '依頼を開く', forJob: 'ジョブ：{{name}}' },
  profiles: {
    title: '連携プロファイル一覧', add: '連携プロファイルを追加', code: 'コード', name: '名称', system: 'システム', active: '有効', schedule: 'スケジュール', nextRunAt: '次回実行',
    lastRun: '前回の実行', runNow: '今すぐ実行', history: 'ジョブ履歴', edit: '編集', mappings: '図書館コード対応', notifications: '通知', deleteConfirm: 'プロファイル {{code}} を削除しますか？',
  },
  wizard: {
    newTitle: '外部システム – {{page}}/2ページ', editTitle: 'プロファイル {{code}} の編集 – {{page}}/2ページ', page1: 'プロファイル', page2: '外部システム',
    code: 'コード', name: '名称', integrationType: '連携の種類', RESOURCE_SHARING: '相互貸借連携', description: '説明', system: 'システム',
    baseUrl: 'システムのベースURL', libraryCode: '図書館コード', libraryCodeHelp: '外部システムでの自館のコード（Librisのsigel、NACSISの参加組織ID、NetpunktのISIL）',
    resourceSharingLibraryCode: '相互貸借図書館', authentication: '認証', authEnabled: '認証を使う', apiKey: '外部システムのAPIキー', userId: 'ユーザーID',
    password: 'パスワード', secretKept: '保存済みです。変更しない場合は空欄のままにしてください。', active: '有効', harvestStartDate: '取込開始日', granularity: '粒度', DAY: '日 (YYYY-MM-DD)',
    SECOND: '秒 (YYYY-MM-DDThh:mm:ssZ)', schedule: 'スケジュール', scheduleType: 'スケジュール', NOT_SCHEDULED: 'スケジュールなし', DAILY: '毎日 指定時刻', WEEKLY: '毎週 指定曜日・時刻',
    INTERVAL: '数分ごと', time: '時刻 (HH:mm)', dayOfWeek: '曜日', everyMinutes: '間隔（分）', timezone: 'タイムゾーン', saved: 'プロファイル {{code}} を保存しました。', choose: '選択してください…',
  },
  mappings: { title: '図書館コード対応：{{name}}', libraryCode: '図書館', externalLibraryCode: '外部の図書館コード', add: '対応を追加', remove: '対応 {{code}} を削除' },
  notifications: {
    title: '通知：{{name}}', subscribers: '通知先', name: '名前', channel: '方式', EMAIL: 'メール', WEBHOOK: 'Webhook', address: '宛先', email: 'メールアドレス',
    url: 'Webhook の URL', events: 'イベント', allEvents: 'すべて', add: '通知先を追加', remove: '通知先 {{name}} を削除', test: 'テスト', testOf: '{{name}} にテストを送信',
    testSent: 'テスト通知を送信しました。配信記録に表示されます。', deliveries: '配信記録', deliveriesOf: '{{name}} への配信', noDeliveries: 'まだ配信はありません。',
    createdAt: '発生', eventType: 'イベント', status: '状態', attempts: '試行回数', lastError: '最後のエラー',
    newSecret: '{{name}} の署名用シークレットです。今コピーしてください。表示はこの一度だけです。',
  },
  partners: { title: 'パートナー', code: 'コード', name: '名称', system: 'システム', active: '有効', add: 'パートナーを追加', remove: 'パートナー {{code}} を削除', activate: '有効にする', deactivate: '無効にする' },
  libraries: { title: '図書館', code: 'コード', name: '名称', resourceSharing: '相互貸借図書館', add: '図書館を追加', remove: '図書館 {{code}} を削除' },
  apiKeys: {
    title: 'APIキー', name: '名称', role: '役割', prefix: '先頭', createdAt: '作成日時', add: 'APIキーを作成', remove: 'APIキー {{name}} を削除',
    newKey: '{{name}} の新しいキーです。今すぐコピーしてください。表示は一度だけです。', copy: 'コピー', copied: 'コピーしました',
  },
  status: {
    CREATED_BORROWING_REQUEST: '作成済み', REQUEST_SENT_TO_PARTNER: '依頼送信済み', REQUEST_ACCEPTED: '相手館受付済み', CONDITIONAL: '条件付き', REJECTED_BY_PARTNER: '謝絶された',
    SHIPPED_PHYSICALLY: '発送済み（現物）', SHIPPED_DIGITALLY: '発送済み（電子）', PHYSICALLY_RECEIVED_BY_LIBRARY: '受領済み（現物）', DIGITALLY_RECEIVED_BY_LIBRARY: '受領済み（電子）',
    RENEW_REQUESTED: '更新依頼中', RETURNED_ITEM_TO_PARTNER: '返却済み', REQUEST_COMPLETED: '完了', CANCELED_BY_STAFF: '職員がキャンセル', CANCELED_BY_PARTNER: '相手館がキャンセル',
    EXPIRED: '期限切れ', CREATED_LENDING_REQUEST: '作成済み', BEING_PROCESSED: '処理中', RECEIVED_BY_PARTNER: '相手館受領済み', RETURNED_BY_PARTNER: '返却された', REJECTED: '謝絶', CANCELLED: 'キャンセル',
  },
  sync: { IN_SYNC: '同期済み', PUSH_PENDING: '送信待ち', PUSH_FAILED: '送信失敗' },
  state: {
    PENDING: '待機中', RUNNING: '実行中', COMPLETED_SUCCESSFULLY: '正常終了', COMPLETED_WITH_ERRORS: 'エラーありで終了', FAILED: '失敗', ABORTED: '中止',
    SENDING: '送信中', SENT: '送信済み', DISCARDED: '破棄',
  },
  stage: { QUEUED: '待機', STARTING: '開始', HARVESTING: '取込中', REFRESHING: '更新中', FINALIZING: '仕上げ中', DONE: '完了' },
  outcome: { CREATED: '作成', UPDATED: '更新', UNCHANGED: '変更なし', FAILED: '失敗' },
  newRequest: {
    title: '新規依頼', locate: 'NACSIS-CATで所蔵館を探す', noProfile: '（なし：あとで発注）', searchBy: '検索キー', searchValue: 'BIBID・ISBN・ISSN', searchHoldings: '所蔵を検索',
    holdings: '所蔵館', candidate: '依頼先', library: '図書館', location: '所在', callNumber: '請求記号', order: '依頼先 {{n}}', tick: '{{id}} に依頼',
    noHoldings: '他に所蔵館はありません。', candidates: '依頼先（順）：{{list}}', copy: '複写', loan: '貸借', accounting: '支払区分（ACCT：pb, pr, re, ho, co）',
    copyType: '複写種別（TYPE）', staff: '担当者（OSTAF）', address: '送付先（OADRS）', saveDraft: '下書き保存', orderNow: '今すぐ発注', orderDraft: '下書きをNACSIS-ILLで発注',
  },
  dir: { BORROWING: '借受', LENDING: '貸出' },
  trigger: { SCHEDULED: 'スケジュール', MANUAL: '手動', INBOUND: '受信' },
  desk: {
    statistics: '統計', overdue: '延滞', overdueYes: '延滞', overdueNo: '延滞なし', dueDate: '返却期限', statusSince: '現状態になった日時',
    workQueue: '作業キュー', olderThanDays: '待ち日数（以上）', dueFrom: '返却期限（から）', dueTo: '返却期限（まで）', createdFrom: '作成日（から）', createdTo: '作成日（まで）', apply: '適用',
    downloadCsv: 'CSVをダウンロード', savedFilters: '保存済みフィルタ', saveFilter: 'このフィルタを保存', filterName: 'フィルタ名', shared: 'すべてのキーと共有', saved: 'フィルタ「{{name}}」を保存しました。',
    deleteFilter: '保存済みフィルタ {{name}} を削除', selectRow: '依頼 {{id}} を選択', selectAll: 'このページの依頼をすべて選択', selected_one: '{{count}} 件選択', selected_other: '{{count}} 件選択',
    bulkSection: '一括処理', bulkAction: '選択した依頼への処理', bulkNote: 'コメント（任意。REJECT と CLAIM は必須）', bulkRun: '{{count}} 件に {{action}} を実行', bulkResult: '受付 {{accepted}} 件、拒否 {{refused}} 件',
    refusedItem: '{{id}}: {{message}}', from: '開始月', to: '終了月', profileFilter: 'プロファイルID（任意）', month: '月', directionCol: '方向', partner: 'パートナー',
    created: '作成', filled: '提供済み', rejected: '謝絶・取消', fillRate: '提供率', shipMedian: '依頼→発送 中央値（日）', shipP90: '依頼→発送 90%点（日）',
    receiveMedian: '発送→受領 中央値（日）', receiveP90: '発送→受領 90%点（日）', chartTitle: '月ごとの作成件数と提供件数', totals: '全パートナー', perPartner: 'パートナー別',
    borrowing: '借受', lending: '貸出',
  },
};

export const LANGUAGES = ['en', 'ja'] as const;
export type Language = (typeof LANGUAGES)[number];
const LANGUAGE_STORAGE = 'illbridge.language';

export function initI18n() {
  const stored = localStorage.getItem(LANGUAGE_STORAGE);
  const lng: Language = stored === 'ja' || stored === 'en' ? stored : navigator.language.startsWith('ja') ? 'ja' : 'en';
  void i18n.use(initReactI18next).init({ resources: { en: { translation: en }, ja: { translation: ja } }, lng, fallbackLng: 'en', interpolation: { escapeValue: false } });
  document.documentElement.lang = lng;
  i18n.on('languageChanged', (language) => {
    document.documentElement.lang = language;
    localStorage.setItem(LANGUAGE_STORAGE, language);
  });
  return i18n;
}
