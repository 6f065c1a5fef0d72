import type { TaskStatus } from '@heddle/common';
import type { PendingAction } from '@heddle/tasks';
import { BudgetUse, BudgetVerdict, Budgets, exhaustedBudget } from './budgets';
import { StaleDecision } from './stale-busy';

/**
 * The harness's decisions, pure: what one step of a task does next, from what the step knows so
 * far (the snapshot). The executor (TaskDriver) gathers the facts — the task, its current turn, the
 * session's state as observed on the host, the checks' verdict — asks `decide`, does the I/O the
 * command names, and asks again with what it learned, until a command ends the step (`wait`,
 * `stop`). Every state change it makes goes through TaskLifecycle, one transition per command.
 */

/** What the next prompt says about why it is sent. */
export type PromptReason =
  /** The goal (first turn, next plan iteration). */
  | { kind: 'goal' }
  /** The checks that failed at the last verification (resumed task): read from the last check run. */
  | { kind: 'last_failures' }
  /** The checks that failed just now. */
  | { kind: 'failing' }
  /** The turn stalled and was aborted by the stale-busy policy. */
  | { kind: 'stalled' }
  /** Follow-up messages a person queued (POST /api/tasks/{id}/messages). */
  | { kind: 'follow_up' };

export type TurnOutcome = 'finished' | 'failed' | 'aborted';

export type Command =
  /** Nothing to do until something wakes the task. */
  | { do: 'stop' }
  /** Look again in `ms`. */
  | { do: 'wait'; ms: number }
  /** User actions that need the host: recheck a finished task, abort, take over. */
  | { do: 'recheck' }
  | { do: 'cleanup' }
  /** Take over: abort what runs, mark the turn, then `then` (a new turn with the new goal). */
  | { do: 'takeover'; then: Command }
  /** Take over before a session exists: back to the queue, dispatched with the new goal. */
  | { do: 'requeue_takeover' }
  /** A paused task resumed while queued: back in the queue with a fresh wait (then decide again). */
  | { do: 'requeue_resumed' }
  /** Pick a host, open or bind the session, start the first turn. */
  | { do: 'dispatch' }
  /** Read the session's status and the current turn's messages from the host. */
  | { do: 'observe' }
  /** Record and send the next turn. `handlesResume`: the resume is handled by it. */
  | { do: 'start_turn'; prompt: PromptReason; freshBudget?: boolean; handlesResume?: boolean }
  /** The recorded prompt never reached the session: send it (same message id) now. */
  | { do: 'resend' }
  /**
   * Record the current turn as over (aborting the session first if `abort`), then do `then` — or,
   * without one, decide again with the turn over.
   */
  | { do: 'end_turn'; outcome: TurnOutcome; error?: string; abort?: boolean; then?: Command }
  | { do: 'fail'; reason: string; detail: string }
  /** Checks passed: the task is done (with the verdict the step holds). */
  | { do: 'complete' }
  /** The turn is over: move to verifying, then judge (checks, or the plan file). */
  | { do: 'verify' }
  /** Run the checks while the agent works (checkIntervalSeconds). */
  | { do: 'check_mid_turn' }
  /** A busy look: record what changed (totals, staleness, waiting) and look again in `ms`. */
  | { do: 'note_busy'; stale: StaleDecision; ms: number };

/** The current turn as recorded. */
export interface TurnFacts {
  number: number;
  outcome: string;
  error: string | null;
  /** When the prompt was sent (or recorded, if never confirmed sent), ms. */
  sentAtMs: number;
}

/** The session as one look at the host saw it. */
export type SessionFacts =
  | { seen: false }
  | { seen: true; lost: true; detail: string }
  | {
      seen: true;
      lost: false;
      busy: boolean;
      /** Heddle's prompt is among the session's messages. */
      promptFound: boolean;
      replies: number;
      lastReplyCompleted: boolean;
      error: { message: string; aborted: boolean } | null;
    };

