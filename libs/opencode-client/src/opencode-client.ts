import { ApiCaller, CallOptions } from './api-call';
import { EventSubscription, SubscribeOptions, SubscriptionHandler, subscribeEvents } from './event-stream';
import { BasicAuth, FetchLike, OpencodeTransport } from './http';
import { PermissionCalls } from './permission-calls';
import { MessagePage, PromptCalls, PromptInput } from './prompt-calls';
import { CommandResult, RunCommandOptions, runCommand } from './run-command';
import { ServerCalls } from './server-calls';
import {
  CreateSessionInput,
  ListAllSessionsQuery,
  ListSessionsQuery,
  SessionCalls,
  UpdateSessionInput,
} from './session-calls';
import type {
  Agent,
  AssistantMessage,
  ConfigProviders,
  FileContent,
  FileNode,
  Health,
  Message,
  MessageWithParts,
  PathInfo,
  PermissionReply,
  PermissionRequest,
  QuestionRequest,
  Session,
  SessionStatus,
  SnapshotFileDiff,
  TextMatch,
  VcsFileDiff,
  VcsFileStatus,
  VcsInfo,
} from './types';
import { WorkspaceCalls } from './workspace-calls';

// The input and result types of the client's methods live beside the calls that use them; callers
// keep importing them from here (and from the index).
export type { CallOptions } from './api-call';
export type { MessagePage, PromptInput } from './prompt-calls';
export type { CommandResult, RunCommandOptions } from './run-command';
export type { CreateSessionInput, ListSessionsQuery, UpdateSessionInput } from './session-calls';

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

/**
 * A typed client for ONE OpenCode server (v1 routes, verified against 1.18.34; see README.md and
 * /work/shared/opencode-api.md). Plain class: no Nest, no Prisma, no queues. Every failure is an
 * {@link OpencodeError} subclass; nothing is retried here.
 *
 * This class is the one surface callers see; the calls themselves live in one module per area
 * (server-calls, session-calls, prompt-calls, permission-calls, workspace-calls, run-command), all
 * built on {@link ApiCaller}. The method comments here say what callers must know about each route.
 */
