import { Injectable } from '@nestjs/common';
import { AuditService } from '@heddle/audit';
import { AuthContext, Clock, EventType, InvalidStateError, NotFoundError, isFinished } from '@heddle/common';
import { Prisma, Task, Transactional } from '@heddle/db';
import { EventsWriter } from '@heddle/events';
import { taskEventData } from './task-event-data';
import { TaskMessagesService } from './task-messages.service';
import { HarnessTrigger, TaskAction, TaskStatus, transition } from './task-state';
import { TasksRepository } from './tasks.repository';

/** An event a write appends besides the one its transition implies; it gets the common payload too. */
export interface TaskEventSpec {
  type: EventType;
  data?: Prisma.InputJsonObject;
}

/** Columns a caller may change alongside a transition; `status` and `pendingAction` come from the table. */
export type TaskPatch = Omit<Prisma.TaskUpdateManyMutationInput, 'status' | 'pendingAction' | 'version'>;

/** A harness trigger the table refuses for the task's state: a bug in the harness, never a user's doing. */
export class InvalidTransitionError extends Error {
  constructor(taskId: string, status: string, trigger: string, why: string) {
    super(`task ${taskId}: ${trigger} is not a transition from ${status} (${why})`);
  }
}

/**
 * The one writer of a task's `status` and `pendingAction`, and the one place its events are
 * appended: every change goes through the transition table (`task-state.ts`) and is written with
 * its event in the same transaction (outbox). User actions lock the row and bump the version, so a
 * harness step in flight — whose writes are conditional on the version it read — re-decides
 * instead of overwriting them.
 */
@Injectable()
export class TaskLifecycle {
  constructor(
    private readonly repository: TasksRepository,
    private readonly events: EventsWriter,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly messages: TaskMessagesService,
  ) {}

  /** A task was stored `queued` (in the caller's transaction): its TASK_CREATED. */
  async created(task: Task, data?: Prisma.InputJsonObject): Promise<void> {
    await this.append(task, { type: 'TASK_CREATED', data });
  }

  /**
   * One writer per session (SPEC §3.9): `task` was bound to `sessionId`, so every other live task of
   * the team in that session stops (`aborted`, reason `session.handover`, archived) without touching
   * the session, and both sides record the handover. In the caller's transaction.
   */
  async handOverSession(task: Task, sessionId: string): Promise<string[]> {
    const previous = await this.repository.liveWithSessionForUpdate(task.teamId, sessionId, task.id);
    for (const old of previous) {
      const verdict = transition(old.status as TaskStatus, { by: 'user', action: 'hand_over', hasSession: true });
      if (!verdict.ok) continue;
      const updated = await this.repository.update(old.teamId, old.id, {
        status: verdict.to,
        pendingAction: verdict.pendingAction ?? null,
        reason: 'session.handover',
        reasonDetail: `session ${sessionId} was handed over to task ${task.id}`,
        archived: true,
        stale: false,
        finishedAt: this.clock.now(),
        version: { increment: 1 },
      });
      await this.append(updated, {
        type: 'TASK_ABORTED',
        data: { action: 'hand_over', previousStatus: old.status, sessionId, handedOverTo: task.id },
      });
      await this.finishing(old.status, updated);
    }
    return previous.map((t) => t.id);
  }

  /** A user action (the API): checked against the table, written with its event and audit row. */
  @Transactional()
  async userAction(
    auth: AuthContext,
    id: string,
    action: TaskAction,
    options: { newGoal?: boolean; patch?: TaskPatch; data?: Prisma.InputJsonObject } = {},
  ): Promise<Task> {
    const task = await this.repository.findForUpdate(auth.teamId, id);
    if (!task) throw new NotFoundError('task', id);
    const verdict = transition(task.status as TaskStatus, {
      by: 'user',
      action,
      hasSession: (task.sessionId ?? task.bindSessionId) !== null,
      newGoal: options.newGoal ?? false,
    });
    if (!verdict.ok) throw new InvalidStateError('task', task.status, `${action} (${verdict.why})`);
    if (action === 'delete') {
      await this.repository.delete(auth.teamId, id);
      await this.audit.record({
        teamId: auth.teamId,
        actor: auth,
        action: 'task.delete',
        targetType: 'task',
        targetId: id,
        details: { name: task.name },
      });
      return task;
    }
    const updated = await this.repository.update(auth.teamId, id, {
      ...options.patch,
      status: verdict.to,
      ...(verdict.pendingAction !== undefined ? { pendingAction: verdict.pendingAction } : {}),
      version: { increment: 1 },
      // The harness looks at once (the waker is only a hint; the sweep finds an overdue task).
      wakeAt: this.clock.now(),
    });
    await this.audit.record({
      teamId: auth.teamId,
      actor: auth,
      action: `task.${action}`,
      targetType: 'task',
      targetId: id,
      details: { from: task.status, to: updated.status },
    });
    if (verdict.event) {
      await this.append(updated, {
        type: verdict.event,
        data: { action, previousStatus: task.status, ...options.data },
      });
    }
    await this.finishing(task.status, updated);
    return updated;
  }

  /**
   * The harness moves a task: the trigger's transition, over the version it read (another writer in
   * between → TaskChangedError), with the transition's event (carrying `data`) and then `events`.
   */
  @Transactional()
  async advance(
    task: Task,
    trigger: HarnessTrigger,
    change: { patch?: TaskPatch; data?: Prisma.InputJsonObject; events?: TaskEventSpec[] } = {},
  ): Promise<Task> {
    const verdict = transition(task.status as TaskStatus, { by: 'harness', trigger });
    if (!verdict.ok) throw new InvalidTransitionError(task.id, task.status, trigger, verdict.why);
    const updated = await this.repository.updateVersioned(task, {
      ...change.patch,
      status: verdict.to,
      ...(verdict.pendingAction !== undefined ? { pendingAction: verdict.pendingAction } : {}),
    });
    if (verdict.event) await this.append(updated, { type: verdict.event, data: change.data });
    for (const event of change.events ?? []) await this.append(updated, event);
    await this.finishing(task.status, updated);
    return updated;
  }

  /** The harness's bookkeeping (totals, its state, flags), over the version it read; no state change. */
  @Transactional()
  async record(task: Task, patch: TaskPatch, events: TaskEventSpec[] = []): Promise<Task> {
    const updated = await this.repository.updateVersioned(task, patch);
    for (const event of events) await this.append(updated, event);
    return updated;
  }

  /**
   * A task that has just finished gets no follow-up: its queued messages are dropped (`task_finished`,
   * MESSAGE_DROPPED each), in the transaction that finished it — whoever did.
   */
  private async finishing(before: string, task: Task): Promise<void> {
    if (isFinished(task.status) && !isFinished(before)) await this.messages.dropAll(task, 'task_finished');
  }

  private async append(task: Task, event: TaskEventSpec): Promise<void> {
    await this.events.append(task.teamId, {
      type: event.type,
      taskId: task.id,
      hostId: task.hostId,
      data: { ...taskEventData(task), ...event.data },
    });
  }
}
