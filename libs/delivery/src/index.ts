export { DeliveryModule, OutboxWorkerModule } from './delivery.module';
export { DeliveryRunner } from './delivery-runner';
export type { DeliveryTargetPort, RunResult } from './delivery-runner';
export { DeliveryRepository } from './delivery.repository';
export { DeliveryMetrics } from './delivery-metrics';
export { OutboxRelay } from './outbox-relay';
export { ORIGIN_BOUND_SINK_KINDS } from './relay.repository';
export { deliveryJobId, queueFor } from './delivery-queues';
export type { DeliveryJob } from './delivery-queues';
export { eventPayload, wantsEvent } from './event-payload';
export type { EventPayload } from './event-payload';
export { postOnce, RESPONSE_EXCERPT_BYTES } from './http-sender';
export type { HttpPost } from './http-sender';
export { RETRY_DELAYS_MS, MAX_ATTEMPTS, classifyAttempt, nextRetryDelay, parseRetryAfter } from './retry-policy';
export type { AttemptOutcome, AttemptVerdict } from './retry-policy';
export { EndpointSlots } from './endpoint-slots';
export {
  DELIVERY_STATUSES,
  DeliveryAttemptDto,
  DeliveryBaseDto,
  ListDeliveriesQueryDto,
  toDeliveryBase,
} from './delivery-view';
export type { DeliveryStatus } from './delivery-view';
