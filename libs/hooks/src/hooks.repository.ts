import { Injectable } from '@nestjs/common';
import { HookDelivery, HookSource, InjectTransactionHost, Prisma, TxHost } from '@heddle/db';

export interface NewHookSource {
  name: string;
  kind: string;
  secretEnc: string;
  config: Prisma.InputJsonObject;
  enabled: boolean;
}

export interface NewHookDelivery {
  sourceId: string;
  deliveryId: string;
  event: string;
  outcome: string;
  taskId: string | null;
  origin: Prisma.InputJsonObject | null;
}

/** The only file that touches hook sources and hook deliveries. */
@Injectable()
export class HooksRepository {
  constructor(@InjectTransactionHost() private readonly txHost: TxHost) {}

  create(teamId: string, source: NewHookSource): Promise<HookSource> {
    return this.txHost.tx.hookSource.create({ data: { teamId, ...source } });
  }

  list(teamId: string, limit: number, beforeId?: string): Promise<HookSource[]> {
    return this.txHost.tx.hookSource.findMany({
      where: { teamId, ...(beforeId ? { id: { lt: beforeId } } : {}) },
      orderBy: { id: 'desc' },
      take: limit + 1,
    });
  }

  find(teamId: string, id: string): Promise<HookSource | null> {
    return this.txHost.tx.hookSource.findFirst({ where: { teamId, id } });
  }

  /**
   * The public hook route's lookup: by id alone, since the id is what addresses a source. The
   * caller proves it may use the source with its signature or token before anything is answered.
   */
  findForDelivery(id: string): Promise<(HookSource & { team: { name: string } }) | null> {
    return this.txHost.tx.hookSource.findUnique({ where: { id }, include: { team: { select: { name: true } } } });
  }

  async update(teamId: string, id: string, data: Prisma.HookSourceUpdateManyMutationInput): Promise<HookSource | null> {
    const { count } = await this.txHost.tx.hookSource.updateMany({ where: { teamId, id }, data });
    return count === 1 ? this.find(teamId, id) : null;
  }

  async delete(teamId: string, id: string): Promise<boolean> {
    const { count } = await this.txHost.tx.hookSource.deleteMany({ where: { teamId, id } });
    return count === 1;
  }

  findDelivery(teamId: string, sourceId: string, deliveryId: string): Promise<HookDelivery | null> {
    return this.txHost.tx.hookDelivery.findFirst({ where: { teamId, sourceId, deliveryId } });
  }

  /** Once per source and delivery id: a second record of the same delivery is a no-op. */
  async recordDelivery(teamId: string, delivery: NewHookDelivery): Promise<void> {
    await this.txHost.tx.hookDelivery.createMany({
      data: [{ teamId, ...delivery, origin: delivery.origin ?? Prisma.DbNull }],
      skipDuplicates: true,
    });
  }

  deliveries(teamId: string, sourceId: string, limit: number, beforeId?: string): Promise<HookDelivery[]> {
    return this.txHost.tx.hookDelivery.findMany({
      where: { teamId, sourceId, ...(beforeId ? { id: { lt: beforeId } } : {}) },
      orderBy: { id: 'desc' },
      take: limit + 1,
    });
  }

  /** The delivery a task came from (for replies such as the `github_comment` sink). */
  deliveryOfTask(teamId: string, taskId: string): Promise<HookDelivery | null> {
    return this.txHost.tx.hookDelivery.findFirst({ where: { teamId, taskId } });
  }
}
