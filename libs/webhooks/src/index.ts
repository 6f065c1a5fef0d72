export { WebhooksWorkerModule, WebhooksApiModule } from './webhooks.module';
