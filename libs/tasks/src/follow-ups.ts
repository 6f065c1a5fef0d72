/**
 * Follow-up messages to a task (`POST /api/tasks/{id}/messages`), the pure part: the policy a task
 * runs under, what a full queue does with one more message, and the prompt queued messages make.
 * TaskMessagesService does the storing, in one transaction with the events.
 */

/** Lanes, highest priority first by default (HUD's `--lane-priority control,handoff,advice,default`). */
export const MESSAGE_LANES = ['control', 'handoff', 'advice', 'default'] as const;
export type MessageLane = (typeof MESSAGE_LANES)[number];

export const MESSAGE_STATUSES = ['queued', 'delivered', 'dropped'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** What a full queue does with one more message. */
export const DROP_POLICIES = ['reject', 'drop_oldest', 'summarize'] as const;
export type DropPolicy = (typeof DROP_POLICIES)[number];

/** Why a message was dropped: the policy made room, it was merged into a summary, or the task finished. */
export const DROPPED_REASONS = ['drop_oldest', 'summarized', 'task_finished'] as const;
export type DroppedReason = (typeof DROPPED_REASONS)[number];

/** The longest message text, and the longest summary a merge makes. */
export const MAX_MESSAGE_TEXT = 20_000;
/** How much of a message's text its events carry. */
export const EVENT_TEXT_CHARS = 200;

export const FOLLOW_UP_LIMITS = {
  cap: { min: 1, max: 100 },
  debounceMs: { min: 0, max: 600_000 },
} as const;

/** A task's follow-up policy, resolved: every field set. */
export interface FollowUpPolicy {
  /** At most this many messages queued at once. */
  cap: number;
  dropPolicy: DropPolicy;
  /** Delivery waits until the newest queued message is this old, so a burst goes as one prompt. */
  debounceMs: number;
  /** Every lane, highest priority first: delivery order, and `drop_oldest` drops from the last. */
  lanePriority: MessageLane[];
}

export const DEFAULT_FOLLOW_UP_POLICY: Readonly<FollowUpPolicy> = Object.freeze({
  cap: 10,
  dropPolicy: 'reject',
  debounceMs: 2000,
  lanePriority: [...MESSAGE_LANES],
});

const isLane = (value: unknown): value is MessageLane => MESSAGE_LANES.includes(value as MessageLane);

function intIn(value: unknown, limits: { min: number; max: number }): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= limits.min && value <= limits.max
    ? value
    : undefined;
}

function lanesOf(value: unknown): MessageLane[] | undefined {
  if (!Array.isArray(value) || value.length === 0 || !value.every(isLane)) return undefined;
  // The lanes named come first, in their order; the others follow in the default order.
  return [...new Set([...value, ...MESSAGE_LANES])];
}

function field(source: unknown, key: keyof FollowUpPolicy): unknown {
  return source && typeof source === 'object' && !Array.isArray(source)
    ? (source as Record<string, unknown>)[key]
    : undefined;
}

/**
 * The policy a task runs under, field by field: the task's own (`followUps` at create), then the
 * team's (`settings.followUps`), then Heddle's defaults. Both sources are JSON as stored: a field
 * that is missing or not valid falls through to the next source.
 */
export function resolveFollowUpPolicy(task: unknown, teamSettings: unknown): FollowUpPolicy {
  const pick = <T>(key: keyof FollowUpPolicy, parse: (v: unknown) => T | undefined): T | undefined =>
    parse(field(task, key)) ?? parse(field(teamSettings, key));
  return {
    cap: pick('cap', (v) => intIn(v, FOLLOW_UP_LIMITS.cap)) ?? DEFAULT_FOLLOW_UP_POLICY.cap,
    dropPolicy:
      pick('dropPolicy', (v) => (DROP_POLICIES.includes(v as DropPolicy) ? (v as DropPolicy) : undefined)) ??
      DEFAULT_FOLLOW_UP_POLICY.dropPolicy,
    debounceMs: pick('debounceMs', (v) => intIn(v, FOLLOW_UP_LIMITS.debounceMs)) ?? DEFAULT_FOLLOW_UP_POLICY.debounceMs,
    lanePriority: pick('lanePriority', lanesOf) ?? [...DEFAULT_FOLLOW_UP_POLICY.lanePriority],
  };
}

/** What the cap logic needs of a queued message. */
export interface QueuedItem {
  id: string;
  lane: string;
  createdAt: Date;
}

