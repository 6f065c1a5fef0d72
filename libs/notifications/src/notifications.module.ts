import { Module } from '@nestjs/common';
import { AuditModule } from '@heddle/audit';
import { DeliveryModule } from '@heddle/delivery';
import { EventsModule } from '@heddle/events';
import { OutboundModule } from '@heddle/outbound';
import { NotifyProcessor } from './notify.processor';
import { SinkPort } from './sink-port';
import { SinkSecrets } from './sink-secrets';
import { SinkUrlSealer } from './sink-url-sealer';
import { SinksController } from './sinks.controller';
import { SinksRepository } from './sinks.repository';
import { SinksService } from './sinks.service';

/** Sinks: CRUD and their deliveries, sealed URLs (legacy plain ones sealed at start). No routes, no consumers. */
@Module({
  imports: [AuditModule, EventsModule, OutboundModule],
  providers: [SinksRepository, SinksService, SinkSecrets, SinkUrlSealer],
  exports: [SinksRepository, SinksService, SinkSecrets],
})
export class NotificationsModule {}

/** The `notify` consumer: sink deliveries through the shared delivery runner. */
@Module({ imports: [NotificationsModule, DeliveryModule, EventsModule], providers: [SinkPort, NotifyProcessor] })
export class NotifyWorkerModule {}

/** `/api/sinks`. */
@Module({ imports: [NotificationsModule], controllers: [SinksController] })
export class SinksApiModule {}
