export { QueueModule } from './queue.module';
export { QUEUES, JOBS, DEFAULT_JOB_OPTIONS, jobIds } from './queues';
export type {
  QueueName,
  MaintenancePingPayload,
  MaintenancePingResult,
  HostProbePayload,
  TaskStepPayload,
} from './queues';
export { TaskWaker } from './task-waker';
export { bestEffort, OutageLog, RedisUnavailableError, BEST_EFFORT_TIMEOUT_MS } from './best-effort';
export { MaintenanceWorkerModule } from './maintenance.processor';
export { OpsApiModule } from './ops.controller';
export { QueueMetrics } from './queue-metrics';
export { WorkScope } from './work-scope';
export { DrainDeadline } from './drain-deadline';