/** What the checks (or the plan) said at this step's verification. */
export interface VerdictFacts {
  allPassed: boolean;
  /** A `reply_json` check did not pass. */
  replyFailing: boolean;
  /** Plan mode: the plan says it is complete (not merely empty). */
  planComplete?: boolean;
  /** Plan mode, plan complete: no checks, the plan's own word is the verdict. */
  planOnly?: boolean;
}

export interface Snapshot {
  task: {
    status: TaskStatus;
    pendingAction: PendingAction | null;
    mode: 'single' | 'plan';
    hasSession: boolean;
    checks: number;
    checkIntervalSeconds: number;
    /** Budgets and use since the base, the running turn included as observed. */
    budgets: Budgets;
    use: BudgetUse;
    /** Repair turns already sent for a reply_json check. */
    replyRepairs: number;
    /** When checks last ran mid-turn, ms (0: never). */
    lastCheckAtMs: number;
  };
  /** The task names a host that is gone (deleted). */
  hostMissing: boolean;
  turn: TurnFacts | null;
  session?: SessionFacts;
  /** The stale-busy look at a busy session (computed by observeStale). */
  stale?: StaleDecision;
  /** When the next stale-busy decision falls due without progress, ms (staleDue). */
  staleAtMs?: number;
  /** The session's events reach this worker (its host's stream is open): polling is the fallback. */
  watched?: boolean;
  /** Follow-up messages waiting for the session to be idle; readyAtMs after their debounce. */
  followUps: { queued: number; readyAtMs: number | null };
  verdict?: VerdictFacts;
  /** The verification of this turn was already done by this step (its verdict is `verdict`). */
  verified?: boolean;
  nowMs: number;
  config: { pollMs: number; turnStartGraceMs: number; watchedPollMs: number };
}

const IDLE_WITHOUT_ANSWER = 'the session went idle without answering';

/** The one decision function: see the table in decide.spec.ts. */
export function decide(s: Snapshot): Command {
  const { task } = s;
  // User actions first: they were taken after whatever the harness last did.
  if (task.pendingAction === 'recheck') return { do: 'recheck' };
  if (task.pendingAction === 'abort' || (isFinishedStatus(task.status) && task.pendingAction)) {
    return { do: 'cleanup' };
  }
  if (task.pendingAction === 'takeover') {
    return task.hasSession && !s.hostMissing
      ? { do: 'takeover', then: { do: 'start_turn', prompt: { kind: 'goal' }, freshBudget: true } }
      : { do: 'requeue_takeover' };
  }
  if (task.pendingAction === 'resume' && task.status === 'queued') return { do: 'requeue_resumed' };
  if (task.status === 'paused' && !task.hasSession) return { do: 'stop' }; // paused before dispatch
  switch (task.status) {
    case 'queued':
    case 'dispatching':
      return { do: 'dispatch' };
    case 'running':
    case 'verifying':
    case 'paused':
      return decideWatch(s);
    default:
      return { do: 'stop' };
  }
}

