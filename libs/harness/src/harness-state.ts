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
  /** The host the task lost (it stopped answering) and when: dispatch avoids it, and waits HARNESS_HOST_LOST_WAIT_SECONDS. */
  lostHost?: { hostId: string; name: string; at: string };
  /** Created with `abortSession`: the bound session is aborted before the first prompt (abort-and-take-over). */
  abortBoundSession?: boolean;
}

type Field = (value: unknown) => boolean;

const isTime: Field = (v) => typeof v === 'string' && !Number.isNaN(Date.parse(v));
const isCount: Field = (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isNumber: Field = (v) => typeof v === 'number' && Number.isFinite(v);
const isText: Field = (v) => typeof v === 'string';
const orNull =
  (field: Field): Field =>
  (v) =>
    v === null || field(v);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const shape =
  (fields: Record<string, Field>, optional: readonly string[] = []): Field =>
  (v) =>
    isObject(v) &&
    Object.entries(fields).every(([key, field]) => (optional.includes(key) && v[key] === undefined) || field(v[key]));

const COUNTS = shape({ total: isCount, done: isCount, open: isCount, manual: isCount, blocked: isCount });
const ITERATION = shape({ durationMs: isNumber, closed: isNumber, tokens: isNumber }, ['closed', 'tokens']);

/** The schema: each field's check. A field that fails its check is dropped (and so takes its default). */
const SCHEMA: Record<keyof HarnessState, Field> = {
  queuedSince: isTime,
  dispatchAttempts: isCount,
  hostErrorSince: orNull(isTime),
  lastHostError: orNull(isText),
  stale: shape({ since: orNull(isTime), marker: orNull(isText), reported: (v) => typeof v === 'boolean' }),
  lastCheckAt: isTime,
  checkSessionId: isText,
  base: shape({ turns: isCount, tokens: isNumber, costUsd: isNumber, at: isTime }),
  plan: shape({ history: (v) => Array.isArray(v) && v.every(ITERATION), counts: COUNTS }, ['counts']),
  stepErrors: isCount,
  replyRepairs: isCount,
  lostHost: shape({ hostId: isText, name: isText, at: isTime }),
  abortBoundSession: (v) => typeof v === 'boolean',
};

/**
 * The stored bookkeeping, validated field by field against SCHEMA: what does not fit (an older
 * shape, a hand edit) is dropped rather than trusted, so every reader gets the declared types.
 * Unknown keys are dropped too.
 */
export function readState(raw: unknown): HarnessState {
  const source = isObject(raw) ? raw : {};
  const state: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(SCHEMA)) {
    const value = source[key];
    if (value !== undefined && field(value)) state[key] = value;
  }
  const typed = state as HarnessState;
  return { ...typed, stale: typed.stale ?? { ...INITIAL_STALE } };
}
