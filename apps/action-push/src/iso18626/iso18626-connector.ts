import { Injectable, Logger } from '@nestjs/common';
import axios from 'axios';
import { SecretBox } from '@illbridge/common';
import { buildRequestingAgencyMessage, Iso18626Header, isoTimestamp, readIso18626Confirmation, RequestingAgencyAction } from '@illbridge/connectors/iso18626';
import { ExternalSystemError } from '@illbridge/connectors/types';
import { ConnectorSent, PushConnector, PushConnectors } from '../push-connector';
import { PushSettings } from '../push-settings';
import { ClaimedRequest, PushStore, QueuedAction } from '../push-store';
import { orderIdOf } from '@illbridge/connectors/netpunkt';

/** The fields of an ISO 18626 outbound action (outbound_action.fields). */
export interface Iso18626ActionFields {
  iso18626Action: RequestingAgencyAction;
  note?: string | null;
}

interface Channel {
  profile_id: string;
  endpoint_url: string | null;
  agency_id: string | null;
  peer_agency_id: string | null;
  secret_enc: string | null;
  partner_code: string | null;
  supplying_agency_request_id: string | null;
}

interface OutMessage {
  id: string;
  message_timestamp: string;
}

const redact = (xml: string) => xml.replace(/<securityCode>[^<]*<\/securityCode>/g, '<securityCode>[redacted]</securityCode>');

/** Sends a request's requestingAgencyMessages (Received, ShippedReturn, Cancel, Renew, StatusRequest) to its ISO 18626
 *  peer, one per outbound action, each kept in iso18626_message with the confirmation. An action whose earlier attempt
 *  ended without an answer (a timeout, a dropped connection) first asks the peer with a StatusRequest, then sends the
 *  very same message again — same timestamp, same `#seq:N#` note — which the peer recognises as a repeat. */
@Injectable()
export class Iso18626Connector implements PushConnector {
  readonly name = 'ISO 18626';
  private readonly logger = new Logger(Iso18626Connector.name);

  constructor(
    private readonly store: PushStore,
    private readonly secrets: SecretBox,
    private readonly settings: PushSettings,
  ) {}

  async push(request: ClaimedRequest['request'], action: QueuedAction): Promise<ConnectorSent> {
    const fields = (action.fields ?? {}) as unknown as Iso18626ActionFields;
    if (!fields.iso18626Action) throw new ExternalSystemError('PERMANENT', `${action.action} #${action.seq} names no ISO 18626 action`);
    const channel = await this.channel(request.id);
    if (!channel?.endpoint_url || !channel.agency_id || !channel.secret_enc) throw new ExternalSystemError('PERMANENT', "The request's profile has no ISO 18626 channel (endpoint, agency id, shared secret)");
    const peer = channel.peer_agency_id ?? channel.partner_code;
    if (!peer) throw new ExternalSystemError('PERMANENT', 'The request names no lender (partner) to address, and its profile no peer agency id');
    let secret: string;
    try {
      secret = this.secrets.decrypt(channel.secret_enc);
    } catch (error) {
      throw new ExternalSystemError('PERMANENT', `The ISO 18626 shared secret cannot be read (${(error as Error).message}); set it again`);
    }
    const header = (timestamp: string): Iso18626Header => ({
      supplyingAgencyId: { agencyIdType: 'ISIL', agencyIdValue: peer },
      requestingAgencyId: { agencyIdType: 'ISIL', agencyIdValue: channel.agency_id! },
      multipleItemRequestId: '',
      timestamp,
      requestingAgencyRequestId: orderIdOf(request.external_id),
      supplyingAgencyRequestId: channel.supplying_agency_request_id,
      requestingAgencyAuthentication: { accountId: channel.agency_id!, securityCode: secret },
    });
    const note = [`#seq:${action.seq}#`, fields.note].filter(Boolean).join(' ');
    const out = await this.outMessage(request.id, channel.profile_id, action, fields.iso18626Action, (timestamp) => buildRequestingAgencyMessage({ header: header(timestamp), action: fields.iso18626Action, note }));
    if (action.state === 'SENDING' || action.attempts > 0) {
      // The last attempt may have reached the peer: ask first (a failure here is retried like the action itself).
      const timestamp = isoTimestamp();
      const xml = buildRequestingAgencyMessage({ header: header(timestamp), action: 'StatusRequest', note: `#check:${action.seq}#` });
      const [check] = await this.store.dataSource.query(
        `INSERT INTO iso18626_message (direction, profile_id, request_id, outbound_action_id, message_type, reason, requesting_agency_request_id, supplying_agency_id, message_timestamp, raw)
         VALUES ('OUT', $1, $2, NULL, 'requestingAgencyMessage', 'StatusRequest', $3, $4, $5, $6) RETURNING id`,
        [channel.profile_id, request.id, orderIdOf(request.external_id), peer, timestamp, redact(xml)],
      );
      const answer = await this.send(channel.endpoint_url, xml, String(check.id));
      this.logger.log(`Request ${request.id}: StatusRequest before resending ${fields.iso18626Action} #${action.seq}: ${answer.status}`);
    }
    const xml = buildRequestingAgencyMessage({ header: header(out.message_timestamp), action: fields.iso18626Action, note });
    const answer = await this.send(channel.endpoint_url, xml, out.id);
    if (answer.status === 'ERROR') throw new ExternalSystemError('PERMANENT', `the peer answered ERROR: ${answer.error}`);
    return {
      message: `${action.action} (#${action.seq}) sent: ISO 18626 ${fields.iso18626Action} confirmed by ${peer}`,
      data: { outboundActionId: action.id, seq: action.seq, iso18626Action: fields.iso18626Action, iso18626MessageId: out.id },
    };
  }

