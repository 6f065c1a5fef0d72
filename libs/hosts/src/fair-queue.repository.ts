import { Injectable } from '@nestjs/common';
import { LOADED } from '@heddle/common';
import { InjectTransactionHost, Prisma, TxHost } from '@heddle/db';
import { LockKey } from './host-pool';

/** The statuses in which a task holds (or is about to hold) a session on its host. */
const HOLDING = [...LOADED];

/** One registration of the task's team (a fit candidate) judged against the fair order of its pool. */
export interface SlotStanding {
  hostId: string;
  /** That registration's `maxSessions`. */
  cap: number;
  /** Sessions Heddle's tasks hold on the server, through every registration of every team. */
  load: number;
  /** Eligible queued tasks (any team) that go before this task on the pool. */
  ahead: number;
  /** Of those, the task's own team's (older ones), counted up to what the team's limit still allows. */
  before: number;
}

export interface TeamStanding {
  /** The team's tasks holding a session anywhere. */
  running: number;
  /** `settings.maxRunningTasks`, null when unset. */
  limit: number | null;
}

const pool = (alias: string) => Prisma.raw(`lower(rtrim(${alias}."baseUrl", '/'))`);

/**
 * Reads for fair dispatch (docs/harness.md, "Dispatch order"). The fair order of a pool's waiting
 * tasks is computed here, in Postgres, from committed rows only — no scheduler holds it:
 *
 * - a **waiter** is a `queued` task whose team is under its `maxRunningTasks` and that could take a
 *   slot on the pool now (a registration of its team that is enabled, `online`, below its capacity,
 *   carrying the task's labels with a workspace root containing the workspace — or the host it names);
 * - each team's waiters line up oldest first; the k-th (from 0) stands at **level** = the sessions
 *   the team already holds on the pool + k;
 * - the pool's order is by level, then by the team served least recently (its last `TASK_STARTED`,
 *   never-served teams first), then by task id (creation order).
 *
 * So a free slot goes to the team holding the fewest sessions there, and teams holding equally many
 * take turns. Only the first `perTeam` waiters of each team are read: with at most that many free
 * slots, no later one can matter.
 */
@Injectable()
export class FairQueueRepository {
  constructor(@InjectTransactionHost() private readonly txHost: TxHost) {}

  /**
   * Inside a transaction, takes the advisory locks (sorted by the caller) until it ends, so grants on
   * the same pools and team are decided one at a time, each seeing the last one committed. Outside a
   * transaction a lock would end with its statement: nothing is done.
   */
  async lock(keys: readonly LockKey[]): Promise<boolean> {
    if (!this.txHost.isTransactionActive() || keys.length === 0) return false;
    const classes = keys.map((k) => k[0]);
    const ids = keys.map((k) => k[1]);
    // unnest yields in array order, so the locks are taken in the caller's order.
    await this.txHost.tx.$queryRaw`
      SELECT count(pg_advisory_xact_lock(l.c, l.k))::int AS n FROM unnest(${classes}::int[], ${ids}::int[]) AS l(c, k)`;
    return true;
  }

