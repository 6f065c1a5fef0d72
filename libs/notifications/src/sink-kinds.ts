import type { EventType } from '@heddle/common';

export const SINK_KINDS = ['slack', 'discord', 'json', 'file', 'github_comment'] as const;
export type SinkKind = (typeof SINK_KINDS)[number];

/** Kinds that POST to a URL (checked by the outbound policy when saved and at connect time). */
export const URL_SINK_KINDS: readonly SinkKind[] = ['slack', 'discord', 'json', 'github_comment'];

/** Kinds whose `url` must be given at creation (a `github_comment` sink defaults to GitHub's API). */
export const URL_REQUIRED_SINK_KINDS: readonly SinkKind[] = ['slack', 'discord', 'json'];

/** Where a `github_comment` sink posts when it has no `url` of its own (GitHub Enterprise: `https://<host>/api/v3`). */
export const GITHUB_API_URL = 'https://api.github.com';

/**
 * What a `github_comment` sink can comment on: a task's start and end. It only ever receives these
 * events of tasks made by a GitHub hook (the relay skips the others: see `ORIGIN_BOUND_SINK_KINDS`).
 */
export const GITHUB_COMMENT_EVENTS: readonly EventType[] = [
  'TASK_STARTED',
  'TASK_COMPLETED',
  'TASK_FAILED',
  'TASK_ABORTED',
];
/** A `github_comment` sink created without `events` comments when its task ends either way. */
export const GITHUB_COMMENT_DEFAULT_EVENTS: readonly EventType[] = ['TASK_COMPLETED', 'TASK_FAILED'];

export { DELIVERY_STATUSES } from '@heddle/delivery';
export type { DeliveryStatus } from '@heddle/delivery';
