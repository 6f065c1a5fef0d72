import { once } from 'node:events';
import { promises as fs } from 'node:fs';
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { resolve } from 'node:path';
import { EventHub } from './event-hub';
import { HostParts } from './host-parts';
import { prepareWorkspaces } from './host-workspaces';
import { unknownError } from './http';
import { ModelCatalog } from './model-catalog';
import { PermissionDesk } from './permission-desk';
import { permissionRoutes } from './permission-routes';
import { promptRoutes } from './prompt-routes';
import { QuestionDesk } from './question-desk';
import { RequestLog } from './request-log';
import { requestDirectory } from './request-input';
import { Router, sendJson } from './router';
import { ScriptRegistry } from './script-registry';
import { serverRoutes } from './server-routes';
import { sessionRoutes } from './session-routes';
import { SessionRuns, resolveTurnOptions } from './session-runs';
import { SessionStore } from './session-store';
import { sleep } from './state';
import { ToolProcesses } from './tool-processes';
import type {
  FakeEmittedEvent,
  FakeEvent,
  FakeFlakyOptions,
  FakeOpencodeOptions,
  FakeRecordedRequest,
  FakeScript,
  FakeScriptMatcher,
  FakeScriptOptions,
} from './types';
import { releaseTemplates } from './workspace';
import { workspaceRoutes } from './workspace-routes';

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

/** Fake hosts started and not yet stopped in this process (template repositories live as long as one does). */
let liveHosts = 0;

/**
 * One fake host: its lifecycle (workspaces, listening, stopping), the test switches (unreachable,
 * slow, flaky, silent events), the gate every request passes (recording, basic auth), and the public
 * FakeOpencode API. What the routes do lives in the *-routes.ts modules, over the parts built here
 * (see HostParts).
 */
class FakeOpencodeHost implements FakeOpencode {
  readonly username: string;
  readonly password: string | undefined;
  readonly version: string;
  port = 0;
  workspace = '';
  readonly workspaces: Record<string, string> = {};

  private readonly server: Server;
  private readonly router = new Router();
  private readonly projects = new Map<string, string>();
  private readonly log: RequestLog;
  private readonly hub: EventHub;
  private readonly scripts: ScriptRegistry;
  private readonly processes = new ToolProcesses();
  private readonly runs: SessionRuns;
  private root: string | undefined;
  private net: Promise<void> = Promise.resolve();
  private listening = false;
  private stopped = false;
  private slowMs = 0;
  private flaky: FakeFlakyOptions | null = null;
  private flakyCount = 0;

