import { Injectable } from '@nestjs/common';
import { AuditService } from '@heddle/audit';
import {
  AuthContext,
  BadRequestError,
  actorLabel,
  Clock,
  ConflictError,
  ForbiddenError,
  ForbiddenScopeError,
  NotFoundError,
  Page,
  decodeCursor,
  scopeHolder,
  rootContaining,
  toPage,
} from '@heddle/common';
import { Prisma, Task, Transactional, isUniqueViolation } from '@heddle/db';
import { HostCatalog, HostsRepository, unknownModelOrAgent } from '@heddle/hosts';
import { TaskWaker } from '@heddle/queue';
import { requestHash } from './canonical-json';
import type { CreateTaskDto, ListTasksQueryDto, MarkTaskDto, ResumeTaskDto, TakeoverTaskDto } from './dto/task.dto';
import type { CheckRunResponseDto, TaskResponseDto, TurnResponseDto } from './dto/task-response.dto';
import { resolveFollowUpPolicy } from './follow-ups';
import { unknownPlaceholders } from './prompt-template';
import { TaskLifecycle } from './task-lifecycle';
import { TaskAction } from './task-state';
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
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly waker: TaskWaker,
    private readonly lifecycle: TaskLifecycle,
    private readonly hosts: HostsRepository,
    private readonly hostCatalog: HostCatalog,
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
    await this.checkModelAndAgent(auth.teamId, dto);
    try {
      const task = await this.insert(auth, dto, idempotencyKey, hash);
      if (task.status !== 'paused') await this.waker.wake(auth.teamId, task.id); // after the commit: the harness reads what Postgres holds
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
    return this.actAndWake(auth, id, 'abort', {
      patch: { reason: null, reasonDetail: 'aborted by a user', finishedAt: this.clock.now(), stale: false },
    });
  }

  pause(auth: AuthContext, id: string): Promise<TaskResponseDto> {
    return this.actAndWake(auth, id, 'pause');
  }

  async resume(auth: AuthContext, id: string, dto: ResumeTaskDto): Promise<TaskResponseDto> {
    return this.actAndWake(auth, id, 'resume', {
      newGoal: dto.goal !== undefined,
      patch: {
        ...(await this.freshVerdict(auth.teamId, id)),
        reason: null,
        reasonDetail: null,
        finishedAt: null,
        stale: false,
        ...(dto.goal !== undefined ? { goal: dto.goal } : {}),
      },
    });
  }

  async takeover(auth: AuthContext, id: string, dto: TakeoverTaskDto): Promise<TaskResponseDto> {
    return this.actAndWake(auth, id, 'takeover', {
      newGoal: true,
      patch: {
        ...(await this.freshVerdict(auth.teamId, id)),
        goal: dto.goal,
        reason: null,
        reasonDetail: null,
        finishedAt: null,
        stale: false,
      },
    });
  }

  /**
   * A task that works again has no verdict yet: an earlier result goes, and `verification` is again
   * what its checks give (a hand-made `manual` verdict does not carry over to the next one).
   */
  private async freshVerdict(teamId: string, id: string) {
    const task = await this.mustFind(teamId, id);
    const checks = Array.isArray(task.checks) ? task.checks : [];
    return { result: Prisma.DbNull, verification: verificationOf(checks) };
  }

  /** A human verdict: completed by hand (`verification: "manual"`), never confused with check evidence. */
  markComplete(auth: AuthContext, id: string, dto: MarkTaskDto): Promise<TaskResponseDto> {
    const by = actorLabel(auth);
    return this.actAndWake(auth, id, 'mark_complete', {
      patch: {
        verification: 'manual',
        reason: null,
        reasonDetail: dto.reason,
        finishedAt: this.clock.now(),
        stale: false,
        result: { verification: 'manual', by, reason: dto.reason },
      },
      data: { verification: 'manual', by, reasonDetail: dto.reason },
    });
  }

  /** A human verdict: failed by hand, with reason `manual`. */
  markFailed(auth: AuthContext, id: string, dto: MarkTaskDto): Promise<TaskResponseDto> {
    return this.actAndWake(auth, id, 'mark_failed', {
      patch: { reason: 'manual', reasonDetail: dto.reason, finishedAt: this.clock.now(), stale: false },
      data: { reason: 'manual', reasonDetail: dto.reason, by: actorLabel(auth) },
    });
  }

  /** The checks of a finished task, run again on its host: a CHECK_RESULT (`recheck`, `drift`); the status stays. */
  async recheck(auth: AuthContext, id: string): Promise<TaskResponseDto> {
    const task = await this.mustFind(auth.teamId, id);
    const checks = Array.isArray(task.checks) ? (task.checks as { kind?: unknown }[]) : [];
    if (!checks.some((c) => c.kind !== 'reply_json')) {
      throw new ConflictError('task/no_checks', `task ${id} has no workspace checks to run again`);
    }
    return this.actAndWake(auth, id, 'recheck');
  }

  async archive(auth: AuthContext, id: string): Promise<TaskResponseDto> {
    return this.view(await this.lifecycle.userAction(auth, id, 'archive', { patch: { archived: true } }));
  }

  async delete(auth: AuthContext, id: string): Promise<void> {
    await this.lifecycle.userAction(auth, id, 'delete');
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
    // Fixed at create, like the budgets: the task's own, then the team's, then Heddle's.
    const followUps = resolveFollowUpPolicy(dto.followUps, await this.repository.teamFollowUps(auth.teamId));
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
      // Abort-and-take-over: the harness aborts the bound session before its first prompt.
      ...(dto.abortSession && dto.sessionId ? { harnessState: { abortBoundSession: true } } : {}),
      // As given (a DTO instance): stored as plain JSON, applied by the harness to the task's sessions.
      permissionPolicy: dto.permission
        ? (JSON.parse(JSON.stringify(dto.permission)) as Prisma.InputJsonObject)
        : Prisma.DbNull,
      followUpPolicy: { ...followUps },
      verification: verificationOf(checks),
      idempotencyKey: idempotencyKey ?? null,
      requestHash: hash,
      // A start gate (`start: false`) keeps it paused until resumed; otherwise it is due now: if the
      // wake-up after the commit is lost, the harness sweep finds it overdue.
      ...(dto.start === false ? { status: 'paused', wakeAt: null } : { wakeAt: this.clock.now() }),
    });
    await this.audit.record({
      teamId: auth.teamId,
      actor: auth,
      action: 'task.create',
      targetType: 'task',
      targetId: task.id,
      details: { name: task.name },
    });
    // One writer per session: a task bound to a session takes it over from any live task in it.
    const handedOver = dto.sessionId ? await this.lifecycle.handOverSession(task, dto.sessionId) : [];
    await this.lifecycle.created(task, handedOver.length ? { handoverFrom: handedOver } : undefined);
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
    if (dto.abortSession && dto.sessionId === undefined) {
      throw new BadRequestError('request/validation_failed', 'abortSession needs sessionId', [
        { field: 'abortSession', errors: ['abortSession needs sessionId (the session to abort and take over)'] },
      ]);
    }
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
   * A task that names its host and a `model` or `agent` is checked against what that host offers
   * (`GET /config/providers`, `GET /agent` for the workspace): an unknown one is a 400 naming it and
   * the known ones. A host that cannot be read now (down, slow: HostCatalog gives up after a few
   * seconds) does not refuse the task — the harness checks again at dispatch (`model.unknown`,
   * `agent.unknown`), as it does for tasks whose host is chosen later by labels. Runs before the
   * insert's transaction, so no connection or lock is held while the host answers; a missing host,
   * labels beside `hostId` and a workspace outside the host's roots are left to the insert to refuse
   * (the host is never asked about a directory outside its roots).
   */
  private async checkModelAndAgent(teamId: string, dto: CreateTaskDto): Promise<void> {
    if (dto.hostId === undefined || dto.labels?.length) return;
    if (dto.model === undefined && dto.agent === undefined) return;
    const host = await this.hosts.find(teamId, dto.hostId);
    if (!host || !rootContaining(dto.workspace, host.workspaceRoots)) return;
    const catalog = await this.hostCatalog.of(host, dto.workspace);
    const unknown = catalog && unknownModelOrAgent(dto, catalog);
    if (unknown) {
      throw new BadRequestError('request/validation_failed', unknown.message, [
        { field: unknown.field, errors: [unknown.message] },
      ]);
    }
  }

  /**
   * A `command` check runs a shell command on the host as its OS user: it needs the `checks:command`
   * scope and the team's `allowCommandChecks` policy (docs/security.md). The harness also reads the
   * policy each time it evaluates, so turning it off stops command checks of tasks already made.
   */
  private async guardCommandChecks(auth: AuthContext, dto: CreateTaskDto): Promise<void> {
    if (!(dto.checks ?? []).some((check) => check.kind === 'command')) return;
    if (!auth.scopes.includes('checks:command')) throw new ForbiddenScopeError(['checks:command'], scopeHolder(auth));
    if (!(await this.repository.teamAllowsCommandChecks(auth.teamId))) {
      throw new ForbiddenError(
        'task/command_checks_disabled',
        'command checks are off for this team; an admin token can turn them on with PATCH /api/team {"settings":{"allowCommandChecks":true}}',
        { setting: 'allowCommandChecks', enable: 'PATCH /api/team {"settings":{"allowCommandChecks":true}}' },
      );
    }
  }

  /** A user action (TaskLifecycle), then a wake-up for the harness once it has committed. */
  private async actAndWake(
    auth: AuthContext,
    id: string,
    action: TaskAction,
    options: Parameters<TaskLifecycle['userAction']>[3] = {},
  ): Promise<TaskResponseDto> {
    const task = await this.lifecycle.userAction(auth, id, action, options);
    await this.waker.wake(task.teamId, task.id);
    return this.view(task);
  }

  private async view(task: Task): Promise<TaskResponseDto> {
    return toTaskResponse(task, await this.repository.latestCheckRun(task.teamId, task.id));
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

/** How a task without a verdict yet will be judged: by its checks, or weakly when it has none. */
function verificationOf(checks: readonly unknown[]): 'checks' | 'weak' {
  return checks.length > 0 ? 'checks' : 'weak';
}
