import { performance } from 'node:perf_hooks';
import {
  CHECK_LIMITS,
  Check,
  CheckContext,
  CheckEvidence,
  CheckResult,
  CheckStatus,
  ChecksEvaluation,
  ChecksHost,
  CommandCheck,
  FileContainsCheck,
  FileEvidence,
  FileNotContainsCheck,
  GitChangedCheck,
  JsonSchemaCheck,
  ReplyJsonCheck,
} from './check.types';
import { sha256Hex } from './evidence';
import { readWorkspaceGit } from './git-state';
import { JsonSchemaError, compileJsonSchema, validateJsonSchema } from './json-schema';
import { parsePlan } from './plan';
import { extractReplyJson } from './reply-json';
import { EVIDENCE_MAX_BYTES, Pattern, excerpt, firstMatch, headBytes, lineAt, patternRegExp, tailBytes } from './text';
import { resolveWorkspacePath } from './workspace-path';

const DEFAULT_PATTERN_TIMEOUT_MS = 1000;
const MAX_LISTED = 50;
const MAX_OPEN_ITEMS = 20;

/** What a single evaluator decides (the wrapper adds kind, name, index and duration). */
interface Verdict {
  status: CheckStatus;
  summary: string;
  evidence: CheckEvidence;
  error?: string;
  /** reply_json: the validated value. */
  result?: unknown;
}

/** A check that could not be evaluated for a reason found before touching the host. */
class CheckSetupError extends Error {
  override name = 'CheckSetupError';
}

const pass = (summary: string, evidence: CheckEvidence): Verdict => ({ status: 'pass', summary, evidence });
const fail = (summary: string, evidence: CheckEvidence): Verdict => ({ status: 'fail', summary, evidence });

interface Runtime {
  ctx: CheckContext;
  workspace: string;
  patternTimeoutMs: number;
  /** Bound of every excerpt of the workspace stored as evidence (UTF-8 bytes; 0: none). */
  maxBytes: number;
  session: () => Promise<string>;
  finalReply: () => Promise<string | undefined>;
  /** What the check being evaluated looked at (one map per check). */
  files: Record<string, FileEvidence>;
}

/**
 * An excerpt of what the workspace holds (or a command printed), as stored: at most `maxChars`
 * characters when given, and never more than the configured bytes ('' when that is 0).
 */
function clip(rt: Runtime, text: string, maxChars?: number): string {
  return headBytes(maxChars === undefined ? text : excerpt(text, maxChars), rt.maxBytes);
}

/** `{[key]: clip(text)}`, or nothing at all when excerpts are off (0 bytes). */
function clipped<K extends string>(rt: Runtime, key: K, text: string): { [P in K]?: string } {
  return rt.maxBytes > 0 ? ({ [key]: clip(rt, text) } as { [P in K]?: string }) : {};
}

type Read =
  | { exists: false }
  | { exists: true; entryType: 'directory' }
  | { exists: true; entryType: 'file'; text: string; binary: boolean };

/**
 * Reads a workspace file the honest way: `stat` first (a missing file reads as ""), then the content;
 * records what was found, with the sha256 of exactly what the host returned, in `rt.files`.
 */
async function readWorkspaceFile(rt: Runtime, relative: string): Promise<Read> {
  const host: ChecksHost = rt.ctx.host;
  const entry = await host.stat(relative);
  if (!entry) {
    rt.files[relative] = { exists: false };
    return { exists: false };
  }
  if (entry.type === 'directory') {
    rt.files[relative] = { exists: true, type: 'directory' };
    return { exists: true, entryType: 'directory' };
  }
  const content = await host.readFile(relative);
  const binary = content.type === 'binary';
  const bytes =
    binary && content.encoding === 'base64'
      ? Buffer.from(content.content, 'base64')
      : Buffer.from(content.content, 'utf8');
  rt.files[relative] = { exists: true, type: 'file', sha256: sha256Hex(bytes), bytes: bytes.length };
  const text = binary ? bytes.toString('utf8') : content.content;
  return { exists: true, entryType: 'file', text, binary };
}

/** The common start of file-based verdicts: missing and directory are failures with evidence. */
async function readOrFail(
  rt: Runtime,
  path: string,
): Promise<{ read: Extract<Read, { entryType: 'file' }>; evidence: CheckEvidence } | { verdict: Verdict }> {
  const { relative } = resolveWorkspacePath(rt.workspace, path);
  const read = await readWorkspaceFile(rt, relative);
  if (!read.exists) return { verdict: fail(`${relative} does not exist`, { path: relative, exists: false }) };
  if (read.entryType === 'directory') {
    return {
      verdict: fail(`${relative} is a directory, not a file`, { path: relative, exists: true, entryType: 'directory' }),
    };
  }
  return {
    read,
    evidence: {
      path: relative,
      exists: true,
      entryType: 'file',
      chars: read.text.length,
      ...(read.binary ? { binary: true } : {}),
    },
  };
}

