import { HostStatus, nextStatus, ProbeOutcome } from './host-status';

const policy = { degradedLatencyMs: 1000, offlineAfterFailures: 3 };
const ok: ProbeOutcome = { ok: true, latencyMs: 20, version: '1.18.34' };
const slow: ProbeOutcome = { ok: true, latencyMs: 1500, version: '1.18.34' };
const fail: ProbeOutcome = { ok: false, latencyMs: 5, error: 'connection refused' };

/** Runs a sequence of probes from a starting status and collects statuses and events. */
function run(start: HostStatus, outcomes: ProbeOutcome[]) {
  let status = start;
  let failures = 0;
  const seen: string[] = [];
  for (const outcome of outcomes) {
    const next = nextStatus(status, failures, outcome, policy);
    status = next.status;
    failures = next.consecutiveFailures;
    seen.push(next.event ? `${status}+${next.event}` : status);
  }
  return seen;
}

describe('nextStatus', () => {
  it('a first successful probe brings a new host online, with one HOST_ONLINE', () => {
    expect(run('unknown', [ok, ok])).toEqual(['online+HOST_ONLINE', 'online']);
  });

  it('goes offline only after N failures in a row, with one HOST_OFFLINE, then back online with one HOST_ONLINE', () => {
    expect(run('online', [fail, fail, fail, fail, ok, ok])).toEqual([
      'degraded',
      'degraded',
      'offline+HOST_OFFLINE',
      'offline',
      'online+HOST_ONLINE',
      'online',
    ]);
  });

  it('does not flap: a failure between successes only degrades', () => {
    expect(run('online', [fail, ok, fail, fail, ok])).toEqual(['degraded', 'online', 'degraded', 'degraded', 'online']);
  });

  it('a slow answer is degraded, not online, and is no event', () => {
    expect(run('online', [slow, ok])).toEqual(['degraded', 'online']);
  });

  it('a host never reached stays unknown until it is offline', () => {
    expect(run('unknown', [fail, fail, fail])).toEqual(['unknown', 'unknown', 'offline+HOST_OFFLINE']);
  });

  it('with offlineAfterFailures 1 the first failure is offline', () => {
    expect(nextStatus('online', 0, fail, { ...policy, offlineAfterFailures: 1 })).toEqual({
      status: 'offline',
      consecutiveFailures: 1,
      event: 'HOST_OFFLINE',
    });
  });
});
