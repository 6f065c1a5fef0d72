import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, sep } from 'node:path';
import { linePatch } from './diff';
import { newHash, newId } from './ids';
import {
  BusyStatus,
  MessageRecord,
  SessionRecord,
  abortable,
  aborted,
  delay,
  isAbortError,
  never,
  price,
  sessionInfo,
  stepTokens,
} from './state';
import type {
  FakeBashStep,
  FakeFailStep,
  FakeModelCost,
  FakePermissionAction,
  FakePromptContext,
  FakeQuestion,
  FakeRetryStep,
  FakeStep,
  FakeTokensInput,
} from './types';
import { directoryExists, resolveInside } from './workspace';

export interface ResolvedTurnOptions {
  tokens: FakeTokensInput;
  cost?: FakeModelCost;
  stepDelayMs: number;
  generatedTitle: string | null;
}

export interface PermissionFields {
  permission: string;
  patterns: string[];
  metadata: Record<string, unknown>;
  always: string[];
  tool: { messageID: string; callID: string };
}

export interface PermissionAnswer {
  reply: 'once' | 'always' | 'reject';
  message?: string;
}

/** A pending permission or question as the turn holds it. */
export interface Ask<T> {
  promise: Promise<T>;
  /** The turn stopped waiting (aborted); the request stays pending, as on the real server. */
  abandon(): void;
}

/** What a turn needs from the fake host. */
export interface TurnHost {
  readonly turnOptions: ResolvedTurnOptions;
  emitEvent(directory: string, type: string, properties: Record<string, unknown>): void;
  setStatus(session: SessionRecord, status: BusyStatus | { type: 'idle' }): void;
  resolveScript(ctx: FakePromptContext): FakeStep[];
  permissionAction(session: SessionRecord, permission: string, patterns: string[]): FakePermissionAction;
  askPermission(session: SessionRecord, fields: PermissionFields, late: () => void): Ask<PermissionAnswer>;
  askQuestion(
    session: SessionRecord,
    questions: FakeQuestion[],
    tool: { messageID: string; callID: string },
  ): Ask<string[][] | null>;
  /** Runs `sh -c command` in cwd, stdout and stderr merged; resolves the exit code (null when killed). */
  exec(command: string, cwd: string, onOutput: (chunk: string) => void, signal?: AbortSignal): Promise<number | null>;
  /** Lists a simulated command as running (see toolProcesses); returns its removal. */
  trackCommand(command: string): () => void;
  nextCallID(): string;
}

/** The busy period of one session: a turn (prompt loop) or a `/shell` command. */
export class Run {
  readonly controller = new AbortController();
  /** User messages that arrived while busy; the loop answers the latest after its current step. */
  readonly queue: MessageRecord[] = [];
  done: Promise<RunOutcome> = Promise.resolve('stop');
  /** Past its last chance to pick up a queued prompt: a new prompt must start a new run. */
  finished = false;
  constructor(readonly kind: 'turn' | 'shell') {}
}

export type RunOutcome = 'stop' | 'error' | 'aborted' | 'empty';

type LlmStep = Exclude<FakeStep, { type: 'hang' | 'fail' | 'retry' | 'wait' }>;
type ToolStep = Exclude<LlmStep, { type: 'text' }>;
type ToolState = Record<string, unknown>;

const REJECTED = 'The user rejected permission to use this specific tool call.';
const ABORTED_SUFFIX = '\n\n<shell_metadata>\nUser aborted the command\n</shell_metadata>';

function posixRelative(from: string, to: string): string {
  return relative(from, to).split(sep).join('/');
}

function bashPatterns(command: string): { patterns: string[]; always: string[] } {
  const patterns = command
    .split(/\s*(?:&&|\|\||;|\||\n)\s*/)
    .map((p) => p.trim())
    .filter(Boolean);
  const always = [...new Set(patterns.map((p) => `${p.split(/\s+/)[0]} *`))];
  return { patterns, always };
}

/**
 * One prompt loop of a session, in the event order of a real turn (opencode-api.md §5): busy, per step an
 * assistant message (step-start, tool/text parts, step-finish with tokens and cost), idle, session.idle;
 * failures and aborts with `session.error` and the double idle the real server emits.
 */
