/** The Libris ILL API on the wire (libris-ill-api.md §3–4). Numbers arrive as strings, flags as
 *  booleans, unset dates as null, missing texts as empty strings. The mapper never trusts these
 *  types (it reads `unknown`); they document the shape and type the simulator. */

export interface LibrisEnvelope {
  data_source: string;
  data_type: string;
  result_type: string;
  library_code: string;
  count: number;
  ill_requests: unknown[];
  update_action?: string;
  update_success?: boolean;
  update_message?: string;
}

export interface LibrisReceivingLibrary {
  library_code: string;
  name: string;
  department: string;
  address1: string;
  address2: string;
  address3: string;
  zip_code: string;
  city: string;
  fax: string;
  email: string;
  bibsam: boolean;
}

export interface LibrisEndUser {
  user_id: string;
  approved: boolean;
  approval_date: string | null;
  approved_by: string;
  home_delivery: boolean;
  institution_delivery: boolean;
  first_name: string;
  last_name: string;
  address: string;
  zip_code: string;
  city: string;
  phone: string;
  mobile: string;
  email: string;
  institution: string;
  institution_phone: string;
  library_card: string;
}

/** One lender of the chain, in order. */
export interface LibrisRecipient {
  library_id: string;
  library_code: string;
  is_active_library: boolean;
  location: string;
  response_id: string;
  response: string;
  /** `YYYY-MM-DD HH:MM:SS`, or empty when the lender has not answered. */
  response_date: string;
  reserve: boolean;
}

export interface LibrisIllRequest {
  request_id: string;
  lf_number: string;
  request_type: string;
  status: string;
  status_code: string;
  xstatus: string;
  xstatus_code: string;
  local_status: string;
  local_status_code: string;
  last_modified: string;
  external_id: string;

  arrival_date: string | null;
  sign_date: string | null;
  due_date: string | null;
  renewal_date: string | null;
  renewal_count: string;
  return_date: string | null;
  sendback_date: string | null;

  delivery_type: string;
  delivery_type_code: string;
  processing_time: string;
  processing_time_code: string;
  media_type: string;
  media_type_code: string;
  recipient_count: string;

  bib_id: string;
  isbn_issn: string;
  author: string;
  title: string;
  place_of_publication: string;
  publisher: string;
  year: string;
  imprint: string;
  author_of_article: string;
  title_of_article: string;
  volume_designation: string;
  pages: string;
  journal_article: string;
  message: string;

  user: string;
  user_id: string;
  operator: string;
  active_library: string;
  requesting_library: string;
  receiving_library: LibrisReceivingLibrary;
  libris_enduser_request_id: string;
  enduser_id: string;
  end_user: LibrisEndUser;
  recipients: LibrisRecipient[];
}
