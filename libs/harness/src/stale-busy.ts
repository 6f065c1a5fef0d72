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
 * `pollMs` since the marker was first seen (the first look is observation 1); a new marker (a reply
 * completed or a part finished) or an idle session re-arms. Reports once per episode.
 */
export function observeStale(
  state: StaleState,
  busy: boolean,
  marker: string,
  policy: StalePolicy,
  now: number,
  pollMs: number,
): { state: StaleState; decision: StaleDecision; rearmed: boolean; observations: number } {
  if (!busy || marker !== state.marker || !state.since) {
    return {
      state: busy ? { since: new Date(now).toISOString(), marker, reported: false } : { ...INITIAL_STALE },
      decision: 'none',
      rearmed: state.reported,
      observations: busy ? 1 : 0,
    };
  }
  const observations = Math.floor((now - Date.parse(state.since)) / pollMs) + 1;
  if (policy.autoAbortAfter !== undefined && observations >= policy.autoAbortAfter) {
    return { state: { ...INITIAL_STALE }, decision: 'abort', rearmed: false, observations };
  }
  if (!state.reported && observations >= policy.observations) {
    return { state: { ...state, reported: true }, decision: 'report', rearmed: false, observations };
  }
  return { state, decision: 'none', rearmed: false, observations };
}
