import { OpencodeServerError, OpencodeTimeoutError } from './errors';
import type { Expectation } from './errors';
import { EventSubscription, SubscribeOptions, SubscriptionHandler, subscribeEvents } from './event-stream';
import { BasicAuth, FetchLike, OpencodeTransport, QueryValue } from './http';
import { ModelRef, toModelRef } from './model-ref';
import { buildShellScript, parseShellOutput } from './shell-script';
import type {
  Agent,
  ApiPath,
  AssistantMessage,
  ConfigProviders,
  FileContent,
  FileNode,
  Health,
  Message,
  MessageWithParts,
  MethodsOf,
  OperationBody,
  OperationOk,
  OperationPathParams,
  OperationQuery,
  PartInput,
  PathInfo,
  PermissionReply,
  PermissionRequest,
  PermissionRuleset,
  QuestionRequest,
  Session,
  SessionStatus,
  SnapshotFileDiff,
  TextMatch,
  VcsFileDiff,
  VcsFileStatus,
  VcsInfo,
} from './types';

export interface OpencodeClientOptions {
  /** e.g. `http://127.0.0.1:4096` (no path prefix). Credentials in the URL are moved to `auth`. */
  baseUrl: string;
  /** HTTP basic auth, when the server has `OPENCODE_SERVER_PASSWORD`. */
  auth?: BasicAuth;
  /** Sent as `?directory=` on every instance-scoped call; per call overridable. Absolute path. */
  directory?: string;
  /** Default deadline per call; default 10 000 ms. */
  timeoutMs?: number;
  /** Deadline of the synchronous `prompt()`; default 300 000 ms. */
  promptTimeoutMs?: number;
  /** Label for errors (default host:port of the base URL). Never put a secret here. */
  host?: string;
  /** For tests; default the global fetch. */
  fetch?: FetchLike;
}

export interface CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Overrides the client's directory for this call. */
  directory?: string;
}

export interface CreateSessionInput {
  title?: string;
  parentID?: string;
  /** Stored on the session; note that OpenCode does NOT apply it to later prompts (send it per prompt). */
  agent?: string;
  /** `provider/model` or `{providerID, modelID}`. */
  model?: string | ModelRef;
  metadata?: Record<string, unknown>;
  /** A per-session ruleset overriding the config, e.g. `[{permission:'edit', pattern:'*', action:'ask'}]`. */
  permission?: PermissionRuleset;
}

export interface UpdateSessionInput {
  title?: string;
  metadata?: Record<string, unknown>;
  permission?: PermissionRuleset;
  /** Epoch ms; archives the session (there is no clean un-archive). */
  archivedAt?: number;
}

export interface ListSessionsQuery {
  limit?: number;
  /** Matches the title. */
  search?: string;
  /** Hide child sessions. */
  roots?: boolean;
}

export interface PromptInput {
  /** One text part; combined with `parts` when both are given (text first). */
  text?: string;
  parts?: PartInput[];
  /** `provider/model` or `{providerID, modelID}`; send it on every prompt. */
  model?: string | ModelRef;
  /** Send it on every prompt: the session-level agent is not applied. */
  agent?: string;
  /** A client-chosen user message id (`msg_…`); re-using one appends to that message and starts no turn. */
  messageID?: string;
  system?: string;
  tools?: Record<string, boolean>;
  noReply?: boolean;
  variant?: string;
}

export interface MessagePage {
  /** Oldest first. */
  messages: MessageWithParts[];
  /** Pass as `before` for the next (older) page; absent on the last page. */
  nextCursor?: string;
}

export interface RunCommandOptions {
  /** Abort the session when the command runs longer; default 60 000 ms. */
  timeoutMs?: number;
  /** Default `build` (OpenCode requires one). */
  agent?: string;
  model?: string | ModelRef;
  /** The shell that runs the command itself; default `sh`. */
  shell?: string;
  directory?: string;
}

export interface CommandResult {
  /** Exit status; null when the command did not finish (timed out, aborted). */
  exitCode: number | null;
  /** stdout and stderr merged, without the exit marker or OpenCode's notes. */
  output: string;
  /** The command hit `timeoutMs` and the session was aborted. */
  timedOut: boolean;
  /** OpenCode's note when it cut the command short ("User aborted the command"). */
  note?: string;
  /** The assistant message holding the tool part. */
  messageID: string;
}

