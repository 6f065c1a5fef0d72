// npm run bench — throughput and latency of the real API next to a bare Fastify + `pg` server
// (bench/bare-fastify.ts) doing the same database work, measured the same way in the same run: an
// authenticated `GET /api/me` against one single-row select, and `POST /api/tasks` against the same
// rows inserted in one transaction (task, audit row, per-team event seq, TASK_CREATED event). See
// docs/performance.md for what the numbers mean.
//
// Steps: drop and recreate the dedicated database (default heddle_bench), migrate it with
// scripts/db-migrate.mjs, start the API as a child process with a fresh HEDDLE_BOOTSTRAP_TOKEN (the
// first start creates team "default" owning that token), warm up, measure with autocannon `GET
// /api/me`, then the same for `POST /api/tasks`, stop it; then the same two for the bare server. The
// two servers never run at the same time. Last, in this process,
// the host-health sweep throughput (bench/host-sweep.ts): fake OpenCode hosts registered through the
// real API, one `host-health.sweep` through the real worker, timed until every host is probed.
//
// Knobs (env): BENCH_DURATION seconds (10), BENCH_CONNECTIONS (32), BENCH_WARMUP seconds (3),
// BENCH_DATABASE_URL (postgresql://postgres@127.0.0.1:5432/heddle_bench; the database is DROPPED,
// so its name must end in "_bench"), REDIS_URL (redis://127.0.0.1:6379; the API's keys use a prefix
// "bench-<random>" that is deleted afterwards),
// BENCH_HOSTS fake hosts for the sweep (200; 0 skips it), HOST_PROBE_CONCURRENCY for the sweep (16).
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { Client } from 'pg';
import type { HostSweepResult } from './host-sweep';
import type { DispatchLatencyResult } from './dispatch-latency';
import type { WebhookBenchResult } from './webhook-deliveries';
import { deleteQueueKeys, waitingJobs } from './queue-keys';

const ROOT = resolve(__dirname, '..');
const RESULTS_FILE = join(ROOT, 'bench', 'results', 'latest.json');
const READY_TIMEOUT_MS = 45_000;
const STOP_TIMEOUT_MS = 10_000;
const MIGRATE_TIMEOUT_MS = 120_000;
const API_SHUTDOWN_TIMEOUT_MS = 5_000;

class BenchError extends Error {}

/**
 * The body of every `POST /api/tasks` (and `POST /bare/tasks`): a realistic task, with two checks and
 * two labels. No Idempotency-Key, so each request creates a task.
 */
const TASK_BODY = {
  name: 'add-health-endpoint',
  workspace: '/srv/repos/api',
  goal:
    'Add GET /health that answers {"status":"ok"} with HTTP 200, register it next to the other routes in ' +
    'src/app.ts, and add a unit test for it in test/health.test.ts. Keep the existing tests passing.',
  checks: [
    { kind: 'file_exists', name: 'health route exists', path: 'src/health.ts' },
    { kind: 'file_contains', name: 'answers ok', path: 'src/health.ts', pattern: "status: 'ok'" },
  ],
  labels: ['linux', 'node20'],
};

// ---------------------------------------------------------------------------------------------
// Settings

function intFromEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min || Number(raw) > max) {
    throw new BenchError(`${name} must be a whole number between ${min} and ${max} (got "${raw}")`);
  }
  return Number(raw);
}

interface Settings {
  durationS: number;
  warmupS: number;
  connections: number;
  databaseUrl: string;
  redisUrl: string;
  /** Fake hosts of the sweep measurement; 0 skips it. */
  sweepHosts: number;
  sweepConcurrency: number;
  /** Tasks of the dispatch-latency measurement; 0 skips it. */
  dispatchTasks: number;
  /** Events of the webhook-delivery measurement; 0 skips it. */
  webhookEvents: number;
}

function settingsFromEnv(): Settings {
  const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/heddle_bench';
  const dbName = databaseName(databaseUrl);
  if (!/_bench$/.test(dbName)) {
    throw new BenchError(
      `BENCH_DATABASE_URL names database "${dbName}"; the bench drops it, so its name must end in "_bench"`,
    );
  }
  return {
    durationS: intFromEnv('BENCH_DURATION', 10, 1, 3600),
    warmupS: intFromEnv('BENCH_WARMUP', 3, 0, 600),
    connections: intFromEnv('BENCH_CONNECTIONS', 32, 1, 10_000),
    databaseUrl,
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    sweepHosts: intFromEnv('BENCH_HOSTS', 200, 0, 2000),
    sweepConcurrency: intFromEnv('HOST_PROBE_CONCURRENCY', 16, 1, 1000),
    dispatchTasks: intFromEnv('BENCH_DISPATCH_TASKS', 1000, 0, 100_000),
    webhookEvents: intFromEnv('BENCH_WEBHOOK_EVENTS', 2000, 0, 1_000_000),
  };
}

