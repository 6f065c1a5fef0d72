import type { Queue } from 'bullmq';

/** The longest a request waits for Redis to take a hint (a wake-up, a first attempt). */
export const BEST_EFFORT_TIMEOUT_MS = 500;

/** Redis did not take a best-effort command in time (down, reconnecting, or stalled). */
export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError';
}

/**
 * Runs a queue command whose loss something else recovers (the harness sweep, the delivery sweep),
 * so that the caller — a request whose change has already committed — never waits on Redis: it
 * fails at once when the queue's connection is not ready (ioredis would hold the command in its
 * offline queue for the whole outage), and after `timeoutMs` when Redis does not answer (stalled).
 * A command that was sent may still complete later; the commands used here are idempotent.
 */
export async function bestEffort<T>(
  queue: Pick<Queue, 'getBackend'>,
  op: () => Promise<T>,
  timeoutMs = BEST_EFFORT_TIMEOUT_MS,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new RedisUnavailableError(`Redis did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  const run = (async () => {
    const client = await queue.getBackend().client;
    if (client.status !== 'ready') throw new RedisUnavailableError(`Redis is ${client.status}`);
    return op();
  })();
  run.catch(() => undefined); // when `late` wins, a later failure of `run` is nobody's concern
  try {
    return await Promise.race([run, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A warning that is logged once per outage, not once per call: during a Redis outage every request
 * would otherwise log the same line. `recovered()` re-arms it.
 */
export class OutageLog {
  private down = false;
  private skipped = 0;

  constructor(private readonly log: (message: string) => void) {}

  failed(message: string): void {
    this.skipped++;
    if (this.down) return;
    this.down = true;
    this.log(message);
  }

  recovered(what: string): void {
    if (!this.down) return;
    this.log(`${what} again after ${this.skipped} skipped`);
    this.down = false;
    this.skipped = 0;
  }
}
