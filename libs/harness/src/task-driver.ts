import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '@heddle/common';
import { AppConfig } from '@heddle/config';
import { Task } from '@heddle/db';
import { HostClients } from '@heddle/hosts';
import { TaskChangedError, isFinished } from '@heddle/tasks';
import { readBudgets } from './budgets';
import { Command, PromptReason, Snapshot, decide } from './decide';
import { DispatchStep } from './dispatch-step';
import { HarnessRepository } from './harness.repository';
import { readState } from './harness-state';
import { SessionLook } from './session-look';
import { StepContext, checksOf } from './step-context';
import { NextStep, TaskEndings, describeError, json } from './task-endings';
import { TurnRunner } from './turn-runner';
import { UserActions } from './user-actions';
import { Verification } from './verification';

export type { NextStep } from './task-endings';

/** Failed steps in a row (not counting host trouble) before a task fails `harness.error`. */
const MAX_STEP_ERRORS = 5;
/** Commands one step may carry out (observe → end the turn → verify → next turn is four). */
const MAX_COMMANDS = 8;
/** An executor's answer that the step goes on: decide again with what it learned. */
const CONTINUE = Symbol('continue');
type Outcome = NextStep | typeof CONTINUE;

/**
 * Takes one task one step further: gathers what the step knows (Postgres, then the host), asks the
 * pure `decide` what to do, does it, and asks again until a command ends the step. Every write is
 * conditional on the task's version, so a step can be repeated, interrupted or raced by a user
 * action and still do the right thing: a turn's prompt is recorded (with the message id Heddle
 * chose) before it is sent, and only sent again after a look at the session shows it never arrived.
 */
@Injectable()
export class TaskDriver {
  private readonly logger = new Logger(TaskDriver.name);

