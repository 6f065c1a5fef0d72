import { Module } from '@nestjs/common';
import { HealthModule } from './health';
import { loggerModule } from './logging';
import { MetricsModule } from './metrics';

/** Logging, /healthz, /readyz and /metrics: what every Heddle process serves. */
@Module({ imports: [loggerModule(), HealthModule, MetricsModule], exports: [MetricsModule] })
export class PlatformModule {}
