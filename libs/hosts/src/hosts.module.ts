import { Module } from '@nestjs/common';
import { AuditModule } from '@heddle/audit';
import { EventsModule } from '@heddle/events';
import { OutboundModule } from '@heddle/outbound';
import { FairQueueRepository } from './fair-queue.repository';
import { FairQueueService } from './fair-queue.service';
import { HostHealthProcessor, HostHealthSchedule } from './host-health.processor';
import { HostCatalog } from './host-catalog.service';
import { HostClients } from './host-clients';
import { HostProbe } from './host-probe';
import { HostSecrets } from './host-secrets';
import { HostSelectionService } from './host-selection.service';
import { HostWorkspacesService } from './host-workspaces.service';
import { HostsController } from './hosts.controller';
import { HostsRepository } from './hosts.repository';
import { HostsService } from './hosts.service';
import { OpencodeHostProbe } from './opencode-host-probe';

/** The registry: CRUD, secrets, probing, selection and fair dispatch. No routes, no consumers. */
@Module({
  imports: [AuditModule, EventsModule, OutboundModule],
  providers: [
    HostsRepository,
    HostsService,
    HostSecrets,
    HostClients,
    HostCatalog,
    HostSelectionService,
    FairQueueRepository,
    FairQueueService,
    { provide: HostProbe, useClass: OpencodeHostProbe },
  ],
  exports: [
    HostsService,
    HostSelectionService,
    FairQueueService,
    HostSecrets,
    HostsRepository,
    HostClients,
    HostCatalog,
  ],
})
export class HostsModule {}

@Module({ imports: [HostsModule], controllers: [HostsController], providers: [HostWorkspacesService] })
export class HostsApiModule {}

/** The `host-health` consumer. */
@Module({ imports: [HostsModule], providers: [HostHealthProcessor, HostHealthSchedule] })
export class HostsWorkerModule {}
