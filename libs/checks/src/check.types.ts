/**
 * Acceptance checks (SPEC §4): what a task declares, what an evaluation returns, and the port to the
 * OpenCode host the evaluators read the workspace through. Plain types: no Nest, no Prisma.
 */

/** Every kind a task may declare, in documentation order. */
export const CHECK_KINDS = [
  'file_exists',
  'file_absent',
  'file_contains',
  'file_not_contains',
  'checklist_complete',
  'plan_complete_tag',
  'git_changed',
  'command',
  'json_schema',
  'reply_json',
] as const;

export type CheckKind = (typeof CHECK_KINDS)[number];

/** Limits shared by the DTOs and the evaluators. */
export const CHECK_LIMITS = {
  /** Checks per task. */
  maxChecks: 50,
  maxNameLength: 200,
  maxPathLength: 1024,
  maxPatternLength: 10_000,
  /** Characters; the client's `/shell` encoding must fit one argv entry. */
  maxCommandLength: 20_000,
  minTimeoutSeconds: 1,
  maxTimeoutSeconds: 3600,
  /** `command` without `timeoutSeconds`. */
  defaultTimeoutSeconds: 600,
  /** `json_schema.schema` serialised as JSON. */
  maxSchemaBytes: 65_536,
  /** `git_changed.paths` entries. */
  maxGitPaths: 100,
  /** `reply_json`: the JSON block (UTF-8 bytes) that may become the task's `result`. */
  maxResultBytes: 262_144,
} as const;

interface CheckBase {
  /** Display name (events, prompts, UI). */
  name?: string;
}

/** The path exists (a file or a directory). */
export interface FileExistsCheck extends CheckBase {
  kind: 'file_exists';
  path: string;
}

/** Nothing exists at the path. */
export interface FileAbsentCheck extends CheckBase {
  kind: 'file_absent';
  path: string;
}

interface FilePatternFields extends CheckBase {
  path: string;
  /** A literal substring, or a JavaScript regular expression when `regex` is true. */
  pattern: string;
  /** Default false: `pattern` is literal text. */
  regex?: boolean;
  /** RegExp flags from `imsu` (also applied to literal patterns, e.g. `i`). */
  flags?: string;
}

/** The file exists and matches the pattern. */
export interface FileContainsCheck extends FilePatternFields {
  kind: 'file_contains';
}

/** The file exists and does NOT match the pattern. */
export interface FileNotContainsCheck extends FilePatternFields {
  kind: 'file_not_contains';
}

/** A markdown checklist (or OpenSpec tasks.md) with at least one item and no open `- [ ]` item. */
export interface ChecklistCompleteCheck extends CheckBase {
  kind: 'checklist_complete';
  path: string;
}

/** The file has a line starting with `<plan-complete>`. */
export interface PlanCompleteTagCheck extends CheckBase {
  kind: 'plan_complete_tag';
  path: string;
}

/** The working tree has changes (untracked files included), optionally under one of `paths`. */
export interface GitChangedCheck extends CheckBase {
  kind: 'git_changed';
  paths?: string[];
}

/** A shell command run in the workspace (through the task's session) exits 0 within the timeout. */
export interface CommandCheck extends CheckBase {
  kind: 'command';
  command: string;
  /** Default {@link CHECK_LIMITS.defaultTimeoutSeconds}. */
  timeoutSeconds?: number;
}

/** A JSON file of the workspace parses and validates against `schema` (draft-07, 2019-09 or 2020-12 by `$schema`). */
export interface JsonSchemaCheck extends CheckBase {
  kind: 'json_schema';
  path: string;
  schema: Record<string, unknown>;
}

/**
 * Structured output: the agent's final reply holds a fenced JSON block (the last ```json block, or
 * else the last unlabelled fenced block whose content parses) that validates against `schema`; its
 * value becomes the result's (and the evaluation's) `result`.
 */
export interface ReplyJsonCheck extends CheckBase {
  kind: 'reply_json';
  schema: Record<string, unknown>;
}

export type Check =
  | FileExistsCheck
  | FileAbsentCheck
  | FileContainsCheck
  | FileNotContainsCheck
  | ChecklistCompleteCheck
  | PlanCompleteTagCheck
  | GitChangedCheck
  | CommandCheck
  | JsonSchemaCheck
  | ReplyJsonCheck;

export type CheckOfKind<K extends CheckKind> = Extract<Check, { kind: K }>;

// ---- results ---------------------------------------------------------------------------------

/** `pass`/`fail` judge the workspace; `error` means the check could not be evaluated (host down, bad config). */
export type CheckStatus = 'pass' | 'fail' | 'error';

