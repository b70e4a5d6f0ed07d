/** Calls to the three services. reporting's own routes are same-origin (/api/…); profile-config and action-push
 *  are reached through reporting's same-origin proxy (/proxy/<service>/api/…), so no CORS is needed. The API key
 *  lives in sessionStorage only and goes out as `Authorization: Bearer <key>` on every call. */
export type Service = 'reporting' | 'profile-config' | 'action-push';

const BASES: Record<Service, string> = { reporting: '', 'profile-config': '/proxy/profile-config', 'action-push': '/proxy/action-push' };
const KEY_STORAGE = 'illbridge.apiKey';

export const apiKey = {
  get: (): string | null => sessionStorage.getItem(KEY_STORAGE),
  set: (key: string) => sessionStorage.setItem(KEY_STORAGE, key),
  clear: () => sessionStorage.removeItem(KEY_STORAGE),
};

/** An answer in api.md's error format: `code` is stable, `messages` lists every problem. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly messages: string[],
    readonly body: any,
  ) {
    super(messages.join('; ') || `HTTP ${status}`);
  }
}

export interface CallOptions {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Another key than the stored one (sign-in checks a key before storing it). */
  key?: string;
}

function request(service: Service, path: string, options: CallOptions): Promise<Response> {
  const key = options.key ?? apiKey.get();
  return fetch(`${BASES[service]}${path}`, {
    method: options.method ?? 'GET',
    headers: {
      Accept: 'application/json',
      ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...(key ? { Authorization: `Bearer ${key}` } : {}),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
}

async function failure(res: Response): Promise<ApiError> {
  const text = await res.text();
  let body: any = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  const raw = body && typeof body === 'object' ? body.message : text;
  const messages = Array.isArray(raw) ? raw.map(String) : raw ? [String(raw)] : [`HTTP ${res.status}`];
  return new ApiError(res.status, (body && body.code) || `HTTP_${res.status}`, messages, body);
}

export async function api<T = any>(service: Service, path: string, options: CallOptions = {}): Promise<T> {
  let res: Response;
  try {
    res = await request(service, path, options);
  } catch {
    throw new ApiError(0, 'NETWORK', ['The server could not be reached. Check the connection and try again.'], null);
  }
  if (res.status === 401 && !options.key) window.dispatchEvent(new Event('illbridge:unauthenticated'));
  if (!res.ok) throw await failure(res);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Downloads a file answered by an authenticated route (the key cannot go in a plain link). */
export async function download(service: Service, path: string, filename: string): Promise<void> {
  const res = await request(service, path, { headers: { Accept: 'text/csv' } });
  if (!res.ok) throw await failure(res);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** `?a=1&b=…` from the defined, non-empty values. */
export function queryString(params: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}
