import { Module } from '@nestjs/common';
import { AuditModule } from '@heddle/audit';
import { AuthModule } from '@heddle/auth';
import { EventsModule } from '@heddle/events';
import { BootstrapOnStart } from './bootstrap-on-start';
import { MembersController } from './members.controller';
import { MembersService } from './members.service';
import { AuditController, TeamController, TeamsController } from './teams.controller';
import { TeamsRepository } from './teams.repository';
import { TeamsService } from './teams.service';

@Module({
  imports: [AuthModule, AuditModule, EventsModule],
  providers: [TeamsRepository, TeamsService, MembersService],
  exports: [TeamsService, MembersService],
})
export class TeamsModule {}

@Module({
  imports: [TeamsModule, AuditModule],
  controllers: [TeamsController, TeamController, AuditController, MembersController],
  providers: [BootstrapOnStart],
})
export class TeamsApiModule {}
