/** A refusal from the REST API (`{ code, message }`), or a failure to reach it (status 0). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
  get unreachable(): boolean {
    return this.status === 0 || this.status === 502 || this.status === 504;
  }
}

export interface HttpAuth {
  /** The current bearer token, if any. */
  token(): string | undefined;
  /** Called on a 401: resolves once the trader has logged in again, rejects when they log out. */
  reauthenticate(reason: ApiError): Promise<void>;
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  /** Resolve with the response body as a Blob (downloads). */
  blob?: boolean;
  /** No bearer token and no re-login on 401 (the login itself). */
  anonymous?: boolean;
}

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

const queryString = (query: RequestOptions['query']) => {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
};

/** `/v1` on the page's own origin; a 401 waits for a new login and is retried once. */
export function createHttp({ fetch, auth, base = '/v1' }: { fetch: Fetch; auth: HttpAuth; base?: string }) {
  async function once(method: string, path: string, opts: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    const token = opts.anonymous ? undefined : auth.token();
    if (token) headers.authorization = `Bearer ${token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await fetch(`${base}${path}${queryString(opts.query)}`, {
        method,
        headers,
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      });
    } catch {
      throw new ApiError(0, 'UNREACHABLE', 'The desk server is unreachable.');
    }
  }

  async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    let res = await once(method, path, opts);
    if (res.status === 401 && !opts.anonymous) {
      await auth.reauthenticate(await toError(res));
      res = await once(method, path, opts);
    }
    if (!res.ok) throw await toError(res);
    if (opts.blob) return (await res.blob()) as T;
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  return {
    request,
    get: <T>(path: string, query?: RequestOptions['query']) => request<T>('GET', path, query ? { query } : {}),
    post: <T>(path: string, body?: unknown, headers?: Record<string, string>) =>
      request<T>('POST', path, { ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) }),
    put: <T>(path: string, body: unknown, headers?: Record<string, string>) =>
      request<T>('PUT', path, { body, ...(headers ? { headers } : {}) }),
    del: (path: string) => request<void>('DELETE', path),
  };
}

export type Http = ReturnType<typeof createHttp>;

/** The API's `{ code, message }`, or what a proxy in front of it said. */
async function toError(res: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  const b = body as { code?: unknown; message?: unknown } | undefined;
  if (b && typeof b.code === 'string' && typeof b.message === 'string')
    return new ApiError(res.status, b.code, b.message);
  const unreachable = res.status === 502 || res.status === 503 || res.status === 504;
  return new ApiError(
    res.status,
    `HTTP_${res.status}`,
    unreachable ? 'The desk server is unreachable.' : `HTTP ${res.status} ${res.statusText}`.trim(),
  );
}
