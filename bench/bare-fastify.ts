// The baseline for `npm run bench` (bench/run.ts starts it as its own child process): a bare Fastify
// server through a plain `pg` Pool with pg's default size (10, the same as Prisma's adapter-pg pool),
// with two routes:
//
// - `GET /bare/team`: the single-row select a Heddle request would do if it had no token cache;
// - `POST /bare/tasks`: what one Heddle `POST /api/tasks` writes (libs/tasks/src/tasks.service.ts
//   `insert`), as the same statements in the same order in one transaction: read the team's default
//   budgets, insert the task, insert the `task.create` audit row, take the team's next event seq
//   (`UPDATE teams … RETURNING`, which holds the team row until commit), insert the TASK_CREATED
//   event, `pg_notify` the events channel; then answer 201 with the task as JSON.
//
// No Nest, no auth, no validation (a bad body fails in Postgres or answers a 500), no helmet, no
// logging, no metrics, no BullMQ enqueue — only HTTP + JSON + the Postgres round trips.
//
// Env: PORT, HOST (default 127.0.0.1), DATABASE_URL, BENCH_TEAM_ID (the team), BENCH_TOKEN_ID and
// BENCH_TOKEN_PREFIX (the token the audit rows name as actor, as Heddle's would).
import { createHash, randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import { Pool } from 'pg';

/** The same as HEDDLE_DEFAULT_BUDGETS in libs/tasks/src/tasks.service.ts (the bare server imports no lib). */
const DEFAULT_BUDGETS = {
  maxTurns: 10,
  maxTokens: 2_000_000,
  maxCostUsd: 10,
  maxWallSeconds: 3600,
  maxNoProgressIterations: 3,
} as const;

/** EVENTS_CHANNEL in libs/events. */
const EVENTS_CHANNEL = 'heddle_events';

interface TaskBody {
  name: string;
  workspace: string;
  goal: string;
  steps?: string[];
  checks?: unknown[];
  hostId?: string;
  labels?: string[];
  model?: string;
  agent?: string;
  mode?: string;
  planFile?: string;
  promptTemplate?: string;
  budgets?: Record<string, unknown>;
  checkIntervalSeconds?: number;
  sessionId?: string;
}

interface TaskRow {
  id: string;
  name: string;
  status: string;
  reason: string | null;
  reasonDetail: string | null;
  workspace: string;
  goal: string;
  steps: string[];
  checks: unknown[];
  mode: string;
  planFile: string;
  hostId: string | null;
  requestedHostId: string | null;
  labels: string[];
  model: string | null;
  agent: string | null;
  sessionId: string | null;
  bindSessionId: string | null;
  budgets: unknown;
  checkIntervalSeconds: number;
  currentTurn: number;
  tokensInput: number;
  tokensOutput: number;
  tokensReasoning: number;
  tokensCacheRead: number;
  tokensCacheWrite: number;
  costUsd: number;
  progress: unknown;
  claimedComplete: boolean;
  verification: string;
  result: unknown;
  stale: boolean;
  archived: boolean;
  startedAt: Date | null;
  finishedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const INSERT_TASK = `
  INSERT INTO "tasks" ("id", "teamId", "name", "workspace", "goal", "steps", "checks", "requestedHostId", "labels",
    "model", "agent", "mode", "planFile", "promptTemplate", "budgets", "checkIntervalSeconds", "bindSessionId",
    "verification", "idempotencyKey", "requestHash", "wakeAt", "updatedAt")
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $21)
  RETURNING *`;

const INSERT_AUDIT = `
  INSERT INTO "audit_logs" ("id", "teamId", "actorTokenId", "actor", "action", "targetType", "targetId", "details", "requestId")
  VALUES ($1, $2, $3, $4, 'task.create', 'task', $5, $6, $7)`;

const INSERT_EVENT = `
  INSERT INTO "events" ("id", "teamId", "seq", "type", "taskId", "hostId", "data")
  VALUES ($1, $2, $3, 'TASK_CREATED', $4, NULL, $5)`;

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(`bare-fastify: ${name} is required\n`);
    process.exit(78);
  }
  return value;
}