/** What a full queue does with one more message; nothing to do when it is under the cap. */
export interface CapDecision<T extends QueuedItem> {
  /** `reject`: the message is refused (409), nothing changes. */
  reject: boolean;
  /** `drop_oldest`: queued messages to mark dropped, the oldest of the lowest-priority lane first. */
  drop: T[];
  /**
   * `summarize`: the oldest messages become one queued message (`lane`: the highest of theirs; its
   * time: the oldest's, so it keeps that place). Two, normally; with a cap of 1 the one queued message
   * and the incoming one (`withIncoming`), which is then stored merged, never queued on its own.
   */
  merge?: { messages: T[]; withIncoming: boolean; lane: MessageLane; createdAt: Date };
}

const byAge = (a: QueuedItem, b: QueuedItem): number =>
  a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function rankOf(lanePriority: readonly string[]): (lane: string) => number {
  return (lane) => {
    const i = lanePriority.indexOf(lane);
    return i < 0 ? lanePriority.length : i;
  };
}

/**
 * Makes room for `incoming` in `queue` (the task's queued messages) under `policy`. Under the cap:
 * nothing. At the cap (or over it — a queue never is, but the answer still brings it back to the cap):
 * `reject` refuses; `drop_oldest` drops the oldest message of the lowest-priority lane present;
 * `summarize` merges the oldest messages into one.
 */
export function applyCap<T extends QueuedItem>(
  queue: readonly T[],
  policy: Pick<FollowUpPolicy, 'cap' | 'dropPolicy' | 'lanePriority'>,
  incoming: { lane: string; createdAt: Date },
): CapDecision<T> {
  const excess = queue.length + 1 - policy.cap;
  if (excess <= 0) return { reject: false, drop: [] };
  const rank = rankOf(policy.lanePriority);
  switch (policy.dropPolicy) {
    case 'reject':
      return { reject: true, drop: [] };
    case 'drop_oldest': {
      // Lowest-priority lane first, oldest first within it.
      const order = [...queue].sort((a, b) => rank(b.lane) - rank(a.lane) || byAge(a, b));
      return { reject: false, drop: order.slice(0, excess) };
    }
    case 'summarize': {
      // Merging k messages into one frees k − 1 places.
      const oldest = [...queue].sort(byAge).slice(0, excess + 1);
      const withIncoming = oldest.length < excess + 1;
      const lanes = [...oldest.map((m) => m.lane), ...(withIncoming ? [incoming.lane] : [])];
      const lane = lanes.reduce((best, l) => (rank(l) < rank(best) ? l : best));
      return {
        reject: false,
        drop: [],
        merge: {
          messages: oldest,
          withIncoming,
          lane: (isLane(lane) ? lane : 'default') as MessageLane,
          createdAt: oldest[0]?.createdAt ?? incoming.createdAt,
        },
      };
    }
  }
}

/** Cuts `text` to at most `max` UTF-16 units without splitting a surrogate pair, marking a cut with `…`. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** Like truncate, without the mark: the excerpt of a text an event carries. */
export function excerpt(text: string, max = EVENT_TEXT_CHARS): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/** `[2026-12-05T10:00:00Z]`: the time a merged part was sent, to the second. */
export const timeTag = (at: Date): string => `[${at.toISOString().replace(/\.\d{3}Z$/, 'Z')}]`;

/**
 * The text of a summary: the parts oldest first, each prefixed by its time (a part that is itself a
 * summary already carries its parts' times), separated by a blank line, at most MAX_MESSAGE_TEXT.
 */
export function mergeTexts(parts: readonly { text: string; createdAt: Date; summary?: boolean }[]): string {
  const ordered = [...parts].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  return truncate(
    ordered.map((p) => (p.summary ? p.text : `${timeTag(p.createdAt)} ${p.text}`)).join('\n\n'),
    MAX_MESSAGE_TEXT,
  );
}

/** Queued messages in delivery order: by the policy's lane priority, then oldest first. */
export function orderForDelivery<T extends QueuedItem>(messages: readonly T[], lanePriority: readonly string[]): T[] {
  const rank = rankOf(lanePriority);
  return [...messages].sort((a, b) => rank(a.lane) - rank(b.lane) || byAge(a, b));
}

/**
 * The prompt queued messages make, in the order given: one message is its text as sent; several are
 * numbered (`1. …`), separated by a blank line.
 */
export function composePrompt(messages: readonly { text: string }[]): string {
  if (messages.length === 1) return messages[0]!.text;
  return messages.map((m, i) => `${i + 1}. ${m.text}`).join('\n\n');
}

/**
 * When the queue may be delivered: `debounceMs` after its newest message; null when that time has
 * come by `now` (deliver now).
 */
export function readyAt(messages: readonly { createdAt: Date }[], debounceMs: number, now: Date): Date | null {
  if (messages.length === 0) return null;
  const newest = Math.max(...messages.map((m) => m.createdAt.getTime()));
  const at = newest + debounceMs;
  return at > now.getTime() ? new Date(at) : null;
}
