import { Injectable } from '@nestjs/common';
import { AuditService } from '@heddle/audit';
import {
  AuthContext,
  BadRequestError,
  Clock,
  ConflictError,
  EventType,
  ForbiddenError,
  ForbiddenScopeError,
  InvalidStateError,
  NotFoundError,
  Page,
  decodeCursor,
  rootContaining,
  toPage,
} from '@heddle/common';
import { Prisma, Task, Transactional, isUniqueViolation } from '@heddle/db';
import { EventsWriter } from '@heddle/events';
import { TaskWaker } from '@heddle/queue';
import { requestHash } from './canonical-json';
import type { CreateTaskDto, ListTasksQueryDto, ResumeTaskDto, TakeoverTaskDto } from './dto/task.dto';
import type { CheckRunResponseDto, TaskResponseDto, TurnResponseDto } from './dto/task-response.dto';
import { unknownPlaceholders } from './prompt-template';
import { TaskAction, TaskStatus, transition } from './task-state';
import { toCheckRunResponse, toTaskResponse, toTurnResponse } from './task-view';
import { TasksRepository } from './tasks.repository';

/** Heddle's own budgets, under the team's defaults and the task's own: budgets always exist (fail closed). */
export const HEDDLE_DEFAULT_BUDGETS = {
  maxTurns: 10,
  maxTokens: 2_000_000,
  maxCostUsd: 10,
  maxWallSeconds: 3600,
  maxNoProgressIterations: 3,
} as const;

export interface CreatedTask {
  task: TaskResponseDto;
  /** False when an Idempotency-Key replayed an existing task (200 instead of 201). */
  created: boolean;
}

@Injectable()
export class TasksService {
  constructor(
    private readonly repository: TasksRepository,
    private readonly events: EventsWriter,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly waker: TaskWaker,
  ) {}

