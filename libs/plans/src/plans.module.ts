import { Module } from '@nestjs/common';
import { HostsModule } from '@heddle/hosts';
import { PlansController } from './plans.controller';
import { PlansRepository } from './plans.repository';
import { PlansService } from './plans.service';

/** Plan bootstrap and drafting (no tables, no consumers). */
@Module({
  imports: [HostsModule],
  providers: [PlansRepository, PlansService],
  exports: [PlansService],
})
export class PlansModule {}

@Module({ imports: [PlansModule], controllers: [PlansController] })
export class PlansApiModule {}
