import { Injectable } from '@nestjs/common';
import { ChecksEvaluation } from '@heddle/checks';
import { Clock } from '@heddle/common';
import { AppConfig } from '@heddle/config';
import { Host, Prisma, Task } from '@heddle/db';
import { HostsRepository } from '@heddle/hosts';
import { OpencodeError } from '@heddle/opencode-client';
import { FailureReason, HarnessTrigger, TaskEventSpec, TaskLifecycle, TaskPatch } from '@heddle/tasks';
import { onHostTrouble } from './decide';
import { HarnessRepository } from './harness.repository';
import { HarnessState, readState } from './harness-state';
import { INITIAL_STALE } from './stale-busy';

/** When the next step is due, in ms from now; null: nothing to do until something wakes the task. */
export type NextStep = number | null;

export const MAX_BACKOFF_MS = 30_000;

/**
 * How a task ends (completed, failed), what a host's silence costs, and the two ways the harness
 * writes a task: a transition of the lifecycle table (`move`) and bookkeeping that changes no state
 * (`write`) — both through TaskLifecycle, conditional on the version read.
 */
@Injectable()
export class TaskEndings {
  constructor(
    private readonly repo: HarnessRepository,
    private readonly lifecycle: TaskLifecycle,
    private readonly hosts: HostsRepository,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  async complete(task: Task, result: ChecksEvaluation, extra: { summary?: string | null } = {}): Promise<NextStep> {
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

  async fail(task: Task, reason: FailureReason | string, detail: string): Promise<NextStep> {
    const hostId = task.hostId;
    await this.move(task, 'failed', {
      patch: { reason, reasonDetail: detail, stale: false, waiting: null, finishedAt: this.clock.now() },
      data: { reason, reasonDetail: detail },
    });
    if (hostId) await this.hosts.refreshLoad(task.teamId, hostId);
    return null;
  }

  /**
   * A call to the task's host failed: try again later while it may come back; once it is lost
   * (onHostTrouble), move the task to another host — or fail it `host.lost` when it is bound to a
   * session there.
   */
  async hostTrouble(task: Task, host: Host | null, err: unknown): Promise<NextStep> {
    if (!(err instanceof OpencodeError)) throw err;
    const state = readState(task.harnessState);
    const now = this.clock.now().getTime();
    const since = state.hostErrorSince ? Date.parse(state.hostErrorSince) : now;
    const name = host?.name ?? task.hostId ?? 'unknown';
    const verdict = onHostTrouble({
      unreachableForMs: now - since,
      lostAfterMs: this.config.harnessHostLostSeconds * 1000,
      hostOffline: host?.status === 'offline',
      boundSession: task.bindSessionId !== null,
    });
    if (verdict === 'retry') {
      await this.noteHostError(task, state, err);
      return Math.min(MAX_BACKOFF_MS, this.config.harnessPollMs * 2);
    }
    const away = `host ${name} has not answered for ${Math.round((now - since) / 1000)} s${
      host?.status === 'offline' ? ' (the registry marks it offline)' : ''
    }: ${describeError(err)}`;
    if (verdict === 'fail') {
      return this.fail(task, 'host.lost', `${away}; the task is bound to session ${task.bindSessionId} there`);
    }
    return this.relocate(task, name, away);
  }

  /**
   * The host is lost: the turn in flight is recorded `lost`, and the task goes back to the queue
   * without host or session (a paused one stays paused), to be dispatched to another matching host
   * with a fresh session. The session left on the lost host is not touched (it cannot be reached).
   */
  private async relocate(task: Task, hostName: string, detail: string): Promise<NextStep> {
    const now = this.clock.now();
    const state = readState(task.harnessState);
    const hostId = task.hostId;
    await this.repo.transaction(async () => {
      const turn = task.currentTurn > 0 ? await this.repo.turn(task.teamId, task.id, task.currentTurn) : null;
      if (turn && turn.outcome === 'sent') {
        await this.repo.updateTurn(turn, { outcome: 'lost', finishedAt: now, error: detail });
      }
      await this.move(task, 'host_lost', {
        patch: {
          hostId: null,
          sessionId: null,
          stale: false,
          waiting: null,
          harnessState: json({
            ...state,
            stale: { ...INITIAL_STALE },
            hostErrorSince: null,
            lastHostError: null,
            queuedSince: now.toISOString(),
            dispatchAttempts: 0,
            ...(hostId ? { lostHost: { hostId, name: hostName, at: now.toISOString() } } : {}),
          }),
        },
        data: {
          reason: 'host.lost',
          reasonDetail: detail,
          lostHostId: hostId,
          lostTurn: turn?.outcome === 'sent' ? turn.number : null,
        },
        events: [
          { type: 'LOG_LINE', data: { level: 'warn', message: `${detail}; dispatching the task again elsewhere` } },
        ],
      });
    });
    if (hostId) await this.hosts.refreshLoad(task.teamId, hostId);
    return 0;
  }

  /** The host is away but not for long yet (HARNESS_HOST_LOST_SECONDS): true while it may still come back. */
  hostMayReturn(task: Task): boolean {
    const state = readState(task.harnessState);
    const since = state.hostErrorSince ? Date.parse(state.hostErrorSince) : this.clock.now().getTime();
    return this.clock.now().getTime() - since < this.config.harnessHostLostSeconds * 1000;
  }

  async noteHostError(task: Task, state: HarnessState, err: unknown): Promise<void> {
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

  /** Bookkeeping that changes no state (TaskLifecycle.record). */
  write(task: Task, data: TaskPatch, events: TaskEventSpec[]): Promise<Task> {
    return this.lifecycle.record(task, data, events);
  }

  /** A transition of the lifecycle table (TaskLifecycle.advance). */
  move(task: Task, trigger: HarnessTrigger, change: Parameters<TaskLifecycle['advance']>[2] = {}): Promise<Task> {
    return this.lifecycle.advance(task, trigger, change);
  }
}

export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function json<T>(value: T): Prisma.InputJsonValue {
  return value as unknown as Prisma.InputJsonValue;
}
