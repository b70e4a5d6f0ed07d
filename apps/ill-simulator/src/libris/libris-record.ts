import type { LibrisEndUser, LibrisIllRequest, LibrisReceivingLibrary, LibrisRecipient } from '@illbridge/connectors/libris/libris-wire';
import { MEDIA_TYPES, READ_FLAGS, mediaTypeCodeOf, statusCodeOf } from './libris-vocabulary';

/** What the store assigns to every request it keeps. */
export interface LibrisIdentity {
  request_id: string;
  lf_number: string;
  requesting_library: string;
  last_modified: string;
}

export function receivingLibrary(library_code: string, fields: Partial<LibrisReceivingLibrary> = {}): LibrisReceivingLibrary {
  return { library_code, name: '', department: '', address1: '', address2: '', address3: '', zip_code: '', city: '', fax: '', email: '', bibsam: false, ...fields };
}

export function recipient(library_code: string, fields: Partial<LibrisRecipient> = {}): LibrisRecipient {
  return { library_id: '', library_code, is_active_library: false, location: '', response_id: '', response: '', response_date: '', reserve: false, ...fields };
}

function blankEndUser(): LibrisEndUser {
  return {
    user_id: '', approved: false, approval_date: null, approved_by: '', home_delivery: false, institution_delivery: false, first_name: '',
    last_name: '', address: '', zip_code: '', city: '', phone: '', mobile: '', email: '', institution: '', institution_phone: '', library_card: '',
  };
}

/** A complete request object (§4): the given fields over neutral defaults (a new, unread loan request,
 *  waiting at its first lender); partial lenders, receiving library and end user are completed too.
 *  Codes follow their texts unless given: `status_code`, `media_type_code`, `recipient_count`;
 *  `bib_id` is `BIB{request_id}` when there is no record. (Wrong types are for `addRaw`.) */
export function buildLibrisRecord(identity: LibrisIdentity, fields: Partial<LibrisIllRequest>): LibrisIllRequest {
  const recipients = (Array.isArray(fields.recipients) ? fields.recipients : []).map((lender) => recipient(lender.library_code ?? '', lender));
  const record: LibrisIllRequest = {
    ...identity,
    request_type: 'LF', status: 'Uteliggande', status_code: '', xstatus: READ_FLAGS.unread.text, xstatus_code: READ_FLAGS.unread.code,
    local_status: '', local_status_code: '', external_id: '',
    arrival_date: null, sign_date: null, due_date: null, renewal_date: null, renewal_count: '0', return_date: null, sendback_date: null,
    delivery_type: 'Post', delivery_type_code: '1', processing_time: 'Normal', processing_time_code: '1',
    media_type: MEDIA_TYPES.loan.text, media_type_code: '', recipient_count: '',
    bib_id: '', isbn_issn: '', author: '', title: '', place_of_publication: '', publisher: '', year: '', imprint: '',
    author_of_article: '', title_of_article: '', volume_designation: '', pages: '', journal_article: '', message: '',
    user: '', user_id: '', operator: '', active_library: '',
    libris_enduser_request_id: '', enduser_id: '',
    ...fields,
    receiving_library: receivingLibrary(identity.requesting_library, fields.receiving_library),
    end_user: { ...blankEndUser(), ...fields.end_user },
    recipients,
  };
  return {
    ...record,
    status_code: fields.status_code ?? statusCodeOf(record.status),
    media_type_code: fields.media_type_code ?? mediaTypeCodeOf(record.media_type),
    recipient_count: fields.recipient_count ?? String(recipients.length),
    active_library: fields.active_library ?? recipients.find((lender) => lender.is_active_library)?.library_code ?? recipients[0]?.library_code ?? '',
    bib_id: record.bib_id || `BIB${record.request_id}`,
  };
}
