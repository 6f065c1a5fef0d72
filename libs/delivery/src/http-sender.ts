import { OutboundRefusedError } from '@heddle/outbound';
import type { AttemptOutcome } from './retry-policy';
import { parseRetryAfter } from './retry-policy';

export const RESPONSE_EXCERPT_BYTES = 1024;

export interface HttpPost {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

/**
 * One POST through the outbound fetch (policy checked on the address connected to, redirects not
 * followed), reading at most 1 KB of the answer. Never throws: every failure is an outcome.
 */
export async function postOnce(fetchFn: typeof fetch, request: HttpPost): Promise<AttemptOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const res = await fetchFn(request.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Heddle-Webhooks/1', ...request.headers },
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(request.timeoutMs),
    });
    const responseExcerpt = await readExcerpt(res);
    return {
      statusCode: res.status,
      latencyMs: elapsed(),
      ...(responseExcerpt ? { responseExcerpt } : {}),
      ...(res.status >= 300 && res.status < 400 ? { error: 'redirects are not followed' } : {}),
      ...retryAfter(res),
    };
  } catch (err) {
    const refused = findCause(err, OutboundRefusedError);
    if (refused) return { latencyMs: elapsed(), refused: true, error: refused.message };
    const timedOut = (err as { name?: string }).name === 'TimeoutError';
    return {
      latencyMs: elapsed(),
      error: timedOut ? `no answer within ${request.timeoutMs} ms` : describeFetchError(err),
    };
  }
}

function retryAfter(res: Response): { retryAfterMs?: number } {
  if (res.status !== 429 && res.status !== 503) return {};
  const ms = parseRetryAfter(res.headers.get('retry-after'));
  return ms === undefined ? {} : { retryAfterMs: ms };
}

async function readExcerpt(res: Response): Promise<string | undefined> {
  if (!res.body) return undefined;
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < RESPONSE_EXCERPT_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // a body cut short is still an answer; keep what arrived
  } finally {
    void reader.cancel().catch(() => undefined);
  }
  const text = Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES).toString('utf8');
  return text || undefined;
}

function findCause<T extends Error>(err: unknown, type: new (...args: never[]) => T): T | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof type) return e;
  }
  return undefined;
}

function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${cause.code}${cause.message ? `: ${cause.message}` : ''}`;
  return err instanceof Error ? err.message : String(err);
}
