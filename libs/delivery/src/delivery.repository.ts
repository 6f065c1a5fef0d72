import { Injectable } from '@nestjs/common';
import { Delivery, DeliveryAttempt, Event, InjectTransactionHost, Prisma, TxHost } from '@heddle/db';

/** The reads and writes of deliveries and their attempts; every team-facing read is scoped by team. */
@Injectable()
export class DeliveryRepository {
  constructor(@InjectTransactionHost() private readonly txHost: TxHost) {}

  transaction<T>(fn: () => Promise<T>): Promise<T> {
    return this.txHost.withTransaction(fn);
  }

  /**
   * Claims attempt `attempt` of a pending delivery: only one claimer wins, and only while no later
   * attempt was made. The claim pushes `nextAttemptAt` ahead by `leaseSeconds`, so a worker dying
   * mid-attempt leaves the delivery to the sweep, which makes the next attempt.
   */
  async claim(deliveryId: string, attempt: number, leaseSeconds: number): Promise<Delivery | null> {
    const rows = await this.txHost.tx.$queryRaw<{ id: string }[]>`
      UPDATE "deliveries" SET "attempts" = ${attempt}, "nextAttemptAt" = now() + make_interval(secs => ${leaseSeconds}),
        "updatedAt" = now()
      WHERE "id" = ${deliveryId}::uuid AND "status" = 'pending' AND "attempts" = ${attempt - 1}
      RETURNING "id"`;
    if (rows.length === 0) return null;
    return this.txHost.tx.delivery.findUnique({ where: { id: deliveryId } });
  }

  event(id: string): Promise<Event | null> {
    return this.txHost.tx.event.findUnique({ where: { id } });
  }

  recordAttempt(data: Prisma.DeliveryAttemptUncheckedCreateInput): Promise<DeliveryAttempt> {
    return this.txHost.tx.deliveryAttempt.create({ data });
  }

  update(id: string, data: Prisma.DeliveryUpdateInput): Promise<Delivery> {
    return this.txHost.tx.delivery.update({ where: { id }, data });
  }

  /** Pending deliveries whose attempt is overdue (their job was lost, or their worker died). */
  overdue(graceSeconds: number, limit: number, teamIds: readonly string[] | null = null) {
    const scope = teamIds === null ? Prisma.sql`TRUE` : Prisma.sql`"teamId" = ANY(${[...teamIds]}::uuid[])`;
    return this.txHost.tx.$queryRaw<{ id: string; attempts: number; webhookId: string | null }[]>`
      SELECT "id", "attempts", "webhookId" FROM "deliveries"
      WHERE "status" = 'pending' AND "nextAttemptAt" < now() - make_interval(secs => ${graceSeconds}) AND ${scope}
      ORDER BY "nextAttemptAt" LIMIT ${limit}`;
  }

  find(teamId: string, id: string): Promise<Delivery | null> {
    return this.txHost.tx.delivery.findFirst({ where: { teamId, id } });
  }

  attempts(deliveryId: string): Promise<DeliveryAttempt[]> {
    return this.txHost.tx.deliveryAttempt.findMany({ where: { deliveryId }, orderBy: { number: 'asc' } });
  }
}
