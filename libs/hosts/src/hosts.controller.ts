import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthContext, CurrentAuth, IdParam, RequireScopes } from '@heddle/common';
import {
  CreateHostDto,
  HostPageDto,
  HostResponseDto,
  ListHostsQueryDto,
  ProbeResultDto,
  UpdateHostDto,
} from './dto/host.dto';
import { HostWorkspacesDto, ListHostWorkspacesQueryDto } from './dto/host-workspaces.dto';
import { HostWorkspacesService } from './host-workspaces.service';
import { HostsService } from './hosts.service';

@ApiTags('hosts')
@Controller('api/hosts')
export class HostsController {
  constructor(
    private readonly hosts: HostsService,
    private readonly workspaces: HostWorkspacesService,
  ) {}

  @Post()
  @RequireScopes('hosts:write')
  @ApiOperation({
    summary: 'Register an OpenCode host',
    description:
      'The URL must be http(s) and, after DNS resolution, not private, loopback or link-local unless HEDDLE_OUTBOUND_ALLOW covers it. `workspaceRoots` lists the directories tasks may use as workspaces on it (docs/security.md). The host is probed right away.',
  })
  @ApiCreatedResponse({ type: HostResponseDto })
  create(@CurrentAuth() auth: AuthContext, @Body() dto: CreateHostDto): Promise<HostResponseDto> {
    return this.hosts.create(auth, dto);
  }

  @Get()
  @RequireScopes('hosts:read')
  @ApiOperation({ summary: "List the team's hosts" })
  @ApiOkResponse({ type: HostPageDto })
  list(@CurrentAuth() auth: AuthContext, @Query() query: ListHostsQueryDto): Promise<HostPageDto> {
    return this.hosts.list(auth.teamId, query);
  }

  @Get(':id')
  @RequireScopes('hosts:read')
  @ApiOperation({ summary: 'Read a host and its last probe' })
  @ApiOkResponse({ type: HostResponseDto })
  get(@CurrentAuth() auth: AuthContext, @IdParam() id: string): Promise<HostResponseDto> {
    return this.hosts.get(auth.teamId, id);
  }

  @Get(':id/workspaces')
  @RequireScopes('hosts:read')
  @ApiOperation({
    summary: 'Recent workspaces on a host',
    description:
      "The directories of the host's sessions (all directories, archived sessions too), deduped and newest first, only those under its `workspaceRoots`. Read from the host: 502 `host/unavailable` or 504 `host/timeout` when it fails.",
  })
  @ApiOkResponse({ type: HostWorkspacesDto })
  listWorkspaces(
    @CurrentAuth() auth: AuthContext,
    @IdParam() id: string,
    @Query() query: ListHostWorkspacesQueryDto,
  ): Promise<HostWorkspacesDto> {
    return this.workspaces.list(auth.teamId, id, query.limit);
  }

  @Patch(':id')
  @RequireScopes('hosts:write')
  @ApiOperation({ summary: 'Change a host', description: '`password: null` removes the stored password.' })
  @ApiOkResponse({ type: HostResponseDto })
  update(
    @CurrentAuth() auth: AuthContext,
    @IdParam() id: string,
    @Body() dto: UpdateHostDto,
  ): Promise<HostResponseDto> {
    return this.hosts.update(auth, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScopes('hosts:write')
  @ApiOperation({ summary: 'Remove a host' })
  @ApiNoContentResponse({ description: 'Removed.' })
  delete(@CurrentAuth() auth: AuthContext, @IdParam() id: string): Promise<void> {
    return this.hosts.delete(auth, id);
  }

  @Post(':id/probe')
  @HttpCode(200)
  @RequireScopes('hosts:write')
  @ApiOperation({
    summary: 'Probe a host now',
    description: 'Records the result like a scheduled probe and answers it.',
  })
  @ApiOkResponse({ type: ProbeResultDto })
  probe(@CurrentAuth() auth: AuthContext, @IdParam() id: string): Promise<ProbeResultDto> {
    return this.hosts.probeNow(auth.teamId, id);
  }
}