const isArray = (v: unknown) => Array.isArray(v);
const isObject = (v: unknown) => !!v && typeof v === 'object' && !Array.isArray(v);
const isBoolean = (v: unknown) => typeof v === 'boolean';
const hasId = (v: unknown) => isObject(v) && typeof (v as { id?: unknown }).id === 'string';
const isMessage = (v: unknown) => isObject(v) && hasId((v as { info?: unknown }).info);
const isProviderList = (v: unknown) =>
  isObject(v) &&
  isArray((v as { providers?: unknown }).providers) &&
  (v as { providers: unknown[] }).providers.every((p) => hasId(p) && isObject((p as { models?: unknown }).models)) &&
  isObject((v as { default?: unknown }).default);
const isAgentList = (v: unknown) =>
  isArray(v) && (v as unknown[]).every((a) => isObject(a) && typeof (a as { name?: unknown }).name === 'string');

/** Grace for the server to answer `/shell` after we aborted the session on timeout. */
const SHELL_ABORT_GRACE_MS = 10_000;

/**
 * A typed client for ONE OpenCode server (v1 routes, verified against 1.18.34; see README.md and
 * /work/shared/opencode-api.md). Plain class: no Nest, no Prisma, no queues. Every failure is an
 * {@link OpencodeError} subclass; nothing is retried here.
 */
export class OpencodeClient {
  readonly transport: OpencodeTransport;
  readonly directory?: string;
  private readonly options: OpencodeClientOptions;

  constructor(options: OpencodeClientOptions) {
    this.options = options;
    this.directory = options.directory;
    this.transport = new OpencodeTransport({
      baseUrl: options.baseUrl,
      auth: options.auth,
      timeoutMs: options.timeoutMs ?? 10_000,
      host: options.host,
      fetch: options.fetch,
    });
  }

  get host(): string {
    return this.transport.host;
  }

  get baseUrl(): string {
    return this.transport.baseUrl;
  }

  /** The same server and credentials, another directory. */
  withDirectory(directory: string): OpencodeClient {
    return new OpencodeClient({ ...this.options, directory });
  }

  // ---- health ---------------------------------------------------------------------------------

  /** `GET /global/health` → `{healthy: true, version}`. Not instance-scoped. */
  async health(opts?: CallOptions): Promise<Health> {
    return this.call('get', '/global/health', { instance: false, check: isObject, shape: '{healthy, version}' }, opts);
  }

  /** `GET /path`: home, state, config, worktree and directory as the server resolves them. */
  async paths(opts?: CallOptions): Promise<PathInfo> {
    return this.call('get', '/path', { check: isObject, shape: 'Path' }, opts);
  }

  /**
   * `POST /instance/dispose`: drops the server's instance for the directory (re-created by the next
   * request). Its `/event` streams end after `server.instance.disposed`.
   */
  async disposeInstance(opts?: CallOptions): Promise<boolean> {
    return this.call('post', '/instance/dispose', { check: isBoolean, shape: 'boolean' }, opts);
  }

  // ---- configuration: models and agents ------------------------------------------------------

  /**
   * `GET /config/providers`: the providers the server can use for the directory (project config
   * counts), each with its models by id, and `default` (provider id → its default model id). A
   * prompt naming a model missing here fails. Beware: the built-in `opencode` provider (Zen free
   * models) is listed even when the server is offline.
   */
  async configProviders(opts?: CallOptions): Promise<ConfigProviders> {
    return this.call('get', '/config/providers', { check: isProviderList, shape: '{providers, default}' }, opts);
  }

  /**
   * `GET /agent`: every agent of the directory with its `mode` (primary, subagent or all), hidden
   * ones (`hidden: true`: compaction, summary, title) included. A prompt may name any of them (1.18.34
   * runs subagents and hidden agents too); an unknown name fails with "Agent not found".
   */
  async agents(opts?: CallOptions): Promise<Agent[]> {
    return this.call('get', '/agent', { check: isAgentList, shape: 'Agent[]' }, opts);
  }

  // ---- sessions -------------------------------------------------------------------------------

  async createSession(input: CreateSessionInput = {}, opts?: CallOptions): Promise<Session> {
    const { model, ...rest } = input;
    const ref = model === undefined ? undefined : toModelRef(model);
    return this.call(
      'post',
      '/session',
      {
        body: { ...rest, ...(ref ? { model: { id: ref.modelID, providerID: ref.providerID } } : {}) },
        check: hasId,
        shape: 'Session',
      },
      opts,
    );
  }