async function fileExists(rt: Runtime, path: string, wanted: boolean): Promise<Verdict> {
  const { relative } = resolveWorkspacePath(rt.workspace, path);
  const entry = await rt.ctx.host.stat(relative);
  rt.files[relative] = entry ? { exists: true, type: entry.type } : { exists: false };
  const evidence: CheckEvidence = { path: relative, exists: !!entry, ...(entry ? { entryType: entry.type } : {}) };
  const summary = entry ? `${relative} exists (${entry.type})` : `${relative} does not exist`;
  return !!entry === wanted ? pass(summary, evidence) : fail(summary, evidence);
}

async function filePattern(rt: Runtime, check: FileContainsCheck | FileNotContainsCheck): Promise<Verdict> {
  let re: Pattern;
  try {
    re = patternRegExp(check.pattern, check.regex === true, check.flags ?? '');
  } catch (err) {
    throw new CheckSetupError(`invalid pattern: ${(err as Error).message}`);
  }
  const r = await readOrFail(rt, check.path);
  if ('verdict' in r) return r.verdict;
  const { read } = r;
  const shown = check.regex
    ? `/${excerpt(check.pattern, 200)}/${check.flags ?? ''}`
    : JSON.stringify(excerpt(check.pattern, 200));
  const evidence: CheckEvidence = {
    ...r.evidence,
    pattern: excerpt(check.pattern, 200),
    regex: check.regex === true,
    ...(check.flags ? { flags: check.flags } : {}),
  };
  const found = firstMatch(read.text, re);
  const path = r.evidence.path!;
  if (found) {
    const { lineNumber, line } = lineAt(read.text, found.index);
    evidence.match = { lineNumber, line: clip(rt, line), text: clip(rt, found.text) };
    const summary = `${path} ${check.regex ? 'matches' : 'contains'} ${shown} at line ${lineNumber}`;
    return check.kind === 'file_contains' ? pass(summary, evidence) : fail(summary, evidence);
  }
  const summary = `${path} does not ${check.regex ? 'match' : 'contain'} ${shown}`;
  if (check.kind === 'file_not_contains') return pass(summary, evidence);
  return fail(summary, { ...evidence, ...clipped(rt, 'excerpt', read.text) });
}

async function checklistComplete(rt: Runtime, path: string): Promise<Verdict> {
  const r = await readOrFail(rt, path);
  if ('verdict' in r) return r.verdict;
  const plan = parsePlan(r.read.text);
  const open = plan.items.filter((i) => i.state === 'open');
  const evidence: CheckEvidence = {
    ...r.evidence,
    items: plan.counts,
    percent: plan.percent,
    ...(open.length
      ? { openItems: open.slice(0, MAX_OPEN_ITEMS).map((i) => ({ line: i.line, text: clip(rt, i.text, 200) })) }
      : {}),
  };
  const { total, done, manual, blocked } = plan.counts;
  const p = r.evidence.path!;
  if (total === 0) {
    return fail(`${p} has no checklist items (- [ ] / - [x])`, { ...evidence, ...clipped(rt, 'excerpt', r.read.text) });
  }
  if (open.length > 0) {
    const first = clip(rt, open[0]!.text, 120);
    return fail(
      `${p} has ${open.length} open item(s) of ${total}; first: line ${open[0]!.line}${first ? ` "${first}"` : ''}`,
      evidence,
    );
  }
  return pass(`${p}: all ${total} item(s) closed (${done} done, ${manual} manual, ${blocked} blocked)`, evidence);
}

async function planCompleteTag(rt: Runtime, path: string): Promise<Verdict> {
  const r = await readOrFail(rt, path);
  if ('verdict' in r) return r.verdict;
  const plan = parsePlan(r.read.text);
  const evidence: CheckEvidence = { ...r.evidence, items: plan.counts, percent: plan.percent };
  const p = r.evidence.path!;
  if (plan.tag) {
    evidence.tag = { line: plan.tag.line, summary: clip(rt, plan.tag.summary) };
    return pass(`${p} has <plan-complete> at line ${plan.tag.line}`, evidence);
  }
  // The end of the file: where a tag would be.
  if (rt.maxBytes > 0) evidence.excerpt = tailBytes(r.read.text, rt.maxBytes);
  return fail(`${p} has no line starting with <plan-complete>`, evidence);
}

