/** Public types of the in-process fake OpenCode host. Shapes follow OpenCode 1.18.34 (see opencode-api.md). */

export type FakePermissionAction = 'allow' | 'ask' | 'deny';

/** A per-session rule as sent in `POST /session` `permission`. */
export interface FakePermissionRule {
  permission: string;
  pattern: string;
  action: FakePermissionAction;
}

/** Like `opencode.json` `"permission"`: `{edit:'ask'}` or `{bash:{'*':'allow','rm *':'ask'}}`. */
export type FakePermissionConfig = Record<string, FakePermissionAction | Record<string, FakePermissionAction>>;

export interface FakeTokens {
  total?: number;
  input: number;
  output: number;
  reasoning: number;
  cache: { read: number; write: number };
}

/** Token usage of one LLM step, as OpenCode reports it (input excludes cached, output excludes reasoning). */
export interface FakeTokensInput {
  input?: number;
  output?: number;
  reasoning?: number;
  cache?: { read?: number; write?: number };
}

/** USD per 1M tokens, as the model `cost` block of the config. Reasoning is billed at the output rate. */
export interface FakeModelCost {
  input: number;
  output: number;
  cache_read?: number;
  cache_write?: number;
}

export interface FakeQuestionOption {
  label: string;
  description: string;
}

export interface FakeQuestion {
  question: string;
  header: string;
  options: FakeQuestionOption[];
  multiple?: boolean;
  custom?: boolean;
}

/** Options every LLM step (one assistant message) accepts. */
export interface FakeLlmStepOptions {
  /** Usage of this step; defaults to the fake's `tokens` option. */
  tokens?: FakeTokensInput;
  /** Cost of this step in USD; defaults to the tokens priced by the fake's `cost` option (0 without one). */
  cost?: number;
  /** Model latency before the step's output appears. */
  delayMs?: number;
}

/** The model calls `write` (permission `edit`): the file is really written into the session's directory. */
export interface FakeWriteStep extends FakeLlmStepOptions {
  type: 'write';
  path: string;
  content?: string;
  /** Ask for permission regardless of the rules (fake-only; on the real server set an `edit: ask` rule). */
  ask?: boolean;
}

/**
 * The model calls `bash` (permission `bash`). Without `output`/`hang` the command really runs with
 * `sh -c` in the session's directory (stdout+stderr merged, exit code in `metadata.exit`); abort kills it.
 */
export interface FakeBashStep extends FakeLlmStepOptions {
  type: 'bash';
  command: string;
  description?: string;
  /** Simulate a command that never ends (like `sleep 600`) without a process; abort ends it. */
  hang?: boolean;
  /** Simulated output (no process is started). */
  output?: string;
  /** Simulated exit code (with `output`); default 0. */
  exit?: number;
  ask?: boolean;
}

/** The model calls the built-in `question` tool: the turn waits for `/question/{id}/reply` or `/reject`. */
export interface FakeQuestionStep extends FakeLlmStepOptions {
  type: 'question';
  questions: FakeQuestion[];
}

/** The model calls `read`; the output is the file's content. */
export interface FakeReadStep extends FakeLlmStepOptions {
  type: 'read';
  path: string;
}

/** Any other tool call, with a canned result (no side effect). */
export interface FakeToolStep extends FakeLlmStepOptions {
  type: 'tool';
  tool: string;
  input: Record<string, unknown>;
  output?: string;
  title?: string;
  metadata?: Record<string, unknown>;
  /** End the tool in the `error` state with this text. */
  error?: string;
}

/** The model answers with text: `finish: "stop"`, the turn ends (later steps are not reached). */
export interface FakeTextStep extends FakeLlmStepOptions {
  type: 'text';
  text: string;
}

/** The model call never answers (busy until `POST /session/{id}/abort`). */
export interface FakeHangStep {
  type: 'hang';
}

/** The model call fails: `session.error` and an assistant message with the error, no finish. */
export interface FakeFailStep {
  type: 'fail';
  /** Default `APIError`. */
  name?: 'APIError' | 'UnknownError' | 'ProviderAuthError';
  message?: string;
  /** APIError only; default 400. */
  statusCode?: number;
  /** APIError only; default false. */
  isRetryable?: boolean;
}

/** The next model call fails retryably `attempts` times first: status `retry {attempt, message, next}`. */
export interface FakeRetryStep {
  type: 'retry';
  attempts?: number;
  /** Time between attempts; default 50 ms (the real backoff is seconds). */
  intervalMs?: number;
  message?: string;
}

/** Pause the turn (still busy) for `ms`, or until `until` settles. */
export interface FakeWaitStep {
  type: 'wait';
  ms?: number;
  until?: Promise<unknown>;
}

