import { posix } from 'node:path';
import { Injectable, Logger } from '@nestjs/common';
import {
  Check,
  CheckResult,
  ChecksEvaluation,
  compareEvidence,
  describeCheck,
  describeFailures,
  evaluateChecks,
  itemsClosed,
  parsePlan,
  planProgress,
} from '@heddle/checks';
import { Clock } from '@heddle/common';
import { AppConfig } from '@heddle/config';
import { Host, Prisma, Task, Turn } from '@heddle/db';
import { HostClients, HostSelectionService, HostsRepository, WaitingFor } from '@heddle/hosts';
import { PermissionsService, readPermissionPolicy, sessionPermissionRuleset } from '@heddle/permissions';
import {
  CreateSessionInput,
  MessageWithParts,
  OpencodeClient,
  OpencodeError,
  OpencodeNotFoundError,
  SessionStatus,
  newOpencodeId,
} from '@heddle/opencode-client';
import {
  DEFAULT_PLAN_TEMPLATE,
  DEFAULT_TEMPLATE,
  FailureReason,
  HarnessTrigger,
  TaskChangedError,
  TaskEventSpec,
  TaskLifecycle,
  TaskPatch,
  isFinished,
  renderPrompt,
} from '@heddle/tasks';
import { BudgetUse, exhaustedBudget, readBudgets } from './budgets';
import { HostEventWatcher } from './host-event-watcher';
import { HarnessRepository } from './harness.repository';
import { HarnessState, readState } from './harness-state';
import { INITIAL_STALE, observeStale, StalePolicy } from './stale-busy';
import { TurnObservation, observeTurn, totalTokens } from './turn-observation';
import { checkWorkspaceRoots } from './workspace-roots';

/** When the next step is due, in ms from now; null: nothing to do until something wakes the task. */
export type NextStep = number | null;

type EventSpec = TaskEventSpec;

const MESSAGE_PAGE = 50;
const MAX_BACKOFF_MS = 30_000;
const DEFAULT_STALE_OBSERVATIONS = 15;
/** How long an abort may take to show as idle before the harness goes on anyway. */
const SETTLE_MS = 5000;
/** Failed steps in a row (not counting host trouble) before a task fails `harness.error`. */
const MAX_STEP_ERRORS = 5;

/**
 * Takes one task one step further. Everything it knows comes from Postgres and the host at the
 * start of the step, and every write is conditional on the task's version, so a step can be
 * repeated, interrupted or raced by a user action and still do the right thing: a turn's prompt is
 * recorded (with the message id Heddle chose) before it is sent, and only sent again after a look
 * at the session shows it never arrived.
 */
@Injectable()
export class TaskDriver {
  private readonly logger = new Logger(TaskDriver.name);

