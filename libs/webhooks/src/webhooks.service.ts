import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { Queue } from 'bullmq';
import { AuditService } from '@heddle/audit';
import {
  AuthContext,
  Clock,
  ConflictError,
  InvalidStateError,
  NotFoundError,
  decodeCursor,
  toPage,
} from '@heddle/common';
import { AppConfig } from '@heddle/config';
import { Prisma, Transactional, WebhookEndpoint } from '@heddle/db';
import { AttemptVerdict, DeliveryJob, DeliveryRunner, deliveryJobId } from '@heddle/delivery';
import { EventsWriter } from '@heddle/events';
import { OutboundPolicy } from '@heddle/outbound';
import { OutageLog, QUEUES, bestEffort } from '@heddle/queue';
import type { DeliveryPageDto, DeliveryResponseDto, ListDeliveriesQueryDto } from './dto/delivery.dto';
import type {
  CreateWebhookDto,
  UpdateWebhookDto,
  WebhookPageDto,
  WebhookResponseDto,
  WebhookWithSecretResponseDto,
} from './dto/webhook.dto';
import { WebhookSecrets, newWebhookSecret } from './webhook-secrets';
import { redactWebhookUrl, toDeliveryResponse, toWebhookResponse, urlHost } from './webhook-view';
import { DeliveryWithAttempts, WebhooksRepository } from './webhooks.repository';

/** How long the secret before a rotation keeps signing (a second signature) after it. */
export const PREVIOUS_SECRET_OVERLAP_MS = 24 * 3600_000;

@Injectable()
export class WebhooksService {
  private readonly logger = new Logger(WebhooksService.name);
  private readonly outage = new OutageLog((message) => this.logger.warn(message));

  constructor(
    private readonly repository: WebhooksRepository,
    private readonly secrets: WebhookSecrets,
    private readonly outbound: OutboundPolicy,
    private readonly runner: DeliveryRunner,
    private readonly audit: AuditService,
    private readonly events: EventsWriter,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    @InjectQueue(QUEUES.webhooks) private readonly queue: Queue<DeliveryJob>,
  ) {}

  async create(auth: AuthContext, dto: CreateWebhookDto): Promise<WebhookWithSecretResponseDto> {
    await this.outbound.checkUrl(dto.url, 'url');
    const secret = newWebhookSecret();
    const webhook = await this.insert(auth, dto, secret);
    return { ...toWebhookResponse(webhook), secret };
  }

  async list(teamId: string, query: { limit?: number; cursor?: string }): Promise<WebhookPageDto> {
    const limit = query.limit!;
    const rows = await this.repository.list(teamId, limit, decodeCursor(query.cursor)?.id);
    return toPage(rows, limit, toWebhookResponse);
  }

  async get(teamId: string, id: string): Promise<WebhookResponseDto> {
    return toWebhookResponse(await this.mustFind(teamId, id));
  }

  async update(auth: AuthContext, id: string, dto: UpdateWebhookDto): Promise<WebhookResponseDto> {
    if (dto.url !== undefined) await this.outbound.checkUrl(dto.url, 'url');
    return toWebhookResponse(await this.applyUpdate(auth, id, dto));
  }

  @Transactional()
  async delete(auth: AuthContext, id: string): Promise<void> {
    const webhook = await this.mustFind(auth.teamId, id);
    if (!(await this.repository.delete(auth.teamId, id))) throw new NotFoundError('webhook', id);
    await this.audit.record({
      teamId: auth.teamId,
      actor: auth,
      action: 'webhook.delete',
      targetType: 'webhook',
      targetId: id,
      details: { url: redactWebhookUrl(webhook.url) },
    });
  }

  /**
   * A new secret, shown once. The one it replaces keeps signing (a second signature in
   * `webhook-signature`) for 24 hours, so receivers can switch without losing a message.
   */
  @Transactional()
  async rotateSecret(auth: AuthContext, id: string): Promise<WebhookWithSecretResponseDto> {
    const current = await this.mustFind(auth.teamId, id, { forUpdate: true });
    const secret = newWebhookSecret();
    const expiresAt = new Date(this.clock.now().getTime() + PREVIOUS_SECRET_OVERLAP_MS);
    const webhook = await this.repository.update(auth.teamId, id, {
      secretEnc: this.secrets.seal(auth.teamId, secret),
      previousSecretEnc: current.secretEnc,
      previousSecretExpiresAt: expiresAt,
    });
    if (!webhook) throw new NotFoundError('webhook', id);
    await this.audit.record({
      teamId: auth.teamId,
      actor: auth,
      action: 'webhook.rotate_secret',
      targetType: 'webhook',
      targetId: id,
      details: { previousSecretExpiresAt: expiresAt.toISOString() },
    });
    return { ...toWebhookResponse(webhook), secret };
  }

