/**
 * When a failed delivery is tried again: about a day in all (Standard Webhooks' schedule), each
 * delay with ±20 % jitter so a receiver coming back is not hit by every retry at once.
 * Attempt 1 is immediate; after the last delay the delivery is `failed`.
 */
export const RETRY_DELAYS_MS = [
  5_000, // 5 s
  5 * 60_000, // 5 min
  30 * 60_000, // 30 min
  2 * 3600_000, // 2 h
  5 * 3600_000, // 5 h
  10 * 3600_000, // 10 h
  10 * 3600_000, // 10 h
] as const;

export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;

/** What one attempt came to, as far as retrying is concerned. */
export type AttemptVerdict = 'delivered' | 'retry' | 'failed';

export interface AttemptOutcome {
  /** HTTP status; undefined when nothing answered (timeout, refused, DNS, policy refusal). */
  statusCode?: number;
  /** Why it failed without a status, or extra detail. */
  error?: string;
  /** Seconds or a date from `Retry-After` (429/503), in ms from now. */
  retryAfterMs?: number;
  /** A refusal by the outbound policy: retrying cannot help. */
  refused?: boolean;
  latencyMs: number;
  /** The first 1 KB of the answer. */
  responseExcerpt?: string;
}

/**
 * 2xx delivered; 408, 429, 5xx, timeouts and connection errors retry; every other 4xx and every
 * 3xx (redirects are not followed) fail at once, as does a URL the outbound policy refuses.
 */
export function classifyAttempt(outcome: AttemptOutcome): AttemptVerdict {
  const status = outcome.statusCode;
  if (status === undefined) return outcome.refused ? 'failed' : 'retry';
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  return 'failed';
}

/**
 * The delay before attempt `attempt + 1` after attempt `attempt` (1-based) failed and may be
 * retried; null when the schedule is spent. `Retry-After` is honoured when longer, capped at the
 * longest step of the schedule. `random` is injectable for tests.
 */
export function nextRetryDelay(attempt: number, retryAfterMs?: number, random: () => number = Math.random) {
  const base = RETRY_DELAYS_MS[attempt - 1];
  if (base === undefined) return null;
  const jittered = Math.round(base * (0.8 + 0.4 * random()));
  const cap = RETRY_DELAYS_MS[RETRY_DELAYS_MS.length - 1];
  return retryAfterMs !== undefined && retryAfterMs > jittered ? Math.min(retryAfterMs, cap) : jittered;
}

/** `Retry-After` as ms from now: delta-seconds or an HTTP date. Undefined when absent or malformed. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