function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

// ---------------------------------------------------------------------------------------------
// Database

/** Drops and recreates the bench database (a fresh one each run, so the bootstrap token applies). */
async function recreateDatabase(url: string): Promise<string> {
  const client = new Client({ connectionString: withDatabase(url, 'postgres') });
  try {
    await client.connect();
  } catch (err) {
    throw new BenchError(`cannot reach Postgres for ${databaseName(url)}: ${errorMessage(err)}`);
  }
  try {
    const quoted = `"${databaseName(url).replaceAll('"', '""')}"`;
    await client.query(`DROP DATABASE IF EXISTS ${quoted} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${quoted}`);
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    return rows[0]?.server_version ?? 'unknown';
  } finally {
    await client.end().catch(() => {});
  }
}

async function migrate(databaseUrl: string): Promise<void> {
  const child = spawn(process.execPath, ['scripts/db-migrate.mjs'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = new OutputTail();
  output.attach(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), MIGRATE_TIMEOUT_MS);
  const [code, signal] = await exitOf(child);
  clearTimeout(timer);
  if (code !== 0) {
    throw new BenchError(`db-migrate failed (exit ${code ?? signal}):\n${output.text()}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Child servers

/** The last lines a child wrote (stdout and stderr), for failure messages; counts every line. */
class OutputTail {
  private lines: string[] = [];
  private partial = '';
  count = 0;

  attach(child: ChildProcess): void {
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => this.push(chunk));
    }
  }

  private push(chunk: string): void {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      this.count++;
      this.lines.push(line);
    }
    if (this.lines.length > 200) this.lines.splice(0, this.lines.length - 200);
  }

  text(maxLines = 40): string {
    const all = this.partial ? [...this.lines, this.partial] : this.lines;
    return all
      .slice(-maxLines)
      .map((l) => `    | ${l}`)
      .join('\n');
  }
}

interface Server {
  name: string;
  child: ChildProcess;
  output: OutputTail;
  baseUrl: string;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
}

const running = new Set<Server>();

function startServer(name: string, script: string, port: number, env: Record<string, string>): Server {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', script], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = new OutputTail();
  output.attach(child);
  const server: Server = { name, child, output, baseUrl: `http://127.0.0.1:${port}`, exited: exitOf(child) };
  running.add(server);
  void server.exited.then(() => running.delete(server));
  return server;
}

function exitOf(child: ChildProcess): Promise<[number | null, NodeJS.Signals | null]> {
  return new Promise((resolvePromise, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolvePromise([child.exitCode, child.signalCode]);
      return;
    }
    child.once('error', reject);
    child.once('exit', (code, signal) => resolvePromise([code, signal]));
  });
}

/** Polls `/readyz` until it answers 200; fails if the child exits or the deadline passes. */
async function waitReady(server: Server): Promise<number> {
  const started = Date.now();
  let exited: [number | null, NodeJS.Signals | null] | undefined;
  void server.exited.then((e) => (exited = e));
  let last = 'no answer yet';
  while (Date.now() - started < READY_TIMEOUT_MS) {
    if (exited) {
      throw new BenchError(
        `${server.name} exited before it was ready (exit ${exited[0] ?? exited[1]}):\n${server.output.text()}`,
      );
    }
    try {
      const res = await fetch(`${server.baseUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return Date.now() - started;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = errorMessage(err);
    }
    await sleep(150);
  }
  throw new BenchError(
    `${server.name} not ready after ${READY_TIMEOUT_MS} ms (last: ${last}):\n${server.output.text()}`,
  );
}

interface StopResult {
  clean: boolean;
  exit: string;
}

/** SIGTERM, wait a bounded time, then SIGKILL. Clean means it exited by itself after SIGTERM. */
async function stopServer(server: Server): Promise<StopResult> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) {
    return { clean: false, exit: `had already exited (${child.exitCode ?? child.signalCode})` };
  }
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>(
    (resolvePromise) => (timer = setTimeout(() => resolvePromise(undefined), STOP_TIMEOUT_MS)),
  );
  const result = await Promise.race([server.exited, timeout]);
  clearTimeout(timer);
  if (result) {
    const [code, signal] = result;
    return { clean: code === 0 || signal === 'SIGTERM', exit: code !== null ? `exit ${code}` : `signal ${signal}` };
  }
  child.kill('SIGKILL');
  await server.exited;
  return { clean: false, exit: `did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM; killed` };
}

async function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() =>
        address && typeof address === 'object' ? resolvePromise(address.port) : reject(new Error('no port')),
      );
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Load

interface Measurement {
  target: string;
  method: 'GET' | 'POST';
  url: string;
  durationS: number;
  connections: number;
  requests: number;
  /** 2xx answers during the warm-up (not measured; they wrote rows too). */
  warmupRequests: number;
  reqPerSec: number;
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number };
  /** autocannon's own integer-millisecond percentiles, for comparison with its CLI output. */
  autocannonLatencyMs: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  /** CPU time (user + system) the server process spent per answered request; null off Linux. */
  serverCpuUsPerRequest: number | null;
  /** Lines the server process logged while being measured (LOG_LEVEL=warn: warnings and errors). */
  serverLogLines: number;
}

/** User + system CPU time of a process in microseconds, from /proc (Linux); undefined elsewhere. */
function cpuTimeUs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which is in parentheses and may contain spaces); utime and
    // stime are fields 14 and 15 of the whole line, in clock ticks (USER_HZ, 100 on Linux).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / 100;
  } catch {
    return undefined;
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/** What autocannon sends, the same request every time. */
interface RequestSpec {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  /** JSON text, for POST. */
  body?: string;
}

async function load(
  url: string,
  connections: number,
  durationS: number,
  request: RequestSpec,
): Promise<{ result: autocannon.Result; latencies: Float64Array }> {
  const times: number[] = [];
  const { method, headers, body } = request;
  const result = await new Promise<autocannon.Result>((resolvePromise, reject) => {
    const instance = autocannon(
      { url, connections, duration: durationS, method, headers, body, pipelining: 1, timeout: 10 },
      (err, res) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolvePromise(res)),
    );
    // autocannon's histogram keeps whole milliseconds; keep the exact response times of 2xx answers.
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) times.push(responseTime);
    });
  });
  return { result, latencies: Float64Array.from(times).sort() };
}

function checkAll2xx(label: string, result: autocannon.Result, output: OutputTail): void {
  const bad = result.errors + result.timeouts + result.non2xx;
  if (bad > 0 || result['2xx'] === 0) {
    throw new BenchError(
      `${label}: ${result['2xx']} 2xx, ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts ` +
        `(status codes ${JSON.stringify(statusCodes(result))}); every response must be 2xx.\n${output.text()}`,
    );
  }
}

function statusCodes(result: autocannon.Result): Record<string, number> {
  return Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, s.count ?? 0]));
}

async function measure(target: string, server: Server, request: RequestSpec, settings: Settings): Promise<Measurement> {
  const url = `${server.baseUrl}${request.path}`;
  let warmupRequests = 0;
  if (settings.warmupS > 0) {
    log(`${target}: warm-up ${settings.warmupS} s`);
    const warm = await load(url, settings.connections, settings.warmupS, request);
    checkAll2xx(`${target} warm-up`, warm.result, server.output);
    warmupRequests = warm.result['2xx'];
  }
  log(`${target}: measuring ${settings.durationS} s at ${settings.connections} connections`);
  const linesBefore = server.output.count;
  const cpuBefore = cpuTimeUs(server.child.pid);
  const { result, latencies } = await load(url, settings.connections, settings.durationS, request);
  const cpuAfter = cpuTimeUs(server.child.pid);
  const serverLogLines = server.output.count - linesBefore;
  checkAll2xx(target, result, server.output);
  const sum = latencies.reduce((a, b) => a + b, 0);
  return {
    target,
    method: request.method,
    url,
    durationS: result.duration,
    connections: settings.connections,
    requests: result['2xx'],
    warmupRequests,
    reqPerSec: result.requests.average,
    latencyMs: {
      mean: sum / latencies.length,
      p50: percentile(latencies, 50),
      p90: percentile(latencies, 90),
      p99: percentile(latencies, 99),
      max: latencies[latencies.length - 1]!,
    },
    autocannonLatencyMs: { p50: result.latency.p50, p99: result.latency.p99 },
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statusCodes: statusCodes(result),
    serverCpuUsPerRequest:
      cpuBefore !== undefined && cpuAfter !== undefined ? Math.round((cpuAfter - cpuBefore) / result['2xx']) : null,
    serverLogLines,
  };
}

/** One request before loading, so a wrong answer fails with its body rather than as a count. */
async function requestJson(
  baseUrl: string,
  request: RequestSpec,
  expectedStatus: number,
): Promise<Record<string, unknown>> {
  const url = `${baseUrl}${request.path}`;
  const res = await fetch(url, {
    method: request.method,
    headers: request.headers,
    body: request.body,
    signal: AbortSignal.timeout(10_000),
  });
  const body = await res.text();
  if (res.status !== expectedStatus) {
    throw new BenchError(`${request.method} ${url} answered ${res.status} (expected ${expectedStatus}): ${body}`);
  }
  return JSON.parse(body) as Record<string, unknown>;
}

function createTaskRequest(path: string, token: string): RequestSpec {
  return {
    method: 'POST',
    path,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(TASK_BODY),
  };
}

/** The answer to one create must be the task just stored, `queued`, with the body's checks and labels. */
function checkCreatedTask(label: string, task: Record<string, unknown>): void {
  const ok =
    typeof task.id === 'string' &&
    task.status === 'queued' &&
    task.name === TASK_BODY.name &&
    task.workspace === TASK_BODY.workspace &&
    task.verification === 'checks' &&
    Array.isArray(task.checks) &&
    task.checks.length === TASK_BODY.checks.length &&
    JSON.stringify(task.labels) === JSON.stringify(TASK_BODY.labels);
  if (!ok) throw new BenchError(`${label} answered an unexpected task: ${JSON.stringify(task)}`);
}

// ---------------------------------------------------------------------------------------------
// What a create wrote

/** Rows of the team that creating tasks writes (counts), and its event sequence. */
interface CreateRows {
  tasks: number;
  taskCreatedEvents: number;
  taskCreateAuditRows: number;
  eventSeq: number;
}

/** What one create target wrote while measured (warm-up included), checked against the answers. */
interface CreateWrites extends CreateRows {
  /** 2xx answers during the warm-up and the measurement. */
  answered: number;
}

async function withClient<T>(databaseUrl: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

function countCreateRows(databaseUrl: string, teamId: string): Promise<CreateRows> {
  return withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<CreateRows>(
      `SELECT (SELECT count(*) FROM "tasks" WHERE "teamId" = $1)::int AS "tasks",
              (SELECT count(*) FROM "events" WHERE "teamId" = $1 AND "type" = 'TASK_CREATED')::int AS "taskCreatedEvents",
              (SELECT count(*) FROM "audit_logs" WHERE "teamId" = $1 AND "action" = 'task.create')::int AS "taskCreateAuditRows",
              (SELECT "eventSeq" FROM "teams" WHERE "id" = $1)::int AS "eventSeq"`,
      [teamId],
    );
    return rows[0]!;
  });
}

/**
 * The counts once they stop moving: the requests autocannon abandoned when it stopped are still
 * running on the server, and commit a little later (polled every 250 ms, for at most 10 s).
 */
async function settledCreateRows(databaseUrl: string, teamId: string): Promise<CreateRows> {
  const deadline = Date.now() + 10_000;
  let last = await countCreateRows(databaseUrl, teamId);
  for (;;) {
    await sleep(250);
    const next = await countCreateRows(databaseUrl, teamId);
    if (JSON.stringify(next) === JSON.stringify(last) || Date.now() > deadline) return next;
    last = next;
  }
}

/**
 * Before each create measurement: vacuum what the previous one wrote (the team row was updated once
 * per create) and checkpoint, so both servers start from the same state and no timed checkpoint
 * falls inside the next minutes. CHECKPOINT needs a superuser (or pg_checkpoint); without it, skipped.
 */
async function settleDatabase(databaseUrl: string): Promise<void> {
  await withClient(databaseUrl, async (client) => {
    await client.query('VACUUM (ANALYZE) "teams", "tasks", "events", "audit_logs"');
    await client.query('CHECKPOINT').catch((err: unknown) => log(`note: CHECKPOINT skipped: ${errorMessage(err)}`));
  });
}

/**
 * Checks one sample create, settles the database, measures, and checks that every create wrote
 * exactly one task, one TASK_CREATED event (one eventSeq step) and one `task.create` audit row.
 */
async function measureCreate(
  target: string,
  server: Server,
  request: RequestSpec,
  settings: Settings,
  teamId: string,
): Promise<{ m: Measurement; writes: CreateWrites; sample: Record<string, unknown> }> {
  const sample = await requestJson(server.baseUrl, request, 201);
  checkCreatedTask(`${request.method} ${request.path}`, sample);
  await settleDatabase(settings.databaseUrl);
  const before = await countCreateRows(settings.databaseUrl, teamId);
  const m = await measure(target, server, request, settings);
  const after = await settledCreateRows(settings.databaseUrl, teamId);
  const writes: CreateWrites = {
    tasks: after.tasks - before.tasks,
    taskCreatedEvents: after.taskCreatedEvents - before.taskCreatedEvents,
    taskCreateAuditRows: after.taskCreateAuditRows - before.taskCreateAuditRows,
    eventSeq: after.eventSeq - before.eventSeq,
    answered: m.requests + m.warmupRequests,
  };
  // Every 2xx committed its rows; requests abandoned at the end of the warm-up and of the measurement
  // (at most one per connection each) may have committed without an answer being counted.
  const sameRows =
    writes.taskCreatedEvents === writes.tasks &&
    writes.taskCreateAuditRows === writes.tasks &&
    writes.eventSeq === writes.tasks;
  if (!sameRows || writes.tasks < writes.answered || writes.tasks > writes.answered + 2 * settings.connections) {
    throw new BenchError(
      `${target}: rows written do not match one task, one TASK_CREATED event and one audit row per create: ${JSON.stringify(writes)}`,
    );
  }
  return { m, writes, sample };
}

// ---------------------------------------------------------------------------------------------
// Runs

/** `hdl_<8 lowercase a-z0-9>_<43 base64url chars>`, the format of HEDDLE_BOOTSTRAP_TOKEN. */
function newToken(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const prefix = Array.from({ length: 8 }, () => alphabet[randomInt(alphabet.length)]).join('');
  return `hdl_${prefix}_${randomBytes(32).toString('base64url')}`;
}

function tokenPrefix(token: string): string {
  return token.split('_')[1]!;
}

interface Stopped {
  name: string;
  readyMs: number;
  stop: StopResult;
}

interface HeddleRun {
  me: Measurement;
  create: Measurement;
  createWrites: CreateWrites;
  /** Jobs waiting in the harness queue after the run (no worker consumes them): one per create. */
  harnessJobsEnqueued: number;
  /** Tasks the API created in all (sample, warm-up, measurement), counted after it stopped. */
  tasksCreated: number;
  createSample: Record<string, unknown>;
  teamId: string;
  tokenId: string;
  queuePrefix: string;
  info: Stopped;
}

async function benchHeddle(settings: Settings, token: string): Promise<HeddleRun> {
  const port = await freePort();
  const queuePrefix = `bench-${randomBytes(4).toString('hex')}`;
  log(`starting the API on port ${port} (QUEUE_PREFIX ${queuePrefix})`);
  const server = startServer('api', 'apps/api/src/main.ts', port, {
    DATABASE_URL: settings.databaseUrl,
    REDIS_URL: settings.redisUrl,
    HEDDLE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    HEDDLE_BOOTSTRAP_TOKEN: token,
    LOG_LEVEL: 'warn',
    QUEUE_PREFIX: queuePrefix,
    TOKEN_CACHE_MS: process.env.TOKEN_CACHE_MS ?? '1000',
    SHUTDOWN_TIMEOUT_MS: String(API_SHUTDOWN_TIMEOUT_MS),
    // Limits on but out of reach: the numbers include counting each request in Redis, never a 429.
    RATE_LIMIT_READS: '100000000',
    RATE_LIMIT_WRITES: '100000000',
  });
  try {
    const readyMs = await waitReady(server);
    log(`api ready after ${readyMs} ms`);
    const meRequest: RequestSpec = { method: 'GET', path: '/api/me', headers: { authorization: `Bearer ${token}` } };
    const me = await requestJson(server.baseUrl, meRequest, 200);
    if (me.teamName !== 'default' || typeof me.teamId !== 'string' || typeof me.tokenId !== 'string') {
      throw new BenchError(`GET /api/me answered an unexpected body: ${JSON.stringify(me)}`);
    }
    const meM = await measure('heddle GET /api/me', server, meRequest, settings);
    const create = await measureCreate(
      'heddle POST /api/tasks',
      server,
      createTaskRequest('/api/tasks', token),
      settings,
      me.teamId,
    );
    const stop = await stopServer(server);
    const harnessJobsEnqueued = await waitingJobs(settings.redisUrl, queuePrefix, 'harness');
    // Every task of the team so far was created through this API (the sample, warm-up and measurement).
    const tasksCreated = (await countCreateRows(settings.databaseUrl, me.teamId)).tasks;
    return {
      me: meM,
      create: create.m,
      createWrites: create.writes,
      harnessJobsEnqueued,
      tasksCreated,
      createSample: create.sample,
      teamId: me.teamId,
      tokenId: me.tokenId,
      queuePrefix,
      info: { name: 'api', readyMs, stop },
    };
  } finally {
    if (running.has(server)) await stopServer(server);
    await deleteQueueKeys(settings.redisUrl, queuePrefix).catch((err: unknown) =>
      log(`could not delete the Redis keys under ${queuePrefix}: ${errorMessage(err)}`),
    );
  }
}

interface BareRun {
  team: Measurement;
  create: Measurement;
  createWrites: CreateWrites;
  createSample: Record<string, unknown>;
  info: Stopped;
}

async function benchBare(settings: Settings, token: string, heddle: HeddleRun): Promise<BareRun> {
  const port = await freePort();
  log(`starting the bare Fastify server on port ${port}`);
  const server = startServer('bare-fastify', 'bench/bare-fastify.ts', port, {
    DATABASE_URL: settings.databaseUrl,
    BENCH_TEAM_ID: heddle.teamId,
    BENCH_TOKEN_ID: heddle.tokenId,
    BENCH_TOKEN_PREFIX: tokenPrefix(token),
  });
  try {
    const readyMs = await waitReady(server);
    log(`bare-fastify ready after ${readyMs} ms`);
    // The same headers as the API gets, so both requests are the same size; the bare routes ignore them.
    const teamRequest: RequestSpec = {
      method: 'GET',
      path: '/bare/team',
      headers: { authorization: `Bearer ${token}` },
    };
    const row = await requestJson(server.baseUrl, teamRequest, 200);
    if (row.id !== heddle.teamId) {
      throw new BenchError(`GET /bare/team answered an unexpected body: ${JSON.stringify(row)}`);
    }
    const team = await measure('bare fastify + pg select', server, teamRequest, settings);
    const create = await measureCreate(
      'bare fastify + pg insert tx',
      server,
      createTaskRequest('/bare/tasks', token),
      settings,
      heddle.teamId,
    );
    // Both answers carry the same fields, so the two serialise about the same JSON.
    const keys = (o: Record<string, unknown>): string => Object.keys(o).sort().join(',');
    if (keys(create.sample) !== keys(heddle.createSample)) {
      throw new BenchError(
        `POST /bare/tasks answers other fields than POST /api/tasks:\n  bare:   ${keys(create.sample)}\n  heddle: ${keys(heddle.createSample)}`,
      );
    }
    return {
      team,
      create: create.m,
      createWrites: create.writes,
      createSample: create.sample,
      info: { name: 'bare-fastify', readyMs, stop: await stopServer(server) },
    };
  } finally {
    if (running.has(server)) await stopServer(server);
  }
}

/** In this process, after the servers above have stopped; see bench/host-sweep.ts. */
async function benchHostSweep(settings: Settings): Promise<HostSweepResult> {
  // Loaded only now: it brings in the whole Nest application, which the HTTP runs above do not need.
  const { runHostSweep, HostSweepError } = await import('./host-sweep');
  log(`host sweep: ${settings.sweepHosts} fake hosts, HOST_PROBE_CONCURRENCY ${settings.sweepConcurrency}`);
  try {
    return await runHostSweep({
      databaseUrl: settings.databaseUrl,
      redisUrl: settings.redisUrl,
      hosts: settings.sweepHosts,
      concurrency: settings.sweepConcurrency,
      log,
    });
  } catch (err) {
    if (err instanceof HostSweepError) throw new BenchError(`host sweep: ${err.message}`);
    throw err;
  }
}

async function benchDispatch(settings: Settings): Promise<DispatchLatencyResult> {
  const { runDispatchLatency } = await import('./dispatch-latency');
  log(`dispatch latency: ${settings.dispatchTasks} tasks to one fake host`);
  return runDispatchLatency({
    databaseUrl: settings.databaseUrl,
    redisUrl: settings.redisUrl,
    tasks: settings.dispatchTasks,
    concurrency: 10,
    harnessConcurrency: 32,
    log,
  });
}

async function benchWebhooks(settings: Settings): Promise<WebhookBenchResult> {
  const { runWebhookDeliveries } = await import('./webhook-deliveries');
  log(`webhook deliveries: ${settings.webhookEvents} events to one loopback endpoint`);
  return runWebhookDeliveries({
    databaseUrl: settings.databaseUrl,
    redisUrl: settings.redisUrl,
    events: settings.webhookEvents,
    log,
  });
}

function webhookTable(r: WebhookBenchResult): string {
  return renderTable(
    ['target', 'events', 'deliveries/s', 'first attempt p50 ms', 'first attempt p99 ms', 'commit → delivered p99 ms'],
    [
      [
        r.target,
        String(r.events),
        String(r.deliveriesPerSec),
        String(r.firstAttemptP50Ms),
        String(r.firstAttemptP99Ms),
        String(r.endToEndP99Ms),
      ],
    ],
  );
}

function dispatchTable(r: DispatchLatencyResult): string {
  return renderTable(
    ['target', 'tasks', 'p50 ms', 'p99 ms', 'max ms', 'dispatches/s'],
    [[r.target, String(r.tasks), String(r.p50Ms), String(r.p99Ms), String(r.maxMs), String(r.dispatchesPerSec)]],
  );
}

// ---------------------------------------------------------------------------------------------
// Report

function fmt(n: number, digits = 2): string {
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
}

interface Ratio {
  reqPerSec: number;
  p50: number;
  p99: number;
}

function ratioOf(heddle: Measurement, bare: Measurement): Ratio {
  return {
    reqPerSec: heddle.reqPerSec / bare.reqPerSec,
    p50: heddle.latencyMs.p50 / bare.latencyMs.p50,
    p99: heddle.latencyMs.p99 / bare.latencyMs.p99,
  };
}

/** The lines under a Heddle-vs-bare table: CPU per request, then the ratios. */
function comparison(heddle: Measurement, bare: Measurement, ratio: Ratio): string {
  const cpuLine =
    heddle.serverCpuUsPerRequest !== null && bare.serverCpuUsPerRequest !== null
      ? `server process CPU per request: heddle ${heddle.serverCpuUsPerRequest} µs, bare ${bare.serverCpuUsPerRequest} µs ` +
        `(Postgres' own CPU not included)\n`
      : '';
  return (
    cpuLine + `ratio (Heddle ÷ bare): req/s ${fmt(ratio.reqPerSec)}, p50 ${fmt(ratio.p50)}×, p99 ${fmt(ratio.p99)}×\n`
  );
}

function table(rows: Measurement[]): string {
  return renderTable(
    ['target', 'req/s', 'p50 ms', 'p99 ms', 'errors/non-2xx'],
    rows.map((r) => [
      r.target,
      fmt(r.reqPerSec, 0),
      fmt(r.latencyMs.p50),
      fmt(r.latencyMs.p99),
      `${r.errors + r.timeouts}/${r.non2xx}`,
    ]),
  );
}

function sweepTable(r: HostSweepResult): string {
  return renderTable(
    ['target', 'hosts', 'concurrency', 'probes/s', 'total ms', 'probe p50 ms', 'probe p99 ms', 'online'],
    [
      [
        r.target,
        String(r.hosts),
        String(r.concurrency),
        fmt(r.probesPerSec, 0),
        String(r.totalMs),
        fmt(r.latencyMs.p50, 0),
        fmt(r.latencyMs.p99, 0),
        `${r.statuses.online ?? 0}/${r.hosts}`,
      ],
    ],
  );
}

/** A Markdown table: the first column left-aligned, the others right-aligned. */
function renderTable(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...body.map(line)].join('\n');
}

async function main(): Promise<void> {
  const settings = settingsFromEnv();
  const startedAt = new Date();
  // Other work on the machine skews the numbers; the 1-minute load average before we start says how much.
  const loadAtStart = Math.round(loadavg()[0]! * 100) / 100;
  const t0 = Date.now();

  log(`recreating database ${databaseName(settings.databaseUrl)}`);
  const postgresVersion = await recreateDatabase(settings.databaseUrl);
  log('applying migrations (scripts/db-migrate.mjs)');
  await migrate(settings.databaseUrl);

  const token = newToken();
  const heddle = await benchHeddle(settings, token);
  const bare = await benchBare(settings, token, heddle);
  const hostSweep = settings.sweepHosts > 0 ? await benchHostSweep(settings) : null;
  const dispatch = settings.dispatchTasks > 0 ? await benchDispatch(settings) : null;
  const webhooks = settings.webhookEvents > 0 ? await benchWebhooks(settings) : null;

  const ratio = ratioOf(heddle.me, bare.team);
  const createRatio = ratioOf(heddle.create, bare.create);
  const cpu = cpus();
  const report = {
    date: startedAt.toISOString(),
    machine: {
      cpus: cpu.length,
      cpuModel: cpu[0]?.model ?? 'unknown',
      memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      node: process.version,
      postgres: postgresVersion,
      loadAverage1mAtStart: loadAtStart,
    },
    settings: {
      durationS: settings.durationS,
      warmupS: settings.warmupS,
      connections: settings.connections,
      pipelining: 1,
      database: databaseName(settings.databaseUrl),
      tokenCacheMs: Number(process.env.TOKEN_CACHE_MS ?? '1000'),
      queuePrefix: heddle.queuePrefix,
      sweepHosts: settings.sweepHosts,
      sweepConcurrency: settings.sweepConcurrency,
    },
    results: [heddle.me, bare.team, heddle.create, bare.create],
    ratio,
    createTask: {
      body: TASK_BODY,
      ratio: createRatio,
      /** Rows each side wrote while measured (warm-up included) and the 2xx it answered. */
      writes: { heddle: heddle.createWrites, bare: bare.createWrites },
      /** Harness jobs the API enqueued, against the tasks it created (sample and warm-up included). */
      harnessJobsEnqueued: heddle.harnessJobsEnqueued,
      heddleTasksCreated: heddle.tasksCreated,
    },
    hostSweep,
    dispatch,
    webhooks,
    servers: [heddle.info, bare.info],
    totalSeconds: (Date.now() - t0) / 1000,
  };
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(RESULTS_FILE, `${JSON.stringify(report, null, 2)}\n`);

  process.stdout.write(
    `\n${startedAt.toISOString()}  ${cpu.length} × ${report.machine.cpuModel}, node ${process.version}, ` +
      `Postgres ${postgresVersion}; ${settings.connections} connections, ${settings.durationS} s each after ${settings.warmupS} s warm-up\n\n`,
  );
  process.stdout.write(`${table([heddle.me, bare.team])}\n\n${comparison(heddle.me, bare.team, ratio)}`);
  process.stdout.write(
    `\n${table([heddle.create, bare.create])}\n\n${comparison(heddle.create, bare.create, createRatio)}`,
  );
  process.stdout.write(
    `creates: heddle ${heddle.createWrites.tasks}, bare ${bare.createWrites.tasks} (warm-up included), each one task + ` +
      `one TASK_CREATED event + one audit row; heddle enqueued ${heddle.harnessJobsEnqueued} harness jobs for ` +
      `${heddle.tasksCreated} tasks\n`,
  );
  if (hostSweep) {
    process.stdout.write(`\n${sweepTable(hostSweep)}\n\n`);
    process.stdout.write(
      `sweep: first probe recorded ${hostSweep.firstProbeAfterMs} ms after the trigger, last ${hostSweep.lastProbeAfterMs} ms; ` +
        `process CPU ${hostSweep.processCpuUsPerProbe} µs per probe (API module, worker and fakes together)\n`,
    );
  }
  if (dispatch) {
    process.stdout.write(`\n${dispatchTable(dispatch)}\n\n`);
    process.stdout.write(
      `dispatch: created → prompt received by the fake host, ${dispatch.tasks} tasks created ${dispatch.concurrency} at a ` +
        `time, HARNESS_CONCURRENCY ${dispatch.harnessConcurrency}; ${dispatch.completed} had also completed by the last prompt\n`,
    );
  }
  if (webhooks) {
    process.stdout.write(`\n${webhookTable(webhooks)}\n\n`);
    process.stdout.write(
      `webhooks: relay + webhooks consumer in one process, WEBHOOK_CONCURRENCY ${webhooks.webhookConcurrency}, ` +
        `WEBHOOK_ENDPOINT_CONCURRENCY ${webhooks.endpointConcurrency}; every event signed, POSTed, answered 204 and recorded\n`,
    );
  }
  process.stdout.write(
    `results written to ${join('bench', 'results', 'latest.json')} (${fmt(report.totalSeconds, 1)} s in all)\n`,
  );

  if (loadAtStart > cpu.length / 4) {
    log(`note: load average was ${loadAtStart} on ${cpu.length} CPUs before the run; other work skews these numbers`);
  }
  if (heddle.harnessJobsEnqueued !== heddle.tasksCreated) {
    log(
      `note: the API created ${heddle.tasksCreated} tasks but ${heddle.harnessJobsEnqueued} harness jobs are waiting ` +
        `(it logs a warning for each wake-up it could not enqueue)`,
    );
  }
  let failed = false;
  for (const info of report.servers) {
    if (!info.stop.clean) {
      process.stderr.write(`[bench] FAIL: ${info.name} did not shut down cleanly on SIGTERM: ${info.stop.exit}\n`);
      failed = true;
    }
  }
  for (const m of report.results) {
    if (m.serverLogLines > 0)
      log(`note: ${m.target}: the server logged ${m.serverLogLines} line(s) at warn or above while measured`);
  }
  if (failed) process.exitCode = 1;
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? ` (${err.cause.message})` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    log(`${signal}: stopping child processes`);
    void Promise.all([...running].map(stopServer)).finally(() => process.exit(130));
  });
}

main().catch(async (err: unknown) => {
  if (interrupted) return;
  process.stderr.write(
    `[bench] FAILED: ${err instanceof BenchError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  await Promise.all([...running].map(stopServer));
  process.exit(1);
});
