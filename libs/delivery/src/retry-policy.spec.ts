import { MAX_ATTEMPTS, RETRY_DELAYS_MS, classifyAttempt, nextRetryDelay, parseRetryAfter } from './retry-policy';

describe('retry policy', () => {
  it.each([
    [200, 'delivered'],
    [204, 'delivered'],
    [301, 'failed'],
    [302, 'failed'],
    [400, 'failed'],
    [404, 'failed'],
    [408, 'retry'],
    [410, 'failed'],
    [429, 'retry'],
    [500, 'retry'],
    [503, 'retry'],
  ] as const)('HTTP %i → %s', (statusCode, verdict) => {
    expect(classifyAttempt({ statusCode, latencyMs: 1 })).toBe(verdict);
  });

  it('retries timeouts and connection errors, never a policy refusal', () => {
    expect(classifyAttempt({ latencyMs: 1, error: 'ECONNREFUSED' })).toBe('retry');
    expect(classifyAttempt({ latencyMs: 1, refused: true, error: 'metadata address' })).toBe('failed');
  });

  it('spreads about a day over 8 attempts with ±20 % jitter, then gives up', () => {
    expect(MAX_ATTEMPTS).toBe(8);
    const total = RETRY_DELAYS_MS.reduce((a, b) => a + b, 0);
    expect(total / 3600_000).toBeGreaterThan(20);
    expect(total / 3600_000).toBeLessThan(36);
    expect(nextRetryDelay(1, undefined, () => 0)).toBe(4000);
    expect(nextRetryDelay(1, undefined, () => 1)).toBe(6000);
    expect(nextRetryDelay(7, undefined, () => 0.5)).toBe(10 * 3600_000);
    expect(nextRetryDelay(8)).toBeNull();
  });

  it('honours a longer Retry-After, capped at the longest step', () => {
    expect(nextRetryDelay(1, 60_000, () => 0.5)).toBe(60_000);
    expect(nextRetryDelay(1, 1000, () => 0.5)).toBe(5000);
    expect(nextRetryDelay(1, 48 * 3600_000, () => 0.5)).toBe(10 * 3600_000);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-11-23T10:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Mon, 23 Nov 2026 10:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
