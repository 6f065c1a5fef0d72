import { Module } from '@nestjs/common';
import { AuditModule } from '@heddle/audit';
import { DeliveryModule } from '@heddle/delivery';
import { EventsModule } from '@heddle/events';
import { OutboundModule } from '@heddle/outbound';
import { WebhookDeliveryProcessor } from './webhook-delivery.processor';
import { WebhookSecrets } from './webhook-secrets';
import { WebhookPort } from './webhook.port';
import { WebhooksController } from './webhooks.controller';
import { WebhooksRepository } from './webhooks.repository';
import { WebhooksService } from './webhooks.service';

/** Endpoints, secrets, deliveries as the API shows them, and the port the delivery engine uses. */
@Module({
  imports: [AuditModule, EventsModule, OutboundModule, DeliveryModule],
  providers: [WebhooksRepository, WebhooksService, WebhookSecrets, WebhookPort],
  exports: [WebhooksService, WebhookSecrets, WebhookPort, WebhooksRepository],
})
export class WebhooksModule {}

/** `/api/webhooks`. */
@Module({ imports: [WebhooksModule], controllers: [WebhooksController] })
export class WebhooksApiModule {}

/** The `webhooks` consumer. */
@Module({ imports: [WebhooksModule, DeliveryModule], providers: [WebhookDeliveryProcessor] })
export class WebhooksWorkerModule {}
