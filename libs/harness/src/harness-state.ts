import type { PlanCounts, PlanIterationRecord } from '@heddle/checks';
import { INITIAL_STALE, StaleState } from './stale-busy';

/** Where budgets are counted from: creation, or the last resume (a resumed task gets a fresh budget). */
export interface BudgetBase {
  turns: number;
  tokens: number;
  costUsd: number;
  /** ISO time the wall clock starts. */
  at: string;
}

/** The harness's own bookkeeping on a task (`tasks.harnessState`); never part of the API. */
export interface HarnessState {
  /** When the task started waiting for a host (creation or resume). */
  queuedSince?: string;
  dispatchAttempts?: number;
  /** First failed contact with the host in a row, cleared on success. */
  hostErrorSince?: string | null;
  lastHostError?: string | null;
  stale?: StaleState;
  /** When checks last ran while a turn was still running (checkIntervalSeconds). */
  lastCheckAt?: string;
  /** The session `command` checks run in (never the agent's). */
  checkSessionId?: string;
  base?: BudgetBase;
  plan?: { history: PlanIterationRecord[]; counts?: PlanCounts };
  /** Steps in a row that failed with an error other than the host's. */
  stepErrors?: number;
  /** Turns sent to repair a reply whose JSON did not validate (`reply_json`): one at most. */
  replyRepairs?: number;
}

export function readState(raw: unknown): HarnessState {
  const state = (raw && typeof raw === 'object' && !Array.isArray(raw) ? raw : {}) as HarnessState;
  return { ...state, stale: state.stale ?? { ...INITIAL_STALE } };
}
