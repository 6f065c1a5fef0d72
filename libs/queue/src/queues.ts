import type { DefaultJobOptions } from 'bullmq';

/** Queue names are nouns; job names are `domain.verb` (CONVENTIONS C1). */
export const QUEUES = {
  maintenance: 'maintenance',
  hostHealth: 'host-health',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const JOBS = {
  maintenancePing: 'maintenance.ping',
  /** Repeating (job scheduler): enqueue one probe per enabled host. */
  hostSweep: 'host-health.sweep',
  hostProbe: 'host.probe',
} as const;

/** BullMQ job ids may not contain ':'; ids are built here so every producer agrees on them. */
export const jobIds = {
  /** One probe per host per interval bucket: a second sweep in the same bucket adds nothing. */
  hostProbe: (hostId: string, bucket: number) => `probe_${hostId}_${bucket}`,
};

export interface HostProbePayload {
  teamId: string;
  hostId: string;
}

/** Retries are declared per queue, not improvised per call site (CONVENTIONS C8). */
export const DEFAULT_JOB_OPTIONS: Record<QueueName, DefaultJobOptions> = {
  maintenance: {
    attempts: 1,
    removeOnComplete: { age: 3600, count: 1000 },
    removeOnFail: { age: 24 * 3600 },
  },
  // A failed probe is a result (recorded on the host), not a job failure: no retries.
  'host-health': {
    attempts: 1,
    removeOnComplete: { count: 1000 },
    removeOnFail: { age: 24 * 3600, count: 1000 },
  },
};

export interface MaintenancePingPayload {
  requestedAt: string;
}

export interface MaintenancePingResult {
  pid: number;
  hostname: string;
  consumer: 'maintenance';
  requestedAt: string;
  answeredAt: string;
}
