import { posix } from 'node:path';
import { Injectable, Logger } from '@nestjs/common';
import { describeFailures, planProgress } from '@heddle/checks';
import { Clock } from '@heddle/common';
import { AppConfig } from '@heddle/config';
import { Prisma, Task, Turn } from '@heddle/db';
import { readPermissionPolicy, sessionPermissionRuleset } from '@heddle/permissions';
import { CreateSessionInput, OpencodeClient, OpencodeNotFoundError, newOpencodeId } from '@heddle/opencode-client';
import {
  DEFAULT_PLAN_TEMPLATE,
  DEFAULT_TEMPLATE,
  TaskChangedError,
  TaskMessagesService,
  TaskPatch,
  composePrompt,
  renderPrompt,
} from '@heddle/tasks';
import { describeCheck } from '@heddle/checks';
import { BudgetUse, readBudgets } from './budgets';
import { Command, PromptReason, TurnOutcome, refuseTurn } from './decide';
import { HarnessRepository } from './harness.repository';
import { HarnessState, readState } from './harness-state';
import { HostEventWatcher } from './host-event-watcher';
import { INITIAL_STALE } from './stale-busy';
import { StepContext, checksOf } from './step-context';
import { NextStep, TaskEndings, describeError, json } from './task-endings';
import { TurnObservation, totalTokens } from './turn-observation';
import { TurnReader } from './turn-reader';

/** How long an abort may take to show as idle before the harness goes on anyway. */
const SETTLE_MS = 5000;
const STALLED_PROMPT = 'The previous turn stalled (no progress) and was aborted. Continue the work.';

/**
 * Turns: recorded (prompt and Heddle-chosen message id) before they are sent, sent, finished; the
 * session aborted when a turn is cut. Budget use is counted here too.
 */
@Injectable()
export class TurnRunner {
  private readonly logger = new Logger(TurnRunner.name);