/** One line of a file that matched (line numbers count from the first non-blank line: OpenCode trims files). */
export interface CheckMatch {
  lineNumber: number;
  /** The whole line, at most `evidenceMaxBytes`. */
  line: string;
  /** The matched text, at most `evidenceMaxBytes`. */
  text: string;
}

export interface ChecklistItemExcerpt {
  line: number;
  text: string;
}

export interface SchemaErrorExcerpt {
  instancePath: string;
  keyword: string;
  message: string;
  params?: Record<string, unknown>;
}

/**
 * What was read or run. Every field is optional; each kind fills the ones that apply (see README).
 * Every excerpt of the workspace or of command output is at most `evidenceMaxBytes` (default 1 KB)
 * UTF-8 bytes, and absent when that is 0: results are stored and sent as events.
 */
export interface CheckEvidence {
  /** Workspace-relative path that was read. */
  path?: string;
  exists?: boolean;
  entryType?: 'file' | 'directory';
  /** Characters read (after OpenCode's trimming of leading/trailing whitespace). */
  chars?: number;
  /** The file came back as binary (base64) and was decoded as UTF-8. */
  binary?: boolean;
  /** The start of the file, when that helps to see why a check failed. */
  excerpt?: string;
  pattern?: string;
  regex?: boolean;
  flags?: string;
  match?: CheckMatch;
  /** checklist_complete / plan_complete_tag. */
  items?: { total: number; done: number; open: number; manual: number; blocked: number };
  percent?: number;
  /** The first open items (at most 20). */
  openItems?: ChecklistItemExcerpt[];
  /** plan_complete_tag: the last line-anchored tag and its summary. */
  tag?: { line: number; summary: string };
  /** git_changed. */
  paths?: string[];
  changedCount?: number;
  /** At most 50 entries. */
  changedFiles?: { file: string; status: string }[];
  /** Changed files under `paths` (at most 50). */
  matchedFiles?: string[];
  /** command. */
  command?: string;
  timeoutSeconds?: number;
  exitCode?: number | null;
  timedOut?: boolean;
  /** The last ≤ `evidenceMaxBytes` (UTF-8) of stdout+stderr. */
  outputTail?: string;
  /** Size of the whole output in UTF-8 bytes. */
  outputBytes?: number;
  /** OpenCode's note when it cut the command short. */
  note?: string;
  /** json_schema. */
  parseError?: string;
  schemaErrors?: SchemaErrorExcerpt[];
  /** Ajv's one-line summary of `schemaErrors`. */
  schemaErrorsText?: string;
  /** reply_json: the final reply's length in characters and the sha256 (hex) of its UTF-8. */
  replyChars?: number;
  replySha256?: string;
  /** reply_json: fenced code blocks found in the reply. */
  blocks?: number;
  /** reply_json: the block that was read (`lang` '' for an unlabelled fence; `line` of its opening fence, 1-based). */
  block?: { line: number; lang: string; bytes: number };
}

/**
 * What a check learned about one workspace path, keyed by the workspace-relative path in
 * {@link CheckResult.files}. `sha256` is there when the content was read: the hex digest of exactly
 * what the host returned — the UTF-8 of the text (which OpenCode trims), or the decoded bytes of a
 * binary file. `file_exists` / `file_absent` only look, so they record existence and type.
 */
export interface FileEvidence {
  exists: boolean;
  type?: 'file' | 'directory';
  sha256?: string;
  /** Bytes hashed. */
  bytes?: number;
}

/** The commit the workspace's HEAD points at, read from `.git/HEAD` (and the ref or `packed-refs`). */
export interface GitHead {
  /** 40 (SHA-1) or 64 (SHA-256) lowercase hex digits. */
  commit: string;
  /** The checked-out branch (`main`, `feature/x`; a ref outside `refs/heads/` in full); null when detached. */
  branch: string | null;
}

/**
 * The workspace's git state when the checks ran (read once per {@link ChecksEvaluation}, never per
 * check). Never an error of the evaluation: what could not be learned is null, with `reason`.
 */
export interface WorkspaceGitEvidence {
  /** null when HEAD could not be learned: not a git repository, no commit yet, `.git` out of reach … (see `reason`). */
  head: GitHead | null;
  /**
   * `/vcs/status` lists a change: modified, staged, deleted or untracked files (ignored ones never
   * count), under the workspace directory. null when unknown (not a git repository, host error).
   */
  dirty: boolean | null;
  /** Files `/vcs/status` listed (when `dirty` is known). */
  changedCount?: number;
  /** Their paths as the host gives them (relative to the git worktree), sorted, at most 50. */
  changedFiles?: string[];
  /** Why `head` (or `dirty`) is null. */
  reason?: string;
  /** ISO time the state was read (the start of the evaluation). */
  readAt: string;
}

