import { Injectable } from '@nestjs/common';
import { Event, InjectTransactionHost, TxHost } from '@heddle/db';

export interface EventStreamFilter {
  /** Any of these types; all types when absent or empty. */
  types?: readonly string[];
  hostId?: string;
  taskId?: string;
}

/**
 * The reads of event streams: pages of the log after a seq with a multi-type filter, and where the
 * log ends now. (`EventsRepository.listAfter` takes one type; streams take several.)
 */
@Injectable()
export class EventStreamRepository {
  constructor(@InjectTransactionHost() private readonly txHost: TxHost) {}

  listAfter(teamId: string, afterSeq: bigint, limit: number, filter: EventStreamFilter = {}): Promise<Event[]> {
    return this.txHost.tx.event.findMany({
      where: {
        teamId,
        seq: { gt: afterSeq },
        ...(filter.types?.length ? { type: { in: [...filter.types] } } : {}),
        ...(filter.hostId ? { hostId: filter.hostId } : {}),
        ...(filter.taskId ? { taskId: filter.taskId } : {}),
      },
      orderBy: { seq: 'asc' },
      take: limit,
    });
  }

  /** The seq of the team's last committed event (0 for none). */
  async lastSeq(teamId: string): Promise<number> {
    const result = await this.txHost.tx.event.aggregate({ where: { teamId }, _max: { seq: true } });
    return Number(result._max.seq ?? 0n);
  }
}
