/**
 * Typed errors for calls to one OpenCode server. Every error names the host (a label, never a
 * credential), the route as `METHOD /path/{template}` (no ids, no query, so no secrets) and the
 * HTTP status when there was one. OpenCode answers errors in two dialects, NamedError
 * `{name, data:{message}}` and Effect `{_tag, message}`; both are read (opencode-api.md §2.3).
 */
export interface OpencodeErrorContext {
  host: string;
  /** `GET /session/{sessionID}`: method plus path template. */
  route: string;
  status?: number;
  /** The server's error name (`NotFoundError`, `SessionBusyError`, `UnknownError`…), when it sent one. */
  serverName?: string;
  /** The server's message, when it sent one. */
  serverMessage?: string;
}

export abstract class OpencodeError extends Error {
  readonly host: string;
  readonly route: string;
  readonly status?: number;
  readonly serverName?: string;
  readonly serverMessage?: string;
  /** Whether retrying the same call later may succeed (unreachable, timeout, 5xx, busy). */
  abstract readonly retryable: boolean;

  constructor(context: OpencodeErrorContext, detail: string, options?: { cause?: unknown }) {
    super(`OpenCode ${context.host} ${context.route}: ${detail}`, options);
    this.name = new.target.name;
    this.host = context.host;
    this.route = context.route;
    this.status = context.status;
    this.serverName = context.serverName;
    this.serverMessage = context.serverMessage;
  }
}

/** Connection refused or reset, DNS failure, TLS failure: the server did not answer at all. */
export class OpencodeUnreachableError extends OpencodeError {
  readonly retryable = true;
  /** `ECONNREFUSED`, `ECONNRESET`, `ENOTFOUND`, `UND_ERR_SOCKET`…, when known. */
  readonly code?: string;
  constructor(context: OpencodeErrorContext, code: string | undefined, options?: { cause?: unknown }) {
    super(context, `unreachable${code ? ` (${code})` : ''}`, options);
    this.code = code;
  }
}

/** 401: no password, or the wrong one (the body is empty; the password is never echoed). */
export class OpencodeAuthError extends OpencodeError {
  readonly retryable = false;
  constructor(context: OpencodeErrorContext) {
    super({ ...context, status: 401 }, 'authentication failed (401): check the host password');
  }
}

/** 404: unknown session, permission or question request (or one of another directory). */
export class OpencodeNotFoundError extends OpencodeError {
  readonly retryable = false;
  constructor(context: OpencodeErrorContext) {
    super({ ...context, status: 404 }, `not found (404)${context.serverMessage ? `: ${context.serverMessage}` : ''}`);
  }
}

/** 409 `SessionBusyError`: the session is running a turn or a shell command. */
export class OpencodeConflictError extends OpencodeError {
  readonly retryable = true;
  constructor(context: OpencodeErrorContext) {
    super({ ...context, status: 409 }, `conflict (409)${context.serverMessage ? `: ${context.serverMessage}` : ''}`);
  }
}

