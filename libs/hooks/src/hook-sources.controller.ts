import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthContext, CurrentAuth, IdParam, PageQueryDto, RequireScopes } from '@heddle/common';
import {
  CreateHookSourceDto,
  HookDeliveryPageDto,
  HookSourcePageDto,
  HookSourceResponseDto,
  HookSourceWithSecretResponseDto,
  RotateHookSecretDto,
  UpdateHookSourceDto,
} from './dto/hook-source.dto';
import { HookSourcesService } from './hook-sources.service';

@ApiTags('hooks')
@Controller('api/hook-sources')
export class HookSourcesController {
  constructor(private readonly sources: HookSourcesService) {}

  @Post()
  @RequireScopes('webhooks:write')
  @ApiOperation({
    summary: 'Add an inbound webhook source',
    description:
      'A `github` or `generic` source: its payloads, POSTed to `path` (`/api/hooks/{id}`), become tasks of the team through the same path as POST /api/tasks. The answer carries the secret (GitHub webhook secret, HMAC key or source token), shown this once.',
  })
  @ApiCreatedResponse({ type: HookSourceWithSecretResponseDto })
  create(@CurrentAuth() auth: AuthContext, @Body() dto: CreateHookSourceDto): Promise<HookSourceWithSecretResponseDto> {
    return this.sources.create(auth, dto);
  }

  @Get()
  @RequireScopes('webhooks:read')
  @ApiOperation({ summary: "List the team's inbound webhook sources, newest first" })
  @ApiOkResponse({ type: HookSourcePageDto })
  list(@CurrentAuth() auth: AuthContext, @Query() query: PageQueryDto): Promise<HookSourcePageDto> {
    return this.sources.list(auth.teamId, query);
  }

  @Get(':id')
  @RequireScopes('webhooks:read')
  @ApiOperation({ summary: 'Read an inbound webhook source' })
  @ApiOkResponse({ type: HookSourceResponseDto })
  get(@CurrentAuth() auth: AuthContext, @IdParam() id: string): Promise<HookSourceResponseDto> {
    return this.sources.get(auth.teamId, id);
  }

  @Patch(':id')
  @RequireScopes('webhooks:write')
  @ApiOperation({ summary: 'Change an inbound webhook source', description: '`config` replaces the whole config.' })
  @ApiOkResponse({ type: HookSourceResponseDto })
  update(
    @CurrentAuth() auth: AuthContext,
    @IdParam() id: string,
    @Body() dto: UpdateHookSourceDto,
  ): Promise<HookSourceResponseDto> {
    return this.sources.update(auth, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScopes('webhooks:write')
  @ApiOperation({
    summary: 'Remove an inbound webhook source',
    description: 'Its delivery records go with it; its tasks stay.',
  })
  @ApiNoContentResponse({ description: 'Removed.' })
  delete(@CurrentAuth() auth: AuthContext, @IdParam() id: string): Promise<void> {
    return this.sources.delete(auth, id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @RequireScopes('webhooks:write')
  @ApiOperation({
    summary: "Rotate a source's secret",
    description:
      'Answers the new secret, shown this once. The old one stops working at once, or after `graceSeconds` (while the sender — GitHub, say — is given the new one; `previousSecretExpiresAt` says until when).',
  })
  @ApiOkResponse({ type: HookSourceWithSecretResponseDto })
  rotateSecret(
    @CurrentAuth() auth: AuthContext,
    @IdParam() id: string,
    @Body() dto: RotateHookSecretDto,
  ): Promise<HookSourceWithSecretResponseDto> {
    return this.sources.rotateSecret(auth, id, dto);
  }

  @Get(':id/deliveries')
  @RequireScopes('webhooks:read')
  @ApiOperation({ summary: "A source's deliveries that made a task, newest first" })
  @ApiOkResponse({ type: HookDeliveryPageDto })
  deliveries(
    @CurrentAuth() auth: AuthContext,
    @IdParam() id: string,
    @Query() query: PageQueryDto,
  ): Promise<HookDeliveryPageDto> {
    return this.sources.deliveries(auth.teamId, id, query);
  }
}
