// npm run bench — throughput and latency of an authenticated `GET /api/me` on the real API, next to a
// bare Fastify route doing one single-row `pg` select (bench/bare-fastify.ts), measured the same way
// in the same run. See docs/performance.md for what the numbers mean.
//
// Steps: drop and recreate the dedicated database (default heddle_bench), migrate it with
// scripts/db-migrate.mjs, start the API as a child process with a fresh HEDDLE_BOOTSTRAP_TOKEN (the
// first start creates team "default" owning that token), warm up, measure with autocannon, stop it;
// then the same for the bare server. The two never run at the same time. Last, in this process,
// the host-health sweep throughput (bench/host-sweep.ts): fake OpenCode hosts registered through the
// real API, one `host-health.sweep` through the real worker, timed until every host is probed.
//
// Knobs (env): BENCH_DURATION seconds (10), BENCH_CONNECTIONS (32), BENCH_WARMUP seconds (3),
// BENCH_DATABASE_URL (postgresql://postgres@127.0.0.1:5432/heddle_bench; the database is DROPPED,
// so its name must end in "_bench"), REDIS_URL (redis://127.0.0.1:6379; keys use prefix "bench"),
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

const ROOT = resolve(__dirname, '..');
const RESULTS_FILE = join(ROOT, 'bench', 'results', 'latest.json');
const READY_TIMEOUT_MS = 45_000;
const STOP_TIMEOUT_MS = 10_000;
const MIGRATE_TIMEOUT_MS = 120_000;
const API_SHUTDOWN_TIMEOUT_MS = 5_000;

class BenchError extends Error {}

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
  url: string;
  durationS: number;
  connections: number;
  requests: number;
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