async function gitChanged(rt: Runtime, check: GitChangedCheck): Promise<Verdict> {
  const scopes = (check.paths ?? []).map((p) => resolveWorkspacePath(rt.workspace, p, { allowRoot: true }).relative);
  const files = await rt.ctx.host.vcsStatus();
  const evidence: CheckEvidence = {
    changedCount: files.length,
    changedFiles: files.slice(0, MAX_LISTED).map((f) => ({ file: f.file, status: f.status })),
  };
  if (scopes.length === 0) {
    return files.length > 0
      ? pass(`the working tree has ${files.length} changed file(s)`, evidence)
      : fail('the working tree has no changes (or the workspace is not a git repository)', evidence);
  }
  evidence.paths = scopes;
  const under = (file: string) =>
    scopes.some((s) => s === '.' || file === s || file.startsWith(`${s}/`) || file.replace(/\/+$/, '') === s);
  const matched = files.filter((f) => under(f.file)).map((f) => f.file);
  evidence.matchedFiles = matched.slice(0, MAX_LISTED);
  const where = scopes.join(', ');
  return matched.length > 0
    ? pass(`${matched.length} changed file(s) under ${where}`, evidence)
    : fail(`no changes under ${where} (${files.length} changed file(s) elsewhere)`, evidence);
}

async function command(rt: Runtime, check: CommandCheck): Promise<Verdict> {
  if (rt.ctx.allowCommands === false) throw new CheckSetupError('command checks are not allowed for this team');
  const timeoutSeconds = check.timeoutSeconds ?? CHECK_LIMITS.defaultTimeoutSeconds;
  if (!(timeoutSeconds > 0)) throw new CheckSetupError('timeoutSeconds must be positive');
  if (typeof check.command !== 'string' || check.command.trim() === '') throw new CheckSetupError('empty command');
  const sessionId = await rt.session();
  const r = await rt.ctx.host.runCommand(sessionId, check.command, {
    timeoutMs: Math.round(timeoutSeconds * 1000),
    ...(rt.ctx.commandAgent ? { agent: rt.ctx.commandAgent } : {}),
    ...(rt.ctx.commandModel ? { model: rt.ctx.commandModel } : {}),
  });
  const evidence: CheckEvidence = {
    command: excerpt(check.command),
    timeoutSeconds,
    exitCode: r.exitCode,
    timedOut: r.timedOut,
    ...(rt.maxBytes > 0 ? { outputTail: tailBytes(r.output, rt.maxBytes) } : {}),
    outputBytes: Buffer.byteLength(r.output, 'utf8'),
    ...(r.note && rt.maxBytes > 0 ? { note: clip(rt, r.note, 300) } : {}),
  };
  const shown = excerpt(check.command.split('\n')[0]!, 120);
  if (r.timedOut) return fail(`\`${shown}\` did not finish within ${timeoutSeconds} s`, evidence);
  if (r.exitCode === 0) return pass(`\`${shown}\` exited 0`, evidence);
  if (r.exitCode === null) return fail(`\`${shown}\` was cut short (no exit code)`, evidence);
  return fail(`\`${shown}\` exited ${r.exitCode}`, evidence);
}

async function jsonSchema(rt: Runtime, check: JsonSchemaCheck): Promise<Verdict> {
  const r = await readOrFail(rt, check.path);
  if ('verdict' in r) return r.verdict;
  const p = r.evidence.path!;
  let value: unknown;
  try {
    value = JSON.parse(r.read.text);
  } catch (err) {
    // Node's message quotes the file ('Unexpected token … "{"ok": tru" is not valid JSON').
    return fail(`${p} is not valid JSON`, {
      ...r.evidence,
      ...(rt.maxBytes > 0 ? { parseError: clip(rt, (err as Error).message, 300) } : {}),
      ...clipped(rt, 'excerpt', r.read.text),
    });
  }
  let outcome;
  try {
    outcome = validateJsonSchema(check.schema, value, rt.patternTimeoutMs);
  } catch (err) {
    if (err instanceof JsonSchemaError) throw new CheckSetupError(err.message);
    throw err;
  }
  if (outcome.valid) return pass(`${p} validates against the schema`, r.evidence);
  const { errorsText, evidence } = schemaFailure(rt, outcome);
  return fail(`${p} does not validate${errorsText ? `: ${errorsText}` : ''}`, {
    ...r.evidence,
    ...evidence,
    ...clipped(rt, 'excerpt', r.read.text),
  });
}

