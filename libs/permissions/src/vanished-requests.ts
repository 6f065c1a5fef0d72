/**
 * Which pending requests a host stopped listing long enough ago to be marked expired. A request
 * answered on the host disappears from `GET /permission` at once, while the `replied` event that
 * carries the answer may still be on its way through the event stream: expiring at the first
 * listing that misses it would record `expired` over a real answer. So a request must be missing
 * for `graceMs` (seen missing by an earlier listing of this worker) before it is given up on.
 */
export class VanishedRequests {
  private readonly missingSince = new Map<string, number>();

  constructor(private readonly limit = 10_000) {}

  /**
   * Of `pending` (request ids with a pending row), those not in `listed` for at least `graceMs`:
   * to expire now. The other missing ones are remembered from `now`; listed ones are forgotten.
   */
  due(place: string, pending: readonly string[], listed: ReadonlySet<string>, now: number, graceMs: number): string[] {
    const due: string[] = [];
    for (const id of pending) {
      const key = `${place}|${id}`;
      if (listed.has(id)) {
        this.missingSince.delete(key);
        continue;
      }
      const since = this.missingSince.get(key);
      if (since === undefined && graceMs > 0) {
        if (this.missingSince.size >= this.limit) this.missingSince.clear();
        this.missingSince.set(key, now);
      } else if (since === undefined || now - since >= graceMs) {
        this.missingSince.delete(key);
        due.push(id);
      }
    }
    return due;
  }
}
