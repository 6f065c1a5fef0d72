import type { Event } from '@heddle/db';

/** The body every webhook delivery carries (and generic JSON sinks): the event, as the log holds it. */
export interface EventPayload {
  id: string;
  type: string;
  teamId: string;
  seq: number;
  /** Unix seconds. */
  timestamp: number;
  timestamp_iso: string;
  taskId: string | null;
  hostId: string | null;
  data: unknown;
}

export function eventPayload(event: Event): EventPayload {
  return {
    id: event.id,
    type: event.type,
    teamId: event.teamId,
    seq: Number(event.seq),
    timestamp: Math.floor(event.createdAt.getTime() / 1000),
    timestamp_iso: event.createdAt.toISOString(),
    taskId: event.taskId,
    hostId: event.hostId,
    data: event.data,
  };
}

/** An event type passes a target's filter: an empty filter takes every type. */
export function wantsEvent(filter: readonly string[], type: string): boolean {
  return filter.length === 0 || filter.includes(type);
}
