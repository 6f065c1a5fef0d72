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
  /** A follow-up message was queued for the task's session (`POST /api/tasks/{id}/messages`). */
  'MESSAGE_QUEUED',
  /** Queued messages went to the session as the prompt of a turn (`turn`). */
  'MESSAGE_DELIVERED',
  /** A queued message will never be delivered: `droppedReason` drop_oldest | summarized | task_finished. */
  'MESSAGE_DROPPED',
  'SESSION_STALE_BUSY',
  'PERMISSION_REQUESTED',
  'PERMISSION_REPLIED',
  'QUESTION_ASKED',
  'QUESTION_ANSWERED',
  'HOST_REGISTERED',
  'HOST_UPDATED',
  'HOST_DELETED',
  'HOST_ONLINE',
  'HOST_OFFLINE',
  'LOG_LINE',
  'WEBHOOK_DISABLED',
  'WEBHOOK_PING',
  'SINK_DISABLED',
] as const;

/** Events that are never fanned out by the relay (a ping goes only to the endpoint it tests). */
export const UNRELAYED_EVENT_TYPES: readonly EventType[] = ['WEBHOOK_PING'];

export type EventType = (typeof EVENT_TYPES)[number];