  constructor(
    private readonly repo: HarnessRepository,
    private readonly endings: TaskEndings,
    private readonly messages: TaskMessagesService,
    private readonly reader: TurnReader,
    private readonly watcher: HostEventWatcher,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /**
   * Records the next turn (its prompt and message id) and the task `running`, then sends it. A turn
   * that would exceed the budgets is never sent: the refusal is returned instead.
   */
  async start(
    ctx: StepContext,
    reason: PromptReason,
    opts: { freshBudget?: boolean; sessionId?: string; failing?: string } = {},
  ): Promise<NextStep | Command> {
    let task = ctx.task;
    const client = ctx.client!;
    let state = readState(task.harnessState);
    const now = this.clock.now();
    if (opts.freshBudget || !state.base) state = { ...state, base: this.baseOf(task, now) };
    const refusal = refuseTurn(
      readBudgets(task.budgets),
      this.use(task, state, null),
      opts.failing !== undefined,
      task.mode as 'single' | 'plan',
    );
    if (refusal) return refusal;
    const number = task.currentTurn + 1;
    let sessionId = opts.sessionId ?? task.sessionId!;
    // A plan iteration gets a fresh session; a follow-up goes to the session that ran the last turn.
    if (task.mode === 'plan' && number > 1 && reason.kind !== 'follow_up') {
      try {
        sessionId = (await client.createSession(this.sessionInput(task, number))).id;
      } catch (err) {
        return this.endings.hostTrouble(task, ctx.host, err);
      }
    }
    if (reason.kind === 'failing' && ctx.verdict?.replyFailing) state.replyRepairs = (state.replyRepairs ?? 0) + 1;
    let prompt = this.promptFor(task, opts.failing);
    const messageId = newOpencodeId('msg', false, now.getTime());
    const previousStatus = task.status;
    const previousSessionId = task.sessionId;
    let turn!: Turn;
    task = await this.repo.transaction(async () => {
      if (reason.kind === 'follow_up') {
        // The messages and the turn that carries them, in one transaction: delivered exactly once.
        const queued = ctx.delivery?.messages ?? [];
        const delivered = await this.messages.markDelivered(
          task.teamId,
          task.id,
          queued.map((m) => m.id),
          number,
        );
        // Dropped or merged since the look (a POST at the cap): the step decides again.
        if (delivered.length === 0) throw new TaskChangedError(task.id);
        const ids = new Set(delivered.map((m) => m.id));
        prompt = composePrompt(queued.filter((m) => ids.has(m.id))); // in delivery order (lanes)
      }
      turn = await this.repo.insertTurn({
        teamId: task.teamId,
        taskId: task.id,
        number,
        sessionId,
        prompt,
        messageId,
        outcome: 'sent',
      });
      // TASK_STARTED (the first turn: the table says so) and TURN_STARTED, in that order.
      return this.endings.move(task, 'turn_started', {
        patch: {
          currentTurn: number,
          sessionId,
          stale: false,
          activity: Prisma.DbNull, // a new turn: nothing seen of it yet
          startedAt: task.startedAt ?? now,
          reason: null,
          reasonDetail: null,
          harnessState: json({ ...state, stale: { ...INITIAL_STALE }, lastCheckAt: now.toISOString() }),
        },
        data: { previousStatus },
        events: [{ type: 'TURN_STARTED', data: { turn: number, sessionId, messageId } }],
      });
    });
    ctx.task = task;
    ctx.turn = turn;
    if (sessionId !== previousSessionId) this.watcher.watchSoon();
    return this.send(ctx);
  }

  /** Sends the current turn's prompt. Re-sending the same message id cannot start a second turn. */
  async send(ctx: StepContext): Promise<NextStep> {
    const { task, turn } = ctx;
    try {
      await ctx.client!.promptAsync(turn!.sessionId, {
        text: turn!.prompt,
        messageID: turn!.messageId,
        ...(task.model ? { model: task.model } : {}),
        ...(task.agent ? { agent: task.agent } : {}),
      });
    } catch (err) {
      if (err instanceof OpencodeNotFoundError) {
        return this.endings.fail(
          task,
          'session.lost',
          `session ${turn!.sessionId} no longer exists on host ${ctx.host!.name}`,
        );
      }
      return this.endings.hostTrouble(task, ctx.host, err);
    }
    ctx.turn = await this.repo.updateTurn(turn!, { sentAt: this.clock.now() });
    return Math.min(this.config.harnessPollMs, 1000);
  }

  /** Records the current turn as over, with its totals as last observed. */
  async finish(ctx: StepContext, outcome: TurnOutcome, error?: string): Promise<void> {
    const { task, turn, obs } = ctx;
    const now = this.clock.now();
    this.reader.forget(turn!.sessionId, turn!.messageId);
    ctx.task = await this.repo.transaction(async () => {
      ctx.turn = await this.repo.updateTurn(turn!, {
        ...turnTotals(obs!),
        outcome,
        error: error ?? null,
        finishedAt: now,
        activity: json(obs!.activity),
        changedFiles: obs!.changedFiles,
      });
      const state = readState(task.harnessState);
      const patch: TaskPatch = {
        ...this.totals(task, turn!, obs!),
        claimedComplete: obs!.claimedComplete,
        activity: json(obs!.activity),
        stale: false,
        waiting: null,
        harnessState: json({ ...state, stale: { ...INITIAL_STALE } }),
      };
      return this.endings.write(task, patch, [
        {
          type: 'TURN_FINISHED',
          data: {
            turn: turn!.number,
            outcome,
            ...(error ? { error } : {}),
            tokens: json(obs!.tokens),
            costUsd: obs!.costUsd,
            durationMs: now.getTime() - turn!.startedAt.getTime(),
            claimedComplete: obs!.claimedComplete,
            changedFiles: obs!.changedFiles.length,
            activity: json(obs!.activity),
          },
        },
      ]);
    });
  }

  /** Stops the agent and rejects what it still waits on (OpenCode leaves them open after an abort). */
  async abortSession(client: OpencodeClient, sessionId: string, opts: { strict?: boolean } = {}): Promise<void> {
    try {
      await client.abort(sessionId);
      await this.settle(client, sessionId);
      // Approving one later would still run the tool.
      const [permissions, questions] = await Promise.all([client.listPermissions(), client.listQuestions()]);
      await Promise.all([
        ...permissions
          .filter((p) => p.sessionID === sessionId)
          .map((p) => client.replyPermission(p.id, 'reject').catch(() => false)),
        ...questions
          .filter((q) => q.sessionID === sessionId)
          .map((q) => client.rejectQuestion(q.id).catch(() => false)),
      ]);
    } catch (err) {
      if (opts.strict) throw err;
      this.logger.warn(`abort of session ${sessionId} failed: ${describeError(err)}`);
    }
  }

  /**
   * Waits (briefly) for an aborted session to report idle: a prompt sent while the aborted loop is
   * still winding down is stored but never answered.
   */
  private async settle(client: OpencodeClient, sessionId: string): Promise<void> {
    const deadline = Date.now() + SETTLE_MS;
    while (Date.now() < deadline) {
      if ((await client.sessionStatus(sessionId)).type === 'idle') return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Task totals = everything before this turn + this turn as observed now. */
  totals(task: Task, turn: Turn, obs: TurnObservation): Prisma.TaskUpdateManyMutationInput {
    return {
      tokensInput: task.tokensInput - turn.tokensInput + obs.tokens.input,
      tokensOutput: task.tokensOutput - turn.tokensOutput + obs.tokens.output,
      tokensReasoning: task.tokensReasoning - turn.tokensReasoning + obs.tokens.reasoning,
      tokensCacheRead: task.tokensCacheRead - turn.tokensCacheRead + obs.tokens.cacheRead,
      tokensCacheWrite: task.tokensCacheWrite - turn.tokensCacheWrite + obs.tokens.cacheWrite,
      costUsd: task.costUsd - turn.costUsd + obs.costUsd,
    };
  }

  baseOf(task: Task, now: Date) {
    return {
      turns: task.currentTurn,
      tokens: task.tokensInput + task.tokensOutput + task.tokensReasoning,
      costUsd: task.costUsd,
      at: now.toISOString(),
    };
  }

  /** Budget use since the base, including the running turn as observed now. */
  use(task: Task, state: HarnessState, running: { turn: Turn; obs: TurnObservation } | null): BudgetUse {
    const base = state.base ?? this.baseOf(task, task.startedAt ?? task.createdAt);
    let tokens = task.tokensInput + task.tokensOutput + task.tokensReasoning;
    let costUsd = task.costUsd;
    if (running) {
      // The task totals hold the running turn as last recorded; swap in what is observed now.
      const { turn, obs } = running;
      tokens += totalTokens(obs.tokens) - (turn.tokensInput + turn.tokensOutput + turn.tokensReasoning);
      costUsd += obs.costUsd - turn.costUsd;
    }
    const plan = state.plan ? planProgress(state.plan.history, 0) : null;
    return {
      turns: task.currentTurn - base.turns,
      tokens: tokens - base.tokens,
      costUsd: costUsd - base.costUsd,
      wallSeconds: (this.clock.now().getTime() - Date.parse(base.at)) / 1000,
      noProgressStreak: plan?.noProgressStreak ?? 0,
    };
  }

  /** The prompt of a turn that names what failed ({{FAILING_CHECKS}}), or the stall. */
  failingText(reason: PromptReason, failures: string | undefined): string | undefined {
    return reason.kind === 'stalled' ? STALLED_PROMPT : failures;
  }

  /** What the next turn's prompt says of the failing checks ({{FAILING_CHECKS}}). */
  failureText(task: Task, results: Parameters<typeof describeFailures>[0]): string {
    return (
      describeFailures(results, { evidenceMaxBytes: this.config.checkEvidenceMaxBytes, checks: checksOf(task) }) ||
      'The checks did not pass.'
    );
  }

  private promptFor(task: Task, failing?: string): string {
    const checks = checksOf(task);
    const template = task.promptTemplate ?? (task.mode === 'plan' ? DEFAULT_PLAN_TEMPLATE : DEFAULT_TEMPLATE);
    return renderPrompt(template, {
      goal: task.goal,
      steps: task.steps,
      checks: checks.map(describeCheck),
      failingChecks: failing,
      planFile: posix.resolve(task.workspace, task.planFile),
      workspace: task.workspace,
    });
  }

  /** A new session of the task: its title, and its permission policy as OpenCode's session ruleset. */
  sessionInput(task: Task, iteration: number): CreateSessionInput {
    const title = task.mode === 'plan' ? `heddle: ${task.name} · iteration ${iteration}` : `heddle: ${task.name}`;
    const rules = sessionRules(task);
    return rules.length ? { title, permission: rules } : { title };
  }
}

/** The task's permission policy (`permission` at create) as an OpenCode session ruleset; [] when none. */
export function sessionRules(task: Task) {
  return sessionPermissionRuleset(readPermissionPolicy(task.permissionPolicy));
}

export function turnTotals(obs: TurnObservation) {
  return {
    tokensInput: obs.tokens.input,
    tokensOutput: obs.tokens.output,
    tokensReasoning: obs.tokens.reasoning,
    tokensCacheRead: obs.tokens.cacheRead,
    tokensCacheWrite: obs.tokens.cacheWrite,
    costUsd: obs.costUsd,
  };
}
