import type { ClaimedRequest, QueuedAction } from './push-store';

/** What a connector reports for an action it has got through: the event's text and data, and the request's external
 *  status after it (undefined: unchanged). */
export interface ConnectorSent {
  message: string;
  data: Record<string, unknown>;
  externalStatus?: string | null;
}

/** A connector behind the push queue (the drainer claims, orders, leases and records; the connector sends one action).
 *  It throws `ExternalSystemError`: PERMANENT ends the action FAILED with the message, anything else is retried. An
 *  action that is SENDING or has attempts had an earlier attempt whose outcome is unknown. NACSIS-ILL is the drainer's
 *  own path (its record check); every other system with outbound actions has a connector here. */
export interface PushConnector {
  readonly name: string;
  push(request: ClaimedRequest['request'], action: QueuedAction): Promise<ConnectorSent>;
}

/** The connector of a request, chosen by its system (the profile's integration): null for NACSIS. */
export abstract class PushConnectors {
  abstract for(system: string | null): PushConnector | null;
}
