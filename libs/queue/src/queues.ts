import type { DefaultJobOptions } from 'bullmq';

/** Queue names are nouns; job names are `domain.verb` (CONVENTIONS C1). */
export const QUEUES = {
  maintenance: 'maintenance',
  hostHealth: 'host-health',
  harness: 'harness',
  webhooks: 'webhooks',
  notify: 'notify',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const JOBS = {
  maintenancePing: 'maintenance.ping',
  /** Repeating (job scheduler): enqueue one probe per enabled host. */
  hostSweep: 'host-health.sweep',
  hostProbe: 'host.probe',
  /** Look at one task and take its next step (dispatch, watch, verify, next turn, cleanup). */
  taskStep: 'task.step',
  /** Repeating: re-enqueue active tasks whose step is overdue (their job was lost). */
  harnessSweep: 'harness.sweep',
} as const;

/** BullMQ job ids may not contain ':'; ids are built here so every producer agrees on them. */
export const jobIds = {
  /** One probe per host per interval bucket: a second sweep in the same bucket adds nothing. */
  hostProbe: (hostId: string, bucket: number) => `probe_${hostId}_${bucket}`,
  /** A scheduled step: one per task and due time, so enqueuing the same schedule twice adds one job. */
  taskStep: (taskId: string, dueMs: number) => `step_${taskId}_${dueMs}`,
  /** A wake-up (a user action, a host event): unique, since it may follow a step that just ran. */
  taskWake: (taskId: string, atMs: number, n: number) => `wake_${taskId}_${atMs}_${n}`,
};

export interface TaskStepPayload {
  /** The task's team: every query the step makes is scoped by it (jobs of older versions lack it). */
  teamId: string;
  taskId: string;
  /**
   * The due time this job was scheduled for (ms since epoch). A step job whose `dueMs` no longer
   * matches the task's `wakeAt` belongs to a superseded schedule and ends without doing anything.
   * Absent on wake-ups, which always look.
   */
  dueMs?: number;
}

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
  // A step's state lives in Postgres and every step re-reads it: a failed step is retried by the
  // next scheduled one (or the sweep), not by BullMQ. Completed jobs go at once so ids can recur.
  harness: {
    attempts: 1,
    removeOnComplete: true,
    removeOnFail: { age: 24 * 3600, count: 1000 },
  },
  // Retries follow the delivery's own schedule (a new job per attempt, id dlv_<delivery>_<n>), not BullMQ's.
  webhooks: {
    attempts: 1,
    removeOnComplete: { age: 3600, count: 10_000 },
    removeOnFail: { age: 24 * 3600, count: 1000 },
  },
  notify: {
    attempts: 1,
    removeOnComplete: { age: 3600, count: 10_000 },
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
