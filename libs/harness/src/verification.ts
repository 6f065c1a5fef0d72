import { Injectable } from '@nestjs/common';
import {
  Check,
  CheckResult,
  ChecksEvaluation,
  evaluateChecks,
  itemsClosed,
  parsePlan,
  planProgress,
} from '@heddle/checks';
import { Clock } from '@heddle/common';
import { AppConfig } from '@heddle/config';
import { Task, Turn } from '@heddle/db';
import { OpencodeClient, OpencodeNotFoundError } from '@heddle/opencode-client';
import { HarnessRepository } from './harness.repository';
import { HarnessState, readState } from './harness-state';
import { StepContext, checksOf } from './step-context';
import { NextStep, TaskEndings, json } from './task-endings';
import { TurnObservation } from './turn-observation';

/**
 * Judging the workspace: the checks after a turn and while it runs, the weak verdict when a task has
 * none, the plan file in plan mode. Every evaluation is recorded (a check run and CHECK_RESULT);
 * what it means for the task is `decide`'s.
 */
@Injectable()
export class Verification {
  constructor(
    private readonly repo: HarnessRepository,
    private readonly endings: TaskEndings,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /** The turn is over: move to verifying, then judge — the checks (single) or the plan file (plan). */
  async afterTurn(ctx: StepContext): Promise<NextStep | undefined> {
    if (ctx.task.status === 'running') {
      ctx.task = await this.endings.move(ctx.task, 'turn_ended', {
        data: { previousStatus: 'running', turn: ctx.turn!.number },
      });
    }
    ctx.verified = true;
    if (ctx.task.mode === 'plan') return this.afterIteration(ctx);
    const task = ctx.task;
    const state = readState(task.harnessState);
    const checks = checksOf(task);
    const evaluation =
      checks.length > 0
        ? await this.evaluate(task, ctx.client!, state, checks, ctx.obs?.lastText)
        : { result: await this.weakVerdict(task, ctx.turn!, ctx.obs) };
    if (evaluation.checkSessionId) state.checkSessionId = evaluation.checkSessionId;
    ctx.task = await this.record(task, ctx.turn!.number, evaluation.result, {}, state);
    this.found(ctx, evaluation.result);
    return undefined;
  }

  /** Checks while the agent works (checkIntervalSeconds). */
  async midTurn(ctx: StepContext): Promise<void> {
    const now = this.clock.now();
    const state: HarnessState = {
      ...readState(ctx.task.harnessState),
      ...(ctx.stale ? { stale: ctx.stale.state } : {}),
      lastCheckAt: now.toISOString(),
    };
    const evaluation = await this.evaluate(ctx.task, ctx.client!, state, checksOf(ctx.task), ctx.obs?.lastText);
    if (evaluation.checkSessionId) state.checkSessionId = evaluation.checkSessionId;
    ctx.task = await this.record(ctx.task, ctx.turn!.number, evaluation.result, { midTurn: true }, state);
    ctx.verified = true;
    this.found(ctx, evaluation.result);
  }

  /** Plan mode: re-read the plan (progress, ETA); when it says complete, the checks decide. */
  private async afterIteration(ctx: StepContext): Promise<NextStep | undefined> {
    let task = ctx.task;
    const turn = ctx.turn!;
    const client = ctx.client!;
    const state = readState(task.harnessState);
    let text = '';
    try {
      const entry = await client.stat(task.planFile);
      if (entry && entry.type === 'file') text = (await client.readFile(task.planFile)).content;
    } catch (err) {
      return this.endings.hostTrouble(task, ctx.host, err);
    }
    const plan = parsePlan(text);
    const plans = state.plan ?? { history: [] };
    const iterationMs = (turn.finishedAt ?? this.clock.now()).getTime() - turn.startedAt.getTime();
    const closed = plans.counts ? itemsClosed({ counts: plans.counts }, plan) : plan.counts.total - plan.counts.open;
    const history = [
      ...plans.history,
      { durationMs: iterationMs, closed, tokens: turn.tokensInput + turn.tokensOutput + turn.tokensReasoning },
    ];
    const progress = planProgress(history, plan);
    const view = {
      mode: 'plan',
      percent: plan.percent,
      done: plan.counts.done,
      total: plan.counts.total,
      manual: plan.counts.manual,
      blocked: plan.counts.blocked,
      open: plan.counts.open,
      currentItem: plan.current?.text ?? null,
      iterations: progress.iterations,
      lastIterationMs: progress.lastMs,
      averageIterationMs: progress.averageMs,
      etaMs: progress.etaMs,
      noProgressStreak: progress.noProgressStreak,
    };
    const nextState: HarnessState = { ...state, plan: { history, counts: plan.counts } };
    task = await this.endings.write(task, { progress: json(view), harnessState: json(nextState) }, [
      { type: 'TASK_UPDATED', data: { iteration: turn.number, progress: json(view) } },
    ]);
    ctx.task = task;
    if (!plan.complete || plan.completeReason === 'empty') {
      ctx.verdict = { allPassed: false, replyFailing: false, planComplete: false };
      return undefined;
    }
    ctx.planSummary = plan.tag?.summary ?? null;
    const checks = checksOf(task);
    if (checks.length === 0) {
      const result = planResult(plan.completeReason ?? 'no_open_items', ctx.planSummary);
      ctx.task = await this.record(task, turn.number, result, {}, nextState);
      this.found(ctx, result, { planComplete: true, planOnly: true });
      return undefined;
    }
    const evaluation = await this.evaluate(task, client, nextState, checks);
    if (evaluation.checkSessionId) nextState.checkSessionId = evaluation.checkSessionId;
    ctx.task = await this.record(task, turn.number, evaluation.result, {}, nextState);
    this.found(ctx, evaluation.result, { planComplete: true });
    return undefined;
  }

  private found(ctx: StepContext, result: ChecksEvaluation, plan: { planComplete?: boolean; planOnly?: boolean } = {}) {
    ctx.evaluation = result;
    ctx.verdict = {
      allPassed: result.allPassed,
      replyFailing: result.results.some((r) => r.kind === 'reply_json' && r.status !== 'pass'),
      ...plan,
    };
  }

  async evaluate(
    task: Task,
    client: OpencodeClient,
    state: HarnessState,
    checks: Check[],
    /** The agent's last reply, for `reply_json` checks (none: they are an error). */
    reply?: string | null,
  ): Promise<{ result: ChecksEvaluation; checkSessionId?: string }> {
    let checkSessionId = state.checkSessionId;
    const result = await evaluateChecks(
      {
        host: client,
        session: async () => {
          if (checkSessionId) {
            try {
              await client.getSession(checkSessionId);
              return checkSessionId;
            } catch (err) {
              if (!(err instanceof OpencodeNotFoundError)) throw err;
            }
          }
          checkSessionId = (await client.createSession({ title: `heddle checks: ${task.name}` })).id;
          return checkSessionId;
        },
        finalReply: async () => reply ?? undefined,
        commandAgent: task.agent ?? undefined,
        commandModel: task.model ?? undefined,
        // The team's policy now, not when the task was made: turning it off stops pending command checks.
        allowCommands: await this.allowCommandChecks(task.teamId),
        evidenceMaxBytes: this.config.checkEvidenceMaxBytes,
      },
      checks,
    );
    return { result, ...(checkSessionId ? { checkSessionId } : {}) };
  }

  /** No checks: idle without error and the working tree changed (OpenCode's patch parts). */
  private async weakVerdict(task: Task, turn: Turn, obs: TurnObservation | undefined): Promise<ChecksEvaluation> {
    const earlier = await this.repo.changedFilesBefore(task.teamId, task.id, turn.number);
    const changed = [...new Set([...earlier, ...(obs?.changedFiles ?? []), ...turn.changedFiles])];
    const passed = changed.length > 0 && turn.outcome !== 'failed';
    const result = {
      index: 0,
      kind: 'weak',
      name: 'idle without error and the working tree changed',
      status: passed ? 'pass' : 'fail',
      passed,
      summary: passed
        ? `the agent changed ${changed.length} file(s)`
        : 'the agent finished without changing any file in the workspace',
      evidence: { files: changed.slice(0, 50) },
      durationMs: 0,
    } as unknown as CheckResult;
    return {
      results: [result],
      allPassed: passed,
      status: passed ? 'pass' : 'fail',
      counts: { total: 1, passed: passed ? 1 : 0, failed: passed ? 0 : 1, errored: 0 },
      startedAt: this.clock.now().toISOString(),
      durationMs: 0,
    };
  }

  /** A check run and its CHECK_RESULT, with the harness state, in one transaction. */
  async record(
    task: Task,
    turnNumber: number,
    result: ChecksEvaluation,
    opts: { midTurn?: boolean; recheck?: { drift: boolean; changes: unknown } },
    state: HarnessState,
  ): Promise<Task> {
    return this.repo.transaction(async () => {
      await this.repo.insertCheckRun({
        teamId: task.teamId,
        taskId: task.id,
        turnNumber,
        allPassed: result.allPassed,
        results: json(result.results),
      });
      return this.endings.write(task, { harnessState: json(state) }, [
        {
          type: 'CHECK_RESULT',
          data: {
            turn: turnNumber,
            allPassed: result.allPassed,
            status: result.status,
            counts: result.counts,
            midTurn: opts.midTurn ?? false,
            ...(opts.recheck ? { recheck: true, drift: opts.recheck.drift, changes: json(opts.recheck.changes) } : {}),
            failing: result.results
              .filter((r) => r.status !== 'pass')
              .map((r) => ({ kind: r.kind, name: r.name ?? null, status: r.status, summary: r.summary })),
          },
        },
      ]);
    });
  }

  /** The results of the last check run when it did not pass (a resumed task's prompt names them). */
  async lastFailures(task: Task): Promise<CheckResult[] | undefined> {
    const run = await this.repo.latestCheckRun(task.teamId, task.id);
    if (!run || run.allPassed) return undefined;
    return run.results as unknown as CheckResult[];
  }

  private async allowCommandChecks(teamId: string): Promise<boolean> {
    const team = await this.repo.teamSettings(teamId);
    return (team?.settings as { allowCommandChecks?: unknown } | null)?.allowCommandChecks === true;
  }
}

function planResult(reason: string, summary: string | null): ChecksEvaluation {
  const result = {
    index: 0,
    kind: 'plan',
    name: 'plan complete',
    status: 'pass',
    passed: true,
    summary: reason === 'tag' ? `<plan-complete>${summary ? `: ${summary}` : ''}` : 'no open item left in the plan',
    evidence: {},
    durationMs: 0,
  } as unknown as CheckResult;
  return {
    results: [result],
    allPassed: true,
    status: 'pass',
    counts: { total: 1, passed: 1, failed: 0, errored: 0 },
    startedAt: new Date().toISOString(),
    durationMs: 0,
  };
}