  constructor(private readonly options: FakeOpencodeOptions) {
    this.username = options.username ?? 'opencode';
    this.password = options.password;
    this.version = options.version ?? '1.18.34';
    const maxRecorded = options.maxRecorded ?? 2_000;
    this.log = new RequestLog(maxRecorded);
    this.hub = new EventHub({
      maxRecorded,
      heartbeatMs: options.heartbeatMs ?? 10_000,
      projectOf: (directory) => this.projects.get(directory),
    });
    this.scripts = new ScriptRegistry({ fileContent: options.fileContent, slowMs: options.slowMs });
    const sessions = new SessionStore(this.hub);
    const permissions = new PermissionDesk(options.permission, this.hub);
    const questions = new QuestionDesk(this.hub);
    this.runs = new SessionRuns(
      { hub: this.hub, sessions, scripts: this.scripts, permissions, questions, processes: this.processes },
      resolveTurnOptions(options),
    );
    const parts: HostParts = {
      options,
      version: this.version,
      hub: this.hub,
      sessions,
      runs: this.runs,
      permissions,
      questions,
      catalog: new ModelCatalog(options),
      processes: this.processes,
      projects: this.projects,
      port: () => this.port,
      directory: (ctx) => requestDirectory(ctx, this.workspace),
      disposeInstance: (directory) => this.disposeInstance(directory),
    };
    // Registration order is match order: keep `/session/status` (in sessionRoutes) before `/session/:sid`.
    serverRoutes(this.router, parts);
    sessionRoutes(this.router, parts);
    promptRoutes(this.router, parts);
    permissionRoutes(this.router, parts);
    workspaceRoutes(this.router, parts);
    this.server = createServer((req, res) => this.onRequest(req, res));
    this.server.keepAliveTimeout = 5_000;
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
    const made = await prepareWorkspaces(this.options);
    this.workspace = made.workspace;
    Object.assign(this.workspaces, made.workspaces);
    this.root = made.root;
    for (const [dir, projectID] of made.projects) this.projects.set(dir, projectID);
    try {
      await this.listen(this.options.port ?? 0);
    } catch (err) {
      if (this.root) await fs.rm(this.root, { recursive: true, force: true });
      throw err;
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
    this.hub.destroyStreams();
    await closed;
    // Let clients notice their pooled keep-alive sockets died before the caller goes on.
    await sleep(5);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.runs.abortAll();
    this.processes.killAll();
    this.hub.close();
    await this.net;
    await this.closeServer();
    if (this.root) await fs.rm(this.root, { recursive: true, force: true });
    await this.release();
  }

  // ---- switches ----------------------------------------------------------------------------------

  setUnreachable(unreachable: boolean): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('fake opencode: stopped'));
    // Serialised, so calls that aren't awaited still take effect in order.
    const op = this.net.then(() =>
      unreachable ? this.closeServer() : this.listening ? undefined : this.listen(this.port),
    );
    this.net = op.catch(() => undefined);
    return op;
  }

  setSlow(ms: number): void {
    this.slowMs = ms;
  }

  setFlaky(options: FakeFlakyOptions | null): void {
    this.flaky = options;
    this.flakyCount = 0;
  }

  setSilentEvents(silent: boolean): void {
    this.hub.silent = silent;
  }

  authHeaders(): Record<string, string> {
    if (this.password === undefined) return {};
    return { authorization: `Basic ${Buffer.from(`${this.username}:${this.password}`).toString('base64')}` };
  }

  toolProcesses(): string[] {
    return this.processes.list();
  }

  // ---- scripts -----------------------------------------------------------------------------------

  script(matcher: FakeScriptMatcher, script: FakeScript, options: FakeScriptOptions = {}): () => void {
    return this.scripts.add(matcher, script, options);
  }

  setDefaultScript(script: FakeScript | null): void {
    this.scripts.setDefault(script);
  }

  clearScripts(): void {
    this.scripts.clear();
  }

  // ---- recording and events ----------------------------------------------------------------------

  requests(): FakeRecordedRequest[] {
    return this.log.list();
  }

  clear(): void {
    this.log.clear();
    this.hub.clear();
  }

  events(): FakeEmittedEvent[] {
    return this.hub.events();
  }

  waitForEvent(predicate: (event: FakeEvent, directory: string) => boolean, timeoutMs = 5_000): Promise<FakeEvent> {
    return this.hub.waitForEvent(predicate, timeoutMs);
  }

  async waitForIdle(sessionID: string, timeoutMs = 5_000): Promise<void> {
    await this.waitForEvent((e) => e.type === 'session.idle' && e.properties.sessionID === sessionID, timeoutMs);
  }

  emit(type: string, properties: Record<string, unknown>, directory: string = this.workspace): void {
    this.hub.emit(resolve(this.workspace, directory), type, properties);
  }

  disposeInstance(directory: string = this.workspace): void {
    const dir = resolve(this.workspace, directory);
    this.hub.emit(dir, 'server.instance.disposed', { directory: dir });
    this.hub.endStreams(dir);
  }

  // ---- the request gate --------------------------------------------------------------------------

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 500, unknownError().body);
      else res.end();
    });
  }

  /** Records the request, applies the switches, answers CORS preflights and basic auth, then routes. */
  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    this.log.record(req, url, text);
    if (this.slowMs > 0) await sleep(this.slowMs);
    if (this.flaky && ++this.flakyCount % Math.max(1, this.flaky.every) === 0) {
      if (this.flaky.mode === '500') sendJson(res, 500, unknownError().body);
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
    await this.router.dispatch(req, res, url, text);
  }

  /** Basic auth as the real server checks it: the header, or `?auth_token=` with the same base64. */
  private authorized(req: IncomingMessage, url: URL): boolean {
    if (this.password === undefined) return true;
    const expected = Buffer.from(`${this.username}:${this.password}`).toString('base64');
    const header = req.headers.authorization;
    if (header?.startsWith('Basic ') && header.slice(6).trim() === expected) return true;
    return url.searchParams.get('auth_token') === expected;
  }
}