  async getSession(sessionId: string, opts?: CallOptions): Promise<Session> {
    return this.call(
      'get',
      '/session/{sessionID}',
      { path: { sessionID: sessionId }, check: hasId, shape: 'Session' },
      opts,
    );
  }

  /** Sessions whose directory is exactly this client's directory, newest first (archived ones too). */
  async listSessions(query: ListSessionsQuery = {}, opts?: CallOptions): Promise<Session[]> {
    return this.call(
      'get',
      '/session',
      {
        query: {
          limit: query.limit,
          search: query.search,
          roots: query.roots === undefined ? undefined : query.roots ? 'true' : 'false',
        },
        check: isArray,
        shape: 'Session[]',
      },
      opts,
    );
  }

  /**
   * `GET /experimental/session` (sent without `directory`): sessions of EVERY directory the server
   * knows, most recently updated first (archived ones only with `archived: true`). `nextCursor` (the `x-next-cursor` header, a
   * `time.updated`) pages to older ones via `cursor`.
   */
  async listAllSessions(
    query: { limit?: number; cursor?: string; roots?: boolean; archived?: boolean; search?: string } = {},
    opts?: CallOptions,
  ): Promise<{ sessions: Session[]; nextCursor?: string }> {
    const flag = (v?: boolean) => (v === undefined ? undefined : v ? 'true' : 'false');
    const { value, headers } = await this.send(
      'get',
      '/experimental/session',
      {
        query: {
          limit: query.limit,
          cursor: query.cursor === undefined ? undefined : Number(query.cursor),
          roots: flag(query.roots),
          archived: flag(query.archived),
          search: query.search,
        },
        check: isArray,
        shape: 'GlobalSession[]',
        // With `?directory=` 1.18.34 narrows the list to that directory's project: never send one.
        instance: false,
      },
      opts,
    );
    const nextCursor = headers.get('x-next-cursor') || undefined;
    return { sessions: value as Session[], ...(nextCursor ? { nextCursor } : {}) };
  }

  async updateSession(sessionId: string, input: UpdateSessionInput, opts?: CallOptions): Promise<Session> {
    const { archivedAt, ...rest } = input;
    return this.call(
      'patch',
      '/session/{sessionID}',
      {
        path: { sessionID: sessionId },
        body: { ...rest, ...(archivedAt !== undefined ? { time: { archived: archivedAt } } : {}) },
        check: hasId,
        shape: 'Session',
      },
      opts,
    );
  }

  /** Sets `time.archived`; archived sessions still appear in `listSessions`. */
  async archiveSession(sessionId: string, at: number = Date.now(), opts?: CallOptions): Promise<Session> {
    return this.updateSession(sessionId, { archivedAt: at }, opts);
  }

  /** Deletes the session and its children. Does NOT stop a running turn: abort first. */
  async deleteSession(sessionId: string, opts?: CallOptions): Promise<boolean> {
    return this.call(
      'delete',
      '/session/{sessionID}',
      { path: { sessionID: sessionId }, check: isBoolean, shape: 'boolean' },
      opts,
    );
  }

  // ---- prompting ------------------------------------------------------------------------------

  /** `prompt_async` → 204. The session turns busy only a moment later (up to ~1 s on a fresh instance). */
  async promptAsync(sessionId: string, input: PromptInput, opts?: CallOptions): Promise<void> {
    await this.call(
      'post',
      '/session/{sessionID}/prompt_async',
      { path: { sessionID: sessionId }, body: promptBody(input), expect: 'empty' },
      opts,
    );
  }

  /**
   * Synchronous prompt: resolves with the LAST assistant message of the turn. A failed turn still
   * answers 200 with `info.error` set. If this call times out, the turn keeps running on the server.
   */
  async prompt(sessionId: string, input: PromptInput, opts?: CallOptions): Promise<MessageWithParts<AssistantMessage>> {
    return this.call(
      'post',
      '/session/{sessionID}/message',
      { path: { sessionID: sessionId }, body: promptBody(input), check: isMessage, shape: '{info, parts}' },
      { ...opts, timeoutMs: opts?.timeoutMs ?? this.options.promptTimeoutMs ?? 300_000 },
    );
  }

  /** `GET /session/status`: only NON-idle sessions of the directory are listed. */
  async sessionStatuses(opts?: CallOptions): Promise<Record<string, SessionStatus>> {
    return this.call('get', '/session/status', { check: isObject, shape: 'map of SessionStatus' }, opts);
  }

