// What must hold after a fault, read from where it is true: Postgres (tasks, turns, events) and the
// OpenCode host (the user messages each session really received).
import { BasicAuth, OpencodeClient } from '@heddle/opencode-client';
import type { Cluster } from './cluster';
import { pool, sleep } from './http';
import type { Findings } from './scenario';

export const TERMINAL = ['completed', 'failed', 'aborted'];

export interface TaskRow {
  id: string;
  teamId: string;
  name: string;
  status: string;
  reason: string | null;
  reasonDetail: string | null;
  sessionId: string | null;
  currentTurn: number;
  idempotencyKey: string | null;
}

export function tasksOf(cluster: Cluster, teamIds: string[]): Promise<TaskRow[]> {
  return cluster.sql<TaskRow>(
    `SELECT id, "teamId", name, status, reason, "reasonDetail", "sessionId", "currentTurn", "idempotencyKey"
       FROM tasks WHERE "teamId" = ANY($1::uuid[]) ORDER BY id`,
    [teamIds],
  );
}

/** Task counts by status. */
export async function statusCounts(cluster: Cluster, teamIds: string[]): Promise<Record<string, number>> {
  const rows = await cluster.sql<{ status: string; n: number }>(
    `SELECT status, count(*)::int AS n FROM tasks WHERE "teamId" = ANY($1::uuid[]) GROUP BY status`,
    [teamIds],
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** Waits until every task of the teams is completed, failed or aborted (or the time is up). */
export async function waitTerminal(cluster: Cluster, teamIds: string[], timeoutMs: number) {
  const started = Date.now();
  let counts: Record<string, number> = {};
  for (;;) {
    counts = await statusCounts(cluster, teamIds);
    const open = Object.entries(counts)
      .filter(([s]) => !TERMINAL.includes(s))
      .reduce((n, [, c]) => n + c, 0);
    if (open === 0 || Date.now() - started > timeoutMs) return { counts, open, ms: Date.now() - started };
    await sleep(250);
  }
}

/**
 * Every task finished as designed: `lost` counts tasks still open and tasks that did not complete
 * (each named with its status and reason).
 */
export function checkCompleted(tasks: TaskRow[], f: Findings): void {
  const open = tasks.filter((t) => !TERMINAL.includes(t.status));
  const failed = tasks.filter((t) => TERMINAL.includes(t.status) && t.status !== 'completed');
  f.lost += open.length + failed.length;
  f.problemList(
    'tasks never finished',
    open.map((t) => `${t.name} ${t.id}: ${t.status} (turn ${t.currentTurn})`),
  );
  f.problemList(
    'tasks finished but not completed',
    failed.map((t) => `${t.name} ${t.id}: ${t.status} ${t.reason ?? ''} ${t.reasonDetail ?? ''}`.trim()),
  );
}

/**
 * Event seqs of the teams: 1..eventSeq with no gap and no duplicate, and the team counter at the
 * last one. Gaps count as lost, duplicates as dup.
 */
export async function checkEventSeqs(cluster: Cluster, teamIds: string[] | 'all', f: Findings): Promise<number> {
  const rows = await cluster.sql<{ id: string; name: string; counter: string; n: string; d: string; max: string }>(
    `SELECT t.id, t.name, t."eventSeq"::text AS counter, count(e.id)::text AS n,
            count(DISTINCT e.seq)::text AS d, coalesce(max(e.seq), 0)::text AS max
       FROM teams t LEFT JOIN events e ON e."teamId" = t.id
      WHERE $1::uuid[] IS NULL OR t.id = ANY($1::uuid[])
      GROUP BY t.id`,
    [teamIds === 'all' ? null : teamIds],
  );
  const bad: string[] = [];
  let events = 0;
  for (const r of rows) {
    const [n, distinct, max, counter] = [Number(r.n), Number(r.d), Number(r.max), Number(r.counter)];
    events += n;
    const gaps = max - distinct;
    const dups = n - distinct;
    f.lost += gaps;
    f.dup += dups;
    if (gaps > 0 || dups > 0 || counter !== max) {
      bad.push(`team ${r.name}: ${n} events, seqs up to ${max}, counter ${counter}, ${gaps} gaps, ${dups} duplicates`);
    }
  }
  f.problemList('event seqs with gaps, duplicates or a counter that does not match', bad);
  return events;
}

/**
 * Each task's own events: one TASK_CREATED; one TASK_STARTED per started task; one TURN_STARTED per
 * turn; exactly one terminal event for a finished task. Extra ones count as dup, missing as lost.
 */
export async function checkTaskEvents(cluster: Cluster, teamIds: string[], f: Findings): Promise<void> {
  const rows = await cluster.sql<{
    id: string;
    status: string;
    turns: number;
    created: number;
    turnStarted: number;
    terminal: number;
  }>(
    `SELECT t.id, t.status,
            (SELECT count(*) FROM turns u WHERE u."taskId" = t.id)::int AS turns,
            count(e.id) FILTER (WHERE e.type = 'TASK_CREATED')::int AS created,
            count(e.id) FILTER (WHERE e.type = 'TURN_STARTED')::int AS "turnStarted",
            count(e.id) FILTER (WHERE e.type IN ('TASK_COMPLETED', 'TASK_FAILED', 'TASK_ABORTED'))::int AS terminal
       FROM tasks t LEFT JOIN events e ON e."teamId" = t."teamId" AND e."taskId" = t.id
      WHERE t."teamId" = ANY($1::uuid[])
      GROUP BY t.id`,
    [teamIds],
  );
  const bad: string[] = [];
  for (const r of rows) {
    const wantTerminal = TERMINAL.includes(r.status) ? 1 : 0;
    const issues: string[] = [];
    if (r.created !== 1) issues.push(`${r.created} TASK_CREATED`);
    if (r.turnStarted !== r.turns) issues.push(`${r.turnStarted} TURN_STARTED for ${r.turns} turns`);
    if (r.terminal !== wantTerminal) issues.push(`${r.terminal} terminal events (status ${r.status})`);
    if (issues.length === 0) continue;
    bad.push(`task ${r.id}: ${issues.join(', ')}`);
    const extra = Math.max(0, r.created - 1) + Math.max(0, r.turnStarted - r.turns) + Math.max(0, r.terminal - 1);
    const missing =
      (r.created === 0 ? 1 : 0) + Math.max(0, r.turns - r.turnStarted) + (r.terminal < wantTerminal ? 1 : 0);
    f.dup += extra;
    f.lost += missing;
  }
  f.problemList('tasks whose events do not match their state', bad);
}

export interface PromptAudit {
  sessions: number;
  userMessages: number;
  turns: number;
  /** User messages beyond one per recorded turn (orphan sessions' messages included). */
  duplicates: number;
  /** Sessions no turn names (a dispatch interrupted after creating its session). */
  orphanSessions: number;
}

/**
 * Reads every session in `directories` on the host and its user messages, and compares them with
 * the turns Heddle recorded: exactly one user message per turn, carrying the turn's message id.
 * Surplus messages count as dup; a finished turn whose message the host never got as lost.
 */
export async function auditPrompts(
  cluster: Cluster,
  host: { baseUrl: string; directories: string[]; auth?: BasicAuth },
  teamIds: string[],
  f: Findings,
): Promise<PromptAudit> {
  const turns = await cluster.sql<{
    taskId: string;
    number: number;
    sessionId: string;
    messageId: string;
    outcome: string;
  }>(`SELECT "taskId", number, "sessionId", "messageId", outcome FROM turns WHERE "teamId" = ANY($1::uuid[])`, [
    teamIds,
  ]);
  const bySession = new Map<string, typeof turns>();
  for (const t of turns) bySession.set(t.sessionId, [...(bySession.get(t.sessionId) ?? []), t]);
  const audit: PromptAudit = { sessions: 0, userMessages: 0, turns: turns.length, duplicates: 0, orphanSessions: 0 };
  const dups: string[] = [];
  const missing: string[] = [];
  const seen = new Set<string>();
  for (const directory of host.directories) {
    const client = new OpencodeClient({ baseUrl: host.baseUrl, directory, auth: host.auth, timeoutMs: 30_000 });
    const sessions = await client.listSessions();
    audit.sessions += sessions.length;
    await pool(sessions, 8, async (session) => {
      seen.add(session.id);
      const users = (await client.listMessages(session.id)).messages.filter((m) => m.info.role === 'user');
      audit.userMessages += users.length;
      const own = bySession.get(session.id) ?? [];
      if (own.length === 0) audit.orphanSessions++;
      const surplus = users.length - own.length;
      const ids = users.map((m) => m.info.id);
      const repeated = ids.length - new Set(ids).size;
      if (surplus > 0 || repeated > 0) {
        audit.duplicates += Math.max(surplus, repeated);
        dups.push(`session ${session.id}: ${users.length} user messages for ${own.length} turns (${ids.join(', ')})`);
      }
      for (const t of own) {
        if (t.outcome === 'finished' && !ids.includes(t.messageId)) {
          missing.push(`task ${t.taskId} turn ${t.number}: message ${t.messageId} not in session ${session.id}`);
        }
      }
    });
  }
  for (const [sessionId, own] of bySession) {
    if (!seen.has(sessionId)) missing.push(`session ${sessionId} of task ${own[0]!.taskId} not found on the host`);
  }
  f.dup += audit.duplicates;
  f.lost += missing.length;
  f.problemList('sessions with more than one prompt per turn', dups);
  f.problemList('turns whose prompt the host does not have', missing);
  return audit;
}

/**
 * How a run of one team's tasks on the fake host ends, whatever the fault: every task completed with
 * its events, one user message per recorded turn in `workspace`, the team's seqs without a gap.
 * Counts `completed`, `turns` and `userMsgs` through `count` (the finding's own by default).
 */
export async function auditFakeHostRun(
  cluster: Cluster,
  teamId: string,
  workspace: string,
  f: Findings,
  count: (name: string, value: number | string) => void = (name, value) => f.count(name, value),
): Promise<void> {
  const tasks = await tasksOf(cluster, [teamId]);
  count('completed', tasks.filter((t) => t.status === 'completed').length);
  checkCompleted(tasks, f);
  await checkTaskEvents(cluster, [teamId], f);
  const prompts = await auditPrompts(cluster, { baseUrl: cluster.fake.baseUrl, directories: [workspace] }, [teamId], f);
  count('turns', prompts.turns);
  count('userMsgs', prompts.userMessages);
  await checkEventSeqs(cluster, [teamId], f);
}
