import { Module } from '@nestjs/common';

/** The `webhooks` consumer (skeleton; filled in by the webhooks work). */
@Module({})
export class WebhooksWorkerModule {}

/** `/api/webhooks` (skeleton). */
@Module({})
export class WebhooksApiModule {}
