/**
 * The one readable line Slack and Discord sinks post for an event, e.g.
 * `✅ TASK_COMPLETED · add-health · completed · https://heddle.example.com/api/tasks/<id>`:
 * the event type, the name of what it is about (task, host, team, sink), its status, the reason
 * when there is one, and a link built from HEDDLE_PUBLIC_URL. Pure: built from the event alone.
 */

/** What the line is built from (an event row or its payload). */
export interface MessageEvent {
  type: string;
  seq: number | bigint;
  taskId: string | null;
  hostId: string | null;
  data: unknown;
}

const ICONS: Record<string, string> = {
  TASK_CREATED: '🆕',
  TASK_STARTED: '▶️',
  TASK_UPDATED: '🔄',
  TASK_COMPLETED: '✅',
  TASK_FAILED: '❌',
  TASK_ABORTED: '⛔',
  TURN_STARTED: '💬',
  TURN_FINISHED: '💬',
  CHECK_RESULT: '🧪',
  MESSAGE_QUEUED: '📨',
  MESSAGE_DELIVERED: '📬',
  MESSAGE_DROPPED: '🗑️',
  SESSION_STALE_BUSY: '⚠️',
  PERMISSION_REQUESTED: '❓',
  PERMISSION_REPLIED: '☑️',
  QUESTION_ASKED: '❓',
  QUESTION_ANSWERED: '☑️',
  HOST_REGISTERED: '🖥️',
  HOST_UPDATED: '🖥️',
  HOST_DELETED: '🗑️',
  HOST_ONLINE: '🟢',
  HOST_OFFLINE: '🔴',
  LOG_LINE: '📝',
  WEBHOOK_DISABLED: '🚫',
  SINK_DISABLED: '🚫',
};
const DEFAULT_ICON = '🔔';

const MAX_NAME = 120;
const MAX_REASON = 200;
const SEPARATOR = ' · ';

/** One line, no control characters, at most `max` characters (an ellipsis marks a cut). */
export function oneLine(value: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const flat = value.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function field(data: unknown, key: string): string | undefined {
  if (!data || typeof data !== 'object') return undefined;
  const value = (data as Record<string, unknown>)[key];
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/**
 * Where to look at what the event is about: the task, else the host, else the event itself in the
 * team's event log.
 */
export function eventLink(event: MessageEvent, publicUrl: string): string {
  const base = publicUrl.replace(/\/+$/, '');
  if (event.taskId) return `${base}/api/tasks/${event.taskId}`;
  if (event.hostId) return `${base}/api/hosts/${event.hostId}`;
  return `${base}/api/events?after=${BigInt(event.seq) - 1n}&limit=1`;
}

export function readableLine(event: MessageEvent, publicUrl: string): string {
  const name = field(event.data, 'name');
  const status = field(event.data, 'status');
  const reason = field(event.data, 'reason');
  return [
    `${ICONS[event.type] ?? DEFAULT_ICON} ${oneLine(event.type, 60)}`,
    name && oneLine(name, MAX_NAME),
    status && oneLine(status, 40),
    reason && oneLine(reason, MAX_REASON),
    eventLink(event, publicUrl),
  ]
    .filter(Boolean)
    .join(SEPARATOR);
}

/** Slack reads `&`, `<` and `>` as markup (`<!channel>` pings everyone): they are escaped. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Body of a Slack incoming webhook. */
export function slackBody(line: string): { text: string } {
  return { text: escapeSlack(line) };
}

/**
 * Body of a Discord incoming webhook. `allowed_mentions: {parse: []}` keeps a task named
 * `@everyone` from pinging a whole server.
 */
export function discordBody(line: string): { content: string; allowed_mentions: { parse: never[] } } {
  return { content: line, allowed_mentions: { parse: [] } };
}