  /**
   * Where the task stands on the pool of each of its team's fit registrations (`hostIds`, on
   * `pools`), and its team's running count and limit. One query. `maxFree` bounds the free slots
   * any of those pools can have (their largest `maxSessions`).
   */
  async standing(
    teamId: string,
    taskId: string,
    fit: { hostIds: readonly string[]; pools: readonly string[]; maxFree: number },
    scope: readonly string[] | null,
  ): Promise<{ slots: SlotStanding[]; team: TeamStanding }> {
    const { hostIds, pools } = fit;
    const perTeam = Prisma.sql`${Math.max(1, fit.maxFree)}::int`;
    const rows = await this.txHost.tx.$queryRaw<
      {
        hostId: string | null;
        cap: number | null;
        load: number | null;
        ahead: number | null;
        before: number | null;
        teamRunning: number;
        teamLimit: number | null;
      }[]
    >`
      WITH ${queueCtes(Prisma.sql`${[...pools]}::text[]`, scope, perTeam, taskId)},
      me AS (
        SELECT l.pool, COALESCE(hd.n, 0) AS n, (
                 SELECT count(*) FROM waiters w
                 WHERE w.pool = l.pool AND w."teamId" = ${teamId}::uuid AND w."id" < ${taskId}::uuid)::int AS before
        FROM loads l LEFT JOIN held hd ON hd.pool = l.pool AND hd."teamId" = ${teamId}::uuid
      ),
      own AS (
        SELECT ${teamId}::uuid AS "teamId",
               (SELECT count(*) FROM "tasks" r
                WHERE r."teamId" = ${teamId}::uuid AND r."status" = ANY(${HOLDING}::text[]))::int AS running,
               (SELECT ${teamLimit(Prisma.raw('tm'))} FROM "teams" tm WHERE tm."id" = ${teamId}::uuid) AS lim,
               ${lastServed(Prisma.sql`${teamId}::uuid`)} AS served
      )
      SELECT p."id" AS "hostId", p.cap, l.load, me.before,
             (SELECT count(*) FROM waiters w
              WHERE w.pool = p.pool
                AND (w.level, w.served, w."id") < (me.n + me.before, o.served, ${taskId}::uuid))::int AS ahead,
             o.running AS "teamRunning", o.lim::float8 AS "teamLimit"
      FROM own o
      LEFT JOIN peers p ON p."id" = ANY(${[...hostIds]}::uuid[])
      LEFT JOIN loads l ON l.pool = p.pool
      LEFT JOIN me ON me.pool = p.pool`;
    const team = { running: rows[0]?.teamRunning ?? 0, limit: rows[0]?.teamLimit ?? null };
    const slots = rows
      .filter((r) => r.hostId !== null)
      .map((r) => ({ hostId: r.hostId!, cap: r.cap!, load: r.load ?? 0, ahead: r.ahead ?? 0, before: r.before ?? 0 }));
    return { slots, team };
  }

  /**
   * The tasks to wake once `taskId` no longer holds a session (it finished, failed or was aborted):
   * the first waiters in the fair order of the pool it held one on, as many as there are free
   * sessions, and — when its team has a `maxRunningTasks` — the team's oldest queued task, which the
   * limit may have been holding back. Nothing while it still holds one. One query.
   */
  async nextInLine(taskId: string, scope: readonly string[] | null): Promise<{ id: string; teamId: string }[]> {
    // As many per team as the pool could have free sessions.
    const perTeam = Prisma.sql`GREATEST(0, (SELECT max(p2.cap) FROM peers p2 WHERE p2.pool = hd.pool AND p2.usable) - l.load)`;
    const rows = await this.txHost.tx.$queryRaw<{ id: string; teamId: string }[]>`
      WITH released AS (
        SELECT t."teamId", ${pool('h')} AS pool
        FROM "tasks" t JOIN "hosts" h ON h."id" = t."hostId"
        WHERE t."id" = ${taskId}::uuid AND NOT (t."status" = ANY(${HOLDING}::text[]))
      ),
      ${queueCtes(Prisma.sql`ARRAY(SELECT pool FROM released)`, scope, perTeam, null)},
      frees AS (
        SELECT l.pool, GREATEST(0, max(p.cap) - l.load) AS free
        FROM loads l JOIN peers p ON p.pool = l.pool AND p.usable GROUP BY l.pool, l.load
      ),
      ranked AS (
        SELECT w."id", w."teamId", w.pool,
               row_number() OVER (PARTITION BY w.pool ORDER BY w.level, w.served, w."id") AS place
        FROM waiters w
      )
      SELECT r."id", r."teamId" FROM ranked r JOIN frees f ON f.pool = r.pool WHERE r.place <= f.free
      UNION
      SELECT q."id", tm."id" AS "teamId" FROM released rl
      JOIN "teams" tm ON tm."id" = rl."teamId"
      CROSS JOIN LATERAL (
        SELECT t."id" FROM "tasks" t WHERE t."teamId" = tm."id" AND t."status" = 'queued' ORDER BY t."id" LIMIT 1
      ) q
      WHERE ${teamLimit(Prisma.raw('tm'))} IS NOT NULL`;
    return rows;
  }
}