export class Turn {
  private user: MessageRecord;
  private assistant?: MessageRecord;
  private toolPart?: Record<string, any>;
  private abortState?: () => ToolState;
  private retrying = false;
  private readonly users: MessageRecord[] = [];
  private readonly before = new Map<string, Map<string, string | null>>();
  private stepFiles: string[] = [];

  constructor(
    private readonly host: TurnHost,
    private readonly session: SessionRecord,
    private readonly run: Run,
    user: MessageRecord,
  ) {
    this.user = user;
  }

  private get signal(): AbortSignal {
    return this.run.controller.signal;
  }

  private emit(type: string, properties: Record<string, unknown>): void {
    this.host.emitEvent(this.session.directory, type, properties);
  }

  async execute(): Promise<RunOutcome> {
    const s = this.session;
    this.host.setStatus(s, { type: 'busy' });
    if (!directoryExists(s.directory)) return this.emptyTurn();
    try {
      let steps = this.startUser(this.user);
      let index = 0;
      let afterTool: ToolStep | undefined;
      for (;;) {
        // A prompt that arrived meanwhile is picked up between model steps (never inside one).
        if (this.run.queue.length > 0 && !this.assistant) {
          const latest = this.run.queue[this.run.queue.length - 1];
          this.run.queue.length = 0;
          steps = this.startUser(latest);
          index = 0;
          afterTool = undefined;
        }
        let step: FakeStep | undefined = steps[index++];
        if (!step) {
          if (!afterTool) break;
          // After a tool result the model answers "done", reporting usage like the step before.
          step = { type: 'text', text: 'done', tokens: afterTool.tokens, cost: afterTool.cost };
        }
        if (step.type === 'wait') {
          this.ensureAssistant();
          if (step.until) await abortable(this.signal, step.until);
          if (step.ms) await delay(this.signal, step.ms);
          continue;
        }
        if (step.type === 'retry') {
          await this.retry(step);
          continue;
        }
        if (step.type === 'hang') {
          this.ensureAssistant();
          await abortable(this.signal, never);
          continue;
        }
        if (step.type === 'fail') {
          this.ensureAssistant();
          this.fail(step);
          return 'error';
        }
        const outcome = await this.llmStep(step);
        if (outcome === 'cut') break;
        if (step.type === 'text') {
          if (this.run.queue.length > 0) continue;
          break;
        }
        afterTool = step;
      }
      this.finishOk();
      return 'stop';
    } catch (err) {
      if (isAbortError(err)) {
        this.finishAborted();
        return 'aborted';
      }
      this.ensureAssistant();
      this.fail({ type: 'fail', name: 'UnknownError', message: err instanceof Error ? err.message : String(err) });
      return 'error';
    }
  }

  private startUser(user: MessageRecord): FakeStep[] {
    this.user = user;
    if (!this.users.includes(user)) this.users.push(user);
    const info = user.info;
    return this.host.resolveScript({
      sessionID: this.session.id,
      directory: this.session.directory,
      text: user.parts
        .filter((p) => p.type === 'text' && typeof p.text === 'string')
        .map((p) => p.text as string)
        .join('\n'),
      userMessageID: info.id,
      agent: info.agent,
      model: { providerID: info.model.providerID, modelID: info.model.modelID },
    });
  }

