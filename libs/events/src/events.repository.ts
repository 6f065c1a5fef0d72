import { Injectable } from '@nestjs/common';
import { Event, InjectTransactionHost, Prisma, TxHost } from '@heddle/db';
import { EVENTS_CHANNEL } from './event-notifications';

@Injectable()
export class EventsRepository {
  constructor(@InjectTransactionHost() private readonly txHost: TxHost) {}

  /**
   * Hands out the team's next sequence number. The UPDATE locks the team row until the transaction
   * ends, so concurrent writers of one team queue here and seq stays gap-free and in commit order.
   */
  async nextSeq(teamId: string): Promise<bigint> {
    const rows = await this.txHost.tx.$queryRaw<{ eventSeq: bigint }[]>`
      UPDATE "teams" SET "eventSeq" = "eventSeq" + 1 WHERE "id" = ${teamId}::uuid RETURNING "eventSeq"`;
    const row = rows[0];
    if (!row) throw new Error(`team ${teamId} does not exist`);
    return row.eventSeq;
  }

  async insert(
    teamId: string,
    event: { seq: bigint; type: string; taskId?: string | null; hostId?: string | null; data: Prisma.InputJsonValue },
  ): Promise<Event> {
    const row = await this.txHost.tx.event.create({ data: { teamId, ...event } });
    // Announces the event to stream tails; Postgres delivers it only if this transaction commits.
    await this.txHost.tx.$executeRaw`SELECT pg_notify(${EVENTS_CHANNEL}, ${teamId})`;
    return row;
  }

  listAfter(
    teamId: string,
    afterSeq: bigint,
    limit: number,
    filter: { type?: string; hostId?: string; taskId?: string } = {},
  ): Promise<Event[]> {
    return this.txHost.tx.event.findMany({
      where: {
        teamId,
        seq: { gt: afterSeq },
        ...(filter.type ? { type: filter.type } : {}),
        ...(filter.hostId ? { hostId: filter.hostId } : {}),
        ...(filter.taskId ? { taskId: filter.taskId } : {}),
      },
      orderBy: { seq: 'asc' },
      take: limit,
    });
  }
}
