/** One request's wait: from when it was asked to when it was answered (or now, while pending). */
export interface WaitInterval {
  createdAt: Date;
  repliedAt: Date | null;
}

/** What a task waits for on a person (or the policy), for the harness: pending counts and time spent. */
export interface TaskWaiting {
  /** Permission requests of the task still pending. */
  permissions: number;
  /** Questions of the task still pending. */
  questions: number;
  /** When the oldest pending request was asked; null when none is pending. */
  since: Date | null;
  /** Time during which at least one request of the task was pending (overlaps counted once), up to `now`. */
  waitedMs: number;
}

/** The length of the union of the intervals, open ones ending at `now`. Pure. */
export function waitedMs(intervals: readonly WaitInterval[], now: Date): number {
  const spans = intervals
    .map((i) => [i.createdAt.getTime(), Math.min(i.repliedAt?.getTime() ?? now.getTime(), now.getTime())] as const)
    .filter(([start, end]) => end > start)
    .sort((a, b) => a[0] - b[0]);
  let total = 0;
  let open: [number, number] | undefined;
  for (const [start, end] of spans) {
    if (open && start <= open[1]) open[1] = Math.max(open[1], end);
    else {
      if (open) total += open[1] - open[0];
      open = [start, end];
    }
  }
  return total + (open ? open[1] - open[0] : 0);
}
