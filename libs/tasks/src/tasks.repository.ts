import { Injectable } from '@nestjs/common';
import { CheckRun, InjectTransactionHost, Prisma, Task, Turn, TxHost } from '@heddle/db';
import type { TaskStatus } from './task-state';

export interface TaskFilter {
  status?: TaskStatus[];
  hostId?: string;
  label?: string;
  createdFrom?: Date;
  createdTo?: Date;
  archived: boolean;
}

@Injectable()
export class TasksRepository {
  constructor(@InjectTransactionHost() private readonly txHost: TxHost) {}

  create(teamId: string, data: Omit<Prisma.TaskUncheckedCreateInput, 'teamId'>): Promise<Task> {
    return this.txHost.tx.task.create({ data: { ...data, teamId } });
  }

  find(teamId: string, id: string): Promise<Task | null> {
    return this.txHost.tx.task.findFirst({ where: { teamId, id } });
  }

  findByIdempotencyKey(teamId: string, key: string): Promise<Task | null> {
    return this.txHost.tx.task.findUnique({ where: { teamId_idempotencyKey: { teamId, idempotencyKey: key } } });
  }

  /** Locks the task row until the transaction ends: one state change at a time. */
  async findForUpdate(teamId: string, id: string): Promise<Task | null> {
    const rows = await this.txHost.tx.$queryRaw<{ id: string }[]>`
      SELECT "id" FROM "tasks" WHERE "id" = ${id}::uuid AND "teamId" = ${teamId}::uuid FOR UPDATE`;
    return rows.length ? this.find(teamId, id) : null;
  }

  list(teamId: string, filter: TaskFilter, limit: number, beforeId?: string): Promise<Task[]> {
    return this.txHost.tx.task.findMany({
      where: {
        teamId,
        archived: filter.archived,
        ...(filter.status?.length ? { status: { in: filter.status } } : {}),
        ...(filter.hostId ? { OR: [{ hostId: filter.hostId }, { requestedHostId: filter.hostId }] } : {}),
        ...(filter.label ? { labels: { has: filter.label } } : {}),
        ...(filter.createdFrom || filter.createdTo
          ? { createdAt: { gte: filter.createdFrom, lt: filter.createdTo } }
          : {}),
        ...(beforeId ? { id: { lt: beforeId } } : {}),
      },
      orderBy: { id: 'desc' },
      take: limit + 1,
    });
  }

  async update(teamId: string, id: string, data: Prisma.TaskUpdateManyMutationInput): Promise<Task> {
    const { count } = await this.txHost.tx.task.updateMany({ where: { teamId, id }, data });
    if (count !== 1) throw new Error(`task ${id} vanished during an update`);
    return (await this.find(teamId, id))!;
  }

  async delete(teamId: string, id: string): Promise<boolean> {
    const { count } = await this.txHost.tx.task.deleteMany({ where: { teamId, id } });
    return count === 1;
  }

  turns(teamId: string, taskId: string, limit: number, afterId?: string): Promise<Turn[]> {
    return this.txHost.tx.turn.findMany({
      where: { teamId, taskId, ...(afterId ? { id: { gt: afterId } } : {}) },
      orderBy: { id: 'asc' },
      take: limit + 1,
    });
  }

  checkRuns(teamId: string, taskId: string, limit: number, beforeId?: string): Promise<CheckRun[]> {
    return this.txHost.tx.checkRun.findMany({
      where: { teamId, taskId, ...(beforeId ? { id: { lt: beforeId } } : {}) },
      orderBy: { id: 'desc' },
      take: limit + 1,
    });
  }

  latestCheckRun(teamId: string, taskId: string): Promise<CheckRun | null> {
    return this.txHost.tx.checkRun.findFirst({ where: { teamId, taskId }, orderBy: { id: 'desc' } });
  }

  async teamDefaultBudgets(teamId: string): Promise<Record<string, unknown>> {
    const team = await this.txHost.tx.team.findUnique({ where: { id: teamId }, select: { settings: true } });
    const settings = (team?.settings ?? {}) as { defaultBudgets?: Record<string, unknown> };
    return settings.defaultBudgets ?? {};
  }

  /** The host's workspace roots, or null when the team has no such host. */
  async hostWorkspaceRoots(teamId: string, hostId: string): Promise<string[] | null> {
    const host = await this.txHost.tx.host.findFirst({
      where: { teamId, id: hostId },
      select: { workspaceRoots: true },
    });
    return host ? (host.workspaceRoots ?? []) : null;
  }

  /** The team's command-check policy (`settings.allowCommandChecks`, off unless set true). */
  async teamAllowsCommandChecks(teamId: string): Promise<boolean> {
    const team = await this.txHost.tx.team.findUnique({ where: { id: teamId }, select: { settings: true } });
    return (team?.settings as { allowCommandChecks?: unknown } | null)?.allowCommandChecks === true;
  }
}