/** The call (or the whole subscription connect) took longer than its deadline. */
export class OpencodeTimeoutError extends OpencodeError {
  readonly retryable = true;
  readonly timeoutMs: number;
  constructor(context: OpencodeErrorContext, timeoutMs: number) {
    super(context, `no complete answer within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/** 400: the server rejected what we sent (a client bug, or a server version with another schema). */
export class OpencodeBadRequestError extends OpencodeError {
  readonly retryable = false;
  constructor(context: OpencodeErrorContext) {
    super(
      { ...context, status: 400 },
      `bad request (400)${context.serverMessage ? `: ${context.serverMessage}` : context.serverName ? `: ${context.serverName}` : ''}`,
    );
  }
}

/**
 * 5xx. OpenCode answers 500 `UnknownError` with a `ref` (`err_…`) for many things: a bad session id,
 * an unknown agent or model on a sync prompt, a path escaping the directory, a missing directory.
 * The real reason is only in the server log under that ref.
 */
export class OpencodeServerError extends OpencodeError {
  readonly retryable = true;
  readonly ref?: string;
  constructor(context: OpencodeErrorContext, ref?: string) {
    super(
      context,
      `server error (${context.status ?? '5xx'})${context.serverMessage ? `: ${context.serverMessage}` : ''}${ref ? ` [ref ${ref}]` : ''}`,
    );
    this.ref = ref;
  }
}

/**
 * An answer we cannot use: non-JSON where JSON was expected (notably 200 `text/html`, the web app,
 * for any unknown route), an unexpected status, or a body of the wrong shape.
 */
export class OpencodeBadResponseError extends OpencodeError {
  readonly retryable = false;
  readonly contentType?: string;
  constructor(context: OpencodeErrorContext, detail: string, contentType?: string) {
    super(context, detail);
    this.contentType = contentType;
  }
}

/** What a response looked like, for {@link classifyResponse}. */
export interface ResponseFacts {
  status: number;
  contentType: string | null;
  body: string;
}

/** What the caller expects a successful answer to be. */
export type Expectation = 'json' | 'empty';

interface ErrorBody {
  name?: string;
  message?: string;
  ref?: string;
}

/** Reads `{name, data:{message, ref}}` and `{_tag, message}` bodies; anything else gives `{}`. */
export function parseErrorBody(body: string): ErrorBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return {};
  }
  if (!parsed || typeof parsed !== 'object') return {};
  const o = parsed as Record<string, unknown>;
  const data = o.data && typeof o.data === 'object' ? (o.data as Record<string, unknown>) : {};
  const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);
  return {
    name: str(o.name) ?? str(o._tag),
    message: str(data.message) ?? str(o.message),
    ref: str(data.ref) ?? str(o.ref),
  };
}

function isJson(contentType: string | null): boolean {
  return !!contentType && /^application\/(.+\+)?json\b/i.test(contentType.trim());
}

/**
 * Turns a response into either the parsed value or a typed error. Pure, so every status and
 * dialect is unit-tested without a server.
 */
export function classifyResponse(
  facts: ResponseFacts,
  context: Omit<OpencodeErrorContext, 'status'>,
  expect: Expectation,
): { ok: true; value: unknown } | { ok: false; error: OpencodeError } {
  const { status, contentType, body } = facts;
  const parsed = parseErrorBody(body);
  const ctx: OpencodeErrorContext = { ...context, status, serverName: parsed.name, serverMessage: parsed.message };
  if (status === 401) return { ok: false, error: new OpencodeAuthError(ctx) };
  if (status === 404) return { ok: false, error: new OpencodeNotFoundError(ctx) };
  if (status === 409) return { ok: false, error: new OpencodeConflictError(ctx) };
  if (status === 400) return { ok: false, error: new OpencodeBadRequestError(ctx) };
  if (status >= 500) return { ok: false, error: new OpencodeServerError(ctx, parsed.ref) };
  if (status < 200 || status >= 300) {
    return { ok: false, error: new OpencodeBadResponseError(ctx, `unexpected status ${status}`, contentType ?? '') };
  }
  if (expect === 'empty') {
    if (status === 204 || body.length === 0) return { ok: true, value: undefined };
    if (isJson(contentType)) return { ok: true, value: undefined };
    return { ok: false, error: notJson(ctx, contentType) };
  }
  if (!isJson(contentType)) return { ok: false, error: notJson(ctx, contentType) };
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch {
    return { ok: false, error: new OpencodeBadResponseError(ctx, `invalid JSON (${status})`, contentType ?? '') };
  }
}

function notJson(ctx: OpencodeErrorContext, contentType: string | null): OpencodeBadResponseError {
  const type = contentType?.split(';')[0].trim() || 'no content-type';
  const hint = /html/i.test(type) ? ' (OpenCode serves its web app for unknown routes)' : '';
  return new OpencodeBadResponseError(ctx, `expected JSON, got ${ctx.status} ${type}${hint}`, contentType ?? '');
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
]);

/** The first `code` found along an error's `cause` chain (undici wraps the socket error). */
export function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const errors = (e as { errors?: unknown }).errors; // AggregateError (happy eyeballs)
    if (Array.isArray(errors) && errors.length > 0) {
      const inner = errorCode(errors[0]);
      if (inner) return inner;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Classifies a failure thrown by `fetch` (not a response): our own deadline, the caller's abort,
 * or the network. A `fetch failed` TypeError without a known code still counts as unreachable.
 */
export function classifyFetchFailure(
  err: unknown,
  context: Omit<OpencodeErrorContext, 'status'>,
  state: { timedOut: boolean; timeoutMs: number },
): OpencodeError | unknown {
  if (err instanceof OpencodeError) return err;
  if (state.timedOut) return new OpencodeTimeoutError(context, state.timeoutMs);
  const name = (err as { name?: unknown })?.name;
  if (name === 'AbortError') return err; // the caller's own signal: not ours to reinterpret
  const code = errorCode(err);
  if (
    (code && UNREACHABLE_CODES.has(code)) ||
    (err instanceof TypeError && /fetch failed|terminated/i.test(err.message))
  ) {
    return new OpencodeUnreachableError(context, code, { cause: err });
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new OpencodeTimeoutError(context, state.timeoutMs);
  }
  return err;
}
