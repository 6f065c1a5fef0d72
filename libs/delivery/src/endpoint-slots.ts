/**
 * Per-target attempt slots in one worker: at most `limit` attempts to one endpoint or sink at once,
 * so one slow receiver holds at most that many of the worker's slots and the others keep flowing.
 */
export class EndpointSlots {
  private readonly inFlight = new Map<string, number>();

  constructor(private readonly limit: number) {}

  /** Takes a slot for `key`, or returns false when all of its slots are taken. */
  tryAcquire(key: string): boolean {
    const n = this.inFlight.get(key) ?? 0;
    if (n >= this.limit) return false;
    this.inFlight.set(key, n + 1);
    return true;
  }

  release(key: string): void {
    const n = (this.inFlight.get(key) ?? 1) - 1;
    if (n <= 0) this.inFlight.delete(key);
    else this.inFlight.set(key, n);
  }

  inUse(key: string): number {
    return this.inFlight.get(key) ?? 0;
  }
}
