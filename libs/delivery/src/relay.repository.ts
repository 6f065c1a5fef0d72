import { Injectable } from '@nestjs/common';
import { Delivery, Event, InjectTransactionHost, Prisma, TxHost } from '@heddle/db';

export interface RelayTarget {
  kind: 'webhook' | 'sink';
  id: string;
  events: string[];
  /** Only events of tasks that came from a GitHub hook (a sink that replies where its task came from). */
  githubTasksOnly: boolean;
}

/**
 * Sink kinds that answer where a task came from (`github_comment`: the issue or pull request of the
 * hook delivery that made it): they get events of such tasks only.
 */
export const ORIGIN_BOUND_SINK_KINDS: readonly string[] = ['github_comment'];

@Injectable()
export class RelayRepository {
  constructor(@InjectTransactionHost() private readonly txHost: TxHost) {}

  transaction<T>(fn: () => Promise<T>): Promise<T> {
    return this.txHost.withTransaction(fn);
  }

  /** Gives every team a cursor (new teams start at 0: their whole log is relayed). */
  async ensureCursors(): Promise<void> {
    await this.txHost.tx.$executeRaw`
      INSERT INTO "relay_cursors" ("teamId", "relayedSeq", "updatedAt")
      SELECT t."id", 0, now() FROM "teams" t
      LEFT JOIN "relay_cursors" c ON c."teamId" = t."id" WHERE c."teamId" IS NULL
      ON CONFLICT DO NOTHING`;
  }

  /**
   * Cursors of teams with committed events not yet relayed, locked for this transaction; those
   * another relay holds are skipped, so parallel relays share the work and never relay twice.
   */
  lockBehind(limit: number, teamIds: readonly string[] | null): Promise<{ teamId: string; relayedSeq: bigint }[]> {
    const scope = teamIds === null ? Prisma.sql`TRUE` : Prisma.sql`c."teamId" = ANY(${[...teamIds]}::uuid[])`;
    return this.txHost.tx.$queryRaw`
      SELECT c."teamId", c."relayedSeq" FROM "relay_cursors" c
      JOIN "teams" t ON t."id" = c."teamId"
      WHERE t."eventSeq" > c."relayedSeq" AND ${scope}
      ORDER BY c."updatedAt" LIMIT ${limit}
      FOR UPDATE OF c SKIP LOCKED`;
  }

  eventsAfter(teamId: string, seq: bigint, limit: number): Promise<Event[]> {
    return this.txHost.tx.event.findMany({
      where: { teamId, seq: { gt: seq } },
      orderBy: { seq: 'asc' },
      take: limit,
    });
  }

  async targets(teamId: string): Promise<RelayTarget[]> {
    const [webhooks, sinks] = await Promise.all([
      this.txHost.tx.webhookEndpoint.findMany({
        where: { teamId, enabled: true, disabledAt: null },
        select: { id: true, events: true },
      }),
      this.txHost.tx.sink.findMany({
        where: { teamId, enabled: true, disabledAt: null },
        select: { id: true, events: true, kind: true },
      }),
    ]);
    return [
      ...webhooks.map((w) => ({ kind: 'webhook' as const, ...w, githubTasksOnly: false })),
      ...sinks.map((s) => ({
        kind: 'sink' as const,
        id: s.id,
        events: s.events,
        githubTasksOnly: ORIGIN_BOUND_SINK_KINDS.includes(s.kind),
      })),
    ];
  }

  /** Which of these tasks a GitHub hook delivery made (hook_deliveries is read here, written by libs/hooks). */
  async tasksFromGithub(teamId: string, taskIds: string[]): Promise<Set<string>> {
    if (taskIds.length === 0) return new Set();
    const rows = await this.txHost.tx.hookDelivery.findMany({
      where: { teamId, taskId: { in: taskIds }, origin: { path: ['provider'], equals: 'github' } },
      select: { taskId: true },
    });
    return new Set(rows.map((r) => r.taskId!));
  }

  createDeliveries(rows: Prisma.DeliveryCreateManyInput[]): Promise<Delivery[]> {
    if (rows.length === 0) return Promise.resolve([]);
    return this.txHost.tx.delivery.createManyAndReturn({ data: rows, skipDuplicates: true });
  }

  async advance(teamId: string, seq: bigint): Promise<void> {
    await this.txHost.tx.relayCursor.update({ where: { teamId }, data: { relayedSeq: seq } });
  }
}