  /** One session's status; absent from the map means idle. */
  async sessionStatus(sessionId: string, opts?: CallOptions): Promise<SessionStatus> {
    const map = await this.sessionStatuses(opts);
    return map[sessionId] ?? { type: 'idle' };
  }

  /**
   * Messages, oldest first. Without `limit`: all of them. With `limit`: the newest `limit`, and
   * `nextCursor` (the `X-Next-Cursor` header) pages to older ones via `before`.
   */
  async listMessages(
    sessionId: string,
    query: { limit?: number; before?: string } = {},
    opts?: CallOptions,
  ): Promise<MessagePage> {
    const { value, headers } = await this.send(
      'get',
      '/session/{sessionID}/message',
      { path: { sessionID: sessionId }, query, check: isArray, shape: '{info, parts}[]' },
      opts,
    );
    const nextCursor = headers.get('x-next-cursor') || undefined;
    return { messages: value as MessageWithParts[], ...(nextCursor ? { nextCursor } : {}) };
  }

  async getMessage(sessionId: string, messageId: string, opts?: CallOptions): Promise<MessageWithParts<Message>> {
    return this.call(
      'get',
      '/session/{sessionID}/message/{messageID}',
      { path: { sessionID: sessionId, messageID: messageId }, check: isMessage, shape: '{info, parts}' },
      opts,
    );
  }

  /**
   * Aborts the running turn or shell command. Always answers true, also for idle or unknown
   * sessions (and then emits spurious `session.idle`). Pending permissions and questions stay
   * pending: reject them after aborting.
   */
  async abort(sessionId: string, opts?: CallOptions): Promise<boolean> {
    return this.call(
      'post',
      '/session/{sessionID}/abort',
      { path: { sessionID: sessionId }, check: isBoolean, shape: 'boolean' },
      opts,
    );
  }

  // ---- diffs and VCS --------------------------------------------------------------------------

  /** Files changed by the turn of one USER message (`[]` without a message id or for an assistant one). */
  async sessionDiff(sessionId: string, messageId: string, opts?: CallOptions): Promise<SnapshotFileDiff[]> {
    return this.call(
      'get',
      '/session/{sessionID}/diff',
      { path: { sessionID: sessionId }, query: { messageID: messageId }, check: isArray, shape: 'FileDiff[]' },
      opts,
    );
  }

  /** `GET /vcs/diff?mode=git` (working tree vs HEAD, untracked files included) or `branch`. */
  async vcsDiff(query: { mode?: 'git' | 'branch'; context?: number } = {}, opts?: CallOptions): Promise<VcsFileDiff[]> {
    return this.call(
      'get',
      '/vcs/diff',
      { query: { mode: query.mode ?? 'git', context: query.context }, check: isArray, shape: 'VcsFileDiff[]' },
      opts,
    );
  }

  /** Changed files (untracked included). Prefer this to `/file/status`, which is always `[]`. */
  async vcsStatus(opts?: CallOptions): Promise<VcsFileStatus[]> {
    return this.call('get', '/vcs/status', { check: isArray, shape: 'VcsFileStatus[]' }, opts);
  }

  /**
   * `GET /vcs` → `{branch, default_branch}`. Beware: 1.18.34 caches the branch per instance (a later
   * checkout or detach is not seen); read `.git/HEAD` through {@link readFile} for the current one.
   */
  async vcsInfo(opts?: CallOptions): Promise<VcsInfo> {
    return this.call('get', '/vcs', { check: isObject, shape: 'VcsInfo' }, opts);
  }

  // ---- permissions and questions (instance-scoped: the directory must be right) -----------------

  async listPermissions(opts?: CallOptions): Promise<PermissionRequest[]> {
    return this.call('get', '/permission', { check: isArray, shape: 'PermissionRequest[]' }, opts);
  }

  /** `once` runs the tool; `always` also allows matching requests (memory only); `reject` without a message ends the turn. */
  async replyPermission(
    requestId: string,
    reply: PermissionReply,
    message?: string,
    opts?: CallOptions,
  ): Promise<boolean> {
    return this.call(
      'post',
      '/permission/{requestID}/reply',
      {
        path: { requestID: requestId },
        body: { reply, ...(message !== undefined ? { message } : {}) },
        check: isBoolean,
        shape: 'boolean',
      },
      opts,
    );
  }

  async listQuestions(opts?: CallOptions): Promise<QuestionRequest[]> {
    return this.call('get', '/question', { check: isArray, shape: 'QuestionRequest[]' }, opts);
  }

