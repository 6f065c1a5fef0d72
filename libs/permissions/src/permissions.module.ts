import { Module } from '@nestjs/common';
import { AuditModule } from '@heddle/audit';
import { EventsModule } from '@heddle/events';
import { HostsModule } from '@heddle/hosts';
import { OutboundModule } from '@heddle/outbound';
import { PermissionAnswers } from './permission-answers';
import { PermissionHostClients } from './permission-host-clients';
import { PermissionIngest } from './permission-ingest';
import { PermissionWatch } from './permission-watch';
import { PermissionsController, QuestionsController } from './permissions.controller';
import { PermissionsRepository } from './permissions.repository';
import { PermissionsService } from './permissions.service';

/**
 * Permission requests and questions: rows, answers, policy. `PermissionWatch` is what the harness's
 * host event watcher drives (it does nothing until `track` is called).
 */
@Module({
  imports: [AuditModule, EventsModule, HostsModule, OutboundModule],
  providers: [
    PermissionsRepository,
    PermissionsService,
    PermissionAnswers,
    PermissionHostClients,
    PermissionIngest,
    PermissionWatch,
  ],
  exports: [PermissionsService, PermissionIngest, PermissionWatch],
})
export class PermissionsModule {}

/** `/api/permissions` and `/api/questions`. */
@Module({ imports: [PermissionsModule], controllers: [PermissionsController, QuestionsController] })
export class PermissionsApiModule {}
