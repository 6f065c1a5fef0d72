// Environment variables: probing registered OpenCode hosts (the `host-health` consumer).
import { EnvVar, integer } from './env-parsers';

/** How often hosts are probed and when a slow or silent host counts as degraded or offline. */
export const HOSTS_ENV = {
  hostProbeIntervalMs: {
    name: 'HOST_PROBE_INTERVAL_MS',
    description: 'How often the `host-health` consumer probes every enabled host.',
    default: '30000',
    parse: integer(1000, 3_600_000),
  },
  hostProbeTimeoutMs: {
    name: 'HOST_PROBE_TIMEOUT_MS',
    description: 'A probe that takes longer fails.',
    default: '5000',
    parse: integer(100, 60_000),
  },
  hostDegradedLatencyMs: {
    name: 'HOST_DEGRADED_LATENCY_MS',
    description: 'A host that answers slower than this is `degraded`, not `online`.',
    default: '2000',
    parse: integer(1, 60_000),
  },
  hostOfflineAfterFailures: {
    name: 'HOST_OFFLINE_AFTER_FAILURES',
    description:
      'Consecutive failed probes before a host is `offline` (fewer make it `degraded`), so one lost probe does not flap it.',
    default: '3',
    parse: integer(1, 100),
  },
  hostProbeConcurrency: {
    name: 'HOST_PROBE_CONCURRENCY',
    description: 'Probes one worker runs at once.',
    default: '16',
    parse: integer(1, 1000),
  },
} satisfies Record<string, EnvVar<unknown>>;
