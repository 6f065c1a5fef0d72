import { Injectable } from '@nestjs/common';
import { Host, InjectTransactionHost, Prisma, Task, Turn, TxHost } from '@heddle/db';

/** The statuses in which a task holds (or is about to hold) a session on its host. */
const LOADED = ['dispatching', 'running', 'verifying'];
const ACTIVE = ['queued', 'dispatching', 'running', 'verifying', 'paused'];

/** A write lost to another writer (a user action, another worker): the step re-reads and decides again. */
export class TaskChangedError extends Error {
  constructor(taskId: string) {
    super(`task ${taskId} changed while the harness was deciding; it will look again`);
  }
}

/** The harness's reads and writes. Every write to a task is conditional on the version it read. */
@Injectable()
export class HarnessRepository {
  constructor(@InjectTransactionHost() private readonly txHost: TxHost) {}

  transaction<T>(fn: () => Promise<T>): Promise<T> {
    return this.txHost.withTransaction(fn);
  }

  /**
   * Takes the task's lease when nobody holds it (or the holder's lease ran out) and returns the
   * task; null when another step holds it or the task is gone.
   */
  async acquire(taskId: string, owner: string, leaseSeconds: number): Promise<Task | null> {
    // RETURNING * hands back the row as Prisma's own read would (jsonb parsed, timestamptz as Date).
    const rows = await this.txHost.tx.$queryRaw<Task[]>`
      UPDATE "tasks" SET "leaseOwner" = ${owner}, "leaseUntil" = now() + make_interval(secs => ${leaseSeconds})
      WHERE "id" = ${taskId}::uuid AND ("leaseUntil" IS NULL OR "leaseUntil" < now())
      RETURNING *`;
    return rows[0] ?? null;
  }

  async renew(taskId: string, owner: string, leaseSeconds: number): Promise<void> {
    await this.txHost.tx.$executeRaw`
      UPDATE "tasks" SET "leaseUntil" = now() + make_interval(secs => ${leaseSeconds})
      WHERE "id" = ${taskId}::uuid AND "leaseOwner" = ${owner}`;
  }

  /** Gives the lease back and records when the next step is due (null: none scheduled). */
  async release(taskId: string, owner: string, wakeAt: Date | null | undefined): Promise<void> {
    if (wakeAt === undefined) {
      await this.txHost.tx.$executeRaw`
        UPDATE "tasks" SET "leaseOwner" = NULL, "leaseUntil" = NULL
        WHERE "id" = ${taskId}::uuid AND "leaseOwner" = ${owner}`;
      return;
    }
    await this.txHost.tx.$executeRaw`
      UPDATE "tasks" SET "leaseOwner" = NULL, "leaseUntil" = NULL, "wakeAt" = ${wakeAt}
      WHERE "id" = ${taskId}::uuid AND "leaseOwner" = ${owner}`;
  }

  /** Tasks with work left whose next step is overdue and which nobody is stepping: their job was lost. */
  async overdue(
    graceSeconds: number,
    limit: number,
    teamIds: readonly string[] | null,
  ): Promise<{ id: string; wakeAt: Date | null }[]> {
    const scope = teamIds === null ? Prisma.sql`TRUE` : Prisma.sql`"teamId" = ANY(${[...teamIds]}::uuid[])`;
    return this.txHost.tx.$queryRaw<{ id: string; wakeAt: Date | null }[]>`
      SELECT "id", "wakeAt" FROM "tasks"
      WHERE ("status" IN ('queued', 'dispatching', 'running', 'verifying') OR "pendingAction" IS NOT NULL
             OR ("status" = 'paused' AND "wakeAt" IS NOT NULL))
        AND COALESCE("wakeAt", "updatedAt") < now() - make_interval(secs => ${graceSeconds})
        AND ${scope}
        AND ("leaseUntil" IS NULL OR "leaseUntil" < now())
      ORDER BY "wakeAt" LIMIT ${limit}`;
  }

