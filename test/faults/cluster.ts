// The fault suite's own installation of Heddle: a database of its own (dropped and migrated each run),
// a redis-server of its own on a free port, the API and the worker as child processes started the way
// `npm run start:api` / `npm run start:worker` start them, and the fake OpenCode host in this process.
// Every piece can be killed, stopped and started again by the scenarios.
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { Pool } from 'pg';
import { FakeOpencode, REPO_ROOT, RedisServer, freePort, startFakeOpencode, startRedisServer } from '@heddle/testing';
import { databaseName, dropDatabase, migrate } from '../../scripts/db-migrate-lib.mjs';
import { ApiClient, sleep } from './http';

export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/heddle_faults';
const READY_TIMEOUT_MS = 90_000;
/** One directory of the fake host per scenario, so each audits only its own sessions. */
export const FAKE_WORKSPACES = [
  'kill-worker',
  'redis-restart',
  'api-burst',
  'drain',
  'drain-deadline',
  'tenant',
] as const;

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Process groups of the API and worker still running: killed if the suite exits without stopping them. */
const liveGroups = new Set<number>();
process.once('exit', () => {
  for (const group of liveGroups) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** One child process of the cluster (API or worker): output to a log file and a short tail. */
export class NodeService {
  readonly exited: Promise<ExitInfo>;
  private tail: string[] = [];
  private readonly log: WriteStream;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly healthUrl: string,
    logFile: string,
  ) {
    this.log = createWriteStream(logFile, { flags: 'a' });
    this.log.write(`\n=== ${name} pid ${child.pid} started ${new Date().toISOString()}\n`);
    const onData = (chunk: Buffer) => {
      this.log.write(chunk);
      this.tail.push(...chunk.toString().split('\n').filter(Boolean));
      if (this.tail.length > 400) this.tail = this.tail.slice(-200);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.log.end(`=== ${name} exited code=${code} signal=${signal} ${new Date().toISOString()}\n`);
        resolve({ code, signal });
      }),
    );
  }

  static spawn(name: string, script: string, env: Record<string, string>, healthPort: number, logFile: string) {
    const child = spawn(process.execPath, ['--enable-source-maps', '-r', '@swc-node/register', script], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      detached: true, // its own process group: a kill reaches everything it started
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid) {
      const group = child.pid;
      liveGroups.add(group);
      child.once('exit', () => liveGroups.delete(group));
    }
    return new NodeService(name, child, `http://127.0.0.1:${healthPort}`, logFile);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  output(lines = 40): string {
    return this.tail
      .slice(-lines)
      .map((l) => `    | ${l}`)
      .join('\n');
  }

  /** The whole tail, for searching (e.g. "shutdown took longer"). */
  text(): string {
    return this.tail.join('\n');
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.running || !this.child.pid) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // already gone
    }
  }

  /** Polls /readyz until 200; throws if the process exits first or the deadline passes. */
  async ready(timeoutMs = READY_TIMEOUT_MS): Promise<number> {
    const started = Date.now();
    let last = 'no answer yet';
    while (Date.now() - started < timeoutMs) {
      if (!this.running) throw new Error(`${this.name} exited before it was ready:\n${this.output()}`);
      try {
        const res = await fetch(`${this.healthUrl}/readyz`, { signal: AbortSignal.timeout(3_000) });
        await res.arrayBuffer();
        if (res.status === 200) return Date.now() - started;
        last = `HTTP ${res.status}`;
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(200);
    }
    throw new Error(`${this.name} not ready within ${timeoutMs} ms (last: ${last}):\n${this.output()}`);
  }
}

export interface ClusterOptions {
  databaseUrl: string;
  logDir: string;
  logLevel: string;
}

export interface Team {
  id: string;
  name: string;
  token: string;
}

export class Cluster {
  redis!: RedisServer;
  fake!: FakeOpencode;
  api?: NodeService;
  worker?: NodeService;
  readonly pg: Pool;
  readonly apiPort: number;
  readonly workerHealthPort: number;
  /** Owner token of team `default`, made by HEDDLE_BOOTSTRAP_TOKEN on the empty database (platform:admin). */
  readonly bootstrapToken = newToken();
  readonly encryptionKey = randomBytes(32).toString('base64');
  /** Client for the cluster's own calls (set-up); scenarios make their own to count their answers. */
  readonly http: ApiClient;
  private workerStarts = 0;
  private apiStarts = 0;

