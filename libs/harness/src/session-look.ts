import { Injectable } from '@nestjs/common';
import { Clock } from '@heddle/common';
import { AppConfig } from '@heddle/config';
import { Prisma } from '@heddle/db';
import { PermissionsService } from '@heddle/permissions';
import { OpencodeNotFoundError } from '@heddle/opencode-client';
import { TaskEventSpec, TaskMessagesService } from '@heddle/tasks';
import { HarnessRepository } from './harness.repository';
import { HostEventWatcher } from './host-event-watcher';
import { readState } from './harness-state';
import { StalePolicy, staleDue, observeStale } from './stale-busy';
import { StepContext } from './step-context';
import { NextStep, TaskEndings, json } from './task-endings';
import { TurnObservation } from './turn-observation';
import { TurnReader } from './turn-reader';
import { TurnRunner, turnTotals } from './turn-runner';

const DEFAULT_STALE_OBSERVATIONS = 15;

/**
 * One look at the session of a running task: its status and the current turn's messages (what the
 * agent did, its tokens and cost, whether it finished or failed), whether it waits for a person,
 * and how long it has gone without progress. What a busy look changed is written by `noteBusy`.
 */
@Injectable()
export class SessionLook {
  constructor(
    private readonly repo: HarnessRepository,
    private readonly endings: TaskEndings,
    private readonly turns: TurnRunner,
    private readonly permissions: PermissionsService,
    private readonly messages: TaskMessagesService,
    private readonly watcher: HostEventWatcher,
    private readonly reader: TurnReader,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /** Fills ctx.session/obs (and, when busy, waiting and stale); a NextStep when the host failed us. */
  async observe(ctx: StepContext): Promise<NextStep | undefined> {
    const turn = ctx.turn!;
    const client = ctx.client!;
    let busy: boolean;
    let obs: TurnObservation;
    try {
      busy = (await client.sessionStatus(turn.sessionId)).type !== 'idle';
      obs = await this.reader.observe(client, turn.sessionId, turn.messageId);
    } catch (err) {
      if (err instanceof OpencodeNotFoundError) {
        const detail = `session ${turn.sessionId} no longer exists on host ${ctx.host!.name}`;
        ctx.session = { seen: true, lost: true, detail };
        return undefined;
      }
      return this.endings.hostTrouble(ctx.task, ctx.host, err);
    }
    const state = readState(ctx.task.harnessState);
    if (state.hostErrorSince) {
      ctx.task = await this.endings.write(
        ctx.task,
        { harnessState: json({ ...state, hostErrorSince: null, lastHostError: null }) },
        [{ type: 'LOG_LINE', data: { level: 'info', message: 'host reachable again' } }],
      );
    }
    ctx.obs = obs;
    ctx.session = {
      seen: true,
      lost: false,
      busy,
      promptFound: obs.promptFound,
      replies: obs.replies,
      lastReplyCompleted: obs.lastReplyCompleted,
      error: obs.error ? { message: obs.error.message, aborted: obs.error.aborted } : null,
    };
    // Follow-ups a person queued: delivered at the next idle, before the verdict (decide).
    ctx.delivery = await this.messages.nextDelivery(ctx.task.teamId, ctx.task.id, this.clock.now());
    ctx.followUps = {
      queued: ctx.delivery?.messages.length ?? 0,
      readyAtMs: ctx.delivery?.readyAt ? ctx.delivery.readyAt.getTime() : null,
    };
    if (obs.promptFound && !turn.sentAt && turn.outcome === 'sent') {
      ctx.turn = await this.repo.updateTurn(turn, { sentAt: this.clock.now() });
    }
    if (busy && obs.promptFound && turn.outcome === 'sent') {
      // A session waiting for a person (or a policy) to answer a permission or a question is busy but
      // not stuck: it is never stale, and the task says what it waits for (the wait counts against
      // the wall-clock budget only, since nothing else grows while it waits).
      const pending = await this.permissions.waitingOf(ctx.task.teamId, ctx.task.id);
      ctx.waiting = pending.permissions > 0 ? 'permission' : pending.questions > 0 ? 'question' : null;
      const stale = readState(ctx.task.harnessState).stale!;
      const policy = await this.stalePolicy(ctx.task.teamId);
      ctx.stale = observeStale(
        stale,
        ctx.waiting === null,
        obs.progressMarker,
        policy,
        this.clock.now().getTime(),
        this.config.harnessPollMs,
        obs.progressAt,
      );
      ctx.staleAtMs = staleDue(ctx.stale.state, policy, this.config.harnessPollMs);
      ctx.watched = this.watcher.follows(ctx.host!.id, ctx.task.workspace, turn.sessionId);
    }
    return undefined;
  }

  /** A busy look: writes only what changed (most looks change nothing). */
  async noteBusy(ctx: StepContext): Promise<void> {
    const { task, turn, obs, stale } = ctx;
    const events: TaskEventSpec[] = [];
    const patch: Prisma.TaskUpdateManyMutationInput = {};
    if (ctx.waiting !== undefined && ctx.waiting !== task.waiting) {
      patch.waiting = ctx.waiting;
      events.push({ type: 'TASK_UPDATED', data: { waiting: ctx.waiting } });
    }
    if (stale?.decision === 'report') {
      patch.stale = true;
      events.push({
        type: 'SESSION_STALE_BUSY',
        data: {
          turn: turn!.number,
          sessionId: turn!.sessionId,
          observations: stale.observations,
          pollMs: this.config.harnessPollMs,
          activity: json(obs!.activity),
        },
      });
    } else if (stale && (stale.rearmed || (task.stale && stale.observations <= 1))) {
      patch.stale = false;
      events.push({ type: 'TASK_UPDATED', data: { staleCleared: true } });
    }
    if (JSON.stringify(task.activity ?? null) !== JSON.stringify(obs!.activity)) patch.activity = json(obs!.activity);
    const state = readState(task.harnessState);
    const stateChanged = stale !== undefined && JSON.stringify(state.stale) !== JSON.stringify(stale.state);
    const totalsChanged =
      turn!.tokensInput !== obs!.tokens.input ||
      turn!.tokensOutput !== obs!.tokens.output ||
      turn!.tokensReasoning !== obs!.tokens.reasoning ||
      turn!.tokensCacheRead !== obs!.tokens.cacheRead ||
      turn!.tokensCacheWrite !== obs!.tokens.cacheWrite ||
      turn!.costUsd !== obs!.costUsd;
    if (totalsChanged || stateChanged || events.length > 0 || patch.activity !== undefined) {
      ctx.task = await this.repo.transaction(async () => {
        if (totalsChanged) ctx.turn = await this.repo.updateTurn(turn!, turnTotals(obs!));
        return this.endings.write(
          task,
          {
            ...patch,
            ...(totalsChanged ? this.turns.totals(task, turn!, obs!) : {}),
            ...(stateChanged ? { harnessState: json({ ...state, stale: stale!.state }) } : {}),
          },
          events,
        );
      });
    }
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
}
