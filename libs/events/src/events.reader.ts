import { Injectable } from '@nestjs/common';
import type { EventType } from '@heddle/common';
import { EventsRepository } from './events.repository';
import { EventView, toEventView } from './events.writer';

export interface EventQuery {
  after?: number;
  limit?: number;
  type?: EventType;
  hostId?: string;
  taskId?: string;
}

/** Reads a team's event log in seq order, for the JSON page route and stream catch-up. */
@Injectable()
export class EventsReader {
  constructor(private readonly repository: EventsRepository) {}

  async page(teamId: string, query: EventQuery): Promise<{ items: EventView[]; nextAfter: number }> {
    const after = query.after ?? 0;
    const rows = await this.repository.listAfter(teamId, BigInt(after), query.limit ?? 50, {
      type: query.type,
      hostId: query.hostId,
      taskId: query.taskId,
    });
    const items = rows.map(toEventView);
    return { items, nextAfter: items.at(-1)?.seq ?? after };
  }
}
