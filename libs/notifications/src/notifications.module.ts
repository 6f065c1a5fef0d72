import { Module } from '@nestjs/common';

/** The `notify` consumer (skeleton; filled in by the notifications work). */
@Module({})
export class NotifyWorkerModule {}

/** `/api/sinks` (skeleton). */
@Module({})
export class SinksApiModule {}
