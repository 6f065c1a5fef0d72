import { Injectable } from '@nestjs/common';
import { InjectTransactionHost, Prisma, TaskMessage, TxHost } from '@heddle/db';
import type { DroppedReason, MessageStatus } from './follow-ups';

/** The task_messages table's only writer (TaskMessagesService); every query names the team. */
@Injectable()
export class TaskMessagesRepository {
  constructor(@InjectTransactionHost() private readonly txHost: TxHost) {}

  create(teamId: string, data: Omit<Prisma.TaskMessageUncheckedCreateInput, 'teamId'>): Promise<TaskMessage> {
    return this.txHost.tx.taskMessage.create({ data: { ...data, teamId } });
  }

  find(teamId: string, taskId: string, id: string): Promise<TaskMessage | null> {
    return this.txHost.tx.taskMessage.findFirst({ where: { teamId, taskId, id } });
  }

  findByIdempotencyKey(teamId: string, taskId: string, key: string): Promise<TaskMessage | null> {
    return this.txHost.tx.taskMessage.findFirst({ where: { teamId, taskId, idempotencyKey: key } });
  }

  /** The task's queued messages, oldest first. */
  queued(teamId: string, taskId: string): Promise<TaskMessage[]> {
    return this.txHost.tx.taskMessage.findMany({
      where: { teamId, taskId, status: 'queued' },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
  }

  /** Of `ids`, those that are summaries (other messages were merged into them). */
  async summaries(teamId: string, taskId: string, ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.txHost.tx.taskMessage.findMany({
      where: { teamId, taskId, mergedInto: { in: ids } },
      select: { mergedInto: true },
      distinct: ['mergedInto'],
    });
    return new Set(rows.map((r) => r.mergedInto!));
  }

  /** Queued → dropped, for those of `ids` still queued; returns the rows it changed. */
  markDropped(
    teamId: string,
    taskId: string,
    ids: string[] | 'all',
    reason: DroppedReason,
    at: Date,
    mergedInto: string | null = null,
  ): Promise<TaskMessage[]> {
    if (ids !== 'all' && ids.length === 0) return Promise.resolve([]);
    return this.txHost.tx.taskMessage.updateManyAndReturn({
      where: { teamId, taskId, status: 'queued', ...(ids === 'all' ? {} : { id: { in: ids } }) },
      data: { status: 'dropped', droppedReason: reason, droppedAt: at, mergedInto },
    });
  }

  /** Queued → delivered in turn `turn`, for those of `ids` still queued; returns the rows it changed. */
  markDelivered(teamId: string, taskId: string, ids: string[], turn: number, at: Date): Promise<TaskMessage[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.txHost.tx.taskMessage.updateManyAndReturn({
      where: { teamId, taskId, status: 'queued', id: { in: ids } },
      data: { status: 'delivered', deliveredAt: at, turn },
    });
  }

  countQueued(teamId: string, taskId: string): Promise<number> {
    return this.txHost.tx.taskMessage.count({ where: { teamId, taskId, status: 'queued' } });
  }

  /** A page of the task's messages in the order they were stored (ids are time-ordered). */
  list(
    teamId: string,
    taskId: string,
    statuses: MessageStatus[] | undefined,
    limit: number,
    afterId?: string,
  ): Promise<TaskMessage[]> {
    return this.txHost.tx.taskMessage.findMany({
      where: {
        teamId,
        taskId,
        ...(statuses?.length ? { status: { in: statuses } } : {}),
        ...(afterId ? { id: { gt: afterId } } : {}),
      },
      orderBy: { id: 'asc' },
      take: limit + 1,
    });
  }
}