function decideWatch(s: Snapshot): Command {
  const { task, turn } = s;
  if (s.hostMissing) return { do: 'fail', reason: 'session.lost', detail: 'the host this task ran on was deleted' };
  if (!turn) return { do: 'start_turn', prompt: { kind: 'goal' } };
  if (task.pendingAction === 'resume' && turn.outcome !== 'sent') {
    // Resumed after the turn ended: a fresh budget and a new turn (with the new goal, if any).
    return { do: 'start_turn', prompt: { kind: 'last_failures' }, freshBudget: true, handlesResume: true };
  }
  if (!s.session) return { do: 'observe' };
  const session = s.session;
  if (!session.seen) return { do: 'observe' };
  if (session.lost) return { do: 'fail', reason: 'session.lost', detail: session.detail };
  if (turn.outcome === 'failed') {
    return { do: 'fail', reason: 'agent.error', detail: agentFailure(turn.error) };
  }
  // The turn was recorded as over but the task did not move on (a step died in between).
  if (turn.outcome !== 'sent') return afterTurn(s);
  if (!session.promptFound) {
    // Recorded but never arrived (the worker died between the record and the send, or the send
    // failed): send it now, unless the session is busy with something else.
    return session.busy ? { do: 'wait', ms: s.config.pollMs } : { do: 'resend' };
  }
  if (session.busy) return decideBusy(s);

  if (session.replies === 0 || (!session.lastReplyCompleted && !session.error)) {
    // prompt_async answers before the session turns busy: idle with no (finished) reply is
    // "not started yet" for a while, then a turn that ended without an answer.
    if (s.nowMs - turn.sentAtMs < s.config.turnStartGraceMs) return { do: 'wait', ms: Math.min(s.config.pollMs, 500) };
    if (session.replies === 0) {
      return {
        do: 'end_turn',
        outcome: 'failed',
        error: IDLE_WITHOUT_ANSWER,
        then: {
          do: 'fail',
          reason: 'agent.error',
          detail: 'the session went idle without answering the prompt (unknown model or agent?)',
        },
      };
    }
  }
  const outcome: TurnOutcome =
    session.error && !session.error.aborted ? 'failed' : session.error ? 'aborted' : 'finished';
  if (outcome === 'failed') {
    return {
      do: 'end_turn',
      outcome,
      error: session.error!.message,
      then: { do: 'fail', reason: 'agent.error', detail: `the agent failed: ${session.error!.message}` },
    };
  }
  return { do: 'end_turn', outcome, ...(session.error ? { error: session.error.message } : {}) };
}

/** A busy session: budgets (mid-turn), staleness, checks while it works. */
function decideBusy(s: Snapshot): Command {
  const { task } = s;
  const verdict = exhaustedBudget(task.budgets, task.use, false);
  if (verdict) return budgetAbort(verdict);
  if (s.stale === 'abort') {
    return {
      do: 'end_turn',
      outcome: 'aborted',
      error: 'aborted by the stale-busy policy',
      abort: true,
      then: { do: 'start_turn', prompt: { kind: 'stalled' } },
    };
  }
  if (s.verdict?.allPassed) {
    return {
      do: 'end_turn',
      outcome: 'finished',
      error: 'checks passed while the turn ran; the turn was cut',
      abort: true,
      then: { do: 'complete' },
    };
  }
  // Checks while the agent works: a task whose checks pass is done, whatever the agent does next —
  // unless a person queued a follow-up, which is delivered first.
  const checksDue =
    !s.verified &&
    task.mode === 'single' &&
    task.checks > 0 &&
    task.status === 'running' &&
    s.followUps.queued === 0 &&
    s.nowMs - task.lastCheckAtMs >= task.checkIntervalSeconds * 1000;
  if (checksDue) return { do: 'check_mid_turn' };
  return { do: 'note_busy', stale: s.stale ?? 'none', ms: nextBusyLook(s) };
}

/**
 * When to look at a busy session again. Without its events, every HARNESS_POLL_MS. With them (the
 * host's stream wakes the task when its session reports something), every HARNESS_WATCHED_POLL_MS
 * as a fallback — and at whatever falls due before that without an event: the stale-busy report,
 * the next mid-turn check, the end of the wall-clock budget.
 */
function nextBusyLook(s: Snapshot): number {
  const { pollMs, watchedPollMs } = s.config;
  if (!s.watched) return pollMs;
  const { task } = s;
  const due = [
    s.staleAtMs,
    task.mode === 'single' && task.checks > 0 ? task.lastCheckAtMs + task.checkIntervalSeconds * 1000 : undefined,
    s.nowMs + (task.budgets.maxWallSeconds - task.use.wallSeconds) * 1000 + 1,
  ].filter((at): at is number => at !== undefined);
  const soonest = Math.min(...due.map((at) => at - s.nowMs));
  return Math.max(pollMs, Math.min(watchedPollMs, Math.ceil(soonest)));
}

/**
 * After a finished turn: follow-ups first (a person's word goes before the verdict), then verify
 * (single: the checks; plan: the plan file), then complete, stop or go on.
 */
