import { HEDDLE_ERROR_CODES } from './generated/error-codes';

/**
 * Errors of the Heddle SDK. Every error answer of the API has one body
 * (`{ statusCode, code, message, details, requestId }`); `HeddleApiError` carries it, with `code` typed
 * as the codes the server is known to send (a newer server may send others, hence the open end).
 */

/** The error codes the API sends (generated from the server's code by `npm run sdk:generate`). */
export { HEDDLE_ERROR_CODES };

/** A code the API is known to send. */
export type HeddleErrorCode = (typeof HEDDLE_ERROR_CODES)[number];

const KNOWN = new Set<string>(HEDDLE_ERROR_CODES);

export function isHeddleErrorCode(code: string): code is HeddleErrorCode {
  return KNOWN.has(code);
}

/** The API answered with an error status. */
export class HeddleApiError extends Error {
  override readonly name = 'HeddleApiError';
  constructor(
    readonly status: number,
    /** Namespaced and stable (`task/not_found`); a newer server may send a code not in HeddleErrorCode. */
    readonly code: HeddleErrorCode | (string & {}),
    message: string,
    readonly requestId: string | undefined,
    readonly details: unknown,
    /** `Retry-After` in seconds, when the server sent one (429, 503). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  /** From an error answer: the documented body when there is one, else the status line. */
  static from(response: Response, body: unknown): HeddleApiError {
    const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const retryAfter = Number(response.headers.get('retry-after'));
    return new HeddleApiError(
      response.status,
      typeof b.code === 'string' ? b.code : `http/${response.status}`,
      typeof b.message === 'string' ? b.message : `${response.status} ${response.statusText}`.trim(),
      typeof b.requestId === 'string' ? b.requestId : (response.headers.get('x-request-id') ?? undefined),
      b.details ?? null,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
    );
  }
}

/** The server could not be reached (refused, reset, DNS, TLS) — no HTTP answer at all. */
export class HeddleConnectionError extends Error {
  override readonly name = 'HeddleConnectionError';
  constructor(
    readonly baseUrl: string,
    override readonly cause: unknown,
  ) {
    super(`cannot reach Heddle at ${baseUrl}: ${describeCause(cause)}`);
  }
}

/** `waitFor` gave up before the task finished. */
export class HeddleTimeoutError extends Error {
  override readonly name = 'HeddleTimeoutError';
  constructor(
    readonly taskId: string,
    readonly timeoutMs: number,
  ) {
    super(`task ${taskId} did not finish within ${timeoutMs} ms`);
  }
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const inner = (cause as { cause?: unknown }).cause;
    const code = inner && typeof inner === 'object' && 'code' in inner ? String((inner as { code: unknown }).code) : '';
    const detail = code || (inner instanceof Error ? inner.message : '');
    return detail ? `${cause.message} (${detail})` : cause.message;
  }
  return String(cause);
}