export type FakeStep =
  | FakeWriteStep
  | FakeBashStep
  | FakeQuestionStep
  | FakeReadStep
  | FakeToolStep
  | FakeTextStep
  | FakeHangStep
  | FakeFailStep
  | FakeRetryStep
  | FakeWaitStep;

/** What a script sees of the prompt it answers. */
export interface FakePromptContext {
  sessionID: string;
  directory: string;
  /** The user message's text parts, joined with a newline. */
  text: string;
  userMessageID: string;
  agent: string;
  model: { providerID: string; modelID: string };
}

export type FakeScript = FakeStep[] | ((ctx: FakePromptContext) => FakeStep[]);

/**
 * Which prompts a script answers: a substring of the prompt text, a RegExp on it, fields to match, or a
 * predicate. Later registrations win over earlier ones.
 */
export type FakeScriptMatcher =
  | string
  | RegExp
  | { sessionID?: string; text?: string | RegExp; directory?: string }
  | ((ctx: FakePromptContext) => boolean);

export interface FakeScriptOptions {
  /** Use the script for this many prompts, then drop it (default: unlimited). */
  times?: number;
}

export interface FakeRecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Lower-cased, without `authorization`. */
  headers: Record<string, string>;
  /** Parsed JSON, the raw text when it isn't JSON, or undefined when empty. */
  body: unknown;
  time: number;
}

export interface FakeEvent {
  id: string;
  type: string;
  properties: Record<string, any>;
}

export interface FakeEmittedEvent {
  /** The instance directory the event belongs to. */
  directory: string;
  event: FakeEvent;
  time: number;
}

export interface FakeFlakyOptions {
  /** Every Nth request (counting all requests from when the switch is set) fails. */
  every: number;
  /** `reset`: the connection is destroyed before any response; `500`: an UnknownError answer. Default `reset`. */
  mode?: 'reset' | '500';
}

export interface FakeOpencodeOptions {
  /**
   * An existing directory to serve as the main workspace (left as is). Default: a fresh temp git repo
   * with one commit holding `README.md`, `src/a.ts` (`// TODO: find me`) and `ws.txt`, the layout of
   * the real harness, removed by stop().
   */
  workspace?: string;
  /** Files of the fresh workspace instead of the default layout, committed in its one commit. */
  files?: Record<string, string>;
  /** Further fresh workspaces (same layout, `<name>.txt`), beside the main one; see `workspaces`. */
  extraWorkspaces?: string[];
  /** Branch of fresh workspaces. Default `main`. */
  branch?: string;
  /** Create the fresh workspace without git (no child processes at all; projectID `global`). */
  git?: boolean;
  /** Enables basic auth (like OPENCODE_SERVER_PASSWORD). */
  password?: string;
  /** Basic-auth user (like OPENCODE_SERVER_USERNAME). Default `opencode`. */
  username?: string;
  /** Reported by /global/health and on sessions. Default `1.18.34`. */
  version?: string;
  /** Port to listen on (loopback). Default: any free port. */
  port?: number;
  /** `server.heartbeat` interval on event streams. Default 10000. */
  heartbeatMs?: number;
  /**
   * `provider/model` ids the host offers: `GET /config/providers` lists them (grouped by provider) and
   * prompts may name them; others fail with "Model not found". Default `['fake/fake-model']`; `'any'`
   * accepts every model in prompts (and lists only the default model).
   */
  models?: string[] | 'any';
  /** Used when a prompt names none. Default `{providerID:'fake', modelID:'fake-model'}`. */
  defaultModel?: { providerID: string; modelID: string };
  /** Usage reported by every LLM step unless the step says otherwise. Default input 120, output 12. */
  tokens?: FakeTokensInput;
  /** Model prices; without them cost is 0 (as without a config `cost` block). */
  cost?: FakeModelCost;
  /** Config-level permission rules. Default: everything allowed. */
  permission?: FakePermissionConfig;
  /** Latency of every LLM step. Default 0. */
  stepDelayMs?: number;
  /** Delay the `SLOW` keyword adds. Default 1500 (as the fake LLM). */
  slowMs?: number;
  /** Content written by keyword prompts (`FILE:`, default `DONE.md`). Default: the fake LLM's `FAKE_DONE_CONTENT`. */
  fileContent?: string;
  /** Title a session without one gets after its first prompt (the title model's answer); null keeps the default title. */
  generatedTitle?: string | null;
  /**
   * Keep at most this many recorded requests and emitted events each (oldest dropped). Default 2000;
   * 0 records nothing (for benchmarks with many hosts; waitForEvent still works).
   */
  maxRecorded?: number;
}