  /**
   * `POST /api/webhooks/{id}/test`: a `WEBHOOK_PING` event and its delivery to this endpoint only,
   * committed together (the relay never fans pings out); the first attempt is enqueued after commit.
   */
  async test(auth: AuthContext, id: string): Promise<DeliveryResponseDto> {
    const delivery = await this.createPing(auth, id);
    await this.startAttempt(delivery, 1);
    return toDeliveryResponse(delivery);
  }

  async deliveries(teamId: string, webhookId: string, query: ListDeliveriesQueryDto): Promise<DeliveryPageDto> {
    await this.mustFind(teamId, webhookId);
    const limit = query.limit!;
    const rows = await this.repository.deliveries(
      teamId,
      webhookId,
      { status: query.status },
      limit,
      decodeCursor(query.cursor)?.id,
    );
    return toPage(rows, limit, toDeliveryResponse);
  }

  /**
   * One more attempt of a delivery, now: the same event, so the same `webhook-id`. A pending
   * delivery waiting for a retry has that retry brought forward; one whose attempt is running now
   * is a 409.
   */
  async resend(auth: AuthContext, id: string): Promise<DeliveryResponseDto> {
    const delivery = await this.reopen(auth, id);
    await this.startAttempt(delivery, delivery.attempts + 1);
    return toDeliveryResponse(delivery);
  }

  /**
   * Enqueues an attempt the caller has committed (its delivery row is due now), bringing forward a
   * retry already scheduled under the same job id. Best effort: without Redis the delivery sweep
   * enqueues it, so the request does not wait (see `bestEffort`).
   */
  private async startAttempt(delivery: Pick<DeliveryWithAttempts, 'id' | 'webhookId'>, attempt: number): Promise<void> {
    try {
      await bestEffort(this.queue, async () => {
        await this.runner.enqueue(delivery, attempt);
        const job = await this.queue.getJob(deliveryJobId(delivery.id, attempt));
        if (job && (await job.isDelayed())) await job.promote().catch(() => undefined);
      });
      this.outage.recovered('delivery attempts are enqueued');
    } catch (err) {
      this.outage.failed(`could not enqueue delivery ${delivery.id}; the delivery sweep will (${String(err)})`);
    }
  }

  /**
   * Health bookkeeping after each attempt, under the endpoint's row lock: a success clears the
   * failure period; a failure starts it, and one that has lasted WEBHOOK_DISABLE_AFTER_SECONDS
   * disables the endpoint with a `WEBHOOK_DISABLED` event in the same transaction.
   */
  @Transactional()
  async recordVerdict(teamId: string, id: string, verdict: AttemptVerdict, lastError?: string): Promise<void> {
    if (verdict === 'delivered') {
      await this.repository.clearFailing(teamId, id);
      return;
    }
    const webhook = await this.repository.findForUpdate(teamId, id);
    if (!webhook || webhook.disabledAt) return;
    const now = this.clock.now();
    const since = webhook.failingSince ?? now;
    const failingForMs = now.getTime() - since.getTime();
    if (failingForMs < this.config.webhookDisableAfterSeconds * 1000) {
      if (!webhook.failingSince) await this.repository.update(teamId, id, { failingSince: now });
      return;
    }
    const reason = (
      `every attempt has failed since ${since.toISOString()} (${Math.round(failingForMs / 1000)} s)` +
      (lastError ? `; last: ${lastError}` : '')
    ).slice(0, 1000);
    await this.repository.update(teamId, id, { disabledAt: now, disabledReason: reason, failingSince: since });
    const details = {
      webhookId: id,
      urlHost: urlHost(webhook.url),
      description: webhook.description,
      reason,
      failingSince: since.toISOString(),
    };
    await this.audit.record({
      teamId,
      actor: { system: 'webhooks' },
      action: 'webhook.disable',
      targetType: 'webhook',
      targetId: id,
      details,
    });
    await this.events.append(teamId, { type: 'WEBHOOK_DISABLED', data: details });
    this.logger.warn(`webhook ${id} of team ${teamId} disabled: ${reason}`);
  }

  @Transactional()
  private async insert(actor: AuthContext, dto: CreateWebhookDto, secret: string): Promise<WebhookEndpoint> {
    const webhook = await this.repository.create(actor.teamId, {
      url: dto.url,
      events: [...new Set(dto.events ?? [])],
      description: dto.description ?? null,
      enabled: dto.enabled ?? true,
      secretEnc: this.secrets.seal(actor.teamId, secret),
    });
    await this.audit.record({
      teamId: actor.teamId,
      actor,
      action: 'webhook.create',
      targetType: 'webhook',
      targetId: webhook.id,
      details: {
        url: redactWebhookUrl(webhook.url),
        events: webhook.events,
        description: webhook.description,
        enabled: webhook.enabled,
      },
    });
    return webhook;
  }

