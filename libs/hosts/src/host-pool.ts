import { createHash } from 'node:crypto';

/**
 * A host **pool** is one OpenCode server as Heddle sees it: every host registration (of any team)
 * with the same base URL, compared without trailing slashes and case. Sessions held through any
 * registration count against the capacity of each (`maxSessions` is what that registration lets the
 * server carry in all), and fair dispatch (docs/harness.md) orders the teams waiting for it. The
 * same expression in SQL: `lower(rtrim("baseUrl", '/'))`.
 */
export function poolKey(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '').toLowerCase();
}

/** First key of the two-int advisory locks that serialise grants: "HDLP" (a pool) and "HDLT" (a team). */
export const POOL_LOCK_CLASS = 0x48444c50;
export const TEAM_LOCK_CLASS = 0x48444c54;

export type LockKey = readonly [number, number];

/**
 * The advisory locks a fair grant takes (in one transaction with the write that records it): the
 * team (its `maxRunningTasks`) and each pool it may take a slot on, in one global order so two
 * grants never wait on each other crosswise.
 */
export function grantLockKeys(teamId: string, pools: readonly string[]): LockKey[] {
  const keys: LockKey[] = [
    [TEAM_LOCK_CLASS, hash32(teamId)],
    ...[...new Set(pools)].map((p): LockKey => [POOL_LOCK_CLASS, hash32(p)]),
  ];
  const unique = new Map(keys.map((k) => [`${k[0]}:${k[1]}`, k] as const));
  return [...unique.values()].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

function hash32(text: string): number {
  return createHash('sha256').update(text).digest().readInt32BE(0);
}
