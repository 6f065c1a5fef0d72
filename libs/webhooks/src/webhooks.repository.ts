import { Injectable } from '@nestjs/common';
import { Delivery, DeliveryAttempt, InjectTransactionHost, Prisma, TxHost, WebhookEndpoint } from '@heddle/db';
import type { DeliveryStatus } from './dto/delivery.dto';

export interface NewWebhook {
  url: string;
  events: string[];
  description: string | null;
  enabled: boolean;
  secretEnc: string;
}

export type DeliveryWithAttempts = Delivery & { attemptLog: DeliveryAttempt[] };

const withAttempts = { attemptLog: { orderBy: { number: 'asc' } } } as const;

/** The only file that touches webhook endpoints (and the deliveries the webhooks API shows). */
@Injectable()
export class WebhooksRepository {
  constructor(@InjectTransactionHost() private readonly txHost: TxHost) {}

  create(teamId: string, webhook: NewWebhook): Promise<WebhookEndpoint> {
    return this.txHost.tx.webhookEndpoint.create({ data: { teamId, ...webhook } });
  }

  list(teamId: string, limit: number, beforeId?: string): Promise<WebhookEndpoint[]> {
    return this.txHost.tx.webhookEndpoint.findMany({
      where: { teamId, ...(beforeId ? { id: { lt: beforeId } } : {}) },
      orderBy: { id: 'desc' },
      take: limit + 1,
    });
  }

  find(teamId: string, id: string): Promise<WebhookEndpoint | null> {
    return this.txHost.tx.webhookEndpoint.findFirst({ where: { teamId, id } });
  }

  /** Locks the endpoint's row until the transaction ends (health bookkeeping of parallel attempts). */
  async findForUpdate(teamId: string, id: string): Promise<WebhookEndpoint | null> {
    const rows = await this.txHost.tx.$queryRaw<{ id: string }[]>`
      SELECT "id" FROM "webhook_endpoints" WHERE "id" = ${id}::uuid AND "teamId" = ${teamId}::uuid FOR UPDATE`;
    return rows.length ? this.find(teamId, id) : null;
  }

  async update(
    teamId: string,
    id: string,
    data: Prisma.WebhookEndpointUpdateManyMutationInput,
  ): Promise<WebhookEndpoint | null> {
    const { count } = await this.txHost.tx.webhookEndpoint.updateMany({ where: { teamId, id }, data });
    return count === 1 ? this.find(teamId, id) : null;
  }

  /** After a delivered attempt: the endpoint is healthy again (a no-op when it already was). */
  async clearFailing(teamId: string, id: string): Promise<void> {
    await this.txHost.tx.webhookEndpoint.updateMany({
      where: { teamId, id, failingSince: { not: null } },
      data: { failingSince: null },
    });
  }

  async delete(teamId: string, id: string): Promise<boolean> {
    const { count } = await this.txHost.tx.webhookEndpoint.deleteMany({ where: { teamId, id } });
    return count === 1;
  }

  /** The consumer's first look at a job: which endpoint its delivery goes to (jobs carry ids only). */
  deliveryTarget(deliveryId: string): Promise<{ teamId: string; webhookId: string | null } | null> {
    return this.txHost.tx.delivery.findUnique({
      where: { id: deliveryId },
      select: { teamId: true, webhookId: true },
    });
  }

  createDelivery(
    teamId: string,
    data: Omit<Prisma.DeliveryUncheckedCreateInput, 'teamId' | 'sinkId'> & { webhookId: string },
  ): Promise<DeliveryWithAttempts> {
    return this.txHost.tx.delivery.create({ data: { ...data, teamId }, include: withAttempts });
  }

  deliveries(
    teamId: string,
    webhookId: string,
    filter: { status?: DeliveryStatus },
    limit: number,
    beforeId?: string,
  ): Promise<DeliveryWithAttempts[]> {
    return this.txHost.tx.delivery.findMany({
      where: {
        teamId,
        webhookId,
        ...(filter.status ? { status: filter.status } : {}),
        ...(beforeId ? { id: { lt: beforeId } } : {}),
      },
      orderBy: { id: 'desc' },
      take: limit + 1,
      include: withAttempts,
    });
  }

  /** A webhook delivery of the team (sink deliveries are not the webhooks API's). */
  findDelivery(teamId: string, id: string): Promise<DeliveryWithAttempts | null> {
    return this.txHost.tx.delivery.findFirst({
      where: { teamId, id, webhookId: { not: null } },
      include: withAttempts,
    });
  }

  /**
   * Puts a settled delivery (or a pending one waiting for its next attempt) back to pending with its
   * next attempt due now — only if nobody moved it meanwhile (same status, same attempt count).
   */
  async reopenDelivery(
    teamId: string,
    id: string,
    expected: { status: string; attempts: number },
    now: Date,
  ): Promise<boolean> {
    const { count } = await this.txHost.tx.delivery.updateMany({
      where: { teamId, id, status: expected.status, attempts: expected.attempts },
      data: { status: 'pending', nextAttemptAt: now, deliveredAt: null },
    });
    return count === 1;
  }
}
