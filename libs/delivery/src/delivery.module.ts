import { Module } from '@nestjs/common';
import { ClockModule } from '@heddle/common';
import { EventsModule } from '@heddle/events';
import { DeliveryMetrics } from './delivery-metrics';
import { DeliveryRunner } from './delivery-runner';
import { DeliveryRepository } from './delivery.repository';
import { OutboxRelay } from './outbox-relay';
import { RelayRepository } from './relay.repository';

/** Deliveries: attempts, retries, metrics. Imported by the webhooks and notify consumers and APIs. */
@Module({
  imports: [ClockModule],
  providers: [DeliveryRepository, DeliveryRunner, DeliveryMetrics],
  exports: [DeliveryRepository, DeliveryRunner, DeliveryMetrics],
})
export class DeliveryModule {}

/** The `outbox` consumer: relay and delivery sweep. */
@Module({ imports: [DeliveryModule, EventsModule, ClockModule], providers: [RelayRepository, OutboxRelay] })
export class OutboxWorkerModule {}
