import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '@heddle/common';
import { AppConfig } from '@heddle/config';
import { Host, Task } from '@heddle/db';
import {
  HostCatalog,
  HostClients,
  HostSelectionService,
  HostsRepository,
  WaitingFor,
  unknownModelOrAgent,
} from '@heddle/hosts';
import { OpencodeNotFoundError } from '@heddle/opencode-client';
import { TaskEventSpec } from '@heddle/tasks';
import { HarnessRepository } from './harness.repository';
import { readState } from './harness-state';
import { StepContext } from './step-context';
import { MAX_BACKOFF_MS, NextStep, TaskEndings, describeError, json } from './task-endings';
import { TurnRunner, sessionRules } from './turn-runner';
import { checkWorkspaceRoots } from './workspace-roots';

/**
 * Dispatch: pick a host (fair across teams, within the team's limit and the host's roots), check
 * the workspace there, open the session (or bind the named one), and hand over to the first turn.
 */
@Injectable()
export class DispatchStep {
  private readonly logger = new Logger(DispatchStep.name);

  constructor(
    private readonly repo: HarnessRepository,
    private readonly clients: HostClients,
    private readonly selection: HostSelectionService,
    private readonly hosts: HostsRepository,
    private readonly catalog: HostCatalog,
    private readonly endings: TaskEndings,
    private readonly turns: TurnRunner,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /** The session the first turn goes to, or the step's end (waiting for a host, failed). */
  async run(ctx: StepContext): Promise<NextStep | { sessionId: string }> {
    let task = ctx.task;
    let host = task.status === 'dispatching' && task.hostId ? await this.repo.host(task.teamId, task.hostId) : null;
    if (!host) {
      // The grant and its record in one transaction: select() holds the pool's advisory lock until
      // it commits, so the next decision on that pool sees this session taken (fair dispatch).
      const { lostHost, ...rest } = readState(task.harnessState);
      const picked = await this.repo.transaction(async () => {
        const selection = await this.selection.select(
          task.teamId,
          task.requestedHostId ? { hostId: task.requestedHostId } : { labels: task.labels },
          {
            workspace: task.workspace,
            task,
            ...(lostHost ? { avoid: { hostId: lostHost.hostId, since: new Date(lostHost.at) } } : {}),
          },
        );
        if (!selection.ok) return { selection, task };
        const moved = await this.endings.move(task, 'host_selected', {
          // A task that lost its host found another: the wait for it is over.
          patch: { hostId: selection.host.id, ...(lostHost ? { harnessState: json(rest) } : {}) },
          data: { previousStatus: task.status, hostName: selection.host.name },
        });
        return { selection, task: moved };
      });
      const { selection } = picked;
      task = ctx.task = picked.task;
      if (!selection.ok && selection.outsideRoots) {
        return this.endings.fail(task, 'workspace.outside_roots', selection.reason);
      }
      if (!selection.ok) return this.waitForHost(ctx, selection.reason, selection.waitingFor);
      host = selection.host;
      await this.hosts.refreshLoad(task.teamId, host.id);
    }
    const client = this.clients.forHost(host, task.workspace);
    ctx.host = host;
    ctx.client = client;
    let sessionId = task.sessionId ?? undefined;
    try {
      // The trust boundary (docs/security.md): the workspace, as written and as the host resolves it.
      const roots = await checkWorkspaceRoots(client, host, task.workspace);
      if (!roots.ok && !roots.missing) return this.endings.fail(task, 'workspace.outside_roots', roots.detail);
      if (!roots.ok || !(await client.directoryExists())) {
        return this.endings.fail(task, 'workspace.missing', `${task.workspace} does not exist on host ${host.name}`);
      }
      // Checked at create when the task named its host; a host chosen now is asked now. A host that
      // does not answer the catalog is not refused: its session is what counts.
      if (task.model || task.agent) {
        const offered = await this.catalog.of(host, task.workspace);
        const unknown = offered && unknownModelOrAgent(task, offered);
        if (unknown) return this.endings.fail(task, unknown.reason, unknown.message);
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
            return this.endings.fail(task, 'workspace.missing', detail);
          }
          if (!where.ok) return this.endings.fail(task, 'workspace.outside_roots', where.detail);
          const rules = sessionRules(task);
          if (rules.length) await client.updateSession(task.bindSessionId, { permission: rules });
          // Abort-and-take-over (`abortSession`): stop what the session runs before prompting it.
          if (readState(task.harnessState).abortBoundSession) await this.turns.abortSession(client, task.bindSessionId);
          sessionId = task.bindSessionId;
        } else {
          sessionId = (await client.createSession(this.turns.sessionInput(task, 1))).id;
        }
      }
    } catch (err) {
      if (err instanceof OpencodeNotFoundError && task.bindSessionId) {
        return this.endings.fail(
          task,
          'session.lost',
          `session ${task.bindSessionId} does not exist on host ${host.name}`,
        );
      }
      return this.requeue(ctx, host, err);
    }
    return { sessionId: sessionId! };
  }

  /**
   * No host for now. Waiting for a host that fits is bounded (HARNESS_HOST_WAIT_SECONDS, then
   * `host.unavailable`); waiting for a session on a fitting, online host — busy, the team's turn in
   * the fair order, or its own limit (`waitingFor`) — is not: a long burst must not fail for being long.
   */
  private async waitForHost(ctx: StepContext, reason: string, waitingFor?: WaitingFor): Promise<NextStep> {
    const task = ctx.task;
    const state = readState(task.harnessState);
    const now = this.clock.now();
    const since = new Date(state.queuedSince ?? task.createdAt.toISOString());
    const waited = (now.getTime() - since.getTime()) / 1000;
    if (state.lostHost && waited >= this.config.harnessHostLostWaitSeconds) {
      // Bounded even while hosts are merely busy: the task was running on a host that went away.
      const detail = `host ${state.lostHost.name} was lost ${Math.round(waited)} s ago and no other host took the task: ${reason}`;
      return this.endings.fail(task, 'host.lost', detail);
    }
    if (!state.lostHost && !waitingFor && waited >= this.config.harnessHostWaitSeconds) {
      return this.endings.fail(
        task,
        'host.unavailable',
        `no host became available in ${Math.round(waited)} s: ${reason}`,
      );
    }
    const attempts = (state.dispatchAttempts ?? 0) + 1;
    const events: TaskEventSpec[] =
      attempts === 1 ? [{ type: 'LOG_LINE', data: { level: 'warn', message: `waiting for a host: ${reason}` } }] : [];
    ctx.task = await this.endings.write(
      task,
      { harnessState: json({ ...state, queuedSince: since.toISOString(), dispatchAttempts: attempts }) },
      events,
    );
    return Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(attempts - 1, 10));
  }

  /** The host failed us while dispatching: back to the queue to pick a host again (maybe another). */
  private async requeue(ctx: StepContext, host: Host, err: unknown): Promise<NextStep> {
    const message = describeError(err);
    this.logger.warn(`dispatch of task ${ctx.task.id} to host ${host.name} failed: ${message}`);
    const task: Task = await this.endings.move(ctx.task, 'requeued', {
      patch: { hostId: null, sessionId: ctx.task.bindSessionId ? null : ctx.task.sessionId },
      events: [
        { type: 'LOG_LINE', data: { level: 'warn', message: `dispatch to host ${host.name} failed: ${message}` } },
      ],
    });
    ctx.task = task;
    await this.hosts.refreshLoad(task.teamId, host.id);
    return this.waitForHost(ctx, `host ${host.name} failed: ${message}`);
  }
}
