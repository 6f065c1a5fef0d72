import { isFinished } from '@heddle/common';
import type { EventType, TaskStatus } from '@heddle/common';

/**
 * The task lifecycle (SPEC §3): `queued → dispatching → running ⇄ verifying → completed | failed |
 * aborted`, plus `paused`. Pure: the one table of which trigger — a user action or something the
 * harness saw — moves a task from which state to which, and which event says so. `TaskLifecycle`
 * is the only writer of `status` and `pendingAction`, and it writes nothing this table refuses.
 */
export { TASK_STATUSES, FINISHED, ACTIVE, LOADED, isFinished } from '@heddle/common';
export type { TaskStatus } from '@heddle/common';

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
  /** A person marked the task failed (`POST /api/tasks/{id}/fail`). */
  'manual',
  /** The chosen host offers no such model / agent (`GET /config/providers`, `GET /agent`), found at dispatch. */
  'model.unknown',
  'agent.unknown',
  /** The task's host went away and no other matching host took it within HARNESS_HOST_LOST_WAIT_SECONDS. */
  'host.lost',
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/** Host-side work a user action leaves for the harness. */
export type PendingAction = 'abort' | 'takeover' | 'resume' | 'recheck';

export const TASK_ACTIONS = [
  'abort',
  'pause',
  'resume',
  'takeover',
  'archive',
  'delete',
  'mark_complete',
  'mark_failed',
  'recheck',
  'hand_over',
  'follow_up',
] as const;
export type TaskAction = (typeof TASK_ACTIONS)[number];

/** What the harness saw or did, as far as the task's state is concerned. */
export const HARNESS_TRIGGERS = [
  'host_selected',
  'requeued',
  'host_lost',
  'turn_started',
  'turn_ended',
  'checks_passed',
  'failed',
  'action_handled',
] as const;
export type HarnessTrigger = (typeof HARNESS_TRIGGERS)[number];

export type Trigger =
  | {
      by: 'user';
      action: TaskAction;
      /** The task has an OpenCode session to re-prompt (or one to bind). */
      hasSession: boolean;
      /** The action brings a new goal (resume with goal, takeover). */
      newGoal?: boolean;
    }
  | { by: 'harness'; trigger: HarnessTrigger };

export type Transition =
  | {
      ok: true;
      to: TaskStatus;
      /** The event that reports the transition; null when the caller's own events say it all. */
      event: EventType | null;
      /** The pending action after it: set by a user action, cleared by `action_handled`; undefined keeps it. */
      pendingAction?: PendingAction | null;
    }
  | { ok: false; why: string };

const refuse = (why: string): Transition => ({ ok: false, why });
const go = (to: TaskStatus, event: EventType | null, pendingAction?: PendingAction | null): Transition => ({
  ok: true,
  to,
  event,
  ...(pendingAction !== undefined ? { pendingAction } : {}),
});

export function transition(status: TaskStatus, trigger: Trigger): Transition {
  return trigger.by === 'user' ? userTransition(status, trigger) : harnessTransition(status, trigger.trigger);
}

function userTransition(status: TaskStatus, t: Extract<Trigger, { by: 'user' }>): Transition {
  const finished = isFinished(status);
  // A verdict by hand on a task whose agent may still work: the harness stops the session.
  const stopSession = t.hasSession && !finished ? 'abort' : undefined;
  switch (t.action) {
    case 'abort':
      // The harness then stops the session and rejects what it still waits on.
      return finished ? refuse('it has already finished') : go('aborted', 'TASK_ABORTED', 'abort');
    case 'pause':
      return status === 'running' || status === 'verifying' || status === 'queued' || status === 'dispatching'
        ? go('paused', 'TASK_UPDATED')
        : refuse('only a queued or running task can be paused');
    case 'resume':
      if (status === 'completed' && !t.newGoal) return refuse('a completed task resumes only with a new goal');
      // A fresh budget, and a new turn (or a new dispatch) once the harness looks.
      if (status === 'paused' || finished) return go(t.hasSession ? 'running' : 'queued', 'TASK_UPDATED', 'resume');
      return refuse('only a paused or finished task can be resumed');
    case 'takeover':
      // The harness aborts what runs, then prompts the same session with the new goal.
      return t.hasSession ? go('running', 'TASK_UPDATED', 'takeover') : refuse('it has no session to take over yet');
    case 'archive':
      return finished ? go(status, 'TASK_UPDATED') : refuse('only a finished task can be archived or deleted');
    case 'delete':
      return finished ? go(status, null) : refuse('only a finished task can be archived or deleted');
    case 'mark_complete':
      // A human verdict (verification "manual"), also over a failure or an abort.
      return status === 'completed'
        ? refuse('it is already completed')
        : go('completed', 'TASK_COMPLETED', stopSession);
    case 'mark_failed':
      return finished ? refuse('it has already finished') : go('failed', 'TASK_FAILED', stopSession);
    case 'hand_over':
      // Another task was bound to this one's session (one writer per session, SPEC §3.9): it stops
      // here, leaving the session — now the other task's — running.
      return finished ? refuse('it has already finished') : go('aborted', 'TASK_ABORTED', null);
    case 'follow_up':
      // A message queued for the next idle of the session (MESSAGE_QUEUED says so); the status stays.
      return finished ? refuse('it has already finished') : go(status, null);
    case 'recheck':
      // The checks run again on the host it ran on; CHECK_RESULT reports them, the status stays.
      if (!finished) return refuse('only a finished task is re-checked');
      return t.hasSession ? go(status, null, 'recheck') : refuse('it never ran on a host');
  }
}

function harnessTransition(status: TaskStatus, trigger: HarnessTrigger): Transition {
  const finished = isFinished(status);
  switch (trigger) {
    case 'host_selected':
      return status === 'queued' || status === 'dispatching'
        ? go('dispatching', 'TASK_UPDATED')
        : refuse('only a queued task gets a host');
    case 'requeued':
      // The host failed the dispatch, or a takeover found no session: pick a host again (which is
      // all a pending takeover or resume still asked for).
      return finished || status === 'paused'
        ? refuse('only an active task goes back to the queue')
        : go('queued', null, null);
    case 'host_lost':
      // Its host is gone mid-task: dispatched again (fresh session) — a paused task when it resumes.
      if (finished || status === 'queued') return refuse('only a task on a host can lose it');
      return status === 'paused' ? go('paused', 'TASK_UPDATED') : go('queued', 'TASK_UPDATED');
    case 'turn_started':
      if (status === 'queued' || status === 'dispatching') return go('running', 'TASK_STARTED');
      // Further turns (TURN_STARTED says so); a stale turn restarted by policy runs on even when paused.
      return finished ? refuse('a finished task starts no turn') : go('running', null);
    case 'turn_ended':
      if (status === 'running') return go('verifying', 'TASK_UPDATED');
      return status === 'verifying' || status === 'paused' ? go(status, null) : refuse('no turn was running');
    case 'checks_passed':
      return finished || status === 'queued'
        ? refuse('only a task that ran can pass')
        : go('completed', 'TASK_COMPLETED');
    case 'failed':
      return finished ? refuse('it has already finished') : go('failed', 'TASK_FAILED');
    case 'action_handled':
      return go(status, null, null);
  }
}
