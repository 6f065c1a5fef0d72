// Environment variables: the `harness` consumer that drives tasks on hosts (polls, waits, leases, checks).
import { EnvVar, integer } from './env-parsers';

/** The harness: how often it looks at tasks, how long it waits for hosts, leases, permission reconciling, check evidence. */
export const HARNESS_ENV = {
  harnessPollMs: {
    name: 'HARNESS_POLL_MS',
    description:
      'How often the `harness` consumer looks at each running task (session status, messages, budgets) when no event from its host arrives first. It is also the unit of stale-busy observations (team settings).',
    default: '2000',
    parse: integer(100, 60_000),
  },
  harnessWatchedPollMs: {
    name: 'HARNESS_WATCHED_POLL_MS',
    description:
      "How often the `harness` consumer looks at a busy task whose host's event stream is open: the stream wakes the task when its session reports something, so this look is only the fallback. Looks still come when a stale-busy report, a mid-turn check or the wall-clock budget falls due. Never more often than HARNESS_POLL_MS.",
    default: '15000',
    parse: integer(100, 600_000),
  },
  harnessConcurrency: {
    name: 'HARNESS_CONCURRENCY',
    description: 'Task steps one worker runs at once (each step is a few calls to a host and to Postgres).',
    default: '16',
    parse: integer(1, 1000),
  },
  harnessHostWaitSeconds: {
    name: 'HARNESS_HOST_WAIT_SECONDS',
    description:
      'How long a queued task waits for a suitable host (retrying with backoff) before it fails with `host.unavailable`.',
    default: '600',
    parse: integer(1, 7 * 24 * 3600),
  },
  harnessHostLostSeconds: {
    name: 'HARNESS_HOST_LOST_SECONDS',
    description:
      'How long a running task may fail to reach its host before the host counts as lost (at once when the registry already marks it offline): the task is dispatched again to another matching host with a fresh session (the turn in flight recorded `lost`); a task bound to a session on that host fails `host.lost`.',
    default: '300',
    parse: integer(1, 24 * 3600),
  },
  harnessHostLostWaitSeconds: {
    name: 'HARNESS_HOST_LOST_WAIT_SECONDS',
    description:
      'How long a task whose host was lost waits for another matching host (or its named host to come back) before it fails with `host.lost`.',
    default: '600',
    parse: integer(1, 7 * 24 * 3600),
  },
  harnessTurnStartGraceMs: {
    name: 'HARNESS_TURN_START_GRACE_MS',
    description:
      'After a prompt is sent, how long an idle session with no answer counts as "not started yet" rather than a turn that ended without a reply (`agent.error`).',
    default: '15000',
    parse: integer(100, 600_000),
  },
  harnessCallTimeoutMs: {
    name: 'HARNESS_CALL_TIMEOUT_MS',
    description: 'Timeout of each call the harness makes to an OpenCode host (command checks have their own).',
    default: '15000',
    parse: integer(100, 600_000),
  },
  harnessSweepMs: {
    name: 'HARNESS_SWEEP_MS',
    description:
      'How often the `harness` consumer looks for active tasks whose next step is overdue (its job was lost, e.g. Redis was flushed or a worker died) and enqueues them again.',
    default: '15000',
    parse: integer(1000, 3_600_000),
  },
  harnessLeaseSeconds: {
    name: 'HARNESS_LEASE_SECONDS',
    description:
      'A task step holds a lease on its task (renewed while it runs); a worker that dies leaves the task to others after this long.',
    default: '60',
    parse: integer(5, 3600),
  },
  permissionsReconcileMs: {
    name: 'PERMISSIONS_RECONCILE_MS',
    description:
      'How often the `harness` consumer lists the pending permission requests and questions (`GET /permission`, `GET /question`) of every (host, workspace) it watches, and of those with requests still pending: a dropped event stream or a restart loses none, and requests gone from the host are marked `expired`. A stream that reconnects is listed again at once.',
    default: '10000',
    parse: integer(200, 600_000),
  },
  checkEvidenceMaxBytes: {
    name: 'CHECK_EVIDENCE_MAX_BYTES',
    description:
      'Largest excerpt (UTF-8 bytes) a check stores as evidence and quotes in the next prompt: file heads, matched lines and texts, open checklist items, command output tails, JSON parse and schema error texts. 0 stores no file content or command output at all. Check results are kept in Postgres and sent in events, webhooks and notifications.',
    default: '1024',
    parse: integer(0, 65_536),
  },
} satisfies Record<string, EnvVar<unknown>>;