async function load(
  url: string,
  connections: number,
  durationS: number,
  headers: Record<string, string>,
): Promise<{ result: autocannon.Result; latencies: Float64Array }> {
  const times: number[] = [];
  const result = await new Promise<autocannon.Result>((resolvePromise, reject) => {
    const instance = autocannon(
      { url, connections, duration: durationS, headers, pipelining: 1, timeout: 10 },
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

async function measure(
  target: string,
  server: Server,
  path: string,
  headers: Record<string, string>,
  settings: Settings,
): Promise<Measurement> {
  const url = `${server.baseUrl}${path}`;
  if (settings.warmupS > 0) {
    log(`${target}: warm-up ${settings.warmupS} s`);
    const warm = await load(url, settings.connections, settings.warmupS, headers);
    checkAll2xx(`${target} warm-up`, warm.result, server.output);
  }
  log(`${target}: measuring ${settings.durationS} s at ${settings.connections} connections`);
  const linesBefore = server.output.count;
  const cpuBefore = cpuTimeUs(server.child.pid);
  const { result, latencies } = await load(url, settings.connections, settings.durationS, headers);
  const cpuAfter = cpuTimeUs(server.child.pid);
  const serverLogLines = server.output.count - linesBefore;
  checkAll2xx(target, result, server.output);
  const sum = latencies.reduce((a, b) => a + b, 0);
  return {
    target,
    url,
    durationS: result.duration,
    connections: settings.connections,
    requests: result['2xx'],
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
async function getJson(url: string, headers: Record<string, string>): Promise<Record<string, unknown>> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
  const body = await res.text();
  if (res.status !== 200) throw new BenchError(`GET ${url} answered ${res.status}: ${body}`);
  return JSON.parse(body) as Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// Runs

/** `hdl_<8 lowercase a-z0-9>_<43 base64url chars>`, the format of HEDDLE_BOOTSTRAP_TOKEN. */
function newToken(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const prefix = Array.from({ length: 8 }, () => alphabet[randomInt(alphabet.length)]).join('');
  return `hdl_${prefix}_${randomBytes(32).toString('base64url')}`;
}

interface Stopped {
  name: string;
  readyMs: number;
  stop: StopResult;
}

async function benchHeddle(
  settings: Settings,
  token: string,
): Promise<{ m: Measurement; teamId: string; info: Stopped }> {
  const port = await freePort();
  log(`starting the API on port ${port}`);
  const server = startServer('api', 'apps/api/src/main.ts', port, {
    DATABASE_URL: settings.databaseUrl,
    REDIS_URL: settings.redisUrl,
    HEDDLE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    HEDDLE_BOOTSTRAP_TOKEN: token,
    LOG_LEVEL: 'warn',
    QUEUE_PREFIX: 'bench',
    TOKEN_CACHE_MS: process.env.TOKEN_CACHE_MS ?? '1000',
    SHUTDOWN_TIMEOUT_MS: String(API_SHUTDOWN_TIMEOUT_MS),
  });
  try {
    const readyMs = await waitReady(server);
    log(`api ready after ${readyMs} ms`);
    const headers = { authorization: `Bearer ${token}` };
    const me = await getJson(`${server.baseUrl}/api/me`, headers);
    if (me.teamName !== 'default' || typeof me.teamId !== 'string') {
      throw new BenchError(`GET /api/me answered an unexpected body: ${JSON.stringify(me)}`);
    }
    const m = await measure('heddle GET /api/me', server, '/api/me', headers, settings);
    return { m, teamId: me.teamId, info: { name: 'api', readyMs, stop: await stopServer(server) } };
  } finally {
    if (running.has(server)) await stopServer(server);
  }
}

async function benchBare(
  settings: Settings,
  token: string,
  teamId: string,
): Promise<{ m: Measurement; info: Stopped }> {
  const port = await freePort();
  log(`starting the bare Fastify server on port ${port}`);
  const server = startServer('bare-fastify', 'bench/bare-fastify.ts', port, {
    DATABASE_URL: settings.databaseUrl,
    BENCH_TEAM_ID: teamId,
  });
  try {
    const readyMs = await waitReady(server);
    log(`bare-fastify ready after ${readyMs} ms`);
    // The same header as the API gets, so both requests are the same size; the bare route ignores it.
    const headers = { authorization: `Bearer ${token}` };
    const row = await getJson(`${server.baseUrl}/bare/team`, headers);
    if (row.id !== teamId) throw new BenchError(`GET /bare/team answered an unexpected body: ${JSON.stringify(row)}`);
    const m = await measure('bare fastify + pg select', server, '/bare/team', headers, settings);
    return { m, info: { name: 'bare-fastify', readyMs, stop: await stopServer(server) } };
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

// ---------------------------------------------------------------------------------------------
// Report

function fmt(n: number, digits = 2): string {
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
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
  const bare = await benchBare(settings, token, heddle.teamId);
  const hostSweep = settings.sweepHosts > 0 ? await benchHostSweep(settings) : null;

  const ratio = {
    reqPerSec: heddle.m.reqPerSec / bare.m.reqPerSec,
    p50: heddle.m.latencyMs.p50 / bare.m.latencyMs.p50,
    p99: heddle.m.latencyMs.p99 / bare.m.latencyMs.p99,
  };
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
      sweepHosts: settings.sweepHosts,
      sweepConcurrency: settings.sweepConcurrency,
    },
    results: [heddle.m, bare.m],
    ratio,
    hostSweep,
    servers: [heddle.info, bare.info],
    totalSeconds: (Date.now() - t0) / 1000,
  };
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(RESULTS_FILE, `${JSON.stringify(report, null, 2)}\n`);

  process.stdout.write(
    `\n${startedAt.toISOString()}  ${cpu.length} × ${report.machine.cpuModel}, node ${process.version}, ` +
      `Postgres ${postgresVersion}; ${settings.connections} connections, ${settings.durationS} s each after ${settings.warmupS} s warm-up\n\n`,
  );
  process.stdout.write(`${table(report.results)}\n\n`);
  if (heddle.m.serverCpuUsPerRequest !== null && bare.m.serverCpuUsPerRequest !== null) {
    process.stdout.write(
      `server process CPU per request: heddle ${heddle.m.serverCpuUsPerRequest} µs, bare ${bare.m.serverCpuUsPerRequest} µs ` +
        `(Postgres' own CPU not included)\n`,
    );
  }
  process.stdout.write(
    `ratio (Heddle ÷ bare): req/s ${fmt(ratio.reqPerSec)}, p50 ${fmt(ratio.p50)}×, p99 ${fmt(ratio.p99)}×\n`,
  );
  if (hostSweep) {
    process.stdout.write(`\n${sweepTable(hostSweep)}\n\n`);
    process.stdout.write(
      `sweep: first probe recorded ${hostSweep.firstProbeAfterMs} ms after the trigger, last ${hostSweep.lastProbeAfterMs} ms; ` +
        `process CPU ${hostSweep.processCpuUsPerProbe} µs per probe (API module, worker and fakes together)\n`,
    );
  }
  process.stdout.write(
    `results written to ${join('bench', 'results', 'latest.json')} (${fmt(report.totalSeconds, 1)} s in all)\n`,
  );

  if (loadAtStart > cpu.length / 4) {
    log(`note: load average was ${loadAtStart} on ${cpu.length} CPUs before the run; other work skews these numbers`);
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