/** A UUIDv7 (48-bit millisecond time, then random bits), as Prisma's `@default(uuid(7))` makes. */
function uuidv7(): string {
  const b = randomBytes(16);
  b.writeUIntBE(Date.now(), 0, 6);
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Heddle's budgets: its defaults, under the team's defaults, under the task's own (numbers only). */
function budgetsOf(teamSettings: unknown, own: Record<string, unknown> | undefined): Record<string, number> {
  const team = (teamSettings as { defaultBudgets?: Record<string, unknown> } | null)?.defaultBudgets ?? {};
  const out: Record<string, number> = { ...DEFAULT_BUDGETS };
  for (const source of [team, own ?? {}]) {
    for (const key of Object.keys(DEFAULT_BUDGETS)) {
      const value = source[key];
      if (typeof value === 'number' && Number.isFinite(value)) out[key] = value;
    }
  }
  return out;
}

/** The same fields as Heddle's TaskResponseDto (libs/tasks/src/task-view.ts), so both answers weigh alike. */
function toJson(t: TaskRow): Record<string, unknown> {
  return {
    id: t.id,
    name: t.name,
    status: t.status,
    reason: t.reason,
    reasonDetail: t.reasonDetail,
    workspace: t.workspace,
    goal: t.goal,
    steps: t.steps,
    checks: t.checks,
    mode: t.mode,
    planFile: t.planFile,
    hostId: t.hostId ?? t.requestedHostId,
    labels: t.labels,
    model: t.model,
    agent: t.agent,
    sessionId: t.sessionId ?? t.bindSessionId,
    budgets: t.budgets,
    checkIntervalSeconds: t.checkIntervalSeconds,
    currentTurn: t.currentTurn,
    tokens: {
      input: t.tokensInput,
      output: t.tokensOutput,
      reasoning: t.tokensReasoning,
      cacheRead: t.tokensCacheRead,
      cacheWrite: t.tokensCacheWrite,
    },
    costUsd: t.costUsd,
    progress: t.progress,
    latestChecks: null,
    claimedComplete: t.claimedComplete,
    verification: t.verification,
    result: t.result,
    stale: t.stale,
    archived: t.archived,
    startedAt: t.startedAt?.toISOString() ?? null,
    finishedAt: t.finishedAt?.toISOString() ?? null,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
  };
}

async function main(): Promise<void> {
  const port = Number(required('PORT'));
  const host = process.env.HOST ?? '127.0.0.1';
  const teamId = required('BENCH_TEAM_ID');
  const tokenId = required('BENCH_TOKEN_ID');
  const actor = `token:${required('BENCH_TOKEN_PREFIX')}`;
  const pool = new Pool({ connectionString: required('DATABASE_URL') });
  pool.on('error', (err) => process.stderr.write(`bare-fastify: idle pg client error: ${err.message}\n`));

  const app = Fastify({ logger: false });

  app.get('/readyz', async () => {
    await pool.query('SELECT 1');
    return { status: 'ok' };
  });

  app.get('/bare/team', async (_request, reply) => {
    const { rows } = await pool.query<{ id: string; name: string }>('SELECT id, name FROM teams WHERE id = $1', [
      teamId,
    ]);
    if (rows.length === 0) return reply.code(404).send({ error: 'team not found' });
    return rows[0];
  });

  app.post('/bare/tasks', async (request, reply) => {
    const body = request.body as TaskBody;
    const checks = body.checks ?? [];
    const client = await pool.connect();
    let task: TaskRow;
    let failure: Error | undefined;
    try {
      await client.query('BEGIN');
      const team = await client.query<{ settings: unknown }>('SELECT "settings" FROM "teams" WHERE "id" = $1', [
        teamId,
      ]);
      const now = new Date();
      const inserted = await client.query<TaskRow>(INSERT_TASK, [
        uuidv7(),
        teamId,
        body.name,
        body.workspace,
        body.goal,
        body.steps ?? [],
        JSON.stringify(checks),
        body.hostId ?? null,
        [...new Set(body.labels ?? [])],
        body.model ?? null,
        body.agent ?? null,
        body.mode ?? 'single',
        body.planFile ?? 'PLAN.md',
        body.promptTemplate ?? null,
        JSON.stringify(budgetsOf(team.rows[0]?.settings, body.budgets)),
        body.checkIntervalSeconds ?? 30,
        body.sessionId ?? null,
        checks.length > 0 ? 'checks' : 'weak',
        null,
        createHash('sha256').update(JSON.stringify(body)).digest('hex'),
        now,
      ]);
      task = inserted.rows[0]!;
      await client.query(INSERT_AUDIT, [
        uuidv7(),
        teamId,
        tokenId,
        actor,
        task.id,
        JSON.stringify({ name: task.name }),
        request.id,
      ]);
      const seq = await client.query<{ eventSeq: string }>(
        'UPDATE "teams" SET "eventSeq" = "eventSeq" + 1 WHERE "id" = $1 RETURNING "eventSeq"',
        [teamId],
      );
      const data = {
        name: task.name,
        status: task.status,
        reason: task.reason,
        verification: task.verification,
        currentTurn: task.currentTurn,
      };
      await client.query(INSERT_EVENT, [uuidv7(), teamId, seq.rows[0]!.eventSeq, task.id, JSON.stringify(data)]);
      await client.query('SELECT pg_notify($1, $2)', [EVENTS_CHANNEL, teamId]);
      await client.query('COMMIT');
    } catch (err) {
      failure = err instanceof Error ? err : new Error(String(err));
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release(failure); // a client that failed mid-transaction is discarded, not reused
    }
    return reply.code(201).send(toJson(task));
  });

  let closing = false;
  const shutdown = (): void => {
    if (closing) return;
    closing = true;
    app
      .close()
      .then(() => pool.end())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          process.stderr.write(`bare-fastify: shutdown failed: ${String(err)}\n`);
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);

  await app.listen({ port, host });
}

main().catch((err: unknown) => {
  process.stderr.write(`bare-fastify: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
