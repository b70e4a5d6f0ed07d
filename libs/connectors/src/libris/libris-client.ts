import axios, { AxiosInstance, AxiosResponse, isAxiosError } from 'axios';
import { DEFAULT_RETRY_POLICY, NO_REDIRECTS, RetryPolicy, classifyHttpError, withRetry } from '../http-retry';
import { Pacer } from '../pacer';
import { ExternalSystemError } from '../types';

export interface LibrisClientOptions {
  /** The profile's base URL, e.g. `https://iller.libris.kb.se/librisfjarrlan/api`. */
  baseUrl: string;
  /** Our library code as Libris spells it (case-sensitive). */
  sigel: string;
  apiKey?: string;
  /** Per attempt. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Called with the full URL before every attempt (tests count calls with it). */
  onRequest?: (url: string) => void;
  /** Calls (attempts, retries included) per second at most; KB may throttle or block clients that overload
   *  its API. Default 2; `Infinity` does not pace. */
  maxRequestsPerSecond?: number;
}

export const DEFAULT_LIBRIS_MAX_REQUESTS_PER_SECOND = 2;

const SYSTEM_NAME = 'Libris';
/** Answers Libris (and clients seen in the wild) give for an id it does not know. */
const UNKNOWN_ID_STATUSES: ReadonlySet<number> = new Set([400, 404]);

/** How many characters of an unexpected answer its error shows. */
const SHOWN_CHARACTERS = 200;

/** An answer that is not the JSON list envelope: an HTML login page of a proxy, a 200 with an error text, JSON
 *  of another shape. Not a bad record: whatever else the run would read is as suspect, so the run stops. */
function unexpected(problem: string, response: AxiosResponse<string>): ExternalSystemError {
  const body = String(response.data ?? '');
  const contentType: unknown = response.headers['content-type'];
  const type = typeof contentType === 'string' && contentType ? `, ${contentType}` : '';
  const shown = body.length > SHOWN_CHARACTERS ? `${body.slice(0, SHOWN_CHARACTERS)}…` : body;
  return new ExternalSystemError(
    'UNEXPECTED_RESPONSE',
    `Libris answered something other than the expected JSON (${problem}; HTTP ${response.status}${type}), starting ${JSON.stringify(shown)}`,
    response.status,
  );
}

/** The `ill_requests` of a list envelope (libris-ill-api.md §3), from the raw body text. */
function illRequestsOf(response: AxiosResponse<string>): unknown[] {
  let envelope: unknown;
  try {
    envelope = JSON.parse(response.data);
  } catch {
    throw unexpected('the body is not JSON', response);
  }
  const requests = typeof envelope === 'object' && envelope !== null ? (envelope as Record<string, unknown>).ill_requests : undefined;
  if (!Array.isArray(requests)) throw unexpected('no "ill_requests" array', response);
  return requests;
}

/** The Libris ILL HTTP API as the import uses it: harvest outgoing requests by creation window and
 *  refresh single requests. Failures are ExternalSystemErrors; transient ones are retried here. */
export class LibrisClient {
  private readonly http: AxiosInstance;
  private readonly retry: RetryPolicy;
  private readonly sigelPath: string;
  readonly pacer: Pacer;

  constructor(private readonly options: LibrisClientOptions) {
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.pacer = new Pacer(options.maxRequestsPerSecond ?? DEFAULT_LIBRIS_MAX_REQUESTS_PER_SECOND);
    this.sigelPath = `/illrequests/${encodeURIComponent(options.sigel)}`;
    this.http = axios.create({
      baseURL: options.baseUrl.replace(/\/+$/, ''),
      timeout: options.timeoutMs ?? 10_000,
      ...NO_REDIRECTS,
      headers: { Accept: 'application/json', ...(options.apiKey !== undefined && { 'api-key': options.apiKey }) },
      // The body is parsed here, so that a body that is not JSON is reported rather than passed on as text.
      responseType: 'text',
      transformResponse: (data: unknown) => data,
    });
  }

  /** Requests this library sent that were created in [startDate, endDate] (`YYYY-MM-DD`, both
   *  inclusive, at most 31 days: split longer ranges with `harvestWindows`). */
  listOutgoing(startDate: string, endDate: string): Promise<unknown[]> {
    return this.get(`${this.sigelPath}/outgoing`, { start_date: startDate, end_date: endDate });
  }

  /** As `listOutgoing`, but a body of more than `maxBodyBytes` bytes is not read to its end nor parsed: the
   *  answer is then `tooLarge`, so that the caller can ask again for a shorter window without holding it. */
  listOutgoingWithin(startDate: string, endDate: string, maxBodyBytes: number): Promise<{ records: unknown[] } | { tooLarge: true }> {
    return this.get(`${this.sigelPath}/outgoing`, { start_date: startDate, end_date: endDate }, maxBodyBytes);
  }

  /** One request by its LF number (`illrequests/<sigel>/<lf_number>`, as every public client reads one; only
   *  updates address a request by request_id); null when Libris does not know it. */
  async getByLfNumber(lfNumber: string): Promise<unknown | null> {
    try {
      const [request] = await this.get(`${this.sigelPath}/${encodeURIComponent(lfNumber)}`);
      return request ?? null;
    } catch (error) {
      if (error instanceof ExternalSystemError && error.kind === 'PERMANENT' && error.status !== undefined && UNKNOWN_ID_STATUSES.has(error.status)) return null;
      throw error;
    }
  }

  private get(url: string, params?: Record<string, string>): Promise<unknown[]>;
  private get(url: string, params: Record<string, string>, maxBodyBytes: number): Promise<{ records: unknown[] } | { tooLarge: true }>;
  private get(url: string, params?: Record<string, string>, maxBodyBytes?: number): Promise<unknown> {
    return withRetry(
      async () => {
        await this.pacer.wait();
        this.options.onRequest?.(this.http.getUri({ url, params }));
        if (maxBodyBytes === undefined) return illRequestsOf(await this.http.get<string>(url, { params }));
        try {
          const response = await this.http.get<string>(url, { params, maxContentLength: Number.isFinite(maxBodyBytes) ? maxBodyBytes : -1 });
          return { records: illRequestsOf(response) };
        } catch (error) {
          // axios stops reading and answers this once the body passes maxContentLength.
          if (isAxiosError(error) && /maxContentLength size of .* exceeded/.test(error.message)) return { tooLarge: true };
          throw error;
        }
      },
      { ...this.retry, systemName: SYSTEM_NAME },
      (error) => classifyHttpError(error, SYSTEM_NAME),
    );
  }
}
