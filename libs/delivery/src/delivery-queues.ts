import type { Delivery } from '@heddle/db';
import { QUEUES } from '@heddle/queue';

export interface DeliveryJob {
  deliveryId: string;
  /** The attempt this job makes (1-based); a job whose attempt was already made does nothing. */
  attempt: number;
}

/** Deterministic: the relay, a retry and the sweep all name an attempt the same way. */
export const deliveryJobId = (deliveryId: string, attempt: number) => `dlv_${deliveryId}_${attempt}`;

/** Webhook deliveries go to the `webhooks` consumer, sink deliveries to `notify`. */
export const queueFor = (delivery: Pick<Delivery, 'webhookId'>) =>
  delivery.webhookId ? QUEUES.webhooks : QUEUES.notify;
