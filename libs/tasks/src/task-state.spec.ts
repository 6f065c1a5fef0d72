import { TASK_STATUSES, TaskAction, TaskStatus, transition } from './task-state';

const facts = (status: TaskStatus, hasSession = true, newGoal = false) => ({ status, hasSession, newGoal });

describe('transition', () => {
  it.each<[TaskAction, TaskStatus, boolean, boolean, TaskStatus | 'unchanged' | 'refused']>([
    ['abort', 'queued', false, false, 'aborted'],
    ['abort', 'running', true, false, 'aborted'],
    ['abort', 'paused', true, false, 'aborted'],
    ['abort', 'completed', true, false, 'refused'],
    ['abort', 'aborted', true, false, 'refused'],
    ['pause', 'running', true, false, 'paused'],
    ['pause', 'queued', false, false, 'paused'],
    ['pause', 'paused', true, false, 'refused'],
    ['pause', 'failed', true, false, 'refused'],
    ['resume', 'paused', true, false, 'running'],
    ['resume', 'paused', false, false, 'queued'],
    ['resume', 'aborted', true, false, 'running'],
    ['resume', 'failed', false, true, 'queued'],
    ['resume', 'completed', true, false, 'refused'],
    ['resume', 'completed', true, true, 'running'],
    ['resume', 'running', true, false, 'refused'],
    ['takeover', 'running', true, true, 'running'],
    ['takeover', 'completed', true, true, 'running'],
    ['takeover', 'queued', false, true, 'refused'],
    ['archive', 'completed', true, false, 'unchanged'],
    ['archive', 'running', true, false, 'refused'],
    ['delete', 'failed', true, false, 'unchanged'],
    ['delete', 'queued', false, false, 'refused'],
  ])('%s from %s (session %s, new goal %s) → %s', (action, status, hasSession, newGoal, expected) => {
    const result = transition(action, facts(status, hasSession, newGoal));
    expect(result.ok ? result.to : 'refused').toBe(expected);
  });

  it('answers every action for every state, with a reason when refused', () => {
    for (const status of TASK_STATUSES) {
      for (const action of ['abort', 'pause', 'resume', 'takeover', 'archive', 'delete'] as const) {
        const result = transition(action, facts(status));
        if (!result.ok) expect(result.why.length).toBeGreaterThan(5);
      }
    }
  });
});
