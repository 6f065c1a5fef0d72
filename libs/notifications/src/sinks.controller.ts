import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthContext, CurrentAuth, IdParam, RequireScopes } from '@heddle/common';
import {
  CreateSinkDto,
  ListSinkDeliveriesQueryDto,
  ListSinksQueryDto,
  SinkDeliveryPageDto,
  SinkPageDto,
  SinkResponseDto,
  UpdateSinkDto,
} from './dto/sink.dto';
import { SinksService } from './sinks.service';

@ApiTags('sinks')
@Controller('api/sinks')
export class SinksController {
  constructor(private readonly sinks: SinksService) {}

  @Post()
  @RequireScopes('webhooks:write')
  @ApiOperation({
    summary: 'Add a notification sink',
    description:
      'Slack or Discord incoming webhook (one readable line per event), generic JSON POST (the event payload), or file sink (one JSON file per event under HEDDLE_FILE_SINK_ROOT/<teamId>/; 400 when the operator has not set it). URLs pass the outbound policy (400 `outbound/refused` naming `url`) and are answered redacted.',
  })
  @ApiCreatedResponse({ type: SinkResponseDto })
  create(@CurrentAuth() auth: AuthContext, @Body() dto: CreateSinkDto): Promise<SinkResponseDto> {
    return this.sinks.create(auth, dto);
  }

  @Get()
  @RequireScopes('webhooks:read')
  @ApiOperation({ summary: "List the team's notification sinks, newest first" })
  @ApiOkResponse({ type: SinkPageDto })
  list(@CurrentAuth() auth: AuthContext, @Query() query: ListSinksQueryDto): Promise<SinkPageDto> {
    return this.sinks.list(auth.teamId, query);
  }

  @Get(':id')
  @RequireScopes('webhooks:read')
  @ApiOperation({ summary: 'Read a notification sink (URL redacted)' })
  @ApiOkResponse({ type: SinkResponseDto })
  get(@CurrentAuth() auth: AuthContext, @IdParam() id: string): Promise<SinkResponseDto> {
    return this.sinks.get(auth.teamId, id);
  }

  @Patch(':id')
  @RequireScopes('webhooks:write')
  @ApiOperation({
    summary: 'Change a notification sink',
    description: 'The kind cannot change. `enabled: true` re-enables a sink disabled after failing.',
  })
  @ApiOkResponse({ type: SinkResponseDto })
  update(
    @CurrentAuth() auth: AuthContext,
    @IdParam() id: string,
    @Body() dto: UpdateSinkDto,
  ): Promise<SinkResponseDto> {
    return this.sinks.update(auth, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScopes('webhooks:write')
  @ApiOperation({ summary: 'Remove a notification sink', description: 'Its deliveries go with it.' })
  @ApiNoContentResponse({ description: 'Removed.' })
  delete(@CurrentAuth() auth: AuthContext, @IdParam() id: string): Promise<void> {
    return this.sinks.delete(auth, id);
  }

  @Get(':id/deliveries')
  @RequireScopes('webhooks:read')
  @ApiOperation({
    summary: "List a sink's deliveries, newest first, each with its attempts",
    description:
      'One delivery per event sent to the sink: `pending` (retrying on the schedule), `delivered` or `failed`.',
  })
  @ApiOkResponse({ type: SinkDeliveryPageDto })
  deliveries(
    @CurrentAuth() auth: AuthContext,
    @IdParam() id: string,
    @Query() query: ListSinkDeliveriesQueryDto,
  ): Promise<SinkDeliveryPageDto> {
    return this.sinks.deliveries(auth.teamId, id, query);
  }
}