  constructor(
    private readonly repo: HarnessRepository,
    private readonly clients: HostClients,
    private readonly selection: HostSelectionService,
    private readonly lifecycle: TaskLifecycle,
    private readonly hosts: HostsRepository,
    private readonly permissions: PermissionsService,
    private readonly watcher: HostEventWatcher,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  async advance(task: Task): Promise<NextStep> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const next = await this.advanceOnce(task);
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
        return await this.fail(
          task,
          'harness.error',
          `the harness failed ${errors} times in a row: ${describeError(err)}`,
        );
      }
      await this.write(task, { harnessState: json({ ...state, stepErrors: errors }) }, []);
    } catch (writeErr) {
      this.logger.error(`could not record the failed step of task ${taskId}: ${describeError(writeErr)}`);
    }
    return this.config.harnessPollMs * 2 ** Math.min(errors, 4);
  }

  private async clearStepErrors(teamId: string, taskId: string): Promise<void> {
    const task = await this.repo.find(teamId, taskId);
    if (!task) return;
    await this.write(task, { harnessState: json({ ...readState(task.harnessState), stepErrors: 0 }) }, []).catch(
      () => undefined,
    );
  }

  private async advanceOnce(task: Task): Promise<NextStep> {
    if (task.pendingAction === 'recheck') return this.recheck(task);
    if (task.pendingAction === 'abort' || (isFinished(task.status) && task.pendingAction)) return this.cleanup(task);
    if (task.pendingAction === 'takeover') return this.takeover(task);
    if (task.pendingAction === 'resume' && task.status === 'queued') {
      // Back in the queue: the wait for a host and the budgets start again.
      const state = readState(task.harnessState);
      task = await this.move(task, 'action_handled', {
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
    if (task.status === 'paused' && !task.sessionId) return null; // paused before dispatch: nothing runs
    switch (task.status) {
      case 'queued':
      case 'dispatching':
        return this.dispatch(task);
      case 'running':
      case 'verifying':
      case 'paused':
        return this.watch(task);
      default:
        return null;
    }
  }

  // ---- dispatch -------------------------------------------------------------------------------

  private async dispatch(task: Task): Promise<NextStep> {
    const state = readState(task.harnessState);
    let host = task.status === 'dispatching' && task.hostId ? await this.repo.host(task.teamId, task.hostId) : null;
    if (!host) {
      // The grant and its record in one transaction: select() holds the pool's advisory lock until
      // it commits, so the next decision on that pool sees this session taken (fair dispatch).
      const picked = await this.repo.transaction(async () => {
        const selection = await this.selection.select(
          task.teamId,
          task.requestedHostId ? { hostId: task.requestedHostId } : { labels: task.labels },
          { workspace: task.workspace, task },
        );
        if (!selection.ok) return { selection, task };
        const moved = await this.move(task, 'host_selected', {
          patch: { hostId: selection.host.id },
          data: { previousStatus: task.status, hostName: selection.host.name },
        });
        return { selection, task: moved };
      });
      const { selection } = picked;
      task = picked.task;
      if (!selection.ok && selection.outsideRoots) return this.fail(task, 'workspace.outside_roots', selection.reason);
      if (!selection.ok) return this.waitForHost(task, state, selection.reason, selection.waitingFor);
      host = selection.host;
      await this.hosts.refreshLoad(task.teamId, host.id);
    }
    const client = this.clients.forHost(host, task.workspace);
    let sessionId = task.sessionId ?? undefined;
    try {
      // The trust boundary (docs/security.md): the workspace, as written and as the host resolves it.
      const roots = await checkWorkspaceRoots(client, host, task.workspace);
      if (!roots.ok && !roots.missing) return this.fail(task, 'workspace.outside_roots', roots.detail);
      if (!roots.ok || !(await client.directoryExists())) {
        return this.fail(task, 'workspace.missing', `${task.workspace} does not exist on host ${host.name}`);
      }
      if (!task.sessionId) {
        // Recorded with the first turn (one transaction fewer); a step dying in between leaves an
        // empty session behind and the next step opens another.
        if (task.bindSessionId) {
          // A session works in its own directory, whatever the task's workspace: that must lie under the roots too.
          const bound = await client.getSession(task.bindSessionId);
          const where = await checkWorkspaceRoots(client, host, bound.directory, {
            asWritten: false,
            what: `the directory of session ${task.bindSessionId}`,
          });
          if (!where.ok && where.missing) {
            const detail = `the directory of session ${task.bindSessionId} (${bound.directory}) does not exist on host ${host.name}`;
            return this.fail(task, 'workspace.missing', detail);
          }
          if (!where.ok) return this.fail(task, 'workspace.outside_roots', where.detail);
          const rules = sessionRules(task);
          if (rules.length) await client.updateSession(task.bindSessionId, { permission: rules });
          sessionId = task.bindSessionId;
        } else {
          sessionId = (await client.createSession(this.sessionInput(task, 1))).id;
        }
      }
    } catch (err) {
      if (err instanceof OpencodeNotFoundError && task.bindSessionId) {
        return this.fail(task, 'session.lost', `session ${task.bindSessionId} does not exist on host ${host.name}`);
      }
      return this.requeue(task, state, host, err);
    }
    return this.startTurn(task, host, client, { sessionId });
  }

  /**
   * No host for now. Waiting for a host that fits is bounded (HARNESS_HOST_WAIT_SECONDS, then
   * `host.unavailable`); waiting for a session on a fitting, online host — busy, the team's turn in
   * the fair order, or its own limit (`waitingFor`) — is not: a long burst must not fail for being long.
   */
  private async waitForHost(
    task: Task,
    state: HarnessState,
    reason: string,
    waitingFor?: WaitingFor,
  ): Promise<NextStep> {
    const now = this.clock.now();
    const since = new Date(state.queuedSince ?? task.createdAt.toISOString());
    const waited = (now.getTime() - since.getTime()) / 1000;
    if (!waitingFor && waited >= this.config.harnessHostWaitSeconds) {
      return this.fail(task, 'host.unavailable', `no host became available in ${Math.round(waited)} s: ${reason}`);
    }
    const attempts = (state.dispatchAttempts ?? 0) + 1;
    const events: EventSpec[] =
      attempts === 1 ? [{ type: 'LOG_LINE', data: { level: 'warn', message: `waiting for a host: ${reason}` } }] : [];
    await this.write(
      task,
      { harnessState: json({ ...state, queuedSince: since.toISOString(), dispatchAttempts: attempts }) },
      events,
    );
    return Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(attempts - 1, 10));
  }

  /** The host failed us while dispatching: back to the queue to pick a host again (maybe another). */
  private async requeue(task: Task, state: HarnessState, host: Host, err: unknown): Promise<NextStep> {
    const message = describeError(err);
    this.logger.warn(`dispatch of task ${task.id} to host ${host.name} failed: ${message}`);
    task = await this.move(task, 'requeued', {
      patch: { hostId: null, sessionId: task.bindSessionId ? null : task.sessionId },
      events: [
        { type: 'LOG_LINE', data: { level: 'warn', message: `dispatch to host ${host.name} failed: ${message}` } },
      ],
    });
    await this.hosts.refreshLoad(task.teamId, host.id);
    return this.waitForHost(task, state, `host ${host.name} failed: ${message}`);
  }

  // ---- turns ----------------------------------------------------------------------------------

  /**
   * Records the next turn (its prompt and message id) and the task `running`, then sends it. Checks
   * the budgets first: a turn that would exceed them is never sent.
   */
  private async startTurn(
    task: Task,
    host: Host,
    client: OpencodeClient,
    opts: { failing?: string; freshBudget?: boolean; sessionId?: string },
  ): Promise<NextStep> {
    let state = readState(task.harnessState);
    const now = this.clock.now();
    if (opts.freshBudget || !state.base) state = { ...state, base: this.baseOf(task, now) };
    const verdict = exhaustedBudget(readBudgets(task.budgets), this.use(task, state, null), true);
    if (verdict) {
      const failing = opts.failing !== undefined && task.mode === 'single' && verdict.reason === 'budget.turns';
      return this.fail(
        task,
        failing ? 'checks.failed' : verdict.reason,
        failing ? `checks still failing when the turn budget ran out (${verdict.detail})` : verdict.detail,
      );
    }
    const number = task.currentTurn + 1;
    let sessionId = opts.sessionId ?? task.sessionId!;
    if (task.mode === 'plan' && number > 1) {
      try {
        sessionId = (await client.createSession(this.sessionInput(task, number))).id;
      } catch (err) {
        return this.hostTrouble(task, state, err);
      }
    }
    const prompt = this.promptFor(task, opts.failing);
    const messageId = newOpencodeId('msg', false, now.getTime());
    const previousStatus = task.status;
    const previousSessionId = task.sessionId;
    let turn!: Turn;
    task = await this.repo.transaction(async () => {
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
      return this.move(task, 'turn_started', {
        patch: {
          currentTurn: number,
          sessionId,
          stale: false,
          startedAt: task.startedAt ?? now,
          reason: null,
          reasonDetail: null,
          harnessState: json({ ...state, stale: { ...INITIAL_STALE }, lastCheckAt: now.toISOString() }),
        },
        data: { previousStatus },
        events: [{ type: 'TURN_STARTED', data: { turn: number, sessionId, messageId } }],
      });
    });
    if (sessionId !== previousSessionId) this.watcher.watchSoon();
    return this.sendTurn(task, host, client, turn);
  }

  /** Sends a recorded turn's prompt. Re-sending the same message id cannot start a second turn. */
  private async sendTurn(task: Task, host: Host, client: OpencodeClient, turn: Turn): Promise<NextStep> {
    try {
      await client.promptAsync(turn.sessionId, {
        text: turn.prompt,
        messageID: turn.messageId,
        ...(task.model ? { model: task.model } : {}),
        ...(task.agent ? { agent: task.agent } : {}),
      });
    } catch (err) {
      if (err instanceof OpencodeNotFoundError) {
        return this.fail(task, 'session.lost', `session ${turn.sessionId} no longer exists on host ${host.name}`);
      }
      return this.hostTrouble(task, readState(task.harnessState), err);
    }
    await this.repo.updateTurn(turn, { sentAt: this.clock.now() });
    return Math.min(this.config.harnessPollMs, 1000);
  }

  // ---- watch ----------------------------------------------------------------------------------

  private async watch(task: Task): Promise<NextStep> {
    const state = readState(task.harnessState);
    const host = task.hostId ? await this.repo.host(task.teamId, task.hostId) : null;
    if (!host) return this.fail(task, 'session.lost', 'the host this task ran on was deleted');
    const client = this.clients.forHost(host, task.workspace);
    const turn = await this.repo.turn(task.teamId, task.id, task.currentTurn);
    if (!turn) return this.startTurn(task, host, client, {});

    if (task.pendingAction === 'resume' && turn.outcome !== 'sent') {
      // Resumed after the turn ended: a fresh budget and a new turn (with the new goal, if any).
      task = await this.move(task, 'action_handled');
      return this.startTurn(task, host, client, { freshBudget: true, failing: await this.lastFailures(task) });
    }

    let status: SessionStatus;
    let messages: MessageWithParts[];
    try {
      status = await client.sessionStatus(turn.sessionId);
      messages = await this.turnMessages(client, turn.sessionId, turn.messageId);
    } catch (err) {
      if (err instanceof OpencodeNotFoundError) {
        return this.fail(task, 'session.lost', `session ${turn.sessionId} no longer exists on host ${host.name}`);
      }
      return this.hostTrouble(task, state, err);
    }
    if (state.hostErrorSince) {
      task = await this.write(task, { harnessState: json({ ...state, hostErrorSince: null, lastHostError: null }) }, [
        { type: 'LOG_LINE', data: { level: 'info', message: 'host reachable again' } },
      ]);
      state.hostErrorSince = null;
      state.lastHostError = null;
    }
    const obs = observeTurn(messages, turn.messageId);
    const busy = status.type !== 'idle';

    if (turn.outcome !== 'sent') {
      // The turn was recorded as over but the task did not move on (a step died in between).
      return this.afterTurn(task, host, client, turn, obs);
    }
    if (!obs.promptFound) {
      // Recorded but never arrived (the worker died between the record and the send, or the send
      // failed): send it now, unless the session is busy with something else.
      if (busy) return this.config.harnessPollMs;
      return this.sendTurn(task, host, client, turn);
    }
    if (!turn.sentAt) await this.repo.updateTurn(turn, { sentAt: this.clock.now() });

    if (busy) return this.watchBusy(task, host, client, turn, obs, state);

    const sentAt = (turn.sentAt ?? turn.startedAt).getTime();
    const sinceSent = this.clock.now().getTime() - sentAt;
    if (obs.replies === 0 || (!obs.lastReplyCompleted && !obs.error)) {
      // prompt_async answers before the session turns busy: idle with no (finished) reply is
      // "not started yet" for a while, then a turn that ended without an answer.
      if (sinceSent < this.config.harnessTurnStartGraceMs) return Math.min(this.config.harnessPollMs, 500);
      if (obs.replies === 0) {
        await this.finishTurn(task, turn, obs, 'failed', 'the session went idle without answering');
        return this.fail(
          task,
          'agent.error',
          'the session went idle without answering the prompt (unknown model or agent?)',
        );
      }
    }
    const outcome = obs.error && !obs.error.aborted ? 'failed' : obs.error?.aborted ? 'aborted' : 'finished';
    task = await this.finishTurn(task, turn, obs, outcome, obs.error?.message);
    if (outcome === 'failed') return this.fail(task, 'agent.error', `the agent failed: ${obs.error!.message}`);
    const finishedTurn = (await this.repo.turn(task.teamId, task.id, turn.number))!;
    return this.afterTurn(task, host, client, finishedTurn, obs);
  }

  private async watchBusy(
    task: Task,
    host: Host,
    client: OpencodeClient,
    turn: Turn,
    obs: TurnObservation,
    state: HarnessState,
  ): Promise<NextStep> {
    const now = this.clock.now();
    const verdict = exhaustedBudget(readBudgets(task.budgets), this.use(task, state, { turn, obs }), false);
    if (verdict) {
      await this.abortSession(client, turn.sessionId);
      await this.finishTurn(task, turn, obs, 'aborted', `aborted: ${verdict.detail}`);
      const fresh = (await this.repo.find(task.teamId, task.id))!;
      return this.fail(fresh, verdict.reason, verdict.detail);
    }

    const events: EventSpec[] = [];
    const patch: Prisma.TaskUpdateManyMutationInput = {};
    const staleBefore = state.stale ?? { ...INITIAL_STALE };
    let stale = staleBefore;
    // A session waiting for a person (or a policy) to answer a permission or a question is busy but
    // not stuck: it is never stale, and the task says what it waits for (the wait counts against
    // the wall-clock budget only, since nothing else grows while it waits).
    const waiting = await this.waitingFor(task);
    if (waiting !== task.waiting) {
      patch.waiting = waiting;
      events.push({ type: 'TASK_UPDATED', data: { waiting } });
    }
    {
      const policy = await this.stalePolicy(task.teamId);
      const seen = observeStale(
        stale,
        waiting === null,
        obs.progressMarker,
        policy,
        now.getTime(),
        this.config.harnessPollMs,
      );
      stale = seen.state;
      if (seen.decision === 'report') {
        patch.stale = true;
        events.push({
          type: 'SESSION_STALE_BUSY',
          data: {
            turn: turn.number,
            sessionId: turn.sessionId,
            observations: seen.observations,
            pollMs: this.config.harnessPollMs,
            activity: json(obs.activity),
          },
        });
      } else if (seen.decision === 'abort') {
        this.logger.warn(`task ${task.id}: session ${turn.sessionId} stale; aborting and prompting again (policy)`);
        await this.abortSession(client, turn.sessionId);
        task = await this.finishTurn(task, turn, obs, 'aborted', 'aborted by the stale-busy policy');
        return this.startTurn(task, host, client, {
          failing: 'The previous turn stalled (no progress) and was aborted. Continue the work.',
        });
      } else if (seen.rearmed || (task.stale && seen.observations <= 1)) {
        patch.stale = false;
        events.push({ type: 'TASK_UPDATED', data: { staleCleared: true } });
      }
    }

    // Checks while the agent works: a task whose checks pass is done, whatever the agent does next.
    const checks = checksOf(task);
    const lastCheck = state.lastCheckAt ? Date.parse(state.lastCheckAt) : 0;
    let nextState: HarnessState = { ...state, stale };
    if (
      task.mode === 'single' &&
      checks.length > 0 &&
      task.status === 'running' &&
      now.getTime() - lastCheck >= task.checkIntervalSeconds * 1000
    ) {
      nextState = { ...nextState, lastCheckAt: now.toISOString() };
      const evaluation = await this.evaluate(task, client, nextState, checks, obs.lastText);
      if (evaluation.checkSessionId) nextState.checkSessionId = evaluation.checkSessionId;
      task = await this.recordChecks(task, turn.number, evaluation.result, { midTurn: true }, nextState);
      if (evaluation.result.allPassed) {
        await this.abortSession(client, turn.sessionId);
        task = await this.finishTurn(task, turn, obs, 'finished', 'checks passed while the turn ran; the turn was cut');
        return this.complete(task, evaluation.result);
      }
      nextState = readState(task.harnessState);
      nextState.stale = stale;
    }

    // Most looks at a busy session change nothing: write only when something did.
    const totalsChanged =
      turn.tokensInput !== obs.tokens.input ||
      turn.tokensOutput !== obs.tokens.output ||
      turn.tokensReasoning !== obs.tokens.reasoning ||
      turn.tokensCacheRead !== obs.tokens.cacheRead ||
      turn.tokensCacheWrite !== obs.tokens.cacheWrite ||
      turn.costUsd !== obs.costUsd;
    const stateChanged = nextState.stale !== staleBefore || nextState.lastCheckAt !== state.lastCheckAt;
    if (totalsChanged || stateChanged || events.length > 0 || Object.keys(patch).length > 0) {
      await this.repo.transaction(async () => {
        if (totalsChanged) await this.repo.updateTurn(turn, turnTotals(obs));
        await this.lifecycle.record(
          task,
          { ...patch, ...(totalsChanged ? this.totals(task, turn, obs) : {}), harnessState: json(nextState) },
          events,
        );
      });
    }
    return this.config.harnessPollMs;
  }

  /** After a finished turn: verify (single) or re-read the plan (plan), then complete, stop or go on. */
  private async afterTurn(
    task: Task,
    host: Host,
    client: OpencodeClient,
    turn: Turn,
    obs: TurnObservation,
  ): Promise<NextStep> {
    if (task.status === 'running') {
      task = await this.move(task, 'turn_ended', { data: { previousStatus: 'running', turn: turn.number } });
    }
    const state = readState(task.harnessState);
    const checks = checksOf(task);

    if (task.mode === 'plan') return this.afterIteration(task, host, client, turn, state, checks);

    const evaluation =
      checks.length > 0
        ? await this.evaluate(task, client, state, checks, obs.lastText)
        : { result: await this.weakVerdict(task, turn, obs) };
    if (evaluation.checkSessionId) state.checkSessionId = evaluation.checkSessionId;
    const replyFailing = evaluation.result.results.some((r) => r.kind === 'reply_json' && r.status !== 'pass');
    // A reply whose JSON does not validate gets one repair turn naming the errors, not more.
    if (replyFailing && (state.replyRepairs ?? 0) >= 1) {
      task = await this.recordChecks(task, turn.number, evaluation.result, {}, state);
      return this.fail(
        task,
        'checks.failed',
        'the reply still holds no JSON that validates against the schema after one repair turn',
      );
    }
    if (replyFailing) state.replyRepairs = (state.replyRepairs ?? 0) + 1;
    task = await this.recordChecks(task, turn.number, evaluation.result, {}, state);
    if (evaluation.result.allPassed) return this.complete(task, evaluation.result);
    if (task.status === 'paused') return null;
    return this.startTurn(task, host, client, { failing: this.failureText(task, evaluation.result) });
  }

  private async afterIteration(
    task: Task,
    host: Host,
    client: OpencodeClient,
    turn: Turn,
    state: HarnessState,
    checks: Check[],
  ): Promise<NextStep> {
    const planPath = task.planFile;
    let text = '';
    try {
      const entry = await client.stat(planPath);
      if (entry && entry.type === 'file') text = (await client.readFile(planPath)).content;
    } catch (err) {
      return this.hostTrouble(task, state, err);
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
    task = await this.write(task, { progress: json(view), harnessState: json(nextState) }, [
      { type: 'TASK_UPDATED', data: { iteration: turn.number, progress: json(view) } },
    ]);

    if (plan.complete && plan.completeReason !== 'empty') {
      const summary = plan.tag?.summary ?? null;
      if (checks.length === 0) {
        const result = planResult(plan.completeReason ?? 'no_open_items', summary);
        task = await this.recordChecks(task, turn.number, result, {}, nextState);
        return this.complete(task, result, { summary });
      }
      const evaluation = await this.evaluate(task, client, nextState, checks);
      if (evaluation.checkSessionId) nextState.checkSessionId = evaluation.checkSessionId;
      task = await this.recordChecks(task, turn.number, evaluation.result, {}, nextState);
      if (evaluation.result.allPassed) return this.complete(task, evaluation.result, { summary });
      if (task.status === 'paused') return null;
      return this.startTurn(task, host, client, {
        failing: this.failureText(task, evaluation.result),
      });
    }
    if (task.status === 'paused') return null;
    const verdict = exhaustedBudget(readBudgets(task.budgets), this.use(task, nextState, null), false);
    if (verdict) return this.fail(task, verdict.reason, verdict.detail);
    return this.startTurn(task, host, client, {});
  }

  // ---- checks ---------------------------------------------------------------------------------

  private async evaluate(
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
  private async weakVerdict(task: Task, turn: Turn, obs: TurnObservation): Promise<ChecksEvaluation> {
    const earlier = await this.repo.changedFilesBefore(task.teamId, task.id, turn.number);
    const changed = [...new Set([...earlier, ...obs.changedFiles, ...turn.changedFiles])];
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

  private async recordChecks(
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
      return this.lifecycle.record(task, { harnessState: json(state) }, [
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

  private async lastFailures(task: Task): Promise<string | undefined> {
    const run = await this.repo.latestCheckRun(task.teamId, task.id);
    if (!run || run.allPassed) return undefined;
    return this.failureText(task, { results: run.results as unknown as CheckResult[] } as ChecksEvaluation);
  }

  // ---- user actions on the host ---------------------------------------------------------------

  /**
   * `POST /api/tasks/{id}/recheck`: the checks of a finished task, again, on the host it ran on. A
   * CHECK_RESULT says how they stand now, `drift: true` when a pass became a fail, and what changed
   * since the last run (file digests, git HEAD and dirty state); the status stays.
   */
  private async recheck(task: Task): Promise<NextStep> {
    const host = task.hostId ? await this.repo.host(task.teamId, task.hostId) : null;
    // A reply is not re-read: the workspace is what drifts.
    const checks = checksOf(task).filter((c) => c.kind !== 'reply_json');
    if (!host || checks.length === 0) {
      await this.move(task, 'action_handled', {
        events: [{ type: 'LOG_LINE', data: { level: 'warn', message: 'recheck skipped: no host or no checks' } }],
      });
      return null;
    }
    const state = readState(task.harnessState);
    const previous = await this.repo.latestCheckRun(task.teamId, task.id);
    let evaluation: { result: ChecksEvaluation; checkSessionId?: string };
    try {
      evaluation = await this.evaluate(task, this.clients.forHost(host, task.workspace), state, checks);
    } catch (err) {
      if (!(err instanceof OpencodeError)) throw err;
      const since = state.hostErrorSince ? Date.parse(state.hostErrorSince) : this.clock.now().getTime();
      if (this.clock.now().getTime() - since < this.config.harnessHostLostSeconds * 1000) {
        await this.noteHostError(task, state, err);
        return this.config.harnessPollMs * 2;
      }
      await this.move(task, 'action_handled', {
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
    task = await this.recordChecks(task, task.currentTurn, evaluation.result, { recheck: { drift, changes } }, state);
    await this.move(task, 'action_handled');
    return null;
  }

  /** Abort: stop the agent, reject what it still waits on, mark the turn. */
  private async cleanup(task: Task): Promise<NextStep> {
    const host = task.hostId ? await this.repo.host(task.teamId, task.hostId) : null;
    if (host && task.sessionId) {
      const client = this.clients.forHost(host, task.workspace);
      try {
        await this.abortSession(client, task.sessionId, { strict: true });
      } catch (err) {
        const state = readState(task.harnessState);
        const since = state.hostErrorSince ? Date.parse(state.hostErrorSince) : this.clock.now().getTime();
        if (this.clock.now().getTime() - since < this.config.harnessHostLostSeconds * 1000) {
          await this.noteHostError(task, state, err);
          return this.config.harnessPollMs * 2;
        }
        // The host stayed away: give up on it; the abort itself is already recorded.
      }
      const turn = await this.repo.turn(task.teamId, task.id, task.currentTurn);
      if (turn && turn.outcome === 'sent') {
        await this.repo.updateTurn(turn, {
          outcome: 'aborted',
          finishedAt: this.clock.now(),
          error: 'aborted by a user',
        });
      }
    }
    await this.move(task, 'action_handled');
    if (host) await this.hosts.refreshLoad(task.teamId, host.id);
    return null;
  }

  /** Takeover: abort what runs, then prompt the same session with the new goal. */
  private async takeover(task: Task): Promise<NextStep> {
    const host = task.hostId ? await this.repo.host(task.teamId, task.hostId) : null;
    if (!host || !task.sessionId) {
      task = await this.move(task, 'requeued');
      return 0;
    }
    const client = this.clients.forHost(host, task.workspace);
    try {
      await this.abortSession(client, task.sessionId, { strict: true });
    } catch (err) {
      return this.hostTrouble(task, readState(task.harnessState), err);
    }
    const turn = await this.repo.turn(task.teamId, task.id, task.currentTurn);
    if (turn && turn.outcome === 'sent') {
      await this.repo.updateTurn(turn, {
        outcome: 'aborted',
        finishedAt: this.clock.now(),
        error: 'taken over by a user',
      });
    }
    task = await this.move(task, 'action_handled');
    return this.startTurn(task, host, client, { freshBudget: true });
  }

  private async abortSession(client: OpencodeClient, sessionId: string, opts: { strict?: boolean } = {}) {
    try {
      await client.abort(sessionId);
      await this.settle(client, sessionId);
      // OpenCode leaves them open after an abort, and approving one later would still run the tool.
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

  // ---- endings --------------------------------------------------------------------------------

  private async complete(task: Task, result: ChecksEvaluation, extra: { summary?: string | null } = {}) {
    const now = this.clock.now();
    const hostId = task.hostId;
    await this.move(task, 'checks_passed', {
      patch: {
        reason: null,
        reasonDetail: null,
        stale: false,
        waiting: null,
        finishedAt: now,
        // A `reply_json` check's parsed value is the task's result (structured output); otherwise a summary.
        result:
          result.result !== undefined
            ? result.result === null
              ? Prisma.JsonNull
              : json(result.result)
            : json({
                checks: result.counts,
                verification: task.verification,
                ...(extra.summary ? { summary: extra.summary } : {}),
              }),
      },
      data: { verification: task.verification, checks: json(result.counts) },
    });
    if (hostId) await this.hosts.refreshLoad(task.teamId, hostId);
    return null;
  }

  private async fail(task: Task, reason: FailureReason | string, detail: string): Promise<NextStep> {
    const hostId = task.hostId;
    await this.move(task, 'failed', {
      patch: { reason, reasonDetail: detail, stale: false, waiting: null, finishedAt: this.clock.now() },
      data: { reason, reasonDetail: detail },
    });
    if (hostId) await this.hosts.refreshLoad(task.teamId, hostId);
    return null;
  }

  /** A call to the host failed: try again later; fail `session.lost` once it has lasted too long. */
  private async hostTrouble(task: Task, state: HarnessState, err: unknown): Promise<NextStep> {
    if (!(err instanceof OpencodeError)) throw err;
    const now = this.clock.now().getTime();
    const since = state.hostErrorSince ? Date.parse(state.hostErrorSince) : now;
    if (now - since >= this.config.harnessHostLostSeconds * 1000) {
      return this.fail(
        task,
        'session.lost',
        `the host has not answered for ${Math.round((now - since) / 1000)} s: ${describeError(err)}`,
      );
    }
    await this.noteHostError(task, state, err);
    return Math.min(MAX_BACKOFF_MS, this.config.harnessPollMs * 2);
  }

  private async noteHostError(task: Task, state: HarnessState, err: unknown): Promise<void> {
    const first = !state.hostErrorSince;
    await this.write(
      task,
      {
        harnessState: json({
          ...state,
          hostErrorSince: state.hostErrorSince ?? this.clock.now().toISOString(),
          lastHostError: describeError(err),
        }),
      },
      first ? [{ type: 'LOG_LINE', data: { level: 'warn', message: `host unreachable: ${describeError(err)}` } }] : [],
    );
  }

  // ---- bookkeeping ----------------------------------------------------------------------------

  private async finishTurn(
    task: Task,
    turn: Turn,
    obs: TurnObservation,
    outcome: 'finished' | 'failed' | 'aborted',
    error?: string,
  ): Promise<Task> {
    const now = this.clock.now();
    return this.repo.transaction(async () => {
      await this.repo.updateTurn(turn, {
        ...turnTotals(obs),
        outcome,
        error: error ?? null,
        finishedAt: now,
        activity: json(obs.activity),
        changedFiles: obs.changedFiles,
      });
      const state = readState(task.harnessState);
      const patch: TaskPatch = {
        ...this.totals(task, turn, obs),
        claimedComplete: obs.claimedComplete,
        stale: false,
        waiting: null,
        harnessState: json({ ...state, stale: { ...INITIAL_STALE } }),
      };
      return this.lifecycle.record(task, patch, [
        {
          type: 'TURN_FINISHED',
          data: {
            turn: turn.number,
            outcome,
            ...(error ? { error } : {}),
            tokens: json(obs.tokens),
            costUsd: obs.costUsd,
            durationMs: now.getTime() - turn.startedAt.getTime(),
            claimedComplete: obs.claimedComplete,
            changedFiles: obs.changedFiles.length,
            activity: json(obs.activity),
          },
        },
      ]);
    });
  }

  /** Task totals = everything before this turn + this turn as observed now. */
  private totals(task: Task, turn: Turn, obs: TurnObservation): Prisma.TaskUpdateManyMutationInput {
    return {
      tokensInput: task.tokensInput - turn.tokensInput + obs.tokens.input,
      tokensOutput: task.tokensOutput - turn.tokensOutput + obs.tokens.output,
      tokensReasoning: task.tokensReasoning - turn.tokensReasoning + obs.tokens.reasoning,
      tokensCacheRead: task.tokensCacheRead - turn.tokensCacheRead + obs.tokens.cacheRead,
      tokensCacheWrite: task.tokensCacheWrite - turn.tokensCacheWrite + obs.tokens.cacheWrite,
      costUsd: task.costUsd - turn.costUsd + obs.costUsd,
    };
  }

  private baseOf(task: Task, now: Date) {
    return {
      turns: task.currentTurn,
      tokens: task.tokensInput + task.tokensOutput + task.tokensReasoning,
      costUsd: task.costUsd,
      at: now.toISOString(),
    };
  }

  /** Budget use since the base, including the running turn as observed now. */
  private use(task: Task, state: HarnessState, running: { turn: Turn; obs: TurnObservation } | null): BudgetUse {
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

  /** What the task's session waits for a person to answer, if anything (pending rows of libs/permissions). */
  private async waitingFor(task: Task): Promise<'permission' | 'question' | null> {
    const pending = await this.permissions.waitingOf(task.teamId, task.id);
    return pending.permissions > 0 ? 'permission' : pending.questions > 0 ? 'question' : null;
  }

  private async allowCommandChecks(teamId: string): Promise<boolean> {
    const team = await this.repo.teamSettings(teamId);
    return (team?.settings as { allowCommandChecks?: unknown } | null)?.allowCommandChecks === true;
  }

  private async stalePolicy(teamId: string): Promise<StalePolicy> {
    const team = await this.repo.teamSettings(teamId);
    const settings = (team?.settings ?? {}) as { staleBusyObservations?: unknown; staleBusyAutoAbortAfter?: unknown };
    const observations =
      typeof settings.staleBusyObservations === 'number' ? settings.staleBusyObservations : DEFAULT_STALE_OBSERVATIONS;
    const autoAbortAfter =
      typeof settings.staleBusyAutoAbortAfter === 'number' ? settings.staleBusyAutoAbortAfter : undefined;
    return { observations, ...(autoAbortAfter !== undefined ? { autoAbortAfter } : {}) };
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
  private sessionInput(task: Task, iteration: number): CreateSessionInput {
    const title = task.mode === 'plan' ? `heddle: ${task.name} · iteration ${iteration}` : `heddle: ${task.name}`;
    const rules = sessionRules(task);
    return rules.length ? { title, permission: rules } : { title };
  }

  /** The turn's messages: pages back from the newest until Heddle's own prompt. */
  private async turnMessages(
    client: OpencodeClient,
    sessionId: string,
    userMessageId: string,
  ): Promise<MessageWithParts[]> {
    const collected: MessageWithParts[] = [];
    let before: string | undefined;
    for (;;) {
      const page = await client.listMessages(sessionId, { limit: MESSAGE_PAGE, ...(before ? { before } : {}) });
      collected.unshift(...page.messages);
      const reached = page.messages.some((m) => m.info.id === userMessageId || m.info.id < userMessageId);
      if (reached || !page.nextCursor) return collected;
      before = page.nextCursor;
    }
  }

  /** What the next turn's prompt says of the failing checks ({{FAILING_CHECKS}}). */
  private failureText(task: Task, result: ChecksEvaluation): string {
    return (
      describeFailures(result.results, {
        evidenceMaxBytes: this.config.checkEvidenceMaxBytes,
        checks: checksOf(task),
      }) || 'The checks did not pass.'
    );
  }

  /** Bookkeeping that changes no state (TaskLifecycle.record). */
  private write(task: Task, data: TaskPatch, events: EventSpec[]): Promise<Task> {
    return this.lifecycle.record(task, data, events);
  }

  /** A transition of the lifecycle table (TaskLifecycle.advance). */
  private move(
    task: Task,
    trigger: HarnessTrigger,
    change: Parameters<TaskLifecycle['advance']>[2] = {},
  ): Promise<Task> {
    return this.lifecycle.advance(task, trigger, change);
  }
}

/** The task's permission policy (`permission` at create) as an OpenCode session ruleset; [] when none. */
function sessionRules(task: Task) {
  return sessionPermissionRuleset(readPermissionPolicy(task.permissionPolicy));
}

function checksOf(task: Task): Check[] {
  return Array.isArray(task.checks) ? (task.checks as unknown as Check[]) : [];
}

function turnTotals(obs: TurnObservation) {
  return {
    tokensInput: obs.tokens.input,
    tokensOutput: obs.tokens.output,
    tokensReasoning: obs.tokens.reasoning,
    tokensCacheRead: obs.tokens.cacheRead,
    tokensCacheWrite: obs.tokens.cacheWrite,
    costUsd: obs.costUsd,
  };
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

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function json<T>(value: T): Prisma.InputJsonValue {
  return value as unknown as Prisma.InputJsonValue;
}