  private constructor(
    readonly options: ClusterOptions,
    ports: { api: number; worker: number },
  ) {
    this.apiPort = ports.api;
    this.workerHealthPort = ports.worker;
    this.pg = new Pool({ connectionString: options.databaseUrl, max: 4 });
    this.http = this.client();
  }

  /** Drops and migrates the database, starts Redis, the fake host, the API and the worker. */
  static async start(options: ClusterOptions, log: (m: string) => void): Promise<Cluster> {
    if (!/_faults$/.test(databaseName(options.databaseUrl))) {
      throw new Error(`the fault suite drops its database, so its name must end in "_faults" (${options.databaseUrl})`);
    }
    mkdirSync(options.logDir, { recursive: true });
    const t0 = Date.now();
    await dropDatabase(options.databaseUrl);
    await migrate({ databaseUrl: options.databaseUrl, root: REPO_ROOT, quiet: true, log: () => {} });
    log(`database ${databaseName(options.databaseUrl)} created and migrated (${Date.now() - t0} ms)`);
    const cluster = new Cluster(options, { api: await freePort(), worker: await freePort() });
    try {
      cluster.redis = await startRedisServer();
      log(`redis-server on ${cluster.redis.port}`);
      // Many sessions, no git (its snapshots would cost a process per step), no request log.
      cluster.fake = await startFakeOpencode({ git: false, maxRecorded: 0, extraWorkspaces: [...FAKE_WORKSPACES] });
      await Promise.all([cluster.startApi(), cluster.startWorker()]);
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    log(`API on ${cluster.apiPort}, worker health on ${cluster.workerHealthPort} (logs in ${options.logDir})`);
    return cluster;
  }

  /** The fake host's directory for one scenario. */
  fakeWorkspace(name: (typeof FAKE_WORKSPACES)[number]): string {
    return this.fake.workspaces[name]!;
  }

  client(): ApiClient {
    return new ApiClient(() => `http://127.0.0.1:${this.apiPort}`);
  }

  /** What every Heddle process of the cluster gets (an operator's settings, plus shorter timers). */
  baseEnv(): Record<string, string> {
    return {
      DATABASE_URL: this.options.databaseUrl,
      REDIS_URL: this.redis.url,
      QUEUE_PREFIX: 'faults',
      HEDDLE_ENCRYPTION_KEY: this.encryptionKey,
      HEDDLE_BOOTSTRAP_TOKEN: this.bootstrapToken,
      HEDDLE_OUTBOUND_ALLOW: '127.0.0.1,::1',
      LOG_LEVEL: this.options.logLevel,
      HOST: '127.0.0.1',
      HARNESS_POLL_MS: '1000',
      HARNESS_SWEEP_MS: '1000',
      // A killed worker's tasks go to the next one after this (row 6 runs with the default 60 s).
      HARNESS_LEASE_SECONDS: '10',
      HARNESS_TURN_START_GRACE_MS: '15000',
      OUTBOX_POLL_MS: '200',
      DELIVERY_SWEEP_MS: '1000',
      SHUTDOWN_TIMEOUT_MS: '10000',
      ...rateLimitsOff(),
    };
  }

  async startApi(env: Record<string, string> = {}): Promise<NodeService> {
    if (this.api?.running) throw new Error('the API is already running');
    this.apiStarts++;
    this.api = NodeService.spawn(
      `api#${this.apiStarts}`,
      'apps/api/src/main.ts',
      { ...this.baseEnv(), PORT: String(this.apiPort), ...env },
      this.apiPort,
      join(this.options.logDir, 'api.log'),
    );
    await this.api.ready();
    return this.api;
  }

  /** The worker with every consumer; `env` overrides (e.g. HARNESS_LEASE_SECONDS) for this start only. */
  async startWorker(env: Record<string, string> = {}): Promise<NodeService> {
    if (this.worker?.running) throw new Error('the worker is already running');
    this.workerStarts++;
    this.worker = NodeService.spawn(
      `worker#${this.workerStarts}`,
      'apps/worker/src/main.ts',
      {
        ...this.baseEnv(),
        WORKER_CONSUMERS: 'all',
        WORKER_HEALTH_PORT: String(this.workerHealthPort),
        PORT: String(this.workerHealthPort),
        ...env,
      },
      this.workerHealthPort,
      join(this.options.logDir, 'worker.log'),
    );
    await this.worker.ready();
    return this.worker;
  }

  /** SIGKILL, and wait for the exit. */
  async kill(service: NodeService | undefined): Promise<ExitInfo | undefined> {
    if (!service) return undefined;
    service.signal('SIGKILL');
    return service.exited;
  }

  /** SIGTERM; SIGKILL after `timeoutMs`. Returns how it ended and how long it took. */
  async terminate(service: NodeService | undefined, timeoutMs = 20_000) {
    if (!service?.running) return undefined;
    const started = Date.now();
    service.signal('SIGTERM');
    const timer = setTimeout(() => service.signal('SIGKILL'), timeoutMs);
    const exit = await service.exited;
    clearTimeout(timer);
    return { ...exit, ms: Date.now() - started, killed: exit.signal === 'SIGKILL' };
  }

  /** Makes sure API and worker run (a scenario that failed half-way may have left one down). */
  async ensureUp(): Promise<void> {
    if (!this.redis.running()) await this.redis.start();
    if (!this.api?.running) await this.startApi();
    if (!this.worker?.running) await this.startWorker();
  }

  async stop(): Promise<void> {
    await Promise.all([this.terminate(this.api, 10_000), this.terminate(this.worker, 10_000)]);
    await this.fake?.stop().catch(() => undefined);
    await this.redis?.stop();
    await this.pg.end().catch(() => undefined);
  }

  async sql<T extends Record<string, any> = Record<string, any>>(text: string, params: unknown[] = []): Promise<T[]> {
    return (await this.pg.query<T>(text, params)).rows;
  }

  /** A new team through `POST /api/teams` (the bootstrap token holds platform:admin). */
  async createTeam(prefix: string): Promise<Team> {
    const name = `${prefix}-${randomUUID().slice(0, 8)}`;
    const res = await this.http.request('POST', '/api/teams', { token: this.bootstrapToken, body: { name } });
    if (res.status !== 201) throw new Error(`POST /api/teams answered ${res.status}: ${res.text}`);
    return { id: res.body.id, name, token: res.body.token };
  }

  /**
   * Registers an OpenCode server as a host of the team (with its workspace roots) and probes it
   * online. Answers the host id.
   */
  async registerHost(
    team: Team,
    host: { name: string; baseUrl: string; workspaceRoots: string[]; password?: string; maxSessions?: number },
  ): Promise<string> {
    const body = {
      name: host.name,
      baseUrl: host.baseUrl,
      workspaceRoots: host.workspaceRoots,
      maxSessions: host.maxSessions ?? 1000,
      ...(host.password ? { password: host.password } : {}),
    };
    let res = await this.http.request('POST', '/api/hosts', { token: team.token, body });
    if (res.status === 400 && /workspaceRoots/.test(res.text) && /should not exist/.test(res.text)) {
      // The server predates workspace roots (added to POST /api/hosts as a required field).
      Cluster.notes.add('POST /api/hosts does not accept workspaceRoots yet; hosts registered without it');
      const { workspaceRoots: _roots, ...older } = body;
      res = await this.http.request('POST', '/api/hosts', { token: team.token, body: older });
    }
    if (res.status !== 201) throw new Error(`POST /api/hosts answered ${res.status}: ${res.text}`);
    const probe = await this.http.request('POST', `/api/hosts/${res.body.id}/probe`, { token: team.token });
    if (probe.body?.status !== 'online') throw new Error(`host ${host.name} is not online: ${probe.text}`);
    return res.body.id as string;
  }

  /** The in-process fake host as a host of the team (its roots: the fake's temp directory). */
  registerFakeHost(team: Team): Promise<string> {
    return this.registerHost(team, {
      name: 'fake',
      baseUrl: this.fake.baseUrl,
      workspaceRoots: [dirname(this.fake.workspace)],
    });
  }

  /** Things worth saying under the table (not failures). */
  static readonly notes = new Set<string>();
}

/** `hdl_<8 lowercase a-z0-9>_<43 base64url chars>`, the format of HEDDLE_BOOTSTRAP_TOKEN. */
function newToken(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const prefix = Array.from({ length: 8 }, () => alphabet[randomInt(alphabet.length)]).join('');
  return `hdl_${prefix}_${randomBytes(32).toString('base64url')}`;
}

/**
 * Rate limits would turn the suite's bursts (and row 7's bad tokens) into 429s: all classes off. The
 * variables are ignored by a Heddle without rate limits.
 */
function rateLimitsOff(): Record<string, string> {
  return {
    RATE_LIMIT_ENABLED: 'false',
    RATE_LIMIT_READS: '0',
    RATE_LIMIT_WRITES: '0',
    RATE_LIMIT_ANONYMOUS: '0',
    RATE_LIMIT_AUTH_FAILURES: '0',
  };
}
