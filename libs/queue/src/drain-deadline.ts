import { Injectable } from '@nestjs/common';

/**
 * The moment a shutting-down worker stops waiting for its jobs: reached by the worker drain shortly
 * before the hard exit (SHUTDOWN_TIMEOUT_MS). A consumer whose running work holds something others
 * wait for (the harness: a task's lease) registers a handler that gives it back, so a SIGTERM never
 * leaves a task locked until its lease runs out.
 */
@Injectable()
export class DrainDeadline {
  private readonly handlers = new Set<() => Promise<void>>();

  /** Runs `handler` when the deadline is reached; returns the unsubscribe function. */
  onReached(handler: () => Promise<void>): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Runs every handler and waits for them (a failing one does not stop the others). */
  async reach(): Promise<void> {
    await Promise.allSettled([...this.handlers].map((handler) => handler()));
  }
}