  /** The task's scheduled step (null: none); undefined when the task is gone. */
  async wakeAt(taskId: string): Promise<Date | null | undefined> {
    const row = await this.txHost.tx.task.findUnique({ where: { id: taskId }, select: { wakeAt: true } });
    return row ? row.wakeAt : undefined;
  }

  find(taskId: string): Promise<Task | null> {
    return this.txHost.tx.task.findUnique({ where: { id: taskId } });
  }

  /** Writes over the version read; another writer in between → TaskChangedError. Returns the new row. */
  async update(task: Task, data: Prisma.TaskUpdateManyMutationInput): Promise<Task> {
    try {
      // One UPDATE … RETURNING: the version in the unique filter makes it conditional.
      return await this.txHost.tx.task.update({
        where: { id: task.id, version: task.version },
        data: { ...data, version: { increment: 1 } },
      });
    } catch (err) {
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2025') {
        throw new TaskChangedError(task.id);
      }
      throw err;
    }
  }

  teamSettings(teamId: string): Promise<{ settings: Prisma.JsonValue } | null> {
    return this.txHost.tx.team.findUnique({ where: { id: teamId }, select: { settings: true } });
  }

  host(teamId: string, hostId: string): Promise<Host | null> {
    return this.txHost.tx.host.findFirst({ where: { teamId, id: hostId } });
  }

  /** Recounts the sessions Heddle's tasks hold on a host (a count, not a counter: it cannot drift). */
  async refreshHostLoad(hostId: string): Promise<void> {
    await this.txHost.tx.$executeRaw`
      UPDATE "hosts" SET "activeSessions" = (
        SELECT count(*) FROM "tasks" WHERE "hostId" = ${hostId}::uuid AND "status" = ANY(${LOADED})
      ) WHERE "id" = ${hostId}::uuid`;
  }

  turn(taskId: string, number: number): Promise<Turn | null> {
    return this.txHost.tx.turn.findUnique({ where: { taskId_number: { taskId, number } } });
  }

  insertTurn(data: Prisma.TurnUncheckedCreateInput): Promise<Turn> {
    return this.txHost.tx.turn.create({ data });
  }

  updateTurn(turn: Turn, data: Prisma.TurnUpdateInput): Promise<Turn> {
    return this.txHost.tx.turn.update({ where: { id: turn.id }, data });
  }

  /** Files changed by the task's earlier turns (weak verification looks at the whole task). */
  async changedFilesBefore(taskId: string, number: number): Promise<string[]> {
    const rows = await this.txHost.tx.turn.findMany({
      where: { taskId, number: { lt: number } },
      select: { changedFiles: true },
    });
    return [...new Set(rows.flatMap((r) => r.changedFiles))];
  }

  latestCheckRun(taskId: string) {
    return this.txHost.tx.checkRun.findFirst({ where: { taskId }, orderBy: { id: 'desc' } });
  }

  insertCheckRun(data: Prisma.CheckRunUncheckedCreateInput) {
    return this.txHost.tx.checkRun.create({ data });
  }

  /** Active tasks with a session, with their hosts: what the host event watcher follows. */
  async watchedWithHosts(
    limit: number,
    teamIds: readonly string[] | null,
  ): Promise<{ id: string; workspace: string; sessionId: string; host: Host }[]> {
    const tasks = await this.txHost.tx.task.findMany({
      where: {
        status: { in: ACTIVE },
        sessionId: { not: null },
        hostId: { not: null },
        ...(teamIds === null ? {} : { teamId: { in: [...teamIds] } }),
      },
      select: { id: true, teamId: true, hostId: true, sessionId: true, workspace: true },
      take: limit,
    });
    const hostIds = [...new Set(tasks.map((t) => t.hostId!))];
    const hosts = new Map(
      (await this.txHost.tx.host.findMany({ where: { id: { in: hostIds } } })).map((h) => [h.id, h] as const),
    );
    return tasks.flatMap((t) => {
      const host = hosts.get(t.hostId!);
      return host ? [{ id: t.id, workspace: t.workspace, sessionId: t.sessionId!, host }] : [];
    });
  }
}
