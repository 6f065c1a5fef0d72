export { WebhooksModule, WebhooksWorkerModule, WebhooksApiModule } from './webhooks.module';
export { WebhooksService, PREVIOUS_SECRET_OVERLAP_MS } from './webhooks.service';
export { WebhookSecrets, newWebhookSecret } from './webhook-secrets';
export { signedHeaders } from './webhook-signature';
export type { SignedHeaders } from './webhook-signature';
export type { WebhookResponseDto, WebhookWithSecretResponseDto } from './dto/webhook.dto';
export type { DeliveryResponseDto, DeliveryAttemptDto } from './dto/delivery.dto';
