/**
 * Stale-busy bookkeeping across looks at a busy session (kept in the task's harness state). Time
 * based: the state records since when the session has shown the same progress marker, and the
 * number of observations is that time in HARNESS_POLL_MS, so the state changes (and is written)
 * only when progress is made or a decision is taken, not on every look.
 */
export interface StaleState {
  /** ISO time the current marker was first seen busy; null when idle. */
  since: string | null;
  marker: string | null;
  /** SESSION_STALE_BUSY was sent for the current episode. */
  reported: boolean;
}

export interface StalePolicy {
  /** Observations without progress before SESSION_STALE_BUSY. */
  observations: number;
  /** Abort and re-prompt once a session has been stale this many observations (unset: never). */
  autoAbortAfter?: number;
}

export type StaleDecision = 'none' | 'report' | 'abort';

export const INITIAL_STALE: StaleState = { since: null, marker: null, reported: false };

/**
 * One look at the session. Busy with the same marker as before counts one observation per
 * `pollMs` since the marker's progress happened (the first look is observation 1); a new marker (a
 * reply completed or a part finished) or an idle session re-arms. Reports once per episode.
 *
 * `progressAt` is when the host says that progress happened: the clock starts there rather than at
 * the look that saw it (looks may be far apart when the event stream wakes the task), bounded by
 * the previous marker's time and now (the host's clock is not trusted beyond that). Without a
 * previous marker, the look's time.
 */
export function observeStale(
  state: StaleState,
  busy: boolean,
  marker: string,
  policy: StalePolicy,
  now: number,
  pollMs: number,
  progressAt: number | null = null,
): { state: StaleState; decision: StaleDecision; rearmed: boolean; observations: number } {
  if (!busy) return { state: { ...INITIAL_STALE }, decision: 'none', rearmed: state.reported, observations: 0 };
  let current = state;
  let rearmed = false;
  if (marker !== state.marker || !state.since) {
    const floor = state.since ? Date.parse(state.since) : now;
    const since = progressAt === null ? now : Math.min(now, Math.max(floor, progressAt));
    current = { since: new Date(since).toISOString(), marker, reported: false };
    rearmed = state.reported;
  }
  const observations = Math.floor((now - Date.parse(current.since!)) / pollMs) + 1;
  const abortDue = policy.autoAbortAfter !== undefined && observations >= policy.autoAbortAfter;
  // An abort is always preceded by its report (SESSION_STALE_BUSY), even when a late look finds the
  // abort already due: that look reports, the next one (HARNESS_POLL_MS later) aborts.
  if (abortDue && current.reported) {
    return { state: { ...INITIAL_STALE }, decision: 'abort', rearmed: false, observations };
  }
  if (!current.reported && (abortDue || observations >= policy.observations)) {
    return { state: { ...current, reported: true }, decision: 'report', rearmed, observations };
  }
  return { state: current, decision: 'none', rearmed, observations };
}

/**
 * When the next stale-busy decision falls due if the session makes no progress (ms): the report,
 * or the policy's abort after it. Undefined when nothing is pending (idle, or already reported with
 * no abort policy).
 */
export function staleDue(state: StaleState, policy: StalePolicy, pollMs: number): number | undefined {
  if (!state.since) return undefined;
  const since = Date.parse(state.since);
  const due = [
    ...(state.reported ? [] : [since + (policy.observations - 1) * pollMs]),
    ...(policy.autoAbortAfter !== undefined ? [since + (policy.autoAbortAfter - 1) * pollMs] : []),
  ];
  return due.length ? Math.min(...due) : undefined;
}
