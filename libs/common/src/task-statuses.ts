/**
 * A task's states (SPEC §3), shared by every lib that reads them; the transitions between them are
 * libs/tasks' (task-state.ts), the only writer of a task's status.
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
/** The statuses in which a task holds (or is about to hold) a session on its host. */
export const LOADED: readonly TaskStatus[] = ['dispatching', 'running', 'verifying'];

export const isFinished = (status: string): boolean => (FINISHED as readonly string[]).includes(status);
