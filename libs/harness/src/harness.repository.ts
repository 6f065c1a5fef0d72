import { Injectable } from '@nestjs/common';
import { Host, InjectTransactionHost, Prisma, Task, Turn, TxHost } from '@heddle/db';
import { ACTIVE } from '@heddle/tasks';

/**
 * The harness's reads, and its writes of turns and check runs (tables it owns). Tasks are written
 * through `TaskLifecycle` and `TasksRepository` (libs/tasks), conditional on the version read.
 */
@Injectable()
export class HarnessRepository {
  constructor(@InjectTransactionHost() private readonly txHost: TxHost) {}

  transaction<T>(fn: () => Promise<T>): Promise<T> {
    return this.txHost.withTransaction(fn);
  }

  /**
   * Tasks with work left whose next step is overdue and which nobody is stepping: their job was lost.
   * Across teams by design (the worker-wide sweep, narrowed by WorkScope); it answers each task's team,
   * and everything after it is scoped by that team.
   */
  async overdue(
    graceSeconds: number,
    limit: number,
    teamIds: readonly string[] | null,
  ): Promise<{ id: string; teamId: string; wakeAt: Date | null }[]> {
    const scope = teamIds === null ? Prisma.sql`TRUE` : Prisma.sql`"teamId" = ANY(${[...teamIds]}::uuid[])`;
    return this.txHost.tx.$queryRaw<{ id: string; teamId: string; wakeAt: Date | null }[]>`
      SELECT "id", "teamId", "wakeAt" FROM "tasks"
      WHERE ("status" IN ('queued', 'dispatching', 'running', 'verifying') OR "pendingAction" IS NOT NULL
             OR ("status" = 'paused' AND "wakeAt" IS NOT NULL))
        AND COALESCE("wakeAt", "updatedAt") < now() - make_interval(secs => ${graceSeconds})
        AND ${scope}
        AND ("leaseUntil" IS NULL OR "leaseUntil" < now())
      ORDER BY "wakeAt" LIMIT ${limit}`;
  }

  /** The task's scheduled step (null: none); undefined when the task is gone. */
  async wakeAt(teamId: string, taskId: string): Promise<Date | null | undefined> {
    const row = await this.txHost.tx.task.findFirst({ where: { teamId, id: taskId }, select: { wakeAt: true } });
    return row ? row.wakeAt : undefined;
  }

  find(teamId: string, taskId: string): Promise<Task | null> {
    return this.txHost.tx.task.findFirst({ where: { teamId, id: taskId } });
  }

  teamSettings(teamId: string): Promise<{ settings: Prisma.JsonValue } | null> {
    return this.txHost.tx.team.findUnique({ where: { id: teamId }, select: { settings: true } });
  }

  host(teamId: string, hostId: string): Promise<Host | null> {
    return this.txHost.tx.host.findFirst({ where: { teamId, id: hostId } });
  }

  turn(teamId: string, taskId: string, number: number): Promise<Turn | null> {
    return this.txHost.tx.turn.findFirst({ where: { teamId, taskId, number } });
  }

  insertTurn(data: Prisma.TurnUncheckedCreateInput): Promise<Turn> {
    return this.txHost.tx.turn.create({ data });
  }

  updateTurn(turn: Turn, data: Prisma.TurnUpdateInput): Promise<Turn> {
    return this.txHost.tx.turn.update({ where: { id: turn.id, teamId: turn.teamId }, data });
  }

  /** Files changed by the task's earlier turns (weak verification looks at the whole task). */
  async changedFilesBefore(teamId: string, taskId: string, number: number): Promise<string[]> {
    const rows = await this.txHost.tx.turn.findMany({
      where: { teamId, taskId, number: { lt: number } },
      select: { changedFiles: true },
    });
    return [...new Set(rows.flatMap((r) => r.changedFiles))];
  }

  latestCheckRun(teamId: string, taskId: string) {
    return this.txHost.tx.checkRun.findFirst({ where: { teamId, taskId }, orderBy: { id: 'desc' } });
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
        status: { in: [...ACTIVE] },
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
