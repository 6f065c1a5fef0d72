import {
  HARNESS_TRIGGERS,
  HarnessTrigger,
  TASK_ACTIONS,
  TASK_STATUSES,
  TaskAction,
  TaskStatus,
  transition,
} from './task-state';

type Outcome = [to: TaskStatus, event: string | null, pending?: string | null] | 'refused';
const outcome = (r: ReturnType<typeof transition>): Outcome =>
  r.ok ? (r.pendingAction !== undefined ? [r.to, r.event, r.pendingAction] : [r.to, r.event]) : 'refused';

describe('transition: user actions', () => {
  it.each<[TaskAction, TaskStatus, boolean, boolean, Outcome]>([
    ['abort', 'queued', false, false, ['aborted', 'TASK_ABORTED', 'abort']],
    ['abort', 'running', true, false, ['aborted', 'TASK_ABORTED', 'abort']],
    ['abort', 'paused', true, false, ['aborted', 'TASK_ABORTED', 'abort']],
    ['abort', 'completed', true, false, 'refused'],
    ['abort', 'aborted', true, false, 'refused'],
    ['pause', 'running', true, false, ['paused', 'TASK_UPDATED']],
    ['pause', 'queued', false, false, ['paused', 'TASK_UPDATED']],
    ['pause', 'paused', true, false, 'refused'],
    ['pause', 'failed', true, false, 'refused'],
    ['resume', 'paused', true, false, ['running', 'TASK_UPDATED', 'resume']],
    ['resume', 'paused', false, false, ['queued', 'TASK_UPDATED', 'resume']],
    ['resume', 'aborted', true, false, ['running', 'TASK_UPDATED', 'resume']],
    ['resume', 'failed', false, true, ['queued', 'TASK_UPDATED', 'resume']],
    ['resume', 'completed', true, false, 'refused'],
    ['resume', 'completed', true, true, ['running', 'TASK_UPDATED', 'resume']],
    ['resume', 'running', true, false, 'refused'],
    ['takeover', 'running', true, true, ['running', 'TASK_UPDATED', 'takeover']],
    ['takeover', 'completed', true, true, ['running', 'TASK_UPDATED', 'takeover']],
    ['takeover', 'queued', false, true, 'refused'],
    ['archive', 'completed', true, false, ['completed', 'TASK_UPDATED']],
    ['archive', 'running', true, false, 'refused'],
    ['delete', 'failed', true, false, ['failed', null]],
    ['delete', 'queued', false, false, 'refused'],
    ['mark_complete', 'running', true, false, ['completed', 'TASK_COMPLETED', 'abort']],
    ['mark_complete', 'queued', false, false, ['completed', 'TASK_COMPLETED']],
    ['mark_complete', 'failed', true, false, ['completed', 'TASK_COMPLETED']],
    ['mark_complete', 'completed', true, false, 'refused'],
    ['mark_failed', 'verifying', true, false, ['failed', 'TASK_FAILED', 'abort']],
    ['mark_failed', 'paused', false, false, ['failed', 'TASK_FAILED']],
    ['mark_failed', 'aborted', true, false, 'refused'],
    ['recheck', 'completed', true, false, ['completed', null, 'recheck']],
    ['recheck', 'failed', true, false, ['failed', null, 'recheck']],
    ['recheck', 'failed', false, false, 'refused'],
    ['recheck', 'running', true, false, 'refused'],
    ['hand_over', 'running', true, false, ['aborted', 'TASK_ABORTED', null]],
    ['hand_over', 'queued', false, false, ['aborted', 'TASK_ABORTED', null]],
    ['hand_over', 'completed', true, false, 'refused'],
    ['follow_up', 'running', true, false, ['running', null]],
    ['follow_up', 'queued', false, false, ['queued', null]],
    ['follow_up', 'paused', true, false, ['paused', null]],
    ['follow_up', 'completed', true, false, 'refused'],
    ['follow_up', 'aborted', true, false, 'refused'],
  ])('%s from %s (session %s, new goal %s) → %j', (action, status, hasSession, newGoal, expected) => {
    expect(outcome(transition(status, { by: 'user', action, hasSession, newGoal }))).toEqual(expected);
  });

  it('answers every action for every state, with a reason when refused', () => {
    for (const status of TASK_STATUSES) {
      for (const action of TASK_ACTIONS) {
        const result = transition(status, { by: 'user', action, hasSession: true });
        if (!result.ok) expect(result.why.length).toBeGreaterThan(5);
      }
    }
  });
});

describe('transition: what the harness sees', () => {
  it.each<[HarnessTrigger, TaskStatus, Outcome]>([
    ['host_selected', 'queued', ['dispatching', 'TASK_UPDATED']],
    ['host_selected', 'running', 'refused'],
    ['requeued', 'dispatching', ['queued', null, null]],
    ['requeued', 'running', ['queued', null, null]],
    ['requeued', 'paused', 'refused'],
    ['requeued', 'aborted', 'refused'],
    ['host_lost', 'running', ['queued', 'TASK_UPDATED']],
    ['host_lost', 'verifying', ['queued', 'TASK_UPDATED']],
    ['host_lost', 'dispatching', ['queued', 'TASK_UPDATED']],
    ['host_lost', 'paused', ['paused', 'TASK_UPDATED']],
    ['host_lost', 'queued', 'refused'],
    ['host_lost', 'failed', 'refused'],
    ['turn_started', 'dispatching', ['running', 'TASK_STARTED']],
    ['turn_started', 'queued', ['running', 'TASK_STARTED']],
    ['turn_started', 'verifying', ['running', null]],
    ['turn_started', 'running', ['running', null]],
    ['turn_started', 'completed', 'refused'],
    ['turn_ended', 'running', ['verifying', 'TASK_UPDATED']],
    ['turn_ended', 'paused', ['paused', null]],
    ['turn_ended', 'queued', 'refused'],
    ['checks_passed', 'verifying', ['completed', 'TASK_COMPLETED']],
    ['checks_passed', 'running', ['completed', 'TASK_COMPLETED']],
    ['checks_passed', 'paused', ['completed', 'TASK_COMPLETED']],
    ['checks_passed', 'queued', 'refused'],
    ['checks_passed', 'aborted', 'refused'],
    ['failed', 'queued', ['failed', 'TASK_FAILED']],
    ['failed', 'paused', ['failed', 'TASK_FAILED']],
    ['failed', 'failed', 'refused'],
    ['failed', 'aborted', 'refused'],
    ['action_handled', 'aborted', ['aborted', null, null]],
    ['action_handled', 'running', ['running', null, null]],
  ])('%s from %s → %j', (trigger, status, expected) => {
    expect(outcome(transition(status, { by: 'harness', trigger }))).toEqual(expected);
  });

  it('never moves a finished task anywhere but where it is (only clearing its pending action)', () => {
    for (const status of ['completed', 'failed', 'aborted'] as const) {
      for (const trigger of HARNESS_TRIGGERS) {
        const result = transition(status, { by: 'harness', trigger });
        if (result.ok) expect(result.to).toBe(status);
      }
    }
  });
});
