import { Injectable } from '@nestjs/common';
import { EventType } from '@heddle/common';
import { Event, Prisma } from '@heddle/db';
import { EventsRepository } from './events.repository';

export interface NewEvent {
  type: EventType;
  taskId?: string | null;
  hostId?: string | null;
  data?: Prisma.InputJsonObject;
}

export interface EventView {
  id: string;
  seq: number;
  type: string;
  teamId: string;
  taskId: string | null;
  hostId: string | null;
  time: string;
  data: unknown;
}

/**
 * Appends to a team's event log. Call it inside the transaction that makes the state change it
 * describes (the outbox rule): the event exists if and only if the change committed.
 */
@Injectable()
export class EventsWriter {
  constructor(private readonly repository: EventsRepository) {}

  async append(teamId: string, event: NewEvent): Promise<EventView> {
    const seq = await this.repository.nextSeq(teamId);
    const row = await this.repository.insert(teamId, {
      seq,
      type: event.type,
      taskId: event.taskId ?? null,
      hostId: event.hostId ?? null,
      data: event.data ?? {},
    });
    return toEventView(row);
  }
}

export function toEventView(row: Event): EventView {
  return {
    id: row.id,
    seq: Number(row.seq),
    type: row.type,
    teamId: row.teamId,
    taskId: row.taskId,
    hostId: row.hostId,
    time: row.createdAt.toISOString(),
    data: row.data,
  };
}
