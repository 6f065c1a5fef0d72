// The busy periods of sessions: at most one run (a scripted turn or a `/shell` command) per
// session. Also what a Turn needs from the host (TurnHost), wired to the host's parts.
import { EventHub } from './event-hub';
import { PermissionDesk } from './permission-desk';
import { QuestionDesk } from './question-desk';
import { ScriptRegistry } from './script-registry';
import { SessionStore } from './session-store';
import { BusyStatus, MessageRecord, SessionRecord, settleWithin } from './state';
import { ToolProcesses } from './tool-processes';
import { Ask, PermissionAnswer, PermissionFields, ResolvedTurnOptions, Run, RunOutcome, Turn, TurnHost } from './turn';
import type { FakeOpencodeOptions, FakePermissionAction, FakePromptContext, FakeQuestion, FakeStep } from './types';

export interface SessionRunsParts {
  hub: EventHub;
  sessions: SessionStore;
  scripts: ScriptRegistry;
  permissions: PermissionDesk;
  questions: QuestionDesk;
  processes: ToolProcesses;
}

/** The turn settings of the host options, defaults filled in. */
export function resolveTurnOptions(options: FakeOpencodeOptions): ResolvedTurnOptions {
  return {
    tokens: options.tokens ?? { input: 120, output: 12 },
    cost: options.cost,
    stepDelayMs: options.stepDelayMs ?? 0,
    generatedTitle: options.generatedTitle === undefined ? 'Fake session title' : options.generatedTitle,
  };
}

export class SessionRuns implements TurnHost {
  private readonly runs = new Map<string, Run>();
  private callCounter = 0;

  constructor(
    private readonly parts: SessionRunsParts,
    readonly turnOptions: ResolvedTurnOptions,
  ) {}

  get(sessionID: string): Run | undefined {
    return this.runs.get(sessionID);
  }

  has(sessionID: string): boolean {
    return this.runs.has(sessionID);
  }

  /**
   * A new user message: a running turn picks it up between steps, a running shell command is
   * waited for, otherwise a turn starts now. Returns the run that will answer it.
   */
  prompt(s: SessionRecord, user: MessageRecord): Run {
    const current = this.runs.get(s.id);
    if (current && current.kind === 'turn' && !current.finished) {
      current.queue.push(user);
      return current;
    }
    if (current && current.kind === 'shell') {
      const run = new Run('turn');
      run.done = current.done.then(() => this.startTurn(s, user, run).done);
      return run;
    }
    return this.startTurn(s, user);
  }

  /** Marks the session busy with `run` (a shell command); give it back with {@link release}. */
  claim(sessionID: string, run: Run): void {
    this.runs.set(sessionID, run);
  }

  release(sessionID: string, run: Run): void {
    if (this.runs.get(sessionID) === run) this.runs.delete(sessionID);
  }

  /** Aborts every run and waits (at most 2 s) for them to settle (stop()). */
  async abortAll(): Promise<void> {
    const runs = [...this.runs.values()];
    for (const run of runs) run.controller.abort();
    await settleWithin(Promise.allSettled(runs.map((r) => r.done)), 2_000);
  }

  private startTurn(s: SessionRecord, user: MessageRecord, run = new Run('turn')): Run {
    this.runs.set(s.id, run);
    run.done = new Turn(this, s, run, user)
      .execute()
      .catch((): RunOutcome => 'error')
      .finally(() => this.release(s.id, run));
    return run;
  }

  // ---- TurnHost ----------------------------------------------------------------------------------

  emitEvent(directory: string, type: string, properties: Record<string, unknown>): void {
    this.parts.hub.emit(directory, type, properties);
  }

  setStatus(session: SessionRecord, status: BusyStatus | { type: 'idle' }): void {
    this.parts.sessions.setStatus(session, status);
  }

  resolveScript(ctx: FakePromptContext): FakeStep[] {
    return this.parts.scripts.resolve(ctx);
  }

  permissionAction(session: SessionRecord, permission: string, patterns: string[]): FakePermissionAction {
    return this.parts.permissions.action(session, permission, patterns);
  }

  askPermission(session: SessionRecord, fields: PermissionFields, late: () => void): Ask<PermissionAnswer> {
    return this.parts.permissions.ask(session, fields, late);
  }

  askQuestion(
    session: SessionRecord,
    questions: FakeQuestion[],
    tool: { messageID: string; callID: string },
  ): Ask<string[][] | null> {
    return this.parts.questions.ask(session, questions, tool);
  }

  exec(command: string, cwd: string, onOutput: (chunk: string) => void, signal?: AbortSignal): Promise<number | null> {
    return this.parts.processes.exec(command, cwd, onOutput, signal);
  }

  trackCommand(command: string): () => void {
    return this.parts.processes.track(command);
  }

  nextCallID(): string {
    return `call_fake_${++this.callCounter}`;
  }
}
