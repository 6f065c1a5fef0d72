/**
 * The task lifecycle (SPEC §3): `queued → dispatching → running ⇄ verifying → completed | failed |
 * aborted`, plus `paused`. Pure: which user action each state allows, and where it leads. The
 * harness's own transitions (dispatch, verify, finish) live with the harness.
 */
export const TASK_STATUSES = [
  'queued',
  'dispatching',
  'running',
  'verifying',
  'paused',
  'completed',
  'failed',
  'aborted',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const FINISHED: readonly TaskStatus[] = ['completed', 'failed', 'aborted'];
export const ACTIVE: readonly TaskStatus[] = ['queued', 'dispatching', 'running', 'verifying', 'paused'];

/** Machine-readable failure reasons. */
export const FAILURE_REASONS = [
  'budget.turns',
  'budget.tokens',
  'budget.cost',
  'budget.wall',
  'checks.failed',
  'host.unavailable',
  'session.lost',
  'agent.error',
  'budget.no_progress',
  'workspace.missing',
  'workspace.outside_roots',
  'harness.error',
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

export type TaskAction = 'abort' | 'pause' | 'resume' | 'takeover' | 'archive' | 'delete';

export interface TransitionFacts {
  status: TaskStatus;
  /** The task has an OpenCode session to re-prompt. */
  hasSession: boolean;
  /** The action brings a new goal (resume with goal, takeover). */
  newGoal: boolean;
}

export type Transition = { ok: true; to: TaskStatus | 'unchanged' } | { ok: false; why: string };

const isFinished = (s: TaskStatus) => FINISHED.includes(s);

export function transition(action: TaskAction, facts: TransitionFacts): Transition {
  const { status, hasSession, newGoal } = facts;
  switch (action) {
    case 'abort':
      return isFinished(status) ? { ok: false, why: 'it has already finished' } : { ok: true, to: 'aborted' };
    case 'pause':
      return status === 'running' || status === 'verifying' || status === 'queued' || status === 'dispatching'
        ? { ok: true, to: 'paused' }
        : { ok: false, why: 'only a queued or running task can be paused' };
    case 'resume':
      if (status === 'completed' && !newGoal)
        return { ok: false, why: 'a completed task resumes only with a new goal' };
      if (status === 'paused' || isFinished(status)) return { ok: true, to: hasSession ? 'running' : 'queued' };
      return { ok: false, why: 'only a paused or finished task can be resumed' };
    case 'takeover':
      if (!hasSession) return { ok: false, why: 'it has no session to take over yet' };
      return { ok: true, to: 'running' };
    case 'archive':
    case 'delete':
      return isFinished(status)
        ? { ok: true, to: 'unchanged' }
        : { ok: false, why: 'only a finished task can be archived or deleted' };
  }
}