function afterTurn(s: Snapshot): Command {
  const { task } = s;
  if (task.status === 'paused' && !s.verdict) {
    // Paused while the turn ran: judge what it did (a pass completes the task), prompt nothing.
    return { do: 'verify' };
  }
  if (s.followUps.queued > 0 && task.status !== 'paused') {
    if (s.followUps.readyAtMs !== null && s.followUps.readyAtMs > s.nowMs) {
      return { do: 'wait', ms: Math.max(1, s.followUps.readyAtMs - s.nowMs) };
    }
    return { do: 'start_turn', prompt: { kind: 'follow_up' } };
  }
  const v = s.verdict;
  if (!v) return { do: 'verify' };
  if (task.mode === 'plan') return afterIteration(s, v);
  // A reply whose JSON does not validate gets one repair turn naming the errors, not more.
  if (v.replyFailing && task.replyRepairs >= 1 && !v.allPassed) {
    return {
      do: 'fail',
      reason: 'checks.failed',
      detail: 'the reply still holds no JSON that validates against the schema after one repair turn',
    };
  }
  if (v.allPassed) return { do: 'complete' };
  if (task.status === 'paused') return { do: 'stop' };
  return { do: 'start_turn', prompt: { kind: 'failing' } };
}

function afterIteration(s: Snapshot, v: VerdictFacts): Command {
  const { task } = s;
  if (v.planComplete) {
    if (v.allPassed) return { do: 'complete' };
    if (task.status === 'paused') return { do: 'stop' };
    return { do: 'start_turn', prompt: { kind: 'failing' } };
  }
  if (task.status === 'paused') return { do: 'stop' };
  const verdict = exhaustedBudget(task.budgets, task.use, false);
  if (verdict) return { do: 'fail', reason: verdict.reason, detail: verdict.detail };
  return { do: 'start_turn', prompt: { kind: 'goal' } };
}

/**
 * Before a turn is sent: would it exceed the budgets (counted as if it ran)? A turn that would is
 * never sent. After failing checks, running out of turns is a failure of the checks.
 */
export function refuseTurn(
  budgets: Budgets,
  use: BudgetUse,
  /** The prompt names something that failed (checks, a stalled turn). */
  afterFailure: boolean,
  mode: 'single' | 'plan',
): Command | null {
  const verdict = exhaustedBudget(budgets, use, true);
  if (!verdict) return null;
  const failing = afterFailure && mode === 'single' && verdict.reason === 'budget.turns';
  return failing
    ? {
        do: 'fail',
        reason: 'checks.failed',
        detail: `checks still failing when the turn budget ran out (${verdict.detail})`,
      }
    : { do: 'fail', reason: verdict.reason, detail: verdict.detail };
}

function budgetAbort(verdict: BudgetVerdict): Command {
  return {
    do: 'end_turn',
    outcome: 'aborted',
    error: `aborted: ${verdict.detail}`,
    abort: true,
    then: { do: 'fail', reason: verdict.reason, detail: verdict.detail },
  };
}

function agentFailure(error: string | null): string {
  if (error === IDLE_WITHOUT_ANSWER)
    return 'the session went idle without answering the prompt (unknown model or agent?)';
  return `the agent failed: ${error ?? 'unknown error'}`;
}

function isFinishedStatus(status: TaskStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'aborted';
}

/** What a failed call to the task's host leads to. */
export type HostTrouble = 'retry' | 'relocate' | 'fail';

/**
 * A call to the task's host failed. While it may come back (away less than HARNESS_HOST_LOST_SECONDS
 * and not marked offline by the registry) the step is retried later. Then the host is lost: the
 * task moves to another host with a fresh session — unless it is bound to a session that lives on
 * that host, which nothing else can continue.
 */
export function onHostTrouble(f: {
  unreachableForMs: number;
  lostAfterMs: number;
  /** The registry's health probes already mark the host offline. */
  hostOffline: boolean;
  boundSession: boolean;
}): HostTrouble {
  if (!f.hostOffline && f.unreachableForMs < f.lostAfterMs) return 'retry';
  return f.boundSession ? 'fail' : 'relocate';
}