  /**
   * Stores a task `queued` with TASK_CREATED in one transaction. With an Idempotency-Key, the same key
   * and body answer the task already made; the same key with another body is a 409.
   */
  async create(auth: AuthContext, dto: CreateTaskDto, idempotencyKey?: string): Promise<CreatedTask> {
    const hash = requestHash(dto);
    await this.guardCommandChecks(auth, dto);
    if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,200}$/.test(idempotencyKey)) {
      throw new BadRequestError(
        'task/invalid_idempotency_key',
        'Idempotency-Key must be 1-200 visible ASCII characters',
        [{ field: 'Idempotency-Key', errors: ['must be 1-200 visible ASCII characters'] }],
      );
    }
    if (idempotencyKey !== undefined) {
      const replay = await this.replay(auth.teamId, idempotencyKey, hash);
      if (replay) return replay;
    }
    try {
      const task = await this.insert(auth, dto, idempotencyKey, hash);
      await this.waker.wake(task.id); // after the commit: the harness reads what Postgres holds
      return { task, created: true };
    } catch (err) {
      // Two requests with one key raced: the loser answers what the winner stored.
      if (idempotencyKey !== undefined && isUniqueViolation(err)) {
        const replay = await this.replay(auth.teamId, idempotencyKey, hash);
        if (replay) return replay;
      }
      throw err;
    }
  }

  async list(teamId: string, query: ListTasksQueryDto): Promise<Page<TaskResponseDto>> {
    const limit = query.limit!;
    const rows = await this.repository.list(
      teamId,
      { ...query, archived: query.archived ?? false },
      limit,
      decodeCursor(query.cursor)?.id,
    );
    return toPage(rows, limit, (task) => toTaskResponse(task, null));
  }

  async get(teamId: string, id: string): Promise<TaskResponseDto> {
    const task = await this.mustFind(teamId, id);
    return toTaskResponse(task, await this.repository.latestCheckRun(teamId, id));
  }

  async turns(teamId: string, id: string, limit: number, cursor?: string): Promise<Page<TurnResponseDto>> {
    await this.mustFind(teamId, id);
    return toPage(await this.repository.turns(teamId, id, limit, decodeCursor(cursor)?.id), limit, toTurnResponse);
  }

  async checks(teamId: string, id: string, limit: number, cursor?: string): Promise<Page<CheckRunResponseDto>> {
    await this.mustFind(teamId, id);
    return toPage(
      await this.repository.checkRuns(teamId, id, limit, decodeCursor(cursor)?.id),
      limit,
      toCheckRunResponse,
    );
  }

  abort(auth: AuthContext, id: string): Promise<TaskResponseDto> {
    return this.changeAndWake(
      auth,
      id,
      'abort',
      {},
      () => ({
        status: 'aborted',
        reason: null,
        reasonDetail: 'aborted by a user',
        finishedAt: this.clock.now(),
        stale: false,
        // The harness stops the session and rejects what it still waits on.
        pendingAction: 'abort',
      }),
      'TASK_ABORTED',
    );
  }

  pause(auth: AuthContext, id: string): Promise<TaskResponseDto> {
    return this.changeAndWake(auth, id, 'pause', {}, () => ({ status: 'paused' }), 'TASK_UPDATED');
  }

  resume(auth: AuthContext, id: string, dto: ResumeTaskDto): Promise<TaskResponseDto> {
    return this.changeAndWake(
      auth,
      id,
      'resume',
      { newGoal: dto.goal !== undefined },
      (_task, to) => ({
        status: to,
        reason: null,
        reasonDetail: null,
        finishedAt: null,
        stale: false,
        // A fresh budget, and a new turn (or a new dispatch) once the harness looks.
        pendingAction: 'resume',
        ...(dto.goal !== undefined ? { goal: dto.goal } : {}),
      }),
      'TASK_UPDATED',
    );
  }

  takeover(auth: AuthContext, id: string, dto: TakeoverTaskDto): Promise<TaskResponseDto> {
    return this.changeAndWake(
      auth,
      id,
      'takeover',
      { newGoal: true },
      () => ({
        status: 'running',
        goal: dto.goal,
        reason: null,
        reasonDetail: null,
        finishedAt: null,
        stale: false,
        // The harness aborts what runs, then prompts the same session with the new goal.
        pendingAction: 'takeover',
      }),
      'TASK_UPDATED',
    );
  }

  archive(auth: AuthContext, id: string): Promise<TaskResponseDto> {
    return this.change(auth, id, 'archive', {}, () => ({ archived: true }), 'TASK_UPDATED');
  }

  @Transactional()
  async delete(auth: AuthContext, id: string): Promise<void> {
    const task = await this.lockedTask(auth.teamId, id);
    const verdict = transition('delete', {
      status: task.status as TaskStatus,
      hasSession: task.sessionId !== null,
      newGoal: false,
    });
    if (!verdict.ok) throw new InvalidStateError('task', task.status, `delete (${verdict.why})`);
    await this.repository.delete(auth.teamId, id);
    await this.audit.record({
      teamId: auth.teamId,
      actor: auth,
      action: 'task.delete',
      targetType: 'task',
      targetId: id,
      details: { name: task.name },
    });
  }

  @Transactional()
  private async insert(
    auth: AuthContext,
    dto: CreateTaskDto,
    idempotencyKey: string | undefined,
    hash: string,
  ): Promise<TaskResponseDto> {
    await this.validateReferences(auth.teamId, dto);
    const defaults = await this.repository.teamDefaultBudgets(auth.teamId);
    const budgets = { ...HEDDLE_DEFAULT_BUDGETS, ...pickBudgets(defaults), ...pickBudgets(dto.budgets ?? {}) };
    const checks = (dto.checks ?? []) as unknown as Prisma.InputJsonArray;
    const task = await this.repository.create(auth.teamId, {
      name: dto.name,
      workspace: dto.workspace,
      goal: dto.goal,
      steps: dto.steps ?? [],
      checks,
      requestedHostId: dto.hostId ?? null,
      labels: [...new Set(dto.labels ?? [])],
      model: dto.model ?? null,
      agent: dto.agent ?? null,
      mode: dto.mode ?? 'single',
      planFile: dto.planFile ?? 'PLAN.md',
      promptTemplate: dto.promptTemplate ?? null,
      budgets,
      checkIntervalSeconds: dto.checkIntervalSeconds ?? 30,
      bindSessionId: dto.sessionId ?? null,
      verification: checks.length > 0 ? 'checks' : 'weak',
      idempotencyKey: idempotencyKey ?? null,
      requestHash: hash,
      // Due now: if the wake-up after the commit is lost, the harness sweep finds it overdue.
      wakeAt: this.clock.now(),
    });
    await this.audit.record({
      teamId: auth.teamId,
      actor: auth,
      action: 'task.create',
      targetType: 'task',
      targetId: task.id,
      details: { name: task.name },
    });
    await this.events.append(auth.teamId, { type: 'TASK_CREATED', taskId: task.id, data: eventData(task) });
    return toTaskResponse(task, null);
  }

  private async replay(teamId: string, key: string, hash: string): Promise<CreatedTask | undefined> {
    const existing = await this.repository.findByIdempotencyKey(teamId, key);
    if (!existing) return undefined;
    if (existing.requestHash !== hash) {
      throw new ConflictError(
        'task/idempotency_key_reused',
        'this Idempotency-Key was used with a different request body',
        { taskId: existing.id },
      );
    }
    return {
      task: toTaskResponse(existing, await this.repository.latestCheckRun(teamId, existing.id)),
      created: false,
    };
  }

  private async validateReferences(teamId: string, dto: CreateTaskDto): Promise<void> {
    if (dto.hostId !== undefined && dto.labels?.length) {
      throw new BadRequestError('task/host_and_labels', 'give hostId or labels, not both', [
        { field: 'hostId', errors: ['give hostId or labels, not both'] },
      ]);
    }
    if (dto.hostId !== undefined) {
      const roots = await this.repository.hostWorkspaceRoots(teamId, dto.hostId);
      if (roots === null) throw new NotFoundError('host', dto.hostId);
      // Lexically outside every root: it could never run there (the harness checks the resolved path too).
      if (!rootContaining(dto.workspace, roots)) {
        const message = `workspace ${dto.workspace} is outside the workspace roots of host ${dto.hostId} [${roots.join(', ')}]`;
        throw new BadRequestError('task/workspace_outside_roots', message, [{ field: 'workspace', errors: [message] }]);
      }
    }
    const unknown = dto.promptTemplate ? unknownPlaceholders(dto.promptTemplate) : [];
    if (unknown.length) {
      const message = `promptTemplate has unknown placeholders: ${unknown.map((n) => `{{${n}}}`).join(', ')}`;
      throw new BadRequestError('task/unknown_placeholder', message, [{ field: 'promptTemplate', errors: [message] }]);
    }
  }

  /**
   * A `command` check runs a shell command on the host as its OS user: it needs the `checks:command`
   * scope and the team's `allowCommandChecks` policy (docs/security.md). The harness also reads the
   * policy each time it evaluates, so turning it off stops command checks of tasks already made.
   */
  private async guardCommandChecks(auth: AuthContext, dto: CreateTaskDto): Promise<void> {
    if (!(dto.checks ?? []).some((check) => check.kind === 'command')) return;
    if (!auth.scopes.includes('checks:command')) throw new ForbiddenScopeError(['checks:command']);
    if (!(await this.repository.teamAllowsCommandChecks(auth.teamId))) {
      throw new ForbiddenError(
        'task/command_checks_disabled',
        'command checks are off for this team; an admin token can turn them on with PATCH /api/team {"settings":{"allowCommandChecks":true}}',
        { setting: 'allowCommandChecks', enable: 'PATCH /api/team {"settings":{"allowCommandChecks":true}}' },
      );
    }
  }

  /** A user action, then a wake-up for the harness once it has committed. */
  private async changeAndWake(...args: Parameters<TasksService['change']>): Promise<TaskResponseDto> {
    const task = await this.change(...args);
    await this.waker.wake(task.id);
    return task;
  }

  /** One user action: lock, check the transition, write the change and its event in one transaction. */
  @Transactional()
  private async change(
    auth: AuthContext,
    id: string,
    action: TaskAction,
    facts: { newGoal?: boolean },
    patch: (task: Task, to: TaskStatus) => Prisma.TaskUpdateManyMutationInput,
    event: EventType,
  ): Promise<TaskResponseDto> {
    const task = await this.lockedTask(auth.teamId, id);
    const verdict = transition(action, {
      status: task.status as TaskStatus,
      hasSession: (task.sessionId ?? task.bindSessionId) !== null,
      newGoal: facts.newGoal ?? false,
    });
    if (!verdict.ok) throw new InvalidStateError('task', task.status, `${action} (${verdict.why})`);
    const to = verdict.to === 'unchanged' ? (task.status as TaskStatus) : verdict.to;
    const updated = await this.repository.update(auth.teamId, id, {
      ...patch(task, to),
      // A harness step in flight writes only over the version it read: it sees this change and re-decides.
      version: { increment: 1 },
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
    await this.events.append(auth.teamId, {
      type: event,
      taskId: id,
      data: { ...eventData(updated), action, previousStatus: task.status },
    });
    return toTaskResponse(updated, await this.repository.latestCheckRun(auth.teamId, id));
  }

  private async lockedTask(teamId: string, id: string): Promise<Task> {
    const task = await this.repository.findForUpdate(teamId, id);
    if (!task) throw new NotFoundError('task', id);
    return task;
  }

  private async mustFind(teamId: string, id: string): Promise<Task> {
    const task = await this.repository.find(teamId, id);
    if (!task) throw new NotFoundError('task', id);
    return task;
  }
}

function pickBudgets(source: object): Partial<Record<keyof typeof HEDDLE_DEFAULT_BUDGETS, number>> {
  const out: Partial<Record<keyof typeof HEDDLE_DEFAULT_BUDGETS, number>> = {};
  for (const key of Object.keys(HEDDLE_DEFAULT_BUDGETS) as (keyof typeof HEDDLE_DEFAULT_BUDGETS)[]) {
    const value = (source as Record<string, unknown>)[key];
    if (typeof value === 'number' && Number.isFinite(value)) out[key] = value;
  }
  return out;
}

/** What every task event carries: who it is and where it stands (never tool output or secrets). */
function eventData(task: Task): Prisma.InputJsonObject {
  return {
    name: task.name,
    status: task.status,
    reason: task.reason,
    verification: task.verification,
    currentTurn: task.currentTurn,
  };
}
