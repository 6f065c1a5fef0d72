export const HOST_STATUSES = ['unknown', 'online', 'degraded', 'offline'] as const;
export type HostStatus = (typeof HOST_STATUSES)[number];

export type ProbeOutcome =
  { ok: true; latencyMs: number; version: string } | { ok: false; latencyMs: number; error: string };

export interface HealthPolicy {
  degradedLatencyMs: number;
  offlineAfterFailures: number;
}

export interface StatusChange {
  status: HostStatus;
  consecutiveFailures: number;
  /** The event the transition writes, if it is one worth telling the team about. */
  event?: 'HOST_ONLINE' | 'HOST_OFFLINE';
}

/**
 * The next status after a probe. A success is `online` (or `degraded` when slow); a failure is
 * `degraded` until `offlineAfterFailures` of them in a row make it `offline`, so one lost probe does
 * not flap a host. HOST_ONLINE is written when a host becomes reachable after being offline or
 * never probed; HOST_OFFLINE when it crosses into offline — once each way.
 */
export function nextStatus(
  current: HostStatus,
  failuresSoFar: number,
  outcome: ProbeOutcome,
  policy: HealthPolicy,
): StatusChange {
  if (outcome.ok) {
    const status: HostStatus = outcome.latencyMs > policy.degradedLatencyMs ? 'degraded' : 'online';
    const cameBack = current === 'offline' || current === 'unknown';
    return { status, consecutiveFailures: 0, ...(cameBack ? { event: 'HOST_ONLINE' as const } : {}) };
  }
  const failures = failuresSoFar + 1;
  if (failures >= policy.offlineAfterFailures) {
    return {
      status: 'offline',
      consecutiveFailures: failures,
      ...(current !== 'offline' ? { event: 'HOST_OFFLINE' as const } : {}),
    };
  }
  // Not yet offline: a host that was never seen stays unknown; one that was up is degraded.
  return {
    status: current === 'unknown' ? 'unknown' : current === 'offline' ? 'offline' : 'degraded',
    consecutiveFailures: failures,
  };
}
