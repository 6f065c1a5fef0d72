/** Stale-busy bookkeeping across observations of a busy session (kept in the task's harness state). */
export interface StaleState {
  /** Consecutive busy observations with the same progress marker. */
  observations: number;
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

export const INITIAL_STALE: StaleState = { observations: 0, marker: null, reported: false };

/**
 * One observation of the session. Busy with the same marker as last time counts; a new marker (a
 * reply completed or a part finished) or an idle session re-arms. Reports once per episode.
 */
export function observeStale(
  state: StaleState,
  busy: boolean,
  marker: string,
  policy: StalePolicy,
): { state: StaleState; decision: StaleDecision; rearmed: boolean } {
  if (!busy || marker !== state.marker) {
    return {
      state: { observations: busy ? 1 : 0, marker: busy ? marker : null, reported: false },
      decision: 'none',
      rearmed: state.reported,
    };
  }
  const observations = state.observations + 1;
  if (policy.autoAbortAfter !== undefined && observations >= policy.autoAbortAfter) {
    return { state: { ...INITIAL_STALE }, decision: 'abort', rearmed: false };
  }
  if (!state.reported && observations >= policy.observations) {
    return { state: { observations, marker, reported: true }, decision: 'report', rearmed: false };
  }
  return { state: { ...state, observations }, decision: 'none', rearmed: false };
}