  private newAssistant(root: string): MessageRecord {
    const s = this.session;
    const u = this.user.info;
    const info: Record<string, any> = {
      id: newId('msg'),
      sessionID: s.id,
      role: 'assistant',
      time: { created: Date.now() },
      parentID: u.id,
      modelID: u.model.modelID,
      providerID: u.model.providerID,
      mode: u.agent,
      agent: u.agent,
      path: { cwd: s.directory, root },
      cost: 0,
      tokens: { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } },
    };
    const msg: MessageRecord = { info, parts: [] };
    s.messages.push(msg);
    this.emit('message.updated', { sessionID: s.id, info });
    return msg;
  }

  private ensureAssistant(): MessageRecord {
    if (this.assistant) return this.assistant;
    const s = this.session;
    const msg = this.newAssistant(s.worktree);
    this.assistant = msg;
    const u = this.user.info;
    s.agent = u.agent;
    s.model = { id: u.model.modelID, providerID: u.model.providerID, variant: 'default' };
    if (s.defaultTitle) {
      s.defaultTitle = false;
      if (this.host.turnOptions.generatedTitle !== null) {
        s.title = this.host.turnOptions.generatedTitle;
        this.emit('session.updated', { sessionID: s.id, info: sessionInfo(s) });
      }
    }
    s.time.updated = Date.now();
    this.emit('session.updated', { sessionID: s.id, info: sessionInfo(s) });
    this.emit('session.diff', { sessionID: s.id, diff: [] });
    u.summary ??= { diffs: [] };
    this.emit('message.updated', { sessionID: s.id, info: u });
    this.host.setStatus(s, { type: 'busy' });
    return msg;
  }

  private addPart(msg: MessageRecord, fields: Record<string, unknown>): Record<string, any> {
    const part = { id: newId('prt'), sessionID: this.session.id, messageID: msg.info.id, ...fields };
    msg.parts.push(part);
    this.emitPart(part);
    return part;
  }

  private emitPart(part: Record<string, any>): void {
    this.emit('message.part.updated', { sessionID: this.session.id, part, time: Date.now() });
  }

  private async llmStep(step: LlmStep): Promise<'continue' | 'cut'> {
    const s = this.session;
    const msg = this.ensureAssistant();
    const wait = step.delayMs ?? this.host.turnOptions.stepDelayMs;
    if (wait > 0) await delay(this.signal, wait);
    const snapshot = s.snapshot;
    this.addPart(msg, { type: 'step-start', snapshot });
    this.stepFiles = [];
    let outcome: 'continue' | 'cut' = 'continue';
    if (step.type === 'text') this.textPart(msg, step.text);
    else outcome = await this.toolCall(msg, step);
    const tokens = stepTokens(step.tokens, this.host.turnOptions.tokens);
    const cost = step.cost ?? price(tokens, this.host.turnOptions.cost);
    const reason = step.type === 'text' ? 'stop' : 'tool-calls';
    if (this.stepFiles.length > 0) s.snapshot = newHash();
    this.addPart(msg, { type: 'step-finish', reason, snapshot: s.snapshot, cost, tokens });
    msg.info.cost = cost;
    msg.info.tokens = tokens;
    msg.info.finish = reason;
    this.emit('message.updated', { sessionID: s.id, info: msg.info });
    if (this.stepFiles.length > 0)
      this.addPart(msg, { type: 'patch', hash: snapshot, files: [...new Set(this.stepFiles)] });
    msg.info.time.completed = Date.now();
    this.emit('message.updated', { sessionID: s.id, info: msg.info });
    s.cost += cost;
    s.tokens.input += tokens.input;
    s.tokens.output += tokens.output;
    s.tokens.reasoning += tokens.reasoning;
    s.tokens.cache.read += tokens.cache.read;
    s.tokens.cache.write += tokens.cache.write;
    s.time.updated = Date.now();
    this.assistant = undefined;
    this.host.setStatus(s, { type: 'busy' });
    return outcome;
  }

  private textPart(msg: MessageRecord, text: string): void {
    const part = this.addPart(msg, { type: 'text', text: '', time: { start: Date.now() } });
    this.emit('message.part.delta', {
      sessionID: this.session.id,
      messageID: msg.info.id,
      partID: part.id,
      field: 'text',
      delta: text,
    });
    part.text = text;
    part.time = { start: part.time.start, end: Date.now() };
    this.emitPart(part);
  }

  private toolInput(step: ToolStep): Record<string, unknown> {
    switch (step.type) {
      case 'write':
        return { filePath: step.path, content: step.content ?? '' };
      case 'bash':
        return step.description === undefined
          ? { command: step.command }
          : { command: step.command, description: step.description };
      case 'read':
        return { filePath: step.path };
      case 'question':
        return { questions: step.questions };
      case 'tool':
        return step.input;
    }
  }

  private permissionFor(step: ToolStep): Omit<PermissionFields, 'tool'> | undefined {
    const s = this.session;
    switch (step.type) {
      case 'write': {
        let abs: string;
        try {
          abs = resolveInside(s.directory, step.path);
        } catch {
          return undefined;
        }
        const before = existsSync(abs) ? readFileSync(abs, 'utf8') : '';
        return {
          permission: 'edit',
          patterns: [posixRelative(s.worktree, abs)],
          metadata: { filepath: abs, diff: linePatch(abs, before, step.content ?? '').patch },
          always: ['*'],
        };
      }
      case 'bash':
        return { permission: 'bash', ...bashPatterns(step.command), metadata: { command: step.command } };
      case 'read':
        return { permission: 'read', patterns: [step.path], metadata: {}, always: ['*'] };
      case 'tool':
        return { permission: step.tool, patterns: ['*'], metadata: {}, always: ['*'] };
      default:
        return undefined;
    }
  }

  private async toolCall(msg: MessageRecord, step: ToolStep): Promise<'continue' | 'cut'> {
    const s = this.session;
    const tool = step.type === 'tool' ? step.tool : step.type;
    const input = this.toolInput(step);
    const callID = this.host.nextCallID();
    const part = this.addPart(msg, { type: 'tool', tool, callID, state: { status: 'pending', input: {}, raw: '' } });
    this.toolPart = part;
    const start = Date.now();
    const set = (state: ToolState) => {
      part.state = state;
      this.emitPart(part);
    };
    const running = (extra: ToolState = {}) => set({ status: 'running', input, time: { start }, ...extra });
    const errorState = (error: string, extra: ToolState = {}): ToolState => ({
      status: 'error',
      input,
      error,
      ...extra,
      time: { start, end: Date.now() },
    });
    const done = (outcome: 'continue' | 'cut') => {
      this.toolPart = undefined;
      this.abortState = undefined;
      return outcome;
    };

    if (step.type === 'question') {
      const ask = this.host.askQuestion(s, step.questions, { messageID: msg.info.id, callID });
      running();
      this.abortState = () => errorState('Tool execution aborted', { metadata: { interrupted: true } });
      let answers: string[][] | null;
      try {
        answers = await abortable(this.signal, ask.promise);
      } catch (err) {
        ask.abandon();
        throw err;
      }
      if (answers === null) {
        set(errorState('The user dismissed this question'));
        return done('cut');
      }
      const pairs = step.questions.map((q, i) => `"${q.question}"="${(answers[i] ?? []).join(', ')}"`);
      const n = step.questions.length;
      set({
        status: 'completed',
        input,
        output: `User has answered your questions: ${pairs.join(', ')}. You can now continue with the user's answers in mind.`,
        title: `Asked ${n} question${n === 1 ? '' : 's'}`,
        metadata: { answers, truncated: false },
        time: { start, end: Date.now() },
      });
      return done('continue');
    }

    running();
    const perm = this.permissionFor(step);
    if (perm) {
      const ask = 'ask' in step && step.ask === true;
      const action = ask ? 'ask' : this.host.permissionAction(s, perm.permission, perm.patterns);
      if (action === 'deny') {
        set(
          errorState(
            `The user has specified a rule which prevents you from using this specific tool call. Here are some of the relevant rules ${JSON.stringify(
              [{ permission: perm.permission, pattern: '*', action: 'deny' }],
            )}`,
          ),
        );
        return done('continue');
      }
      if (action === 'ask') {
        this.abortState = () => errorState('Tool execution aborted', { metadata: { interrupted: true } });
        const request = this.host.askPermission(s, { ...perm, tool: { messageID: msg.info.id, callID } }, () =>
          this.lateApproval(step),
        );
        let answer: PermissionAnswer;
        try {
          answer = await abortable(this.signal, request.promise);
        } catch (err) {
          request.abandon();
          throw err;
        }
        if (answer.reply === 'reject') {
          if (answer.message) {
            set(errorState(`${REJECTED.slice(0, -1)} with the following feedback: ${answer.message}`));
            return done('continue');
          }
          set(errorState(REJECTED));
          return done('cut');
        }
      }
    }

    switch (step.type) {
      case 'write':
        set(this.write(step.path, step.content ?? '', input, start));
        break;
      case 'read':
        set(this.read(step.path, input, start));
        break;
      case 'bash':
        set(await this.bash(step, input, start, running));
        break;
      case 'tool':
        set(
          step.error !== undefined
            ? errorState(step.error)
            : {
                status: 'completed',
                input,
                output: step.output ?? '',
                title: step.title ?? '',
                metadata: step.metadata ?? {},
                time: { start, end: Date.now() },
              },
        );
        break;
    }
    return done('continue');
  }

  private rememberBefore(abs: string, before: string | null): void {
    let files = this.before.get(this.user.info.id);
    if (!files) {
      files = new Map();
      this.before.set(this.user.info.id, files);
    }
    if (!files.has(abs)) files.set(abs, before);
  }

  private writeFile(abs: string, content: string): boolean {
    const existed = existsSync(abs);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, content);
    this.emit('file.edited', { file: abs });
    this.emit('file.watcher.updated', { file: abs, event: existed ? 'change' : 'add' });
    return existed;
  }

  private write(path: string, content: string, input: ToolState, start: number): ToolState {
    const s = this.session;
    let abs: string;
    try {
      abs = resolveInside(s.directory, path);
    } catch {
      return { status: 'error', input, error: `Path escapes the workspace: ${path}`, time: { start, end: Date.now() } };
    }
    this.rememberBefore(abs, existsSync(abs) ? readFileSync(abs, 'utf8') : null);
    const existed = this.writeFile(abs, content);
    this.stepFiles.push(abs);
    return {
      status: 'completed',
      input,
      output: 'Wrote file successfully.',
      title: posixRelative(s.worktree, abs),
      metadata: { diagnostics: {}, filepath: abs, exists: existed, truncated: false },
      time: { start, end: Date.now() },
    };
  }

  private read(path: string, input: ToolState, start: number): ToolState {
    const s = this.session;
    try {
      const abs = resolveInside(s.directory, path);
      const content = readFileSync(abs, 'utf8');
      return {
        status: 'completed',
        input,
        output: content,
        title: posixRelative(s.worktree, abs),
        metadata: { preview: content.split('\n').slice(0, 20).join('\n'), truncated: false },
        time: { start, end: Date.now() },
      };
    } catch {
      return { status: 'error', input, error: `File not found: ${path}`, time: { start, end: Date.now() } };
    }
  }

  private async bash(
    step: FakeBashStep,
    input: ToolState,
    start: number,
    running: (extra?: ToolState) => void,
  ): Promise<ToolState> {
    let output = '';
    const completed = (exit: number | null, text: string): ToolState => ({
      status: 'completed',
      input,
      output: text,
      title: step.command,
      metadata: { output: text, exit, truncated: false },
      time: { start, end: Date.now() },
    });
    running({ metadata: { output: '' } });
    this.abortState = () => {
      const text = (output === '' ? '(no output)' : output) + ABORTED_SUFFIX;
      return completed(null, text);
    };
    if (step.hang) {
      const untrack = this.host.trackCommand(step.command);
      try {
        await abortable(this.signal, never);
      } finally {
        untrack();
      }
    }
    if (step.output !== undefined) {
      output = step.output;
      running({ metadata: { output } });
      return completed(step.exit ?? 0, output);
    }
    let updates = 0;
    const exit = await abortable(
      this.signal,
      this.host.exec(
        step.command,
        this.session.directory,
        (chunk) => {
          output += chunk;
          if (updates++ < 50) running({ metadata: { output } });
        },
        this.signal,
      ),
    );
    return completed(exit, output);
  }

  /** A permission approved after the turn was aborted still runs its tool (pitfall 5 of the API doc). */
  private lateApproval(step: ToolStep): void {
    const s = this.session;
    try {
      if (step.type === 'write') this.writeFile(resolveInside(s.directory, step.path), step.content ?? '');
      else if (step.type === 'bash' && !step.hang && step.output === undefined) {
        void this.host.exec(step.command, s.directory, () => undefined);
      }
    } catch {
      // the real tool would fail the same way; nobody is listening any more
    }
  }

  private async retry(step: FakeRetryStep): Promise<void> {
    this.ensureAssistant();
    this.retrying = true;
    const attempts = step.attempts ?? 1;
    const interval = step.intervalMs ?? 50;
    const message = step.message ?? 'Cannot connect to API: Unable to connect. Is the computer able to access the url?';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      this.host.setStatus(this.session, { type: 'retry', attempt, message, next: Date.now() + interval });
      await delay(this.signal, interval);
      this.host.setStatus(this.session, { type: 'busy' });
    }
    this.retrying = false;
  }

  private idle(): void {
    this.host.setStatus(this.session, { type: 'idle' });
    this.emit('session.idle', { sessionID: this.session.id });
  }

  private summaryDiffs(user: MessageRecord): Record<string, unknown>[] {
    const files = this.before.get(user.info.id);
    if (!files) return [];
    const diffs: Record<string, unknown>[] = [];
    for (const [abs, before] of files) {
      const after = existsSync(abs) ? readFileSync(abs, 'utf8') : null;
      if (after === before) continue;
      const file = posixRelative(this.session.directory, abs);
      const d = linePatch(file, before ?? '', after ?? '', '');
      diffs.push({
        file,
        patch: d.patch,
        additions: d.additions,
        deletions: d.deletions,
        status: before === null ? 'added' : after === null ? 'deleted' : 'modified',
      });
    }
    return diffs;
  }

  private finishOk(): void {
    const s = this.session;
    this.run.finished = true;
    this.idle();
    for (const user of this.users) user.info.summary = { diffs: this.summaryDiffs(user) };
    s.summary = { additions: 0, deletions: 0, files: 0 };
    s.time.updated = Date.now();
    this.emit('session.updated', { sessionID: s.id, info: sessionInfo(s) });
    this.emit('session.diff', { sessionID: s.id, diff: [] });
    this.emit('message.updated', { sessionID: s.id, info: this.user.info });
  }

  private finishAborted(): void {
    const s = this.session;
    this.run.finished = true;
    if (!this.retrying) this.emit('session.error', { sessionID: s.id, error: aborted() });
    this.idle();
    if (this.toolPart && this.abortState) {
      this.toolPart.state = this.abortState();
      this.emitPart(this.toolPart);
    }
    const a = this.assistant;
    if (a) {
      if (!this.retrying) a.info.error = aborted();
      a.info.time.completed = Date.now();
      this.emit('message.updated', { sessionID: s.id, info: a.info });
    }
    this.idle();
  }

  private fail(step: FakeFailStep): void {
    const s = this.session;
    this.run.finished = true;
    const message = step.message ?? 'fake failure';
    const error =
      step.name === 'UnknownError'
        ? { name: 'UnknownError', data: { message } }
        : step.name === 'ProviderAuthError'
          ? { name: 'ProviderAuthError', data: { providerID: this.user.info.model.providerID, message } }
          : {
              name: 'APIError',
              data: {
                message,
                statusCode: step.statusCode ?? 400,
                isRetryable: step.isRetryable ?? false,
                responseHeaders: { 'content-type': 'application/json' },
                responseBody: JSON.stringify({ error: { message, type: 'invalid_request_error' } }),
                metadata: { url: 'http://127.0.0.1/v1/chat/completions' },
              },
            };
    this.emit('session.error', { sessionID: s.id, error });
    this.idle();
    const a = this.assistant;
    if (a) {
      a.info.error = error;
      a.info.time.completed = Date.now();
      this.emit('message.updated', { sessionID: s.id, info: a.info });
    }
    this.idle();
  }

  /** A prompt in a directory that doesn't exist: an empty assistant message, no model call. */
  private emptyTurn(): RunOutcome {
    this.run.finished = true;
    this.newAssistant('/');
    this.idle();
    return 'empty';
  }
}
