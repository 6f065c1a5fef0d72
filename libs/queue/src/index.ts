export { QueueModule } from './queue.module';
export { QUEUES, JOBS, DEFAULT_JOB_OPTIONS, jobIds } from './queues';
export type { QueueName, MaintenancePingPayload, MaintenancePingResult, HostProbePayload } from './queues';
export { MaintenanceWorkerModule } from './maintenance.processor';
export { OpsApiModule } from './ops.controller';