/** Schema errors as evidence: instance paths and params name the value's own keys and values, excerpts like any other. */
function schemaFailure(
  rt: Runtime,
  outcome: ReturnType<typeof validateJsonSchema>,
): { errorsText: string; evidence: CheckEvidence } {
  const paramsBytes = Math.min(300, rt.maxBytes);
  return {
    errorsText: clip(rt, outcome.errorsText, 300),
    evidence: {
      schemaErrors: outcome.errors.map((e) => ({
        instancePath: clip(rt, e.instancePath),
        keyword: e.keyword,
        message: clip(rt, e.message),
        ...(e.params && Buffer.byteLength(JSON.stringify(e.params), 'utf8') <= paramsBytes ? { params: e.params } : {}),
      })),
      ...clipped(rt, 'schemaErrorsText', outcome.errorsText),
    },
  };
}

async function replyJson(rt: Runtime, check: ReplyJsonCheck): Promise<Verdict> {
  // A schema the check cannot use is the task's problem, not the agent's: say so before reading anything.
  try {
    compileJsonSchema(check.schema, rt.patternTimeoutMs);
  } catch (err) {
    if (err instanceof JsonSchemaError) throw new CheckSetupError(err.message);
    throw err;
  }
  const reply = await rt.finalReply();
  if (reply === undefined || reply.trim() === '') {
    return fail('the final reply is empty: no fenced JSON block', { replyChars: reply?.length ?? 0, blocks: 0 });
  }
  const found = extractReplyJson(reply);
  const evidence: CheckEvidence = {
    replyChars: reply.length,
    replySha256: sha256Hex(reply),
    blocks: found.blocks,
    ...(found.block
      ? {
          block: {
            line: found.block.line,
            lang: found.block.lang,
            bytes: Buffer.byteLength(found.block.content, 'utf8'),
          },
        }
      : {}),
  };
  if (!found.ok) {
    const at = found.block ? ` (line ${found.block.line})` : '';
    const parseError =
      found.parseError !== undefined && rt.maxBytes > 0 ? { parseError: clip(rt, found.parseError, 300) } : {};
    switch (found.problem) {
      case 'too_large':
        return fail(
          `the JSON block of the final reply${at} is ${found.bytes} bytes, over the ${CHECK_LIMITS.maxResultBytes} allowed`,
          evidence,
        );
      case 'parse_error':
        return fail(`the last \`\`\`json block of the final reply${at} is not valid JSON`, {
          ...evidence,
          ...parseError,
          ...clipped(rt, 'excerpt', found.block!.content),
        });
      case 'no_block':
        // Where a block was expected: the end of the reply (or the unlabelled block that did not parse).
        return fail(
          found.block
            ? `the final reply has no \`\`\`json block, and its last unlabelled fenced block${at} is not valid JSON`
            : `the final reply has no fenced JSON block (${found.blocks} fenced block(s) in another language)`,
          {
            ...evidence,
            ...parseError,
            ...(rt.maxBytes > 0
              ? { excerpt: found.block ? clip(rt, found.block.content) : tailBytes(reply, rt.maxBytes) }
              : {}),
          },
        );
    }
  }
  let outcome;
  try {
    outcome = validateJsonSchema(check.schema, found.value, rt.patternTimeoutMs);
  } catch (err) {
    if (err instanceof JsonSchemaError) throw new CheckSetupError(err.message);
    throw err;
  }
  const where = `the JSON block of the final reply (line ${found.block.line})`;
  if (outcome.valid) return { ...pass(`${where} validates against the schema`, evidence), result: found.value };
  const failure = schemaFailure(rt, outcome);
  return fail(`${where} does not validate${failure.errorsText ? `: ${failure.errorsText}` : ''}`, {
    ...evidence,
    ...failure.evidence,
    ...clipped(rt, 'excerpt', found.block.content),
  });
}

