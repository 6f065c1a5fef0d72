export interface WaitForOptions {
  /** Give up after this long (the test then fails with the last value seen). */
  timeoutMs: number;
  /** Pause between probes. */
  intervalMs?: number;
  /** Named in the failure message. */
  what?: string;
}

export interface WaitForResult<T> {
  value: T;
  /** From the call to the first accepted probe. */
  elapsedMs: number;
}

/**
 * Polls `probe` until `accept` holds or the deadline passes. For conditions that have no event to
 * await (another replica's cache expiring, a fire-and-forget write); never a fixed sleep.
 */
export async function waitFor<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  options: WaitForOptions,
): Promise<WaitForResult<T>> {
  const started = Date.now();
  const interval = options.intervalMs ?? 25;
  for (;;) {
    const value = await probe();
    const elapsedMs = Date.now() - started;
    if (accept(value)) return { value, elapsedMs };
    if (elapsedMs >= options.timeoutMs) {
      throw new Error(
        `${options.what ?? 'condition'} did not hold within ${options.timeoutMs} ms; last value: ${safeJson(value)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(interval, options.timeoutMs - elapsedMs)));
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
