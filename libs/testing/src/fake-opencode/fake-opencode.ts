import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { promises as fs } from 'node:fs';
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { homedir, tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { newHash, newId, newSlug, newUlidLike } from './ids';
import { stepsForPrompt } from './script';
import {
  BusyStatus,
  MessageRecord,
  SessionRecord,
  sessionInfo,
  settleWithin,
  sleep,
  wildcard,
  zeroTokens,
} from './state';
import { Ask, PermissionAnswer, PermissionFields, ResolvedTurnOptions, Run, RunOutcome, Turn, TurnHost } from './turn';
import type {
  FakeEmittedEvent,
  FakeEvent,
  FakeFlakyOptions,
  FakeOpencodeOptions,
  FakePermissionAction,
  FakePermissionRule,
  FakePromptContext,
  FakeQuestion,
  FakeRecordedRequest,
  FakeScript,
  FakeScriptMatcher,
  FakeScriptOptions,
  FakeStep,
} from './types';
import {
  Context,
  HTML,
  Handler,
  HttpError,
  Reply,
  badRequest,
  badRequestTag,
  expectString,
  got,
  isObject,
  isRuleset,
  requireField,
  unknownError,
} from './http';
import {
  WorkspaceError,
  createRepository,
  directoryExists,
  releaseTemplates,
  findFiles,
  findText,
  listFiles,
  projectInfo,
  readFileContent,
  rememberProject,
  vcsDiff,
  vcsInfo,
  vcsStatus,
} from './workspace';

/** A running fake OpenCode server (see startFakeOpencode). */
export interface FakeOpencode {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly baseUrl: string;
  readonly port: number;
  /** Absolute path of the main workspace (the "cwd" of the server: the default `directory`). */
  readonly workspace: string;
  /** Extra workspaces by name (option `extraWorkspaces`), absolute paths. */
  readonly workspaces: Record<string, string>;
  readonly username: string;
  readonly password: string | undefined;
  readonly version: string;
  /** `{authorization: 'Basic …'}` when a password is set, else `{}`. */
  authHeaders(): Record<string, string>;
  /** Aborts running turns (killing their processes), closes every connection and removes a temp workspace. */
  stop(): Promise<void>;
  /** true: stop listening and drop every connection (refused from now on); false: listen again on the same port. */
  setUnreachable(unreachable: boolean): Promise<void>;
  /** Added latency before every request is handled (0 = off). */
  setSlow(ms: number): void;
  /** Every Nth request fails with a connection reset or a 500; null = off. */
  setFlaky(options: FakeFlakyOptions | null): void;
  /** true: event streams stay open but get nothing (no events, no heartbeats); events meanwhile are lost. */
  setSilentEvents(silent: boolean): void;
  /** Emits `server.instance.disposed` and ends that directory's `/event` streams (default: the main workspace). */
  disposeInstance(directory?: string): void;
  /** Decides what prompts matching `matcher` do; the latest matching registration wins. Returns an unregister function. */
  script(matcher: FakeScriptMatcher, script: FakeScript, options?: FakeScriptOptions): () => void;
  /** What unmatched prompts do; null restores the keyword behaviour (HANG, FAIL, NOTOOL, CALL:, SLEEPTOOL, FILE:). */
  setDefaultScript(script: FakeScript | null): void;
  clearScripts(): void;
  /** Every request received (oldest first), authorization header removed. */
  requests(): FakeRecordedRequest[];
  /** Forgets recorded requests and emitted events. */
  clear(): void;
  /** Every instance event emitted so far (also while events are silent), oldest first. */
  events(): FakeEmittedEvent[];
  /** Resolves with the next emitted event matching `predicate` (events emitted before the call don't count). */
  waitForEvent(predicate: (event: FakeEvent, directory: string) => boolean, timeoutMs?: number): Promise<FakeEvent>;
  /** The next `session.idle` of that session. */
  waitForIdle(sessionID: string, timeoutMs?: number): Promise<void>;
  /** Emits an arbitrary instance event (default directory: the main workspace). */
  emit(type: string, properties: Record<string, unknown>, directory?: string): void;
  /** Commands of `bash` tools and `/shell` calls still running (simulated hangs such as SLEEPTOOL included). */
  toolProcesses(): string[];
}

/** Starts a fake OpenCode server on 127.0.0.1 speaking the routes and events of OpenCode 1.18.34 that Heddle uses. */
export async function startFakeOpencode(options: FakeOpencodeOptions = {}): Promise<FakeOpencode> {
  const host = new FakeOpencodeHost(options);
  await host.start();
  return host;
}

/**
 * The native agents of OpenCode 1.18.34 as `GET /agent` lists them (alphabetically). A prompt may name
 * any of them (the real server runs subagents and hidden ones too); "Agent not found" lists the
 * visible ones.
 */
const AGENTS: { name: string; mode: 'primary' | 'subagent'; hidden?: true; description?: string }[] = [
  { name: 'build', mode: 'primary', description: 'The default agent. Executes tools based on configured permissions.' },
  { name: 'compaction', mode: 'primary', hidden: true },
  { name: 'explore', mode: 'subagent', description: 'Fast agent specialized for exploring codebases.' },
  {
    name: 'general',
    mode: 'subagent',
    description: 'General-purpose agent for researching complex questions and executing multi-step tasks.',
  },
  { name: 'plan', mode: 'primary', description: 'Plan mode. Disallows all edit tools.' },
  { name: 'summary', mode: 'primary', hidden: true },
  { name: 'title', mode: 'primary', hidden: true },
];
const AGENT_NAMES = AGENTS.map((a) => a.name);
const VISIBLE_AGENTS = AGENTS.filter((a) => !a.hidden).map((a) => a.name);

/** Fake hosts started and not yet stopped in this process (template repositories live as long as one does). */
let liveHosts = 0;

interface Subscriber {
  res: ServerResponse;
  /** null for `/global/event`. */
  directory: string | null;
  timer: NodeJS.Timeout;
}

interface PendingPermission {
  request: PermissionFields & { id: string; sessionID: string };
  directory: string;
  projectID: string;
  resolve: (answer: PermissionAnswer) => void;
  late: () => void;
  abandoned: boolean;
}

interface PendingQuestion {
  request: { id: string; sessionID: string; questions: FakeQuestion[]; tool: { messageID: string; callID: string } };
  directory: string;
  resolve: (answers: string[][] | null) => void;
  abandoned: boolean;
}

interface ScriptEntry {
  matcher: FakeScriptMatcher;
  script: FakeScript;
  remaining?: number;
}

interface Waiter {
  predicate: (event: FakeEvent, directory: string) => boolean;
  resolve: (event: FakeEvent) => void;
}

class FakeOpencodeHost implements FakeOpencode, TurnHost {
  readonly username: string;
  readonly password: string | undefined;
  readonly version: string;
  readonly turnOptions: ResolvedTurnOptions;
  port = 0;
  workspace = '';
  readonly workspaces: Record<string, string> = {};

  private readonly server: Server;
  private readonly routes: { method: string; re: RegExp; keys: string[]; handler: Handler }[] = [];
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly runs = new Map<string, Run>();
  private readonly statuses = new Map<string, { directory: string; status: BusyStatus }>();
  private readonly permissions = new Map<string, PendingPermission>();
  private readonly questions = new Map<string, PendingQuestion>();
  private readonly approvals = new Map<string, { permission: string; pattern: string }[]>();
  private readonly configRules: FakePermissionRule[] = [];
  private readonly subscribers = new Set<Subscriber>();
  private readonly children = new Map<ChildProcess, string>();
  private readonly simulated = new Set<{ command: string }>();
  private root: string | undefined;
  private net: Promise<void> = Promise.resolve();
  private readonly projects = new Map<string, string>();
  private readonly waiters = new Set<Waiter>();
  private readonly recorded: FakeRecordedRequest[] = [];
  private readonly emitted: FakeEmittedEvent[] = [];
  private scripts: ScriptEntry[] = [];
  private defaultScript: FakeScript | null = null;
  private listening = false;
  private stopped = false;
  private slowMs = 0;
  private flaky: FakeFlakyOptions | null = null;
  private flakyCount = 0;
  private silent = false;
  private callCounter = 0;
  private readonly maxRecorded: number;
  private readonly heartbeatMs: number;
  private readonly models: string[] | 'any';
  private readonly defaultModel: { providerID: string; modelID: string };
  private readonly fileContent: string | undefined;
  private readonly slowKeywordMs: number | undefined;

  constructor(private readonly options: FakeOpencodeOptions) {
    this.username = options.username ?? 'opencode';
    this.password = options.password;
    this.version = options.version ?? '1.18.34';
    this.maxRecorded = options.maxRecorded ?? 2_000;
    this.heartbeatMs = options.heartbeatMs ?? 10_000;
    this.models = options.models ?? ['fake/fake-model'];
    this.defaultModel = options.defaultModel ?? { providerID: 'fake', modelID: 'fake-model' };
    this.fileContent = options.fileContent;
    this.slowKeywordMs = options.slowMs;
    this.turnOptions = {
      tokens: options.tokens ?? { input: 120, output: 12 },
      cost: options.cost,
      stepDelayMs: options.stepDelayMs ?? 0,
      generatedTitle: options.generatedTitle === undefined ? 'Fake session title' : options.generatedTitle,
    };
    for (const [permission, value] of Object.entries(options.permission ?? {})) {
      if (typeof value === 'string') this.configRules.push({ permission, pattern: '*', action: value });
      else
        for (const [pattern, action] of Object.entries(value)) this.configRules.push({ permission, pattern, action });
    }
    this.server = createServer((req, res) => this.onRequest(req, res));
    this.server.keepAliveTimeout = 5_000;
    this.defineRoutes();
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  async start(): Promise<void> {
    liveHosts++;
    try {
      await this.prepare();
    } catch (err) {
      await this.release();
      throw err;
    }
  }

  private async release(): Promise<void> {
    if (--liveHosts === 0) await releaseTemplates();
  }

  private async prepare(): Promise<void> {
    const names = this.options.extraWorkspaces ?? [];
    if (this.options.workspace) {
      this.workspace = resolve(this.options.workspace);
      if (!directoryExists(this.workspace))
        throw new Error(`fake opencode: workspace ${this.workspace} does not exist`);
    }
    if (!this.options.workspace || names.length > 0) {
      this.root = await fs.realpath(await fs.mkdtemp(join(tmpdir(), 'heddle-fake-opencode-')));
    }
    try {
      if (!this.options.workspace) {
        this.workspace = join(this.root!, 'ws');
        await this.createWorkspace(this.workspace, this.options.files ?? defaultFiles('ws'));
      }
      for (const name of names) {
        if (!/^[\w.-]+$/.test(name) || name === 'ws') throw new Error(`fake opencode: bad workspace name ${name}`);
        this.workspaces[name] = join(this.root!, name);
        await this.createWorkspace(this.workspaces[name], defaultFiles(name));
      }
      for (const dir of [this.workspace, ...Object.values(this.workspaces)]) {
        this.projects.set(dir, (await projectInfo(dir)).projectID);
      }
      await this.listen(this.options.port ?? 0);
    } catch (err) {
      if (this.root) await fs.rm(this.root, { recursive: true, force: true });
      throw err;
    }
  }

  private async createWorkspace(dir: string, files: Record<string, string>): Promise<void> {
    await fs.mkdir(dir, { recursive: true });
    if (this.options.git === false) {
      for (const [path, content] of Object.entries(files)) {
        const abs = join(dir, path);
        await fs.mkdir(resolve(abs, '..'), { recursive: true });
        await fs.writeFile(abs, content);
      }
    } else {
      rememberProject(dir, await createRepository(dir, files, this.options.branch ?? 'main'));
    }
  }

  private async listen(port: number): Promise<void> {
    this.server.listen(port, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as { port: number }).port;
    this.listening = true;
  }

  private async closeServer(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const closed = once(this.server, 'close');
    this.server.close();
    this.server.closeAllConnections();
    for (const sub of this.subscribers) sub.res.destroy();
    await closed;
    // Let clients notice their pooled keep-alive sockets died before the caller goes on.
    await sleep(5);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const runs = [...this.runs.values()];
    for (const run of runs) run.controller.abort();
    await settleWithin(Promise.allSettled(runs.map((r) => r.done)), 2_000);
    for (const child of this.children.keys()) killGroup(child);
    for (const sub of this.subscribers) {
      clearInterval(sub.timer);
      sub.res.destroy();
    }
    this.subscribers.clear();
    this.waiters.clear();
    await this.net;
    await this.closeServer();
    if (this.root) await fs.rm(this.root, { recursive: true, force: true });
    await this.release();
  }

  setUnreachable(unreachable: boolean): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('fake opencode: stopped'));
    // Serialised, so calls that aren't awaited still take effect in order.
    const op = this.net.then(() =>
      unreachable ? this.closeServer() : this.listening ? undefined : this.listen(this.port),
    );
    this.net = op.catch(() => undefined);
    return op;
  }

  toolProcesses(): string[] {
    return [...this.children.values(), ...[...this.simulated].map((s) => s.command)];
  }

  trackCommand(command: string): () => void {
    const entry = { command };
    this.simulated.add(entry);
    return () => this.simulated.delete(entry);
  }

  setSlow(ms: number): void {
    this.slowMs = ms;
  }

  setFlaky(options: FakeFlakyOptions | null): void {
    this.flaky = options;
    this.flakyCount = 0;
  }

  setSilentEvents(silent: boolean): void {
    this.silent = silent;
  }

  authHeaders(): Record<string, string> {
    if (this.password === undefined) return {};
    return { authorization: `Basic ${Buffer.from(`${this.username}:${this.password}`).toString('base64')}` };
  }

  // ---- scripts -----------------------------------------------------------------------------------

  script(matcher: FakeScriptMatcher, script: FakeScript, options: FakeScriptOptions = {}): () => void {
    const entry: ScriptEntry = { matcher, script, remaining: options.times };
    this.scripts.push(entry);
    return () => {
      this.scripts = this.scripts.filter((e) => e !== entry);
    };
  }

  setDefaultScript(script: FakeScript | null): void {
    this.defaultScript = script;
  }

  clearScripts(): void {
    this.scripts = [];
    this.defaultScript = null;
  }

  resolveScript(ctx: FakePromptContext): FakeStep[] {
    const matches = (m: FakeScriptMatcher): boolean => {
      if (typeof m === 'string') return ctx.text.includes(m);
      if (m instanceof RegExp) return m.test(ctx.text);
      if (typeof m === 'function') return m(ctx);
      if (m.sessionID !== undefined && m.sessionID !== ctx.sessionID) return false;
      if (m.directory !== undefined && resolve(m.directory) !== ctx.directory) return false;
      if (m.text !== undefined && !(typeof m.text === 'string' ? ctx.text.includes(m.text) : m.text.test(ctx.text))) {
        return false;
      }
      return true;
    };
    const run = (script: FakeScript) => (typeof script === 'function' ? script(ctx) : script).slice();
    for (let i = this.scripts.length - 1; i >= 0; i--) {
      const entry = this.scripts[i];
      if (!matches(entry.matcher)) continue;
      if (entry.remaining !== undefined && --entry.remaining <= 0) this.scripts.splice(i, 1);
      return run(entry.script);
    }
    if (this.defaultScript) return run(this.defaultScript);
    return stepsForPrompt(ctx.text, { fileContent: this.fileContent, slowMs: this.slowKeywordMs });
  }

  // ---- recording and events ----------------------------------------------------------------------

  requests(): FakeRecordedRequest[] {
    return this.recorded.slice();
  }

  clear(): void {
    this.recorded.length = 0;
    this.emitted.length = 0;
  }

  events(): FakeEmittedEvent[] {
    return this.emitted.slice();
  }

  waitForEvent(predicate: (event: FakeEvent, directory: string) => boolean, timeoutMs = 5_000): Promise<FakeEvent> {
    return new Promise<FakeEvent>((resolvePromise, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve: (event) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolvePromise(event);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        const recent = this.emitted
          .slice(-15)
          .map((e) => e.event.type)
          .join(', ');
        reject(new Error(`fake opencode: no matching event within ${timeoutMs} ms (recent: ${recent})`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  async waitForIdle(sessionID: string, timeoutMs = 5_000): Promise<void> {
    await this.waitForEvent((e) => e.type === 'session.idle' && e.properties.sessionID === sessionID, timeoutMs);
  }

  emit(type: string, properties: Record<string, unknown>, directory: string = this.workspace): void {
    this.emitEvent(resolve(this.workspace, directory), type, properties);
  }

  emitEvent(directory: string, type: string, properties: Record<string, unknown>): void {
    // A snapshot only when something keeps the event; streams serialise it right away.
    const keep = this.maxRecorded > 0 || this.waiters.size > 0;
    const event: FakeEvent = { id: newId('evt'), type, properties: keep ? structuredClone(properties) : properties };
    if (this.maxRecorded > 0) {
      this.emitted.push({ directory, event, time: Date.now() });
      if (this.emitted.length > this.maxRecorded) this.emitted.splice(0, this.emitted.length - this.maxRecorded);
    }
    for (const w of [...this.waiters]) {
      try {
        if (w.predicate(event, directory)) w.resolve(event);
      } catch {
        // a throwing predicate doesn't match
      }
    }
    if (this.silent) return;
    let local: string | undefined;
    let global: string | undefined;
    for (const sub of this.subscribers) {
      if (sub.directory === null) {
        global ??= `data: ${JSON.stringify({ directory, project: this.projects.get(directory) ?? 'global', payload: event })}\n\n`;
        sub.res.write(global);
      } else if (sub.directory === directory) {
        local ??= `data: ${JSON.stringify(event)}\n\n`;
        sub.res.write(local);
      }
    }
  }

  disposeInstance(directory: string = this.workspace): void {
    const dir = resolve(this.workspace, directory);
    this.emitEvent(dir, 'server.instance.disposed', { directory: dir });
    for (const sub of [...this.subscribers]) {
      if (sub.directory !== dir) continue;
      clearInterval(sub.timer);
      this.subscribers.delete(sub);
      sub.res.end();
    }
  }

  private subscribe(res: ServerResponse, directory: string | null): 'handled' {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    });
    const frame = (type: string) => {
      const event = { id: newId('evt'), type, properties: {} };
      return `data: ${JSON.stringify(directory === null ? { payload: event } : event)}\n\n`;
    };
    const timer = setInterval(() => {
      if (!this.silent) res.write(frame('server.heartbeat'));
    }, this.heartbeatMs);
    timer.unref();
    const sub: Subscriber = { res, directory, timer };
    this.subscribers.add(sub);
    res.on('close', () => {
      clearInterval(timer);
      this.subscribers.delete(sub);
    });
    if (!this.silent) res.write(frame('server.connected'));
    else res.flushHeaders();
    return 'handled';
  }

  // ---- turn host ---------------------------------------------------------------------------------

  setStatus(session: SessionRecord, status: BusyStatus | { type: 'idle' }): void {
    if (status.type === 'idle') this.statuses.delete(session.id);
    else this.statuses.set(session.id, { directory: session.directory, status });
    this.emitEvent(session.directory, 'session.status', { sessionID: session.id, status });
  }

  nextCallID(): string {
    return `call_fake_${++this.callCounter}`;
  }

  permissionAction(session: SessionRecord, permission: string, patterns: string[]): FakePermissionAction {
    const rules = [...this.configRules, ...(session.permission ?? [])];
    const approved = this.approvals.get(session.projectID) ?? [];
    let result: FakePermissionAction = 'allow';
    for (const pattern of patterns) {
      let action: FakePermissionAction = 'allow';
      for (const r of rules) if (wildcard(r.permission, permission) && wildcard(r.pattern, pattern)) action = r.action;
      if (action === 'ask' && approved.some((a) => a.permission === permission && wildcard(a.pattern, pattern))) {
        action = 'allow';
      }
      if (action === 'deny') return 'deny';
      if (action === 'ask') result = 'ask';
    }
    return result;
  }

  askPermission(session: SessionRecord, fields: PermissionFields, late: () => void): Ask<PermissionAnswer> {
    const request = { id: newId('per'), sessionID: session.id, ...fields };
    let resolveAnswer!: (answer: PermissionAnswer) => void;
    const promise = new Promise<PermissionAnswer>((r) => (resolveAnswer = r));
    const entry: PendingPermission = {
      request,
      directory: session.directory,
      projectID: session.projectID,
      resolve: resolveAnswer,
      late,
      abandoned: false,
    };
    this.permissions.set(request.id, entry);
    this.emitEvent(session.directory, 'permission.asked', request);
    return { promise, abandon: () => (entry.abandoned = true) };
  }

  askQuestion(
    session: SessionRecord,
    questions: FakeQuestion[],
    tool: { messageID: string; callID: string },
  ): Ask<string[][] | null> {
    const request = { id: newId('que'), sessionID: session.id, questions, tool };
    let resolveAnswer!: (answers: string[][] | null) => void;
    const promise = new Promise<string[][] | null>((r) => (resolveAnswer = r));
    const entry: PendingQuestion = { request, directory: session.directory, resolve: resolveAnswer, abandoned: false };
    this.questions.set(request.id, entry);
    this.emitEvent(session.directory, 'question.asked', request);
    return { promise, abandon: () => (entry.abandoned = true) };
  }

  exec(command: string, cwd: string, onOutput: (chunk: string) => void, signal?: AbortSignal): Promise<number | null> {
    return new Promise((resolveExit) => {
      const child = spawn('sh', ['-c', command], { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      this.children.set(child, `sh -c ${command}`);
      const kill = () => killGroup(child);
      signal?.addEventListener('abort', kill, { once: true });
      const onData = (chunk: Buffer) => onOutput(chunk.toString('utf8'));
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      let settled = false;
      const finish = (code: number | null) => {
        if (settled) return;
        settled = true;
        this.children.delete(child);
        signal?.removeEventListener('abort', kill);
        resolveExit(code);
      };
      child.on('error', (err) => {
        onOutput(`${err.message}\n`);
        finish(127);
      });
      child.on('close', (code) => finish(code));
    });
  }

  // ---- HTTP --------------------------------------------------------------------------------------

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.handle(req, res).catch(() => {
      if (!res.headersSent) this.sendJson(res, 500, unknownError().body);
      else res.end();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    this.record(req, url, text);
    if (this.slowMs > 0) await sleep(this.slowMs);
    if (this.flaky && ++this.flakyCount % Math.max(1, this.flaky.every) === 0) {
      if (this.flaky.mode === '500') this.sendJson(res, 500, unknownError().body);
      else req.socket.destroy();
      return;
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-methods': 'GET, HEAD, PUT, PATCH, POST, DELETE',
        'access-control-allow-headers': String(req.headers['access-control-request-headers'] ?? ''),
        'access-control-max-age': '86400',
      });
      res.end();
      return;
    }
    if (!this.authorized(req, url)) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="Secure Area"', 'content-length': '0' });
      res.end();
      return;
    }
    const method = req.method ?? 'GET';
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const m = route.re.exec(url.pathname);
      if (!m) continue;
      const params: Record<string, string> = {};
      route.keys.forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1])));
      const ctx: Context = { req, res, url, query: Object.fromEntries(url.searchParams), params, text };
      let reply: Reply | 'handled';
      try {
        reply = await route.handler(ctx);
      } catch (err) {
        if (err instanceof HttpError) reply = { status: err.status, body: err.body };
        else if (err instanceof WorkspaceError) reply = { status: 500, body: unknownError().body };
        else throw err;
      }
      if (reply === 'handled') return;
      if (reply.raw) {
        res.writeHead(reply.status, { 'content-type': reply.raw.contentType, ...reply.headers });
        res.end(reply.raw.text);
      } else this.sendJson(res, reply.status, reply.body, reply.headers);
      return;
    }
    // Any other route is the web app's index.html, with 200 (pitfall 1).
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(HTML);
  }

  private sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (status === 204) {
      res.writeHead(204, headers);
      res.end();
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  }

  private record(req: IncomingMessage, url: URL, text: string): void {
    if (this.maxRecorded === 0) return;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (k === 'authorization' || v === undefined) continue;
      headers[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    let body: unknown;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    this.recorded.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      body,
      time: Date.now(),
    });
    if (this.recorded.length > this.maxRecorded) this.recorded.splice(0, this.recorded.length - this.maxRecorded);
  }

  private authorized(req: IncomingMessage, url: URL): boolean {
    if (this.password === undefined) return true;
    const expected = Buffer.from(`${this.username}:${this.password}`).toString('base64');
    const header = req.headers.authorization;
    if (header?.startsWith('Basic ') && header.slice(6).trim() === expected) return true;
    return url.searchParams.get('auth_token') === expected;
  }

  private route(method: string, path: string, handler: Handler): void {
    const keys: string[] = [];
    const re = new RegExp(
      `^${path.replace(/:(\w+)/g, (_m, k: string) => {
        keys.push(k);
        return '([^/]+)';
      })}/?$`,
    );
    this.routes.push({ method, re, keys, handler });
  }

  /** `?directory=` or `x-opencode-directory`, resolved against the main workspace; default the workspace. */
  private directory(ctx: Context): string {
    const header = ctx.req.headers['x-opencode-directory'];
    const raw = ctx.query.directory ?? (typeof header === 'string' ? decodeURIComponent(header) : undefined);
    return raw ? resolve(this.workspace, raw) : this.workspace;
  }

  private json(ctx: Context): unknown {
    if (ctx.text.trim() === '') return undefined;
    try {
      return JSON.parse(ctx.text);
    } catch {
      throw badRequestTag();
    }
  }

  private payload(ctx: Context): Record<string, unknown> {
    const body = this.json(ctx) ?? {};
    if (!isObject(body)) throw badRequestTag();
    return body;
  }

  /** A `ses…` id that exists (404 NotFoundError), or 500 for an id without the prefix, as observed. */
  private session(ctx: Context): SessionRecord {
    const id = ctx.params.sid;
    if (!id.startsWith('ses')) throw unknownError();
    const s = this.sessions.get(id);
    if (!s) throw new HttpError(404, { name: 'NotFoundError', data: { message: `Session not found: ${id}` } });
    return s;
  }

  private limitParam(ctx: Context, integer: boolean): number | undefined {
    const raw = ctx.query.limit;
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (raw === '' || Number.isNaN(n) || (integer && !Number.isInteger(n)) || n < 0) {
      throw badRequest(`Expected ${integer ? 'an integer' : 'a number'}, got ${got(n)}\n  at ["limit"]`, 'Query');
    }
    return n;
  }

  private defineRoutes(): void {
    const r = this.route.bind(this);
    r('GET', '/global/health', () => ({ status: 200, body: { healthy: true, version: this.version } }));
    r('GET', '/global/event', (ctx) => this.subscribe(ctx.res, null));
    r('GET', '/event', (ctx) => this.subscribe(ctx.res, this.directory(ctx)));
    r('GET', '/doc', () => ({
      status: 200,
      body: { openapi: '3.1.0', info: { title: 'opencode (fake)', version: '1.0.0' }, paths: {} },
    }));
    r('GET', '/path', async (ctx) => {
      // Like OpenCode: the directory's realpath (symlinks followed); a missing one as given (made
      // absolute and normalised); a path that is a file is a 500.
      const given = this.directory(ctx);
      const real = await fs.realpath(given).catch(() => undefined);
      if (real !== undefined && !(await fs.stat(real)).isDirectory()) throw unknownError();
      const dir = real ?? given;
      const home = homedir();
      return {
        status: 200,
        body: {
          home,
          state: join(home, '.local/state/opencode'),
          config: join(home, '.config/opencode'),
          worktree: (await projectInfo(dir)).worktree,
          directory: dir,
        },
      };
    });
    r('GET', '/project/current', async (ctx) => {
      const p = await projectInfo(this.directory(ctx));
      return {
        status: 200,
        body: {
          id: p.projectID,
          worktree: p.worktree,
          vcs: p.projectID === 'global' ? undefined : 'git',
          time: { created: 0 },
          sandboxes: [],
        },
      };
    });
    r('GET', '/config', () => ({
      status: 200,
      body: {
        model: `${this.defaultModel.providerID}/${this.defaultModel.modelID}`,
        small_model: `${this.defaultModel.providerID}/${this.defaultModel.modelID}`,
        permission: this.options.permission ?? {},
      },
    }));
    r('GET', '/agent', () => ({
      status: 200,
      body: AGENTS.map(({ name, mode, hidden, description }) => ({
        name,
        ...(description !== undefined ? { description } : {}),
        mode,
        native: true,
        ...(hidden ? { hidden } : {}),
        // The real ruleset starts with OpenCode's defaults; the config's rules come after them.
        permission: [{ permission: '*', pattern: '*', action: 'allow' }, ...this.configRules],
        options: {},
      })),
    }));
    r('GET', '/config/providers', () => ({ status: 200, body: this.configProviders() }));
    r('POST', '/instance/dispose', (ctx) => {
      this.disposeInstance(this.directory(ctx));
      return { status: 200, body: true };
    });

    // sessions
    r('GET', '/session/status', (ctx) => {
      const dir = this.directory(ctx);
      const out: Record<string, BusyStatus> = {};
      for (const [id, entry] of this.statuses) if (entry.directory === dir) out[id] = entry.status;
      return { status: 200, body: out };
    });
    r('POST', '/session', (ctx) => this.createSession(ctx));
    r('GET', '/session', (ctx) => this.listSessions(ctx));
    r('GET', '/experimental/session', (ctx) => this.listGlobalSessions(ctx));
    r('GET', '/session/:sid', (ctx) => ({ status: 200, body: sessionInfo(this.session(ctx)) }));
    r('PATCH', '/session/:sid', (ctx) => this.updateSession(ctx));
    r('DELETE', '/session/:sid', (ctx) => this.deleteSession(ctx));
    r('GET', '/session/:sid/children', (ctx) => {
      const s = this.session(ctx);
      return {
        status: 200,
        body: [...this.sessions.values()].filter((c) => c.parentID === s.id).map((c) => sessionInfo(c)),
      };
    });
    r('GET', '/session/:sid/todo', (ctx) => {
      this.session(ctx);
      return { status: 200, body: [] };
    });
    r('GET', '/session/:sid/message', (ctx) => this.listMessages(ctx));
    r('GET', '/session/:sid/message/:mid', (ctx) => {
      const s = this.session(ctx);
      const m = s.messages.find((x) => x.info.id === ctx.params.mid);
      if (!m) {
        throw new HttpError(404, { name: 'NotFoundError', data: { message: `Message not found: ${ctx.params.mid}` } });
      }
      return { status: 200, body: m };
    });
    r('POST', '/session/:sid/message', (ctx) => this.prompt(ctx, true));
    r('POST', '/session/:sid/prompt_async', (ctx) => this.prompt(ctx, false));
    r('POST', '/session/:sid/abort', (ctx) => this.abort(ctx));
    r('GET', '/session/:sid/diff', (ctx) => {
      const s = this.session(ctx);
      const m = ctx.query.messageID ? s.messages.find((x) => x.info.id === ctx.query.messageID) : undefined;
      return { status: 200, body: m && m.info.role === 'user' ? (m.info.summary?.diffs ?? []) : [] };
    });
    r('POST', '/session/:sid/shell', (ctx) => this.shell(ctx));
    r('POST', '/session/:sid/permissions/:pid', (ctx) => {
      const s = this.session(ctx);
      const body = this.payload(ctx);
      const response = requireField(body, 'response', 'Payload');
      if (response !== 'once' && response !== 'always' && response !== 'reject') {
        throw badRequest(`Expected "once" | "always" | "reject", got ${got(response)}\n  at ["response"]`, 'Payload');
      }
      this.replyPermission(ctx.params.pid, s.directory, response, undefined);
      return { status: 200, body: true };
    });

    // permissions and questions
    r('GET', '/permission', (ctx) => {
      const dir = this.directory(ctx);
      return {
        status: 200,
        body: [...this.permissions.values()].filter((p) => p.directory === dir).map((p) => p.request),
      };
    });
    r('POST', '/permission/:rid/reply', (ctx) => {
      const id = ctx.params.rid;
      if (!id.startsWith('per')) {
        throw badRequest(`Expected a string starting with "per", got ${got(id)}\n  at ["requestID"]`, 'Params');
      }
      const body = this.payload(ctx);
      const reply = requireField(body, 'reply', 'Payload');
      if (reply !== 'once' && reply !== 'always' && reply !== 'reject') {
        throw badRequest(`Expected "once" | "always" | "reject", got ${got(reply)}\n  at ["reply"]`, 'Payload');
      }
      const message = expectString(body, 'message', 'Payload');
      this.replyPermission(id, this.directory(ctx), reply, message);
      return { status: 200, body: true };
    });
    r('GET', '/question', (ctx) => {
      const dir = this.directory(ctx);
      return {
        status: 200,
        body: [...this.questions.values()].filter((q) => q.directory === dir).map((q) => q.request),
      };
    });
    r('POST', '/question/:rid/reply', (ctx) => {
      const id = this.questionId(ctx);
      const body = this.payload(ctx);
      const answers = requireField(body, 'answers', 'Payload');
      if (!Array.isArray(answers)) throw badRequest(`Expected array, got ${got(answers)}\n  at ["answers"]`, 'Payload');
      answers.forEach((a: unknown, i) => {
        if (!Array.isArray(a) || !a.every((x) => typeof x === 'string')) {
          throw badRequest(`Expected QuestionAnswer, got ${got(a)}\n  at ["answers"][${i}]`, 'Payload');
        }
      });
      const entry = this.takeQuestion(id, this.directory(ctx));
      this.emitEvent(entry.directory, 'question.replied', {
        sessionID: entry.request.sessionID,
        requestID: id,
        answers,
      });
      if (!entry.abandoned) entry.resolve(answers as string[][]);
      return { status: 200, body: true };
    });
    r('POST', '/question/:rid/reject', (ctx) => {
      const id = this.questionId(ctx);
      const entry = this.takeQuestion(id, this.directory(ctx));
      this.emitEvent(entry.directory, 'question.rejected', { sessionID: entry.request.sessionID, requestID: id });
      if (!entry.abandoned) entry.resolve(null);
      return { status: 200, body: true };
    });

    // files, search and VCS on the real directory
    r('GET', '/file/content', async (ctx) => ({
      status: 200,
      body: await readFileContent(this.directory(ctx), expectString(ctx.query, 'path', 'Query', true)!),
    }));
    r('GET', '/file', async (ctx) => ({
      status: 200,
      body: await listFiles(this.directory(ctx), expectString(ctx.query, 'path', 'Query', true)!),
    }));
    r('GET', '/file/status', () => ({ status: 200, body: [] }));
    r('GET', '/find/file', async (ctx) => {
      const query = expectString(ctx.query, 'query', 'Query', true)!;
      const type = ctx.query.type;
      if (type !== undefined && type !== 'file' && type !== 'directory') {
        throw badRequest(`Expected "file" | "directory", got ${got(type)}\n  at ["type"]`, 'Query');
      }
      const limit = this.limitParam(ctx, true);
      return {
        status: 200,
        body: await findFiles(this.directory(ctx), query, {
          type,
          dirs: ctx.query.dirs === undefined ? undefined : ctx.query.dirs === 'true',
          limit,
        }),
      };
    });
    r('GET', '/find', async (ctx) => ({
      status: 200,
      body: await findText(this.directory(ctx), expectString(ctx.query, 'pattern', 'Query', true)!),
    }));
    r('GET', '/find/symbol', () => ({ status: 200, body: [] }));
    r('GET', '/vcs', async (ctx) => ({ status: 200, body: await vcsInfo(this.directory(ctx)) }));
    r('GET', '/vcs/status', async (ctx) => ({ status: 200, body: await vcsStatus(this.directory(ctx)) }));
    r('GET', '/vcs/diff', async (ctx) => {
      const mode = requireField(ctx.query, 'mode', 'Query');
      if (mode !== 'git' && mode !== 'branch') {
        throw badRequest(`Expected "git" | "branch", got ${got(mode)}\n  at ["mode"]`, 'Query');
      }
      const context = ctx.query.context === undefined ? undefined : Number(ctx.query.context);
      if (context !== undefined && (!Number.isInteger(context) || context < 0)) {
        throw badRequest(`Expected an integer, got ${got(context)}\n  at ["context"]`, 'Query');
      }
      return { status: 200, body: await vcsDiff(this.directory(ctx), context) };
    });
    r('GET', '/vcs/diff/raw', async (ctx) => {
      const files = await vcsDiff(this.directory(ctx));
      return { status: 200, raw: { contentType: 'text/x-diff', text: files.map((f) => f.patch ?? '').join('') } };
    });
  }

  private questionId(ctx: Context): string {
    const id = ctx.params.rid;
    if (!id.startsWith('que')) {
      throw badRequest(`Expected a string starting with "que", got ${got(id)}\n  at ["requestID"]`, 'Params');
    }
    return id;
  }

  private takeQuestion(id: string, directory: string): PendingQuestion {
    const entry = this.questions.get(id);
    if (!entry || entry.directory !== directory) {
      throw new HttpError(404, {
        _tag: 'QuestionNotFoundError',
        requestID: id,
        message: `Question request not found: ${id}`,
      });
    }
    this.questions.delete(id);
    return entry;
  }

  private replyPermission(id: string, directory: string, reply: PermissionAnswer['reply'], message?: string): void {
    const entry = this.permissions.get(id);
    if (!entry || entry.directory !== directory) {
      throw new HttpError(404, {
        _tag: 'PermissionNotFoundError',
        requestID: id,
        message: `Permission request not found: ${id}`,
      });
    }
    this.permissions.delete(id);
    if (reply === 'always') {
      const list = this.approvals.get(entry.projectID) ?? [];
      for (const pattern of entry.request.always) list.push({ permission: entry.request.permission, pattern });
      this.approvals.set(entry.projectID, list);
    }
    this.emitEvent(entry.directory, 'permission.replied', { sessionID: entry.request.sessionID, requestID: id, reply });
    if (!entry.abandoned) entry.resolve({ reply, message });
    else if (reply !== 'reject') entry.late();
  }

  private async createSession(ctx: Context): Promise<Reply> {
    const body = this.payload(ctx);
    const { title, parentID, metadata, permission, agent, model } = body;
    if (
      (title !== undefined && typeof title !== 'string') ||
      (parentID !== undefined && (typeof parentID !== 'string' || !parentID.startsWith('ses'))) ||
      (metadata !== undefined && !isObject(metadata)) ||
      (permission !== undefined && !isRuleset(permission)) ||
      (agent !== undefined && typeof agent !== 'string') ||
      (model !== undefined &&
        !(isObject(model) && typeof model.id === 'string' && typeof model.providerID === 'string'))
    ) {
      throw badRequestTag();
    }
    const directory = this.directory(ctx);
    const project = await projectInfo(directory);
    this.projects.set(directory, project.projectID);
    const now = Date.now();
    const s: SessionRecord = {
      id: newId('ses', true),
      slug: newSlug(),
      projectID: project.projectID,
      directory,
      worktree: project.worktree,
      path: relative(project.worktree, directory).split(sep).join('/'),
      parentID: parentID as string | undefined,
      cost: 0,
      tokens: zeroTokens(),
      title: (title as string | undefined) ?? `New session - ${new Date(now).toISOString()}`,
      defaultTitle: title === undefined,
      version: this.version,
      metadata: metadata as Record<string, unknown> | undefined,
      time: { created: now, updated: now },
      permission: permission as FakePermissionRule[] | undefined,
      messages: [],
      snapshot: newHash(),
    };
    this.sessions.set(s.id, s);
    this.emitEvent(directory, 'session.created', { sessionID: s.id, info: sessionInfo(s) });
    this.emitEvent(directory, 'session.updated', { sessionID: s.id, info: sessionInfo(s) });
    return { status: 200, body: sessionInfo(s) };
  }

  private listSessions(ctx: Context): Reply {
    const dir = this.directory(ctx);
    const limit = this.limitParam(ctx, false);
    const projectScope = ctx.query.scope === 'project';
    const projectID = this.projects.get(dir);
    let list = [...this.sessions.values()].filter((s) =>
      projectScope
        ? s.projectID === projectID && (!ctx.query.path || s.path.startsWith(ctx.query.path))
        : s.directory === dir,
    );
    if (ctx.query.search) list = list.filter((s) => s.title.toLowerCase().includes(ctx.query.search.toLowerCase()));
    if (ctx.query.roots === 'true') list = list.filter((s) => !s.parentID);
    if (ctx.query.start) list = list.filter((s) => s.time.updated >= Number(ctx.query.start));
    list.sort((a, b) => b.time.updated - a.time.updated || (a.id < b.id ? -1 : 1));
    if (limit) list = list.slice(0, limit);
    return { status: 200, body: list.map((s) => sessionInfo(s)) };
  }

  /**
   * `GET /experimental/session`: every directory's sessions, most recently updated first, archived ones
   * hidden unless `archived=true`; `cursor` (a `time.updated`) pages, answered in `x-next-cursor`.
   */
  private listGlobalSessions(ctx: Context): Reply {
    const limit = this.limitParam(ctx, false);
    const archived = ctx.query.archived === 'true';
    let list = [...this.sessions.values()].filter((s) => (s.time.archived !== undefined) === archived);
    if (ctx.query.roots === 'true') list = list.filter((s) => !s.parentID);
    if (ctx.query.search) list = list.filter((s) => s.title.toLowerCase().includes(ctx.query.search.toLowerCase()));
    if (ctx.query.cursor) list = list.filter((s) => s.time.updated < Number(ctx.query.cursor));
    list.sort((a, b) => b.time.updated - a.time.updated || (a.id < b.id ? -1 : 1));
    const page = limit ? list.slice(0, limit) : list;
    const headers: Record<string, string> = {};
    if (limit && list.length > limit) headers['x-next-cursor'] = String(page.at(-1)!.time.updated);
    return {
      status: 200,
      headers,
      body: page.map((s) => ({ ...sessionInfo(s), project: { id: s.projectID, worktree: s.directory } })),
    };
  }

  private updateSession(ctx: Context): Reply {
    const s = this.session(ctx);
    const body = this.payload(ctx);
    const { title, metadata, permission, time } = body;
    if (
      (title !== undefined && typeof title !== 'string') ||
      (metadata !== undefined && !isObject(metadata)) ||
      (permission !== undefined && !isRuleset(permission)) ||
      (time !== undefined && !isObject(time)) ||
      (isObject(time) && time.archived !== undefined && time.archived !== null && typeof time.archived !== 'number')
    ) {
      throw badRequestTag();
    }
    if (typeof title === 'string') {
      s.title = title;
      s.defaultTitle = false;
    }
    if (metadata !== undefined) s.metadata = metadata as Record<string, unknown>;
    if (permission !== undefined) s.permission = permission as FakePermissionRule[];
    if (isObject(time) && typeof time.archived === 'number') s.time.archived = time.archived;
    if (title !== undefined || metadata !== undefined || permission !== undefined) s.time.updated = Date.now();
    this.emitEvent(s.directory, 'session.updated', { sessionID: s.id, info: sessionInfo(s) });
    return { status: 200, body: sessionInfo(s) };
  }

  private deleteSession(ctx: Context): Reply {
    const s = this.session(ctx);
    const remove = (victim: SessionRecord) => {
      for (const child of [...this.sessions.values()]) if (child.parentID === victim.id) remove(child);
      this.sessions.delete(victim.id);
      this.emitEvent(victim.directory, 'session.deleted', { sessionID: victim.id, info: sessionInfo(victim) });
    };
    remove(s);
    return { status: 200, body: true };
  }

  private listMessages(ctx: Context): Reply {
    const s = this.session(ctx);
    const limit = this.limitParam(ctx, true);
    let list = s.messages;
    if (ctx.query.before !== undefined) {
      let cursor: { id?: unknown };
      try {
        cursor = JSON.parse(Buffer.from(ctx.query.before, 'base64url').toString('utf8')) as { id?: unknown };
      } catch {
        throw badRequestTag();
      }
      if (!isObject(cursor) || typeof cursor.id !== 'string') throw badRequestTag();
      const before = cursor.id;
      list = list.filter((m) => (m.info.id as string) < before);
    }
    const headers: Record<string, string> = {};
    if (limit && list.length > limit) {
      list = list.slice(-limit);
      const first = list[0].info;
      const cursor = Buffer.from(JSON.stringify({ id: first.id, time: first.time.created })).toString('base64url');
      headers['x-next-cursor'] = cursor;
      headers.link = `<http://${ctx.req.headers.host ?? `127.0.0.1:${this.port}`}/session/${s.id}/message?limit=${limit}&before=${cursor}>; rel="next"`;
      headers['access-control-expose-headers'] = 'Link, X-Next-Cursor';
    }
    return { status: 200, body: list, headers };
  }

  private lastAssistant(s: SessionRecord): MessageRecord | undefined {
    for (let i = s.messages.length - 1; i >= 0; i--) if (s.messages[i].info.role === 'assistant') return s.messages[i];
    return undefined;
  }

  private validatePrompt(body: Record<string, unknown>): {
    parts: Record<string, unknown>[];
    agent?: string;
    model?: { providerID: string; modelID: string };
    messageID?: string;
    noReply?: boolean;
    system?: string;
    tools?: Record<string, boolean>;
  } {
    const parts = requireField(body, 'parts', 'Payload');
    if (!Array.isArray(parts)) throw badRequest(`Expected array, got ${got(parts)}\n  at ["parts"]`, 'Payload');
    parts.forEach((p: unknown, i) => {
      const ok =
        isObject(p) &&
        (p.type === 'text'
          ? typeof p.text === 'string'
          : p.type === 'file'
            ? typeof p.mime === 'string' && typeof p.url === 'string'
            : p.type === 'agent'
              ? typeof p.name === 'string'
              : p.type === 'subtask'
                ? typeof p.prompt === 'string'
                : false);
      if (!ok) {
        throw badRequest(
          `Expected TextPartInput | FilePartInput | AgentPartInput | SubtaskPartInput, got ${got(p)}\n  at ["parts"][${i}]`,
          'Payload',
        );
      }
    });
    const agent = expectString(body, 'agent', 'Payload');
    const model = body.model;
    if (
      model !== undefined &&
      !(isObject(model) && typeof model.providerID === 'string' && typeof model.modelID === 'string')
    ) {
      throw badRequest(
        `Expected { providerID: string; modelID: string }, got ${got(model)}\n  at ["model"]`,
        'Payload',
      );
    }
    const messageID = expectString(body, 'messageID', 'Payload');
    if (messageID !== undefined && !messageID.startsWith('msg')) {
      throw badRequest(`Expected a string starting with "msg", got ${got(messageID)}\n  at ["messageID"]`, 'Payload');
    }
    if (body.noReply !== undefined && typeof body.noReply !== 'boolean') {
      throw badRequest(`Expected boolean, got ${got(body.noReply)}\n  at ["noReply"]`, 'Payload');
    }
    return {
      parts: parts as Record<string, unknown>[],
      agent,
      model: model as { providerID: string; modelID: string } | undefined,
      messageID,
      noReply: body.noReply as boolean | undefined,
      system: expectString(body, 'system', 'Payload'),
      tools: isObject(body.tools) ? (body.tools as Record<string, boolean>) : undefined,
    };
  }

  private modelKnown(model: { providerID: string; modelID: string }): boolean {
    return this.models === 'any' || this.models.includes(`${model.providerID}/${model.modelID}`);
  }

  /**
   * `GET /config/providers` as the real server answers it: the `models` option grouped by provider
   * (with `'any'`, only the default model), each model in the config's shape, and `default` (per
   * provider: the default model when it is one of them, else its first model).
   */
  private configProviders(): { providers: Record<string, unknown>[]; default: Record<string, string> } {
    const refs = this.models === 'any' ? [`${this.defaultModel.providerID}/${this.defaultModel.modelID}`] : this.models;
    const byProvider = new Map<string, string[]>();
    for (const ref of refs) {
      const slash = ref.indexOf('/');
      const [providerID, modelID] = [ref.slice(0, slash), ref.slice(slash + 1)];
      byProvider.set(providerID, [...(byProvider.get(providerID) ?? []), modelID]);
    }
    const cost = this.options.cost;
    const model = (providerID: string, modelID: string) => ({
      id: modelID,
      providerID,
      api: { id: modelID, url: '', npm: '@ai-sdk/openai-compatible' },
      name: modelID,
      family: '',
      capabilities: {
        temperature: false,
        reasoning: false,
        attachment: false,
        toolcall: true,
        input: { text: true, audio: false, image: false, video: false, pdf: false },
        output: { text: true, audio: false, image: false, video: false, pdf: false },
        interleaved: false,
      },
      cost: {
        input: cost?.input ?? 0,
        output: cost?.output ?? 0,
        cache: { read: cost?.cache_read ?? 0, write: cost?.cache_write ?? 0 },
      },
      limit: { context: 100_000, output: 4096 },
      status: 'active',
      options: {},
      headers: {},
      release_date: '',
      variants: {},
    });
    const providers: Record<string, unknown>[] = [];
    const defaults: Record<string, string> = {};
    for (const [providerID, modelIDs] of byProvider) {
      providers.push({
        id: providerID,
        name: providerID === 'fake' ? 'Fake LLM' : providerID,
        source: 'config',
        env: [],
        options: {},
        models: Object.fromEntries(modelIDs.map((id) => [id, model(providerID, id)])),
      });
      defaults[providerID] =
        this.defaultModel.providerID === providerID && modelIDs.includes(this.defaultModel.modelID)
          ? this.defaultModel.modelID
          : modelIDs[0];
    }
    return { providers, default: defaults };
  }

  private userParts(s: SessionRecord, messageID: string, parts: Record<string, unknown>[]): Record<string, unknown>[] {
    return parts.map((p) => {
      const { id, ...rest } = p;
      const partID = typeof id === 'string' && id.startsWith('prt') ? id : newId('prt');
      return { id: partID, sessionID: s.id, messageID, ...rest };
    });
  }

  private async prompt(ctx: Context, sync: boolean): Promise<Reply> {
    const s = this.session(ctx);
    const body = this.validatePrompt(this.payload(ctx));
    const agent = body.agent ?? 'build';
    if (!AGENT_NAMES.includes(agent)) {
      this.emitEvent(s.directory, 'session.error', {
        sessionID: s.id,
        error: {
          name: 'UnknownError',
          data: { message: `Agent not found: "${agent}". Available agents: ${VISIBLE_AGENTS.join(', ')}` },
        },
      });
      if (sync) throw unknownError();
      return { status: 204 };
    }
    const model = body.model ?? this.defaultModel;

    const reused = body.messageID ? s.messages.find((m) => m.info.id === body.messageID) : undefined;
    if (reused) {
      // Re-using a user message id appends its parts and runs no turn (observed: busy, then idle at once).
      for (const part of this.userParts(s, reused.info.id, body.parts)) {
        reused.parts.push(part);
        this.emitEvent(s.directory, 'message.part.updated', { sessionID: s.id, part, time: Date.now() });
      }
      if (!this.runs.has(s.id)) {
        this.setStatus(s, { type: 'busy' });
        this.setStatus(s, { type: 'idle' });
        this.emitEvent(s.directory, 'session.idle', { sessionID: s.id });
      }
      return sync ? { status: 200, body: this.lastAssistant(s) ?? reused } : { status: 204 };
    }

    const now = Date.now();
    const info: Record<string, unknown> = {
      id: body.messageID ?? newId('msg'),
      sessionID: s.id,
      role: 'user',
      time: { created: now },
      agent,
      model: { providerID: model.providerID, modelID: model.modelID },
    };
    if (body.system !== undefined) info.system = body.system;
    if (body.tools !== undefined) info.tools = body.tools;
    const user: MessageRecord = { info, parts: this.userParts(s, info.id as string, body.parts) };
    s.time.updated = now;
    this.emitEvent(s.directory, 'session.updated', { sessionID: s.id, info: sessionInfo(s) });
    s.messages.push(user);
    this.emitEvent(s.directory, 'message.updated', { sessionID: s.id, info });
    for (const part of user.parts) {
      this.emitEvent(s.directory, 'message.part.updated', { sessionID: s.id, part, time: Date.now() });
    }
    this.emitEvent(s.directory, 'session.updated', { sessionID: s.id, info: sessionInfo(s) });
    if (body.noReply) return sync ? { status: 200, body: user } : { status: 204 };

    if (!this.modelKnown(model)) {
      this.setStatus(s, { type: 'busy' });
      this.emitEvent(s.directory, 'session.error', {
        sessionID: s.id,
        error: { name: 'UnknownError', data: { message: `Model not found: ${model.providerID}/${model.modelID}.` } },
      });
      this.setStatus(s, { type: 'idle' });
      this.emitEvent(s.directory, 'session.idle', { sessionID: s.id });
      if (sync) throw unknownError();
      return { status: 204 };
    }

    const current = this.runs.get(s.id);
    let run: Run;
    if (current && current.kind === 'turn' && !current.finished) {
      current.queue.push(user);
      run = current;
    } else if (current && current.kind === 'shell') {
      run = new Run('turn');
      run.done = current.done.then(() => this.startTurn(s, user, run).done);
    } else {
      run = this.startTurn(s, user);
    }
    if (!sync) return { status: 204 };
    const outcome = await run.done;
    if (outcome === 'empty') throw unknownError();
    return { status: 200, body: this.lastAssistant(s) ?? user };
  }

  private startTurn(s: SessionRecord, user: MessageRecord, run = new Run('turn')): Run {
    this.runs.set(s.id, run);
    run.done = new Turn(this, s, run, user)
      .execute()
      .catch((): RunOutcome => 'error')
      .finally(() => {
        if (this.runs.get(s.id) === run) this.runs.delete(s.id);
      });
    return run;
  }

  private async abort(ctx: Context): Promise<Reply> {
    const id = ctx.params.sid;
    if (!id.startsWith('ses')) throw unknownError();
    const run = this.runs.get(id);
    if (run) {
      run.controller.abort();
      await settleWithin(run.done, 2_000);
    } else {
      // Abort always answers true and emits idle, even for idle or unknown sessions (pitfall 3).
      const directory = this.sessions.get(id)?.directory ?? this.directory(ctx);
      this.emitEvent(directory, 'session.status', { sessionID: id, status: { type: 'idle' } });
      this.emitEvent(directory, 'session.idle', { sessionID: id });
    }
    return { status: 200, body: true };
  }

  private async shell(ctx: Context): Promise<Reply> {
    const s = this.session(ctx);
    const body = this.payload(ctx);
    const agent = expectString(body, 'agent', 'Payload', true)!;
    const command = expectString(body, 'command', 'Payload', true)!;
    const model = body.model;
    if (
      model !== undefined &&
      !(isObject(model) && typeof model.providerID === 'string' && typeof model.modelID === 'string')
    ) {
      throw badRequest(
        `Expected { providerID: string; modelID: string }, got ${got(model)}\n  at ["model"]`,
        'Payload',
      );
    }
    if (this.runs.has(s.id)) {
      throw new HttpError(409, { _tag: 'SessionBusyError', sessionID: s.id, message: `Session is busy: ${s.id}` });
    }
    if (!directoryExists(s.directory)) throw unknownError();
    const m = (model as { providerID: string; modelID: string } | undefined) ?? this.defaultModel;
    const run = new Run('shell');
    let finish!: (outcome: RunOutcome) => void;
    run.done = new Promise<RunOutcome>((r) => (finish = r));
    this.runs.set(s.id, run);
    try {
      this.setStatus(s, { type: 'busy' });
      const user: MessageRecord = {
        info: {
          id: newId('msg'),
          sessionID: s.id,
          role: 'user',
          time: { created: Date.now() },
          agent,
          model: { providerID: m.providerID, modelID: m.modelID },
        },
        parts: [],
      };
      user.parts.push({
        id: newId('prt'),
        sessionID: s.id,
        messageID: user.info.id,
        type: 'text',
        text: 'The following tool was executed by the user',
        synthetic: true,
      });
      s.messages.push(user);
      this.emitEvent(s.directory, 'message.updated', { sessionID: s.id, info: user.info });
      this.emitEvent(s.directory, 'message.part.updated', { sessionID: s.id, part: user.parts[0], time: Date.now() });
      const assistant: MessageRecord = {
        info: {
          id: newId('msg'),
          sessionID: s.id,
          role: 'assistant',
          time: { created: Date.now() },
          parentID: user.info.id,
          modelID: m.modelID,
          providerID: m.providerID,
          mode: agent,
          agent,
          path: { cwd: s.directory, root: s.worktree },
          cost: 0,
          tokens: zeroTokens(),
        },
        parts: [],
      };
      s.messages.push(assistant);
      this.emitEvent(s.directory, 'message.updated', { sessionID: s.id, info: assistant.info });
      const start = Date.now();
      const part: Record<string, any> = {
        id: newId('prt'),
        sessionID: s.id,
        messageID: assistant.info.id,
        type: 'tool',
        callID: newUlidLike(),
        tool: 'bash',
        state: { status: 'running', time: { start }, input: { command } },
      };
      assistant.parts.push(part);
      const emitPart = () =>
        this.emitEvent(s.directory, 'message.part.updated', { sessionID: s.id, part, time: Date.now() });
      emitPart();
      let output = '';
      let updates = 0;
      await this.exec(
        command,
        s.directory,
        (chunk) => {
          output += chunk;
          if (updates++ < 50) {
            part.state = { status: 'running', time: { start }, input: { command }, metadata: { output } };
            emitPart();
          }
        },
        run.controller.signal,
      );
      if (run.controller.signal.aborted) output += '\n\n<metadata>\nUser aborted the command\n</metadata>';
      assistant.info.time.completed = Date.now();
      this.emitEvent(s.directory, 'message.updated', { sessionID: s.id, info: assistant.info });
      part.state = {
        status: 'completed',
        time: { start, end: Date.now() },
        input: { command },
        title: '',
        metadata: { output },
        output,
      };
      emitPart();
      run.finished = true;
      this.setStatus(s, { type: 'idle' });
      this.emitEvent(s.directory, 'session.idle', { sessionID: s.id });
      s.time.updated = Date.now();
      this.emitEvent(s.directory, 'session.updated', { sessionID: s.id, info: sessionInfo(s) });
      return { status: 200, body: assistant };
    } finally {
      if (this.runs.get(s.id) === run) this.runs.delete(s.id);
      finish(run.controller.signal.aborted ? 'aborted' : 'stop');
    }
  }
}

/** The layout of the real harness's workspaces (libs/testing/src/opencode/real-opencode.ts). */
function defaultFiles(name: string): Record<string, string> {
  return {
    'README.md': `# ${name}\n\nA Heddle test workspace.\n`,
    'src/a.ts': 'export const answer = 42;\n// TODO: find me\n',
    [`${name}.txt`]: `${name}\n`,
  };
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}