export class OpencodeClient {
  readonly transport: OpencodeTransport;
  readonly directory?: string;
  private readonly options: OpencodeClientOptions;
  private readonly api: ApiCaller;
  private readonly server: ServerCalls;
  private readonly sessions: SessionCalls;
  private readonly prompts: PromptCalls;
  private readonly permissions: PermissionCalls;
  private readonly workspace: WorkspaceCalls;

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
    this.api = new ApiCaller(this.transport, this.directory);
    this.server = new ServerCalls(this.api);
    this.sessions = new SessionCalls(this.api);
    this.prompts = new PromptCalls(this.api, options.promptTimeoutMs);
    this.permissions = new PermissionCalls(this.api);
    this.workspace = new WorkspaceCalls(this.api);
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
    return this.server.health(opts);
  }

  /** `GET /path`: home, state, config, worktree and directory as the server resolves them. */
  async paths(opts?: CallOptions): Promise<PathInfo> {
    return this.server.paths(opts);
  }

  /**
   * `POST /instance/dispose`: drops the server's instance for the directory (re-created by the next
   * request). Its `/event` streams end after `server.instance.disposed`.
   */
  async disposeInstance(opts?: CallOptions): Promise<boolean> {
    return this.server.disposeInstance(opts);
  }

  // ---- configuration: models and agents ------------------------------------------------------

  /**
   * `GET /config/providers`: the providers the server can use for the directory (project config
   * counts), each with its models by id, and `default` (provider id → its default model id). A
   * prompt naming a model missing here fails. Beware: the built-in `opencode` provider (Zen free
   * models) is listed even when the server is offline.
   */
  async configProviders(opts?: CallOptions): Promise<ConfigProviders> {
    return this.server.configProviders(opts);
  }

  /**
   * `GET /agent`: every agent of the directory with its `mode` (primary, subagent or all), hidden
   * ones (`hidden: true`: compaction, summary, title) included. A prompt may name any of them (1.18.34
   * runs subagents and hidden agents too); an unknown name fails with "Agent not found".
   */
  async agents(opts?: CallOptions): Promise<Agent[]> {
    return this.server.agents(opts);
  }

  // ---- sessions -------------------------------------------------------------------------------

  async createSession(input: CreateSessionInput = {}, opts?: CallOptions): Promise<Session> {
    return this.sessions.create(input, opts);
  }

  async getSession(sessionId: string, opts?: CallOptions): Promise<Session> {
    return this.sessions.get(sessionId, opts);
  }

  /** Sessions whose directory is exactly this client's directory, newest first (archived ones too). */
  async listSessions(query: ListSessionsQuery = {}, opts?: CallOptions): Promise<Session[]> {
    return this.sessions.list(query, opts);
  }

  /**
   * `GET /experimental/session` (sent without `directory`): sessions of EVERY directory the server
   * knows, most recently updated first (archived ones only with `archived: true`). `nextCursor` (the `x-next-cursor` header, a
   * `time.updated`) pages to older ones via `cursor`.
   */
  async listAllSessions(
    query: ListAllSessionsQuery = {},
    opts?: CallOptions,
  ): Promise<{ sessions: Session[]; nextCursor?: string }> {
    return this.sessions.listAll(query, opts);
  }

  async updateSession(sessionId: string, input: UpdateSessionInput, opts?: CallOptions): Promise<Session> {
    return this.sessions.update(sessionId, input, opts);
  }

  /** Sets `time.archived`; archived sessions still appear in `listSessions`. */
  async archiveSession(sessionId: string, at: number = Date.now(), opts?: CallOptions): Promise<Session> {
    return this.updateSession(sessionId, { archivedAt: at }, opts);
  }

  /** Deletes the session and its children. Does NOT stop a running turn: abort first. */
  async deleteSession(sessionId: string, opts?: CallOptions): Promise<boolean> {
    return this.sessions.delete(sessionId, opts);
  }

  // ---- prompting ------------------------------------------------------------------------------

  /** `prompt_async` → 204. The session turns busy only a moment later (up to ~1 s on a fresh instance). */
  async promptAsync(sessionId: string, input: PromptInput, opts?: CallOptions): Promise<void> {
    await this.prompts.promptAsync(sessionId, input, opts);
  }

  /**
   * Synchronous prompt: resolves with the LAST assistant message of the turn. A failed turn still
   * answers 200 with `info.error` set. If this call times out, the turn keeps running on the server.
   */
  async prompt(sessionId: string, input: PromptInput, opts?: CallOptions): Promise<MessageWithParts<AssistantMessage>> {
    return this.prompts.prompt(sessionId, input, opts);
  }

  /** `GET /session/status`: only NON-idle sessions of the directory are listed. */
  async sessionStatuses(opts?: CallOptions): Promise<Record<string, SessionStatus>> {
    return this.prompts.statuses(opts);
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
    return this.prompts.listMessages(sessionId, query, opts);
  }

  async getMessage(sessionId: string, messageId: string, opts?: CallOptions): Promise<MessageWithParts<Message>> {
    return this.prompts.getMessage(sessionId, messageId, opts);
  }

  /**
   * Aborts the running turn or shell command. Always answers true, also for idle or unknown
   * sessions (and then emits spurious `session.idle`). Pending permissions and questions stay
   * pending: reject them after aborting.
   */
  async abort(sessionId: string, opts?: CallOptions): Promise<boolean> {
    return this.prompts.abort(sessionId, opts);
  }

  // ---- diffs and VCS --------------------------------------------------------------------------

  /** Files changed by the turn of one USER message (`[]` without a message id or for an assistant one). */
  async sessionDiff(sessionId: string, messageId: string, opts?: CallOptions): Promise<SnapshotFileDiff[]> {
    return this.workspace.sessionDiff(sessionId, messageId, opts);
  }

  /** `GET /vcs/diff?mode=git` (working tree vs HEAD, untracked files included) or `branch`. */
  async vcsDiff(query: { mode?: 'git' | 'branch'; context?: number } = {}, opts?: CallOptions): Promise<VcsFileDiff[]> {
    return this.workspace.vcsDiff(query, opts);
  }

  /** Changed files (untracked included). Prefer this to `/file/status`, which is always `[]`. */
  async vcsStatus(opts?: CallOptions): Promise<VcsFileStatus[]> {
    return this.workspace.vcsStatus(opts);
  }

  /**
   * `GET /vcs` → `{branch, default_branch}`. Beware: 1.18.34 caches the branch per instance (a later
   * checkout or detach is not seen); read `.git/HEAD` through {@link readFile} for the current one.
   */
  async vcsInfo(opts?: CallOptions): Promise<VcsInfo> {
    return this.workspace.vcsInfo(opts);
  }

  // ---- permissions and questions (instance-scoped: the directory must be right) -----------------

  async listPermissions(opts?: CallOptions): Promise<PermissionRequest[]> {
    return this.permissions.listPermissions(opts);
  }

  /** `once` runs the tool; `always` also allows matching requests (memory only); `reject` without a message ends the turn. */
  async replyPermission(
    requestId: string,
    reply: PermissionReply,
    message?: string,
    opts?: CallOptions,
  ): Promise<boolean> {
    return this.permissions.replyPermission(requestId, reply, message, opts);
  }

  async listQuestions(opts?: CallOptions): Promise<QuestionRequest[]> {
    return this.permissions.listQuestions(opts);
  }

  /** One array of chosen labels per question, in order: `[["Blue"], ["S", "L"]]`. */
  async replyQuestion(requestId: string, answers: string[][], opts?: CallOptions): Promise<boolean> {
    return this.permissions.replyQuestion(requestId, answers, opts);
  }

  /** Dismisses the question; the turn ends. */
  async rejectQuestion(requestId: string, opts?: CallOptions): Promise<boolean> {
    return this.permissions.rejectQuestion(requestId, opts);
  }

  // ---- files ----------------------------------------------------------------------------------

  /**
   * `GET /file/content`. Beware: text comes back TRIMMED (leading/trailing whitespace and newlines),
   * and a missing file reads as `{type:'text', content:''}`, like an empty one: use
   * {@link fileExists}. Binary files come as base64. A directory or a path outside → 500.
   */
  async readFile(path: string, opts?: CallOptions): Promise<FileContent> {
    return this.workspace.readFile(path, opts);
  }

  /** Entries of a directory relative to the workspace (`.` for its root; `.git` is listed too). */
  async listDirectory(path = '.', opts?: CallOptions): Promise<FileNode[]> {
    return this.workspace.listDirectory(path, opts);
  }

  /**
   * The entry for `path` from a listing of its parent, or undefined when it (or its parent) does
   * not exist. A path outside the directory counts as missing (the server answers 500 for both).
   */
  async stat(path: string, opts?: CallOptions): Promise<FileNode | undefined> {
    return this.workspace.stat(path, opts);
  }

  async fileExists(path: string, opts?: CallOptions): Promise<boolean> {
    return this.workspace.fileExists(path, opts);
  }

  /** Fuzzy file-name search (`/find/file`); relative paths, directories end with `/`. */
  async findFiles(
    query: string,
    options: { type?: 'file' | 'directory'; limit?: number } = {},
    opts?: CallOptions,
  ): Promise<string[]> {
    return this.workspace.findFiles(query, options, opts);
  }

  /** ripgrep over the directory (`/find?pattern=`, a regex); needs `rg` on the server host. */
  async searchText(pattern: string, opts?: CallOptions): Promise<TextMatch[]> {
    return this.workspace.searchText(pattern, opts);
  }

  /**
   * OpenCode accepts a missing directory silently (sessions there are no-ops), so probe it:
   * `GET /file?path=.&directory=D` answers 200 for a directory and 500 for a missing path or a
   * file. Defaults to the client's directory.
   */
  async directoryExists(directory?: string, opts?: CallOptions): Promise<boolean> {
    return this.workspace.directoryExists(directory, opts);
  }

  // ---- shell ----------------------------------------------------------------------------------

  /**
   * Runs a command in the session's directory through `POST /session/{id}/shell` and returns its
   * exit code and merged output, whatever the server's `$SHELL` (see shell-script.ts). On
   * `timeoutMs` the session is aborted (which kills the command) and the result has
   * `timedOut: true`. A busy session → {@link OpencodeConflictError}.
   */
  async runCommand(sessionId: string, command: string, options: RunCommandOptions = {}): Promise<CommandResult> {
    return runCommand(this.api, (id, opts) => this.abort(id, opts), sessionId, command, options);
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
}

/** A Nest-free factory, for symmetry with the rest of Heddle's libs. */
export function createOpencodeClient(options: OpencodeClientOptions): OpencodeClient {
  return new OpencodeClient(options);
}