  @Transactional()
  private async applyUpdate(actor: AuthContext, id: string, dto: UpdateWebhookDto): Promise<WebhookEndpoint> {
    const current = await this.mustFind(actor.teamId, id, { forUpdate: true });
    // Turning it on again (or pointing it elsewhere) starts its health over.
    const reenabled = dto.enabled === true && (!current.enabled || current.disabledAt !== null);
    const freshStart = reenabled || (dto.url !== undefined && dto.url !== current.url);
    const data: Prisma.WebhookEndpointUpdateManyMutationInput = {
      ...(dto.url !== undefined ? { url: dto.url } : {}),
      ...(dto.events !== undefined ? { events: [...new Set(dto.events)] } : {}),
      ...(dto.description !== undefined ? { description: dto.description } : {}),
      ...(dto.enabled !== undefined ? { enabled: dto.enabled } : {}),
      ...(freshStart ? { failingSince: null, disabledAt: null, disabledReason: null } : {}),
    };
    const webhook = await this.repository.update(actor.teamId, id, data);
    if (!webhook) throw new NotFoundError('webhook', id);
    await this.audit.record({
      teamId: actor.teamId,
      actor,
      action: 'webhook.update',
      targetType: 'webhook',
      targetId: id,
      details: {
        ...dto,
        ...(dto.url !== undefined ? { url: redactWebhookUrl(dto.url) } : {}),
        ...(reenabled ? { reenabled: true } : {}),
      } as Prisma.InputJsonObject,
    });
    return webhook;
  }

  @Transactional()
  private async createPing(actor: AuthContext, id: string): Promise<DeliveryWithAttempts> {
    const webhook = await this.mustFind(actor.teamId, id);
    this.mustBeActive(webhook, 'test');
    const event = await this.events.append(actor.teamId, {
      type: 'WEBHOOK_PING',
      data: { webhookId: id, message: 'A test message from Heddle: this endpoint receives the team’s events.' },
    });
    const delivery = await this.repository.createDelivery(actor.teamId, {
      eventId: event.id,
      eventSeq: BigInt(event.seq),
      eventType: event.type,
      webhookId: id,
      nextAttemptAt: this.clock.now(),
    });
    await this.audit.record({
      teamId: actor.teamId,
      actor,
      action: 'webhook.test',
      targetType: 'webhook',
      targetId: id,
      details: { deliveryId: delivery.id, eventId: event.id },
    });
    return delivery;
  }

  @Transactional()
  private async reopen(actor: AuthContext, id: string): Promise<DeliveryWithAttempts> {
    const delivery = await this.mustFindDelivery(actor.teamId, id);
    const webhook = await this.mustFind(actor.teamId, delivery.webhookId!);
    this.mustBeActive(webhook, 'resend to');
    // Claimed but not recorded yet: that attempt is running (or its worker died and the sweep will retry).
    if (delivery.status === 'pending' && delivery.attemptLog.length < delivery.attempts)
      throw new InvalidStateError('delivery', 'being attempted right now', 'resend');
    const now = this.clock.now();
    if (!(await this.repository.reopenDelivery(actor.teamId, id, delivery, now)))
      throw new ConflictError('delivery/changed', 'the delivery changed while resending it; try again');
    await this.audit.record({
      teamId: actor.teamId,
      actor,
      action: 'webhook.delivery.resend',
      targetType: 'delivery',
      targetId: id,
      details: { webhookId: webhook.id, eventId: delivery.eventId, attempt: delivery.attempts + 1 },
    });
    return { ...delivery, status: 'pending', nextAttemptAt: now, deliveredAt: null };
  }

  private mustBeActive(webhook: WebhookEndpoint, action: string): void {
    if (!webhook.enabled || webhook.disabledAt)
      throw new InvalidStateError('webhook', webhook.disabledAt ? 'disabled for failing' : 'disabled', action);
  }

  private async mustFind(teamId: string, id: string, options: { forUpdate?: boolean } = {}): Promise<WebhookEndpoint> {
    const webhook = options.forUpdate
      ? await this.repository.findForUpdate(teamId, id)
      : await this.repository.find(teamId, id);
    if (!webhook) throw new NotFoundError('webhook', id);
    return webhook;
  }

  private async mustFindDelivery(teamId: string, id: string): Promise<DeliveryWithAttempts> {
    const delivery = await this.repository.findDelivery(teamId, id);
    if (!delivery) throw new NotFoundError('delivery', id);
    return delivery;
  }
}