  /** One array of chosen labels per question, in order: `[["Blue"], ["S", "L"]]`. */
  async replyQuestion(requestId: string, answers: string[][], opts?: CallOptions): Promise<boolean> {
    return this.call(
      'post',
      '/question/{requestID}/reply',
      { path: { requestID: requestId }, body: { answers }, check: isBoolean, shape: 'boolean' },
      opts,
    );
  }

  /** Dismisses the question; the turn ends. */
  async rejectQuestion(requestId: string, opts?: CallOptions): Promise<boolean> {
    return this.call(
      'post',
      '/question/{requestID}/reject',
      { path: { requestID: requestId }, check: isBoolean, shape: 'boolean' },
      opts,
    );
  }

  // ---- files ----------------------------------------------------------------------------------

  /**
   * `GET /file/content`. Beware: text comes back TRIMMED (leading/trailing whitespace and newlines),
   * and a missing file reads as `{type:'text', content:''}`, like an empty one: use
   * {@link fileExists}. Binary files come as base64. A directory or a path outside → 500.
   */
  async readFile(path: string, opts?: CallOptions): Promise<FileContent> {
    return this.call('get', '/file/content', { query: { path }, check: isObject, shape: 'FileContent' }, opts);
  }

  /** Entries of a directory relative to the workspace (`.` for its root; `.git` is listed too). */
  async listDirectory(path = '.', opts?: CallOptions): Promise<FileNode[]> {
    return this.call('get', '/file', { query: { path }, check: isArray, shape: 'FileNode[]' }, opts);
  }

  /**
   * The entry for `path` from a listing of its parent, or undefined when it (or its parent) does
   * not exist. A path outside the directory counts as missing (the server answers 500 for both).
   */
  async stat(path: string, opts?: CallOptions): Promise<FileNode | undefined> {
    const clean = path.replace(/\/+$/, '').replace(/^(\.\/)+/, '');
    if (clean === '' || clean === '.') {
      throw new TypeError('stat() needs a path inside the directory; use directoryExists() for the root');
    }
    const slash = clean.lastIndexOf('/');
    const parent = slash < 0 ? '.' : slash === 0 ? '/' : clean.slice(0, slash);
    const name = clean.slice(slash + 1);
    try {
      const entries = await this.listDirectory(parent, opts);
      return entries.find((e) => e.name === name);
    } catch (err) {
      if (err instanceof OpencodeServerError) return undefined;
      throw err;
    }
  }

  async fileExists(path: string, opts?: CallOptions): Promise<boolean> {
    return (await this.stat(path, opts)) !== undefined;
  }

  /** Fuzzy file-name search (`/find/file`); relative paths, directories end with `/`. */
  async findFiles(
    query: string,
    options: { type?: 'file' | 'directory'; limit?: number } = {},
    opts?: CallOptions,
  ): Promise<string[]> {
    return this.call(
      'get',
      '/find/file',
      { query: { query, type: options.type, limit: options.limit }, check: isArray, shape: 'string[]' },
      opts,
    );
  }

  /** ripgrep over the directory (`/find?pattern=`, a regex); needs `rg` on the server host. */
  async searchText(pattern: string, opts?: CallOptions): Promise<TextMatch[]> {
    return this.call('get', '/find', { query: { pattern }, check: isArray, shape: 'match[]' }, opts);
  }

  /**
   * OpenCode accepts a missing directory silently (sessions there are no-ops), so probe it:
   * `GET /file?path=.&directory=D` answers 200 for a directory and 500 for a missing path or a
   * file. Defaults to the client's directory.
   */
  async directoryExists(directory?: string, opts?: CallOptions): Promise<boolean> {
    const dir = directory ?? opts?.directory ?? this.directory;
    if (!dir) throw new TypeError('directoryExists() needs a directory');
    try {
      await this.listDirectory('.', { ...opts, directory: dir });
      return true;
    } catch (err) {
      if (err instanceof OpencodeServerError) return false;
      throw err;
    }
  }

  // ---- shell ----------------------------------------------------------------------------------

