import { Injectable } from '@nestjs/common';
import { CheckResult, compareEvidence } from '@heddle/checks';
import { Clock } from '@heddle/common';
import { AppConfig } from '@heddle/config';
import { HostClients, HostsRepository } from '@heddle/hosts';
import { OpencodeError } from '@heddle/opencode-client';
import { HarnessRepository } from './harness.repository';
import { readState } from './harness-state';
import { StepContext, checksOf } from './step-context';
import { NextStep, TaskEndings, describeError, json } from './task-endings';
import { TurnRunner } from './turn-runner';
import { Verification } from './verification';

/** What a person's action leaves for the harness to do on the host: recheck, abort, take over, resume. */
@Injectable()
export class UserActions {
  constructor(
    private readonly repo: HarnessRepository,
    private readonly clients: HostClients,
    private readonly hosts: HostsRepository,
    private readonly endings: TaskEndings,
    private readonly turns: TurnRunner,
    private readonly verification: Verification,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /**
   * `POST /api/tasks/{id}/recheck`: the checks of a finished task, again, on the host it ran on. A
   * CHECK_RESULT says how they stand now, `drift: true` when a pass became a fail, and what changed
   * since the last run (file digests, git HEAD and dirty state); the status stays.
   */
  async recheck(ctx: StepContext): Promise<NextStep> {
    let task = ctx.task;
    const host = ctx.host;
    // A reply is not re-read: the workspace is what drifts.
    const checks = checksOf(task).filter((c) => c.kind !== 'reply_json');
    if (!host || checks.length === 0) {
      await this.endings.move(task, 'action_handled', {
        events: [{ type: 'LOG_LINE', data: { level: 'warn', message: 'recheck skipped: no host or no checks' } }],
      });
      return null;
    }
    const state = readState(task.harnessState);
    const previous = await this.repo.latestCheckRun(task.teamId, task.id);
    let evaluation: Awaited<ReturnType<Verification['evaluate']>>;
    try {
      evaluation = await this.verification.evaluate(task, this.clients.forHost(host, task.workspace), state, checks);
    } catch (err) {
      if (!(err instanceof OpencodeError)) throw err;
      if (this.endings.hostMayReturn(task)) {
        await this.endings.noteHostError(task, state, err);
        return this.config.harnessPollMs * 2;
      }
      await this.endings.move(task, 'action_handled', {
        events: [{ type: 'LOG_LINE', data: { level: 'warn', message: `recheck gave up: ${describeError(err)}` } }],
      });
      return null;
    }
    if (evaluation.checkSessionId) state.checkSessionId = evaluation.checkSessionId;
    const changes = compareEvidence(
      previous ? { results: previous.results as unknown as CheckResult[] } : null,
      evaluation.result,
    );
    const drift = previous?.allPassed === true && !evaluation.result.allPassed;
    task = await this.verification.record(
      task,
      task.currentTurn,
      evaluation.result,
      { recheck: { drift, changes } },
      state,
    );
    await this.endings.move(task, 'action_handled');
    return null;
  }

  /** Abort: stop the agent, reject what it still waits on, mark the turn. */
  async cleanup(ctx: StepContext): Promise<NextStep> {
    const { task, host } = ctx;
    if (host && task.sessionId) {
      const client = this.clients.forHost(host, task.workspace);
      try {
        await this.turns.abortSession(client, task.sessionId, { strict: true });
      } catch (err) {
        if (this.endings.hostMayReturn(task)) {
          await this.endings.noteHostError(task, readState(task.harnessState), err);
          return this.config.harnessPollMs * 2;
        }
        // The host stayed away: give up on it; the abort itself is already recorded.
      }
      await this.markTurn(ctx, 'aborted by a user');
    }
    await this.endings.move(task, 'action_handled');
    if (host) await this.hosts.refreshLoad(task.teamId, host.id);
    return null;
  }

  /** Takeover: abort what runs and mark the turn; the new goal's turn is the caller's next command. */
  async takeover(ctx: StepContext): Promise<NextStep | undefined> {
    try {
      await this.turns.abortSession(ctx.client!, ctx.task.sessionId!, { strict: true });
    } catch (err) {
      return this.endings.hostTrouble(ctx.task, ctx.host, err);
    }
    await this.markTurn(ctx, 'taken over by a user');
    ctx.task = await this.endings.move(ctx.task, 'action_handled');
    return undefined;
  }

  /** Taken over before a session existed: dispatched again, with the new goal. */
  async requeueTakeover(ctx: StepContext): Promise<NextStep> {
    ctx.task = await this.endings.move(ctx.task, 'requeued');
    return 0;
  }

  /** Back in the queue after a resume: the wait for a host and the budgets start again. */
  async requeueResumed(ctx: StepContext): Promise<void> {
    const state = readState(ctx.task.harnessState);
    ctx.task = await this.endings.move(ctx.task, 'action_handled', {
      patch: {
        harnessState: json({
          ...state,
          queuedSince: this.clock.now().toISOString(),
          dispatchAttempts: 0,
          base: undefined,
          hostErrorSince: null,
        }),
      },
    });
  }

  private async markTurn(ctx: StepContext, error: string): Promise<void> {
    const turn = await this.repo.turn(ctx.task.teamId, ctx.task.id, ctx.task.currentTurn);
    if (turn && turn.outcome === 'sent') {
      await this.repo.updateTurn(turn, { outcome: 'aborted', finishedAt: this.clock.now(), error });
    }
  }
}