/** `settings.maxRunningTasks` of the team row `tm` when it is a number ≥ 1, else NULL. */
function teamLimit(tm: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`CASE WHEN jsonb_typeof(${tm}."settings" -> 'maxRunningTasks') = 'number'
      AND (${tm}."settings" ->> 'maxRunningTasks')::numeric >= 1
    THEN (${tm}."settings" ->> 'maxRunningTasks')::numeric END`;
}

/** When the team last had a task start (its last `TASK_STARTED`, one index row), `-infinity` if never. */
function lastServed(teamId: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`COALESCE((SELECT e."createdAt" FROM "events" e
      WHERE e."teamId" = ${teamId} AND e."type" = 'TASK_STARTED' ORDER BY e."seq" DESC LIMIT 1), '-infinity')`;
}

/**
 * The CTEs every fair-order query shares, for the pools `pools` (a text[] expression) holds:
 * `peers` (every registration of those servers, any team in scope), `held` (sessions per pool and
 * team), `loads` (per pool), `team_state` (limit, running count, last served), `waiters` (the first
 * `perTeam` waiters of each team with their level; `exclude` left out).
 */
function queueCtes(
  pools: Prisma.Sql,
  scope: readonly string[] | null,
  perTeam: Prisma.Sql,
  exclude: string | null,
): Prisma.Sql {
  const inScope = scope === null ? Prisma.sql`TRUE` : Prisma.sql`h."teamId" = ANY(${[...scope]}::uuid[])`;
  return Prisma.sql`
    peers AS (
      SELECT h."id", h."teamId", h."maxSessions" AS cap, h."labels", h."workspaceRoots" AS roots,
             (h."enabled" AND h."status" = 'online') AS usable, ${pool('h')} AS pool
      FROM "hosts" h
      WHERE ${pool('h')} = ANY(${pools}) AND ${inScope}
    ),
    held AS (
      SELECT p.pool, p."teamId", count(t."id")::int AS n
      FROM peers p LEFT JOIN "tasks" t ON t."hostId" = p."id" AND t."status" = ANY(${HOLDING}::text[])
      GROUP BY p.pool, p."teamId"
    ),
    loads AS (SELECT pool, sum(n)::int AS load FROM held GROUP BY pool),
    team_state AS (
      SELECT tm."id" AS "teamId", ${teamLimit(Prisma.raw('tm'))} AS lim,
             (SELECT count(*) FROM "tasks" r
              WHERE r."teamId" = tm."id" AND r."status" = ANY(${HOLDING}::text[]))::int AS running,
             ${lastServed(Prisma.raw('tm."id"'))} AS served
      FROM "teams" tm WHERE tm."id" IN (SELECT "teamId" FROM peers)
    ),
    waiters AS (
      SELECT hd.pool, hd."teamId", ts.served, w."id",
             (hd.n + row_number() OVER (PARTITION BY hd.pool, hd."teamId" ORDER BY w."id") - 1)::int AS level
      FROM held hd
      JOIN loads l ON l.pool = hd.pool
      JOIN team_state ts ON ts."teamId" = hd."teamId"
      CROSS JOIN LATERAL (
        SELECT t."id" FROM "tasks" t
        WHERE t."teamId" = hd."teamId" AND t."status" = 'queued' AND t."id" IS DISTINCT FROM ${exclude}::uuid
          AND EXISTS (
            SELECT 1 FROM peers p
            WHERE p.pool = hd.pool AND p."teamId" = t."teamId" AND p.usable AND p.cap > l.load
              AND (t."requestedHostId" = p."id"
                   OR (t."requestedHostId" IS NULL AND p."labels" @> t."labels"
                       AND EXISTS (SELECT 1 FROM unnest(p.roots) AS r(root)
                                   WHERE r.root = '/' OR t."workspace" = r.root
                                      OR starts_with(t."workspace", r.root || '/')))))
        -- No more than the team may still start under its limit: the rest cannot go before anyone.
        ORDER BY t."id" LIMIT LEAST(${perTeam}, COALESCE(ts.lim - ts.running, ${perTeam}))
      ) w
      WHERE ts.lim IS NULL OR ts.running < ts.lim
    )`;
}