  private async channel(requestId: string): Promise<Channel | null> {
    const [row] = await this.store.dataSource.query(
      `SELECT p.id AS profile_id, p.iso18626_endpoint_url AS endpoint_url, p.iso18626_agency_id AS agency_id, p.iso18626_peer_agency_id AS peer_agency_id,
              p.iso18626_secret_enc AS secret_enc, r.partner_code, r.iso18626->>'supplyingAgencyRequestId' AS supplying_agency_request_id
         FROM rs_request r JOIN integration_profile p ON p.id = r.profile_id WHERE r.id = $1`,
      [requestId],
    );
    return row ?? null;
  }

  /** The action's message as first built (its timestamp is what makes a resend the same message), or a new one. */
  private async outMessage(requestId: string, profileId: string, action: QueuedAction, isoAction: string, build: (timestamp: string) => string): Promise<OutMessage> {
    const [found] = await this.store.dataSource.query(`SELECT id, message_timestamp FROM iso18626_message WHERE outbound_action_id = $1 AND direction = 'OUT' ORDER BY created_at LIMIT 1`, [action.id]);
    if (found) return { id: String(found.id), message_timestamp: found.message_timestamp };
    const timestamp = isoTimestamp();
    const [created] = await this.store.dataSource.query(
      `INSERT INTO iso18626_message (direction, profile_id, request_id, outbound_action_id, message_type, reason, requesting_agency_request_id, message_timestamp, raw)
       SELECT 'OUT', $1, $2, $3, 'requestingAgencyMessage', $4, split_part(r.external_id, '@', 1), $5, $6 FROM rs_request r WHERE r.id = $2 RETURNING id`,
      [profileId, requestId, action.id, isoAction, timestamp, redact(build(timestamp))],
    );
    return { id: String(created.id), message_timestamp: timestamp };
  }

  /** One POST; the confirmation (or the failure) is kept on the message's row. Throws TRANSIENT without an answer. */
  private async send(url: string, xml: string, messageId: string): Promise<{ status: 'OK' | 'ERROR'; error: string | null }> {
    const note = async (confirmation: string | null, status: string | null, error: string | null) =>
      this.store.dataSource
        .query(`UPDATE iso18626_message SET confirmation = COALESCE($2::text, confirmation), message_status = $3::text, applied = COALESCE($3::text = 'OK', false), error = $4::text, attempts = attempts + 1, updated_at = now() WHERE id = $1`, [
          messageId, confirmation, status, error,
        ])
        .catch((e) => this.logger.warn(`Could not record the answer to ISO 18626 message ${messageId}: ${e.message}`));
    let response;
    try {
      response = await axios.post<string>(url, xml, {
        headers: { 'Content-Type': 'application/xml; charset=utf-8' },
        responseType: 'text',
        transformResponse: (data) => data,
        timeout: this.settings.httpTimeoutMs,
        maxRedirects: 0,
        validateStatus: () => true,
      });
    } catch (error) {
      const message = `the ISO 18626 peer gave no answer (${(error as Error).message})`;
      await note(null, null, message);
      throw new ExternalSystemError('TRANSIENT', message);
    }
    const body = typeof response.data === 'string' ? response.data : String(response.data ?? '');
    const confirmation = readIso18626Confirmation(body);
    if (!confirmation) {
      const message = `the ISO 18626 peer answered HTTP ${response.status} without a confirmation`;
      await note(body.slice(0, 4000) || null, null, message);
      if (response.status >= 300 && response.status < 400) throw new ExternalSystemError('PERMANENT', `${message} (a redirect; redirects are not followed)`);
      throw new ExternalSystemError('TRANSIENT', message, response.status);
    }
    const status = confirmation.header.messageStatus;
    const error = confirmation.errorData ? `${confirmation.errorData.errorType}${confirmation.errorData.errorValue ? `: ${confirmation.errorData.errorValue}` : ''}` : null;
    await note(body, status, error);
    return { status, error };
  }
}

/** NACSIS: the drainer's own path; NETPUNKT and ISO18626 requests: ISO 18626. */
@Injectable()
export class OutboundConnectors extends PushConnectors {
  constructor(private readonly iso18626: Iso18626Connector) {
    super();
  }

  for(system: string | null): PushConnector | null {
    return system === 'NETPUNKT' || system === 'ISO18626' ? this.iso18626 : null;
  }
}