  /**
   * Runs a command in the session's directory through `POST /session/{id}/shell` and returns its
   * exit code and merged output, whatever the server's `$SHELL` (see shell-script.ts). On
   * `timeoutMs` the session is aborted (which kills the command) and the result has
   * `timedOut: true`. A busy session → {@link OpencodeConflictError}.
   */
  async runCommand(sessionId: string, command: string, options: RunCommandOptions = {}): Promise<CommandResult> {
    const script = buildShellScript(command, { shell: options.shell });
    const timeoutMs = options.timeoutMs ?? 60_000;
    const model = options.model === undefined ? undefined : toModelRef(options.model);
    let aborted = false;
    const timer = setTimeout(() => {
      aborted = true;
      this.abort(sessionId, { directory: options.directory }).catch(() => undefined);
    }, timeoutMs);
    let result: MessageWithParts;
    try {
      result = await this.call(
        'post',
        '/session/{sessionID}/shell',
        {
          path: { sessionID: sessionId },
          body: { agent: options.agent ?? 'build', command: script.serverCommand, ...(model ? { model } : {}) },
          check: isMessage,
          shape: '{info, parts}',
        },
        { directory: options.directory, timeoutMs: timeoutMs + SHELL_ABORT_GRACE_MS },
      );
    } catch (err) {
      if (err instanceof OpencodeTimeoutError && !aborted) {
        await this.abort(sessionId, { directory: options.directory }).catch(() => undefined);
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
    const tool = result.parts.find((p) => p.type === 'tool');
    let raw = '';
    if (tool && tool.type === 'tool') {
      const state = tool.state as { output?: unknown; error?: unknown; metadata?: { output?: unknown } };
      const text = state.output ?? state.metadata?.output ?? state.error;
      raw = typeof text === 'string' ? text : '';
    }
    const parsed = parseShellOutput(raw, script.marker);
    return {
      exitCode: parsed.exitCode,
      output: parsed.output,
      timedOut: aborted && parsed.exitCode === null,
      ...(parsed.note ? { note: parsed.note } : {}),
      messageID: result.info.id,
    };
  }

  // ---- events ---------------------------------------------------------------------------------

  /**
   * Subscribes to `GET /event?directory=` (default: the client's directory) with reconnects,
   * silence detection and `gap` notices; see event-stream.ts.
   */
  subscribe(
    directory: string | undefined,
    handler: SubscriptionHandler,
    options?: SubscribeOptions,
  ): EventSubscription {
    return subscribeEvents(this.transport, directory ?? this.directory, handler, options);
  }

  // ---- plumbing -------------------------------------------------------------------------------

  /** A typed call: path, method, parameters and result all come from the OpenAPI document. */
  private async call<P extends ApiPath, M extends MethodsOf<P>>(
    method: M,
    path: P,
    args: CallArgs<P, M>,
    opts?: CallOptions,
  ): Promise<OperationOk<P, M>> {
    return (await this.send(method, path, args, opts)).value;
  }

  private async send<P extends ApiPath, M extends MethodsOf<P>>(
    method: M,
    path: P,
    args: CallArgs<P, M>,
    opts?: CallOptions,
  ): Promise<{ value: OperationOk<P, M>; headers: Headers }> {
    const directory = args.instance === false ? undefined : (opts?.directory ?? this.directory);
    const { value, headers } = await this.transport.request<OperationOk<P, M>>({
      method: method.toUpperCase() as 'GET',
      route: path,
      pathParams: args.path as Record<string, string> | undefined,
      query: { ...(args.query as Record<string, QueryValue> | undefined), directory },
      body: args.body,
      expect: args.expect ?? 'json',
      check: args.check,
      shape: args.shape,
      timeoutMs: opts?.timeoutMs,
      signal: opts?.signal,
    });
    return { value, headers };
  }
}

interface CallArgs<P extends ApiPath, M extends MethodsOf<P>> {
  path?: OperationPathParams<P, M>;
  query?: OperationQuery<P, M>;
  body?: OperationBody<P, M>;
  expect?: Expectation;
  check?: (value: unknown) => boolean;
  shape?: string;
  /** False for `/global/*` routes, which take no directory. */
  instance?: boolean;
}

function promptBody(input: PromptInput): OperationBody<'/session/{sessionID}/prompt_async', 'post'> {
  const parts: PartInput[] = [];
  if (input.text !== undefined) parts.push({ type: 'text', text: input.text });
  if (input.parts) parts.push(...input.parts);
  if (parts.length === 0) throw new TypeError('a prompt needs text or parts');
  const { text: _text, parts: _parts, model, ...rest } = input;
  return { ...rest, parts, ...(model !== undefined ? { model: toModelRef(model) } : {}) };
}

/** A Nest-free factory, for symmetry with the rest of Heddle's libs. */
export function createOpencodeClient(options: OpencodeClientOptions): OpencodeClient {
  return new OpencodeClient(options);
}
