export { TeamsModule, TeamsApiModule } from './teams.module';
export { TeamsService } from './teams.service';
export type { CreatedTeam } from './teams.service';
export { FIRST_TEAM_NAME } from './bootstrap-on-start';
export { MembersService } from './members.service';
