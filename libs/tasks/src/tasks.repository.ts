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

/** A write lost to another writer (a user action, another worker): the harness re-reads and decides again. */
export class TaskChangedError extends Error {
  constructor(taskId: string) {
    super(`task ${taskId} changed while the harness was deciding; it will look again`);
  }
}

/**
 * The tasks table's only writer (the API's changes and the harness's alike); turns and check runs
 * are the harness's.
 */
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

  /** The team's unfinished tasks working in (or bound to) an OpenCode session, locked: one writer per session. */
  async liveWithSessionForUpdate(teamId: string, sessionId: string, exceptId: string): Promise<Task[]> {
    const rows = await this.txHost.tx.$queryRaw<{ id: string }[]>`
      SELECT "id" FROM "tasks"
      WHERE "teamId" = ${teamId}::uuid AND "id" <> ${exceptId}::uuid
        AND ("sessionId" = ${sessionId} OR "bindSessionId" = ${sessionId})
        AND "status" IN ('queued', 'dispatching', 'running', 'verifying', 'paused')
      FOR UPDATE`;
    if (rows.length === 0) return [];
    return this.txHost.tx.task.findMany({ where: { teamId, id: { in: rows.map((r) => r.id) } } });
  }

  /** Writes over the version read; another writer in between → TaskChangedError. Returns the new row. */
  async updateVersioned(task: Task, data: Prisma.TaskUpdateManyMutationInput): Promise<Task> {
    try {
      // One UPDATE … RETURNING: the version in the unique filter makes it conditional.
      return await this.txHost.tx.task.update({
        where: { id: task.id, teamId: task.teamId, version: task.version },
        data: { ...data, version: { increment: 1 } },
      });
    } catch (err) {
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2025') {
        throw new TaskChangedError(task.id);
      }
      throw err;
    }
  }

  /**
   * Takes the task's lease when nobody holds it (or the holder's lease ran out) and returns the
   * task; null when another step holds it or the task is gone.
   */
  async acquireLease(teamId: string, taskId: string, owner: string, leaseSeconds: number): Promise<Task | null> {
    // RETURNING * hands back the row as Prisma's own read would (jsonb parsed, timestamptz as Date).
    const rows = await this.txHost.tx.$queryRaw<Task[]>`
      UPDATE "tasks" SET "leaseOwner" = ${owner}, "leaseUntil" = now() + make_interval(secs => ${leaseSeconds})
      WHERE "id" = ${taskId}::uuid AND "teamId" = ${teamId}::uuid
        AND ("leaseUntil" IS NULL OR "leaseUntil" < now())
      RETURNING *`;
    return rows[0] ?? null;
  }

  async renewLease(teamId: string, taskId: string, owner: string, leaseSeconds: number): Promise<void> {
    await this.txHost.tx.$executeRaw`
      UPDATE "tasks" SET "leaseUntil" = now() + make_interval(secs => ${leaseSeconds})
      WHERE "id" = ${taskId}::uuid AND "teamId" = ${teamId}::uuid AND "leaseOwner" = ${owner}`;
  }

  /** Gives the lease back and records when the next step is due (null: none scheduled; undefined: unchanged). */
  async releaseLease(teamId: string, taskId: string, owner: string, wakeAt: Date | null | undefined): Promise<void> {
    if (wakeAt === undefined) {
      await this.txHost.tx.$executeRaw`
        UPDATE "tasks" SET "leaseOwner" = NULL, "leaseUntil" = NULL
        WHERE "id" = ${taskId}::uuid AND "teamId" = ${teamId}::uuid AND "leaseOwner" = ${owner}`;
      return;
    }
    await this.txHost.tx.$executeRaw`
      UPDATE "tasks" SET "leaseOwner" = NULL, "leaseUntil" = NULL, "wakeAt" = ${wakeAt}
      WHERE "id" = ${taskId}::uuid AND "teamId" = ${teamId}::uuid AND "leaseOwner" = ${owner}`;
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

  /** The team's follow-up policy defaults (`settings.followUps`), as stored; null when unset. */
  async teamFollowUps(teamId: string): Promise<unknown> {
    const team = await this.txHost.tx.team.findUnique({ where: { id: teamId }, select: { settings: true } });
    return (team?.settings as { followUps?: unknown } | null)?.followUps ?? null;
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
