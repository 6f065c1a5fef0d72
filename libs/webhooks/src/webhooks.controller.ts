import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AuthContext, CurrentAuth, IdParam, PageQueryDto, RequireScopes } from '@heddle/common';
import { DeliveryPageDto, DeliveryResponseDto, ListDeliveriesQueryDto } from './dto/delivery.dto';
import {
  CreateWebhookDto,
  UpdateWebhookDto,
  WebhookPageDto,
  WebhookResponseDto,
  WebhookWithSecretResponseDto,
} from './dto/webhook.dto';
import { WebhooksService } from './webhooks.service';

@ApiTags('webhooks')
@Controller('api/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @RequireScopes('webhooks:write')
  @ApiOperation({
    summary: 'Add a webhook endpoint',
    description:
      "The team's events are POSTed to the URL, signed the Standard Webhooks way. The answer carries the signing secret, shown this once. The URL must be http(s) and, after DNS resolution, not private or loopback unless HEDDLE_OUTBOUND_ALLOW covers it (link-local and metadata addresses never).",
  })
  @ApiCreatedResponse({ type: WebhookWithSecretResponseDto })
  create(@CurrentAuth() auth: AuthContext, @Body() dto: CreateWebhookDto): Promise<WebhookWithSecretResponseDto> {
    return this.webhooks.create(auth, dto);
  }

  @Get()
  @RequireScopes('webhooks:read')
  @ApiOperation({ summary: "List the team's webhook endpoints, newest first" })
  @ApiOkResponse({ type: WebhookPageDto })
  list(@CurrentAuth() auth: AuthContext, @Query() query: PageQueryDto): Promise<WebhookPageDto> {
    return this.webhooks.list(auth.teamId, query);
  }

  @Post('deliveries/:id/resend')
  @HttpCode(202)
  @RequireScopes('webhooks:write')
  @ApiOperation({
    summary: 'Send a delivery again',
    description:
      'Makes one more attempt now, with the same `webhook-id` (the event id). A retry already scheduled is brought forward; a delivery whose attempt is running right now answers 409.',
  })
  @ApiAcceptedResponse({ type: DeliveryResponseDto })
  resend(@CurrentAuth() auth: AuthContext, @IdParam() id: string): Promise<DeliveryResponseDto> {
    return this.webhooks.resend(auth, id);
  }

  @Get(':id')
  @RequireScopes('webhooks:read')
  @ApiOperation({ summary: 'Read a webhook endpoint' })
  @ApiOkResponse({ type: WebhookResponseDto })
  get(@CurrentAuth() auth: AuthContext, @IdParam() id: string): Promise<WebhookResponseDto> {
    return this.webhooks.get(auth.teamId, id);
  }

  @Patch(':id')
  @RequireScopes('webhooks:write')
  @ApiOperation({
    summary: 'Change a webhook endpoint',
    description: '`enabled: true` also re-enables an endpoint Heddle disabled for failing.',
  })
  @ApiOkResponse({ type: WebhookResponseDto })
  update(
    @CurrentAuth() auth: AuthContext,
    @IdParam() id: string,
    @Body() dto: UpdateWebhookDto,
  ): Promise<WebhookResponseDto> {
    return this.webhooks.update(auth, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScopes('webhooks:write')
  @ApiOperation({ summary: 'Remove a webhook endpoint', description: 'Its deliveries go with it.' })
  @ApiNoContentResponse({ description: 'Removed.' })
  delete(@CurrentAuth() auth: AuthContext, @IdParam() id: string): Promise<void> {
    return this.webhooks.delete(auth, id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @RequireScopes('webhooks:write')
  @ApiOperation({
    summary: 'Rotate the signing secret',
    description:
      'Answers the new secret, shown this once. For 24 hours the previous secret keeps signing too: `webhook-signature` carries both signatures, space-separated.',
  })
  @ApiOkResponse({ type: WebhookWithSecretResponseDto })
  rotateSecret(@CurrentAuth() auth: AuthContext, @IdParam() id: string): Promise<WebhookWithSecretResponseDto> {
    return this.webhooks.rotateSecret(auth, id);
  }

  @Post(':id/test')
  @HttpCode(202)
  @RequireScopes('webhooks:write')
  @ApiOperation({
    summary: 'Send a test ping',
    description:
      'Writes a `WEBHOOK_PING` event and delivers it to this endpoint only, like any other delivery (signed, retried, recorded).',
  })
  @ApiAcceptedResponse({ type: DeliveryResponseDto })
  test(@CurrentAuth() auth: AuthContext, @IdParam() id: string): Promise<DeliveryResponseDto> {
    return this.webhooks.test(auth, id);
  }

  @Get(':id/deliveries')
  @RequireScopes('webhooks:read')
  @ApiOperation({ summary: "An endpoint's deliveries with their attempts, newest first" })
  @ApiOkResponse({ type: DeliveryPageDto })
  deliveries(
    @CurrentAuth() auth: AuthContext,
    @IdParam() id: string,
    @Query() query: ListDeliveriesQueryDto,
  ): Promise<DeliveryPageDto> {
    return this.webhooks.deliveries(auth.teamId, id, query);
  }
}