  constructor(
    private readonly repo: HarnessRepository,
    private readonly clients: HostClients,
    private readonly endings: TaskEndings,
    private readonly dispatcher: DispatchStep,
    private readonly turns: TurnRunner,
    private readonly look: SessionLook,
    private readonly verification: Verification,
    private readonly actions: UserActions,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  async advance(task: Task): Promise<NextStep> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const next = await this.step(task);
        if (readState(task.harnessState).stepErrors) await this.clearStepErrors(task.teamId, task.id);
        return next;
      } catch (err) {
        if (!(err instanceof TaskChangedError)) return this.stepFailed(task.teamId, task.id, err);
        const fresh = await this.repo.find(task.teamId, task.id);
        if (!fresh) return null;
        task = fresh;
      }
    }
    return this.config.harnessPollMs;
  }

  private async step(task: Task): Promise<NextStep> {
    const ctx: StepContext = { task, host: null, client: null, turn: null, followUps: { queued: 0, readyAtMs: null } };
    if (task.hostId) {
      ctx.host = await this.repo.host(task.teamId, task.hostId);
      if (ctx.host) ctx.client = this.clients.forHost(ctx.host, task.workspace);
    }
    if (task.currentTurn > 0 && ['running', 'verifying', 'paused'].includes(task.status)) {
      ctx.turn = await this.repo.turn(task.teamId, task.id, task.currentTurn);
    }
    for (let i = 0; i < MAX_COMMANDS; i++) {
      const command = decide(this.snapshot(ctx));
      const outcome = await this.exec(ctx, command);
      if (outcome !== CONTINUE) return outcome;
    }
    this.logger.warn(`step of task ${task.id} took ${MAX_COMMANDS} commands without ending; looking again later`);
    return this.config.harnessPollMs;
  }

  /** What `decide` sees: the facts of the step so far. */
  private snapshot(ctx: StepContext): Snapshot {
    const { task, turn } = ctx;
    const state = readState(task.harnessState);
    const running = turn && ctx.obs && turn.outcome === 'sent' ? { turn, obs: ctx.obs } : null;
    return {
      task: {
        status: task.status as Snapshot['task']['status'],
        pendingAction: task.pendingAction as Snapshot['task']['pendingAction'],
        mode: task.mode === 'plan' ? 'plan' : 'single',
        hasSession: task.sessionId !== null,
        checks: checksOf(task).length,
        checkIntervalSeconds: task.checkIntervalSeconds,
        budgets: readBudgets(task.budgets),
        use: this.turns.use(task, state, running),
        replyRepairs: state.replyRepairs ?? 0,
        lastCheckAtMs: state.lastCheckAt ? Date.parse(state.lastCheckAt) : 0,
      },
      hostMissing: ctx.host === null,
      turn: turn
        ? {
            number: turn.number,
            outcome: turn.outcome,
            error: turn.error,
            sentAtMs: (turn.sentAt ?? turn.startedAt).getTime(),
          }
        : null,
      ...(ctx.session ? { session: ctx.session } : {}),
      ...(ctx.stale ? { stale: ctx.stale.decision } : {}),
      ...(ctx.staleAtMs !== undefined ? { staleAtMs: ctx.staleAtMs } : {}),
      ...(ctx.watched ? { watched: true } : {}),
      followUps: ctx.followUps,
      ...(ctx.verdict ? { verdict: ctx.verdict } : {}),
      ...(ctx.verified ? { verified: true } : {}),
      nowMs: this.clock.now().getTime(),
      config: {
        pollMs: this.config.harnessPollMs,
        turnStartGraceMs: this.config.harnessTurnStartGraceMs,
        watchedPollMs: Math.max(this.config.harnessPollMs, this.config.harnessWatchedPollMs),
      },
    };
  }

  /** Carries out one command: its I/O, and the one transition it names. */
  private async exec(ctx: StepContext, command: Command): Promise<Outcome> {
    switch (command.do) {
      case 'stop':
        return null;
      case 'wait':
        return command.ms;
      case 'recheck':
        return this.actions.recheck(ctx);
      case 'cleanup':
        return this.actions.cleanup(ctx);
      case 'takeover': {
        const ended = await this.actions.takeover(ctx);
        return ended !== undefined ? ended : this.exec(ctx, command.then);
      }
      case 'requeue_takeover':
        return this.actions.requeueTakeover(ctx);
      case 'requeue_resumed':
        await this.actions.requeueResumed(ctx);
        return CONTINUE;
      case 'dispatch': {
        const dispatched = await this.dispatcher.run(ctx);
        if (dispatched === null || typeof dispatched === 'number') return dispatched;
        return this.startTurn(ctx, { kind: 'goal' }, { sessionId: dispatched.sessionId });
      }
      case 'observe':
        return (await this.look.observe(ctx)) ?? CONTINUE;
      case 'start_turn':
        return this.startTurn(ctx, command.prompt, command);
      case 'resend':
        return this.turns.send(ctx);
      case 'end_turn':
        if (command.abort) await this.turns.abortSession(ctx.client!, ctx.turn!.sessionId);
        await this.turns.finish(ctx, command.outcome, command.error);
        return command.then ? this.exec(ctx, command.then) : CONTINUE;
      case 'fail':
        return this.endings.fail(ctx.task, command.reason, command.detail);
      case 'complete':
        return this.endings.complete(ctx.task, ctx.evaluation!, { summary: ctx.planSummary ?? null });
      case 'verify':
        return (await this.verification.afterTurn(ctx)) ?? CONTINUE;
      case 'check_mid_turn':
        await this.verification.midTurn(ctx);
        return CONTINUE;
      case 'note_busy':
        await this.look.noteBusy(ctx);
        return command.ms;
    }
  }

  /** The next turn, its prompt saying why it is sent; a refusal (budgets) is carried out instead. */
  private async startTurn(
    ctx: StepContext,
    prompt: PromptReason,
    opts: { freshBudget?: boolean; handlesResume?: boolean; sessionId?: string },
  ): Promise<Outcome> {
    if (opts.handlesResume) ctx.task = await this.endings.move(ctx.task, 'action_handled');
    let failures: string | undefined;
    if (prompt.kind === 'failing') failures = this.turns.failureText(ctx.task, ctx.evaluation!.results);
    if (prompt.kind === 'last_failures') {
      const last = await this.verification.lastFailures(ctx.task);
      failures = last ? this.turns.failureText(ctx.task, last) : undefined;
    }
    const started = await this.turns.start(ctx, prompt, {
      ...(opts.freshBudget ? { freshBudget: true } : {}),
      ...(opts.sessionId ? { sessionId: opts.sessionId } : {}),
      failing: this.turns.failingText(prompt, failures),
    });
    return started !== null && typeof started === 'object' ? this.exec(ctx, started) : started;
  }

  /**
   * A step failed with something other than the host (a bug, a secret that no longer opens, the
   * database): try again later, and after MAX_STEP_ERRORS in a row fail the task with the error,
   * rather than retrying forever without a word.
   */
  private async stepFailed(teamId: string, taskId: string, err: unknown): Promise<NextStep> {
    this.logger.error(`step of task ${taskId} failed: ${err instanceof Error ? (err.stack ?? err.message) : err}`);
    const task = await this.repo.find(teamId, taskId);
    if (!task || isFinished(task.status)) return null;
    const state = readState(task.harnessState);
    const errors = (state.stepErrors ?? 0) + 1;
    try {
      if (errors >= MAX_STEP_ERRORS) {
        return await this.endings.fail(
          task,
          'harness.error',
          `the harness failed ${errors} times in a row: ${describeError(err)}`,
        );
      }
      await this.endings.write(task, { harnessState: json({ ...state, stepErrors: errors }) }, []);
    } catch (writeErr) {
      this.logger.error(`could not record the failed step of task ${taskId}: ${describeError(writeErr)}`);
    }
    return this.config.harnessPollMs * 2 ** Math.min(errors, 4);
  }

  private async clearStepErrors(teamId: string, taskId: string): Promise<void> {
    const task = await this.repo.find(teamId, taskId);
    if (!task) return;
    await this.endings
      .write(task, { harnessState: json({ ...readState(task.harnessState), stepErrors: 0 }) }, [])
      .catch(() => undefined);
  }
}
