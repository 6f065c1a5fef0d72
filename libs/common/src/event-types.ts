/** Event types written to the event log. Later capabilities add theirs here. */
export const EVENT_TYPES = [
  'TEAM_CREATED',
  'TEAM_UPDATED',
  'TASK_CREATED',
  'TASK_STARTED',
  'TASK_UPDATED',
  'TASK_COMPLETED',
  'TASK_FAILED',
  'TASK_ABORTED',
  'TURN_STARTED',
  'TURN_FINISHED',
  'CHECK_RESULT',
  'SESSION_STALE_BUSY',
  'PERMISSION_REQUESTED',
  'PERMISSION_REPLIED',
  'HOST_REGISTERED',
  'HOST_UPDATED',
  'HOST_DELETED',
  'HOST_ONLINE',
  'HOST_OFFLINE',
  'LOG_LINE',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];