function dispatch(rt: Runtime, check: Check): Promise<Verdict> {
  switch (check.kind) {
    case 'file_exists':
      return fileExists(rt, check.path, true);
    case 'file_absent':
      return fileExists(rt, check.path, false);
    case 'file_contains':
    case 'file_not_contains':
      return filePattern(rt, check);
    case 'checklist_complete':
      return checklistComplete(rt, check.path);
    case 'plan_complete_tag':
      return planCompleteTag(rt, check.path);
    case 'git_changed':
      return gitChanged(rt, check);
    case 'command':
      return command(rt, check);
    case 'json_schema':
      return jsonSchema(rt, check);
    case 'reply_json':
      return replyJson(rt, check);
    default: {
      const kind = (check as { kind?: unknown }).kind;
      throw new CheckSetupError(`unknown check kind ${JSON.stringify(kind)}`);
    }
  }
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const prefix = err.name && err.name !== 'Error' ? `${err.name}: ` : '';
    return excerpt(`${prefix}${err.message}`, 500);
  }
  return excerpt(String(err), 500);
}

function runtime(ctx: CheckContext): Runtime {
  let session: Promise<string> | undefined;
  let reply: Promise<string | undefined> | undefined;
  return {
    ctx,
    workspace: ctx.host.directory ?? '',
    patternTimeoutMs: ctx.patternTimeoutMs ?? DEFAULT_PATTERN_TIMEOUT_MS,
    maxBytes: Math.max(0, Math.floor(ctx.evidenceMaxBytes ?? EVIDENCE_MAX_BYTES)),
    session: () => {
      if (!ctx.session) return Promise.reject(new CheckSetupError('no session to run the command in'));
      session ??= ctx.session();
      return session;
    },
    finalReply: () => {
      if (!ctx.finalReply) return Promise.reject(new CheckSetupError('no reply to read'));
      reply ??= ctx.finalReply();
      return reply;
    },
    files: {},
  };
}

async function evaluateWith(shared: Runtime, check: Check, index: number): Promise<CheckResult> {
  const started = performance.now();
  const rt: Runtime = { ...shared, files: {} };
  let verdict: Verdict;
  try {
    if (!rt.workspace.startsWith('/')) throw new CheckSetupError('the host client has no absolute workspace directory');
    verdict = await dispatch(rt, check);
  } catch (err) {
    const error = errorMessage(err);
    verdict = { status: 'error', summary: `could not be evaluated: ${error}`, evidence: {}, error };
  }
  return {
    index,
    kind: check.kind,
    ...(check.name !== undefined ? { name: check.name } : {}),
    status: verdict.status,
    passed: verdict.status === 'pass',
    summary: verdict.summary,
    evidence: verdict.evidence,
    ...(verdict.error !== undefined ? { error: verdict.error } : {}),
    durationMs: Math.round((performance.now() - started) * 10) / 10,
    // What was looked at stays evidence even when the check then errored (a schema timeout, a host error mid-way).
    ...(Object.keys(rt.files).length > 0 ? { files: rt.files } : {}),
    ...(verdict.status === 'pass' && 'result' in verdict ? { result: verdict.result } : {}),
  };
}

/**
 * Evaluates one check against the workspace (`ctx.host.directory`). Never throws: a check that
 * cannot be evaluated (host unreachable, path outside the workspace, invalid schema, commands not
 * allowed …) is `status: 'error'` with `error`, distinct from a real `fail`.
 */
export async function evaluateCheck(ctx: CheckContext, check: Check, index = 0): Promise<CheckResult> {
  return evaluateWith(runtime(ctx), check, index);
}

/**
 * Evaluates every check, one after another (all of them, whatever fails); `ctx.session` and
 * `ctx.finalReply` are called at most once. The workspace's git HEAD and dirty state are read once,
 * at the start (concurrently with the first check), into `git`; a passing `reply_json` check's value
 * is surfaced as `result`.
 */
export async function evaluateChecks(ctx: CheckContext, checks: readonly Check[]): Promise<ChecksEvaluation> {
  const startedAt = new Date().toISOString();
  const started = performance.now();
  const rt = runtime(ctx);
  const git = readWorkspaceGit(ctx.host);
  const results: CheckResult[] = [];
  for (let i = 0; i < checks.length; i++) results.push(await evaluateWith(rt, checks[i]!, i));
  const counts = {
    total: results.length,
    passed: results.filter((r) => r.status === 'pass').length,
    failed: results.filter((r) => r.status === 'fail').length,
    errored: results.filter((r) => r.status === 'error').length,
  };
  const allPassed = counts.passed === counts.total;
  const structured = results.find((r) => r.kind === 'reply_json' && r.status === 'pass' && 'result' in r);
  return {
    results,
    allPassed,
    status: allPassed ? 'pass' : counts.errored > 0 ? 'error' : 'fail',
    counts,
    startedAt,
    durationMs: Math.round(performance.now() - started),
    git: await git,
    ...(structured ? { result: structured.result } : {}),
  };
}
