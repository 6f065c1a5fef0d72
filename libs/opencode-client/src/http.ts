import {
  classifyFetchFailure,
  classifyResponse,
  Expectation,
  OpencodeBadResponseError,
  OpencodeErrorContext,
} from './errors';

export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

export interface BasicAuth {
  /** Default `opencode` (the server's `OPENCODE_SERVER_USERNAME`). */
  username?: string;
  password: string;
}

export interface TransportOptions {
  baseUrl: string;
  auth?: BasicAuth;
  /** Default per-call deadline. */
  timeoutMs: number;
  /** Label for errors and logs; default the base URL's host:port. */
  host?: string;
  fetch?: FetchLike;
}

export type QueryValue = string | number | boolean | undefined | null;

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Path template, e.g. `/session/{sessionID}`; errors name it, never the filled-in path. */
  route: string;
  pathParams?: Record<string, string>;
  query?: Record<string, QueryValue>;
  body?: unknown;
  expect: Expectation;
  /** Rejects a parsed body of the wrong shape with OpencodeBadResponseError. */
  check?: (value: unknown) => boolean;
  /** What `check` expects, for the error message. */
  shape?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface TransportResponse<T> {
  value: T;
  status: number;
  headers: Headers;
}

/**
 * One OpenCode server over Node's global fetch (undici): base URL, basic auth, per-call deadline,
 * and the mapping of every failure to a typed {@link OpencodeError}. No retries: callers decide.
 */
export class OpencodeTransport {
  readonly baseUrl: string;
  readonly host: string;
  readonly timeoutMs: number;
  private readonly authorization?: string;
  private readonly fetchImpl: FetchLike;

  constructor(options: TransportOptions) {
    const url = new URL(options.baseUrl);
    let auth = options.auth;
    if (url.username || url.password) {
      // fetch refuses URLs with credentials; move them into the header and out of every message.
      auth ??= { username: decodeURIComponent(url.username) || undefined, password: decodeURIComponent(url.password) };
      url.username = '';
      url.password = '';
    }
    this.baseUrl = url.toString().replace(/\/+$/, '');
    this.host = options.host ?? url.host;
    this.timeoutMs = options.timeoutMs;
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    if (auth) {
      const user = auth.username ?? 'opencode';
      this.authorization = `Basic ${Buffer.from(`${user}:${auth.password}`, 'utf8').toString('base64')}`;
    }
  }

  url(route: string, pathParams: Record<string, string> = {}, query: Record<string, QueryValue> = {}): string {
    const path = route.replace(/\{(\w+)\}/g, (_, name: string) => {
      const value = pathParams[name];
      if (value === undefined || value === '') throw new TypeError(`missing path parameter ${name} for ${route}`);
      return encodeURIComponent(value);
    });
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null) search.set(k, String(v));
    }
    const qs = search.toString();
    return `${this.baseUrl}${path}${qs ? `?${qs}` : ''}`;
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.authorization ? { authorization: this.authorization } : {}), ...extra };
  }

  context(spec: Pick<RequestSpec, 'method' | 'route'>): Omit<OpencodeErrorContext, 'status'> {
    return { host: this.host, route: `${spec.method} ${spec.route}` };
  }

  async request<T>(spec: RequestSpec): Promise<TransportResponse<T>> {
    const timeoutMs = spec.timeoutMs ?? this.timeoutMs;
    const context = this.context(spec);
    const url = this.url(spec.route, spec.pathParams, spec.query);
    return withDeadline(timeoutMs, spec.signal, context, async (signal) => {
      const hasBody = spec.body !== undefined;
      const res = await this.fetchImpl(url, {
        method: spec.method,
        headers: this.headers({
          accept: 'application/json',
          ...(hasBody ? { 'content-type': 'application/json' } : {}),
        }),
        body: hasBody ? JSON.stringify(spec.body) : undefined,
        signal,
      });
      const body = await res.text();
      const result = classifyResponse(
        { status: res.status, contentType: res.headers.get('content-type'), body },
        context,
        spec.expect,
      );
      if (!result.ok) throw result.error;
      if (spec.check && !spec.check(result.value)) {
        throw new OpencodeBadResponseError(
          { ...context, status: res.status },
          `unexpected body shape (expected ${spec.shape ?? 'another shape'}): ${body.slice(0, 200)}`,
          res.headers.get('content-type') ?? undefined,
        );
      }
      return { value: result.value as T, status: res.status, headers: res.headers };
    });
  }

  /** Opens a streaming GET (SSE); the deadline covers the response headers only. */
  async openStream(spec: Pick<RequestSpec, 'route' | 'query' | 'timeoutMs'>, signal: AbortSignal): Promise<Response> {
    const context = this.context({ method: 'GET', route: spec.route });
    const url = this.url(spec.route, {}, spec.query);
    const timeoutMs = spec.timeoutMs ?? this.timeoutMs;
    return withDeadline(
      timeoutMs,
      signal,
      context,
      async (inner) => {
        const res = await this.fetchImpl(url, {
          method: 'GET',
          headers: this.headers({ accept: 'text/event-stream' }),
          signal: inner,
        });
        const type = res.headers.get('content-type');
        if (res.status === 200 && type && /^text\/event-stream/i.test(type)) return res;
        const body = await res.text().catch(() => '');
        const result = classifyResponse({ status: res.status, contentType: type, body }, context, 'json');
        if (!result.ok) throw result.error;
        throw new OpencodeBadResponseError(
          { ...context, status: res.status },
          `expected text/event-stream, got ${type ?? 'no content-type'}`,
          type ?? undefined,
        );
      },
      /* keepSignal */ true,
    );
  }
}

/**
 * Runs `work` with a signal that fires after `timeoutMs` or when `outer` aborts; maps fetch
 * failures to typed errors. With `keepSignal`, the returned stream stays tied to `outer` after the
 * deadline is cleared (for SSE bodies).
 */
async function withDeadline<T>(
  timeoutMs: number,
  outer: AbortSignal | undefined,
  context: Omit<OpencodeErrorContext, 'status'>,
  work: (signal: AbortSignal) => Promise<T>,
  keepSignal = false,
): Promise<T> {
  const controller = new AbortController();
  const state = { timedOut: false, timeoutMs };
  const timer = setTimeout(() => {
    state.timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onOuterAbort = () => controller.abort(outer?.reason);
  if (outer?.aborted) controller.abort(outer.reason);
  else outer?.addEventListener('abort', onOuterAbort, { once: true });
  let ok = false;
  try {
    const value = await work(controller.signal);
    ok = true;
    return value;
  } catch (err) {
    throw classifyFetchFailure(err, context, state);
  } finally {
    clearTimeout(timer);
    if (!(keepSignal && ok)) outer?.removeEventListener('abort', onOuterAbort);
  }
}