export interface CheckResult {
  /** Position in the task's check list. */
  index: number;
  kind: CheckKind;
  name?: string;
  status: CheckStatus;
  /** `status === 'pass'`. */
  passed: boolean;
  /** One human sentence: what was found. */
  summary: string;
  evidence: CheckEvidence;
  /** Why the check could not be evaluated (status `error` only). */
  error?: string;
  durationMs: number;
  /**
   * Every workspace path the check looked at or read, with the sha256 of the content it judged (see
   * {@link FileEvidence}); absent for kinds that read no file (`git_changed`, `command`, `reply_json`).
   */
  files?: Record<string, FileEvidence>;
  /** reply_json, when it passed: the validated JSON value (the task's structured `result`). */
  result?: unknown;
}

export interface ChecksEvaluation {
  results: CheckResult[];
  /** Every check passed. NOTE: true for an empty list — the harness applies the weak default itself. */
  allPassed: boolean;
  /** `pass` when all passed, `error` when any could not be evaluated, else `fail`. */
  status: CheckStatus;
  counts: { total: number; passed: number; failed: number; errored: number };
  startedAt: string;
  durationMs: number;
  /**
   * HEAD and dirty state of the workspace at the start of the evaluation. Always set by
   * `evaluateChecks` (optional only for verdicts the harness builds itself).
   */
  git?: WorkspaceGitEvidence;
  /**
   * The value of the first `reply_json` check that passed (each reads the same block of the same
   * reply), for the harness to store as the task's `result`; absent when none passed.
   */
  result?: unknown;
}

// ---- the port --------------------------------------------------------------------------------

/**
 * The part of `OpencodeClient` the evaluators use (an `OpencodeClient` built with `directory` is
 * one). `directory` is the workspace: absolute, on the host.
 */
export interface ChecksHost {
  readonly directory?: string;
  /** The entry for a workspace-relative path, or undefined when nothing is there. */
  stat(path: string): Promise<{ type: 'file' | 'directory' } | undefined>;
  /** Trimmed text (or base64 for binary); a missing file reads as `""`, so stat first. */
  readFile(path: string): Promise<{ type: 'text' | 'binary'; content: string; encoding?: string }>;
  /**
   * Changed files (untracked included, ignored excluded) under the workspace; OpenCode gives the paths
   * relative to the git worktree, which is the workspace unless the workspace is a subdirectory of it.
   */
  vcsStatus(): Promise<{ file: string; status: string }[]>;
  /**
   * `GET /path`: the git worktree OpenCode found for the directory (`/` when there is none) and the
   * directory itself (symlinks resolved). Optional: used only to explain why HEAD could not be read.
   */
  paths?(): Promise<{ worktree: string; directory: string }>;
  runCommand(
    sessionId: string,
    command: string,
    options?: { timeoutMs?: number; agent?: string; model?: string },
  ): Promise<{ exitCode: number | null; output: string; timedOut: boolean; note?: string }>;
}

export interface CheckContext {
  host: ChecksHost;
  /**
   * The session `command` checks run in, created lazily (called at most once per evaluateChecks).
   * `/shell` answers 409 while that session is busy, adds a user and an assistant message to it, and
   * a timeout aborts it: a dedicated checks session is the safer choice while a turn may be running.
   */
  session?: () => Promise<string>;
  /** Team policy; false turns every `command` check into an `error`. Default true. */
  allowCommands?: boolean;
  /** Agent and model for `/shell` (OpenCode requires an agent; default `build`). */
  commandAgent?: string;
  commandModel?: string;
  /** Per regular-expression / schema-validation budget (guards the worker against catastrophic patterns). Default 1000. */
  patternTimeoutMs?: number;
  /**
   * Bound, in UTF-8 bytes, of every excerpt of the workspace (or of a command's output) stored as
   * evidence or quoted in a summary: file heads, matched lines and texts, open items, the plan tag's
   * summary, output tails, JSON parse and schema error texts. 0 keeps none. Default
   * {@link EVIDENCE_MAX_BYTES} (1024). The check's own pattern and command are not excerpts.
   */
  evidenceMaxBytes?: number;
  /**
   * The agent's final reply (the text of the last assistant message of the turn), for `reply_json`.
   * Called lazily, at most once per evaluation; `undefined` means the agent gave no text reply.
   * Without it, `reply_json` checks are `error` ("no reply to read").
   */
  finalReply?: () => Promise<string | undefined>;
}
