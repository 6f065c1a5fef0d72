import { Body, Controller, Get, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditService } from '@heddle/audit';
import { AuthContext, CurrentAuth, PageQueryDto, RequireScopes } from '@heddle/common';
import { AuditPageDto, CreateTeamDto, CreatedTeamResponseDto, TeamResponseDto, UpdateTeamDto } from './dto/team.dto';
import { TeamsService } from './teams.service';

@ApiTags('teams')
@Controller('api/teams')
export class TeamsController {
  constructor(private readonly teams: TeamsService) {}

  @Post()
  @RequireScopes('platform:admin')
  @ApiOperation({ summary: 'Create a team (operator)', description: "Answers the new team's owner token, this once." })
  @ApiCreatedResponse({ type: CreatedTeamResponseDto })
  create(@CurrentAuth() auth: AuthContext, @Body() dto: CreateTeamDto): Promise<CreatedTeamResponseDto> {
    return this.teams.create(auth, dto.name);
  }
}

@ApiTags('teams')
@Controller('api/team')
export class TeamController {
  constructor(private readonly teams: TeamsService) {}

  @Get()
  @RequireScopes()
  @ApiOperation({ summary: "Read the calling token's team and its settings" })
  @ApiOkResponse({ type: TeamResponseDto })
  get(@CurrentAuth() auth: AuthContext): Promise<TeamResponseDto> {
    return this.teams.get(auth.teamId);
  }

  @Patch()
  @RequireScopes('admin')
  @ApiOperation({ summary: 'Rename the team or change its settings' })
  @ApiOkResponse({ type: TeamResponseDto })
  update(@CurrentAuth() auth: AuthContext, @Body() dto: UpdateTeamDto): Promise<TeamResponseDto> {
    return this.teams.update(auth, dto);
  }
}

@ApiTags('audit')
@Controller('api/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @RequireScopes('admin')
  @ApiOperation({ summary: "The team's audit log, newest first" })
  @ApiOkResponse({ type: AuditPageDto })
  list(@CurrentAuth() auth: AuthContext, @Query() query: PageQueryDto): Promise<AuditPageDto> {
    return this.audit.list(auth.teamId, query.limit!, query.cursor);
  }
}
