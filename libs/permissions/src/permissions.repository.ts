import { Injectable } from '@nestjs/common';
import { Host, InjectTransactionHost, PermissionRequest, Prisma, QuestionRequest, TxHost } from '@heddle/db';
import type { PermissionStatus } from './dto/permission.dto';
import type { QuestionStatus } from './dto/question.dto';

export interface RequestFilter<S extends string> {
  taskId?: string;
  hostId?: string;
  status?: S[];
}

/** Where a request lives: every row and every query carries the team. */
export interface RequestPlace {
  teamId: string;
  hostId: string;
  directory: string;
}

export type NewPermission = Omit<Prisma.PermissionRequestCreateManyInput, 'id' | 'status' | 'createdAt' | 'updatedAt'>;
export type NewQuestion = Omit<Prisma.QuestionRequestCreateManyInput, 'id' | 'status' | 'createdAt' | 'updatedAt'>;

/**
 * The only file that touches `permission_requests` and `question_requests`. It also reads (never
 * writes) what the policy needs from tables other libs own: a host, a team's settings, the task of a
 * session and its policy. Every method takes the team and puts it in every `where`.
 */
@Injectable()
export class PermissionsRepository {
  constructor(@InjectTransactionHost() private readonly txHost: TxHost) {}

  /** The database's clock: what `createdAt` is compared with. */
  async now(): Promise<Date> {
    const [row] = await this.txHost.tx.$queryRaw<{ now: Date }[]>`SELECT now() AS "now"`;
    return row!.now;
  }

  // ---- permission requests ---------------------------------------------------------------------

  /** Inserts the request unless the host's id is known already (another worker, an earlier look): null then. */
  async insertPermission(data: NewPermission): Promise<PermissionRequest | null> {
    const rows = await this.txHost.tx.permissionRequest.createManyAndReturn({ data: [data], skipDuplicates: true });
    return rows[0] ?? null;
  }

  findPermission(teamId: string, id: string): Promise<PermissionRequest | null> {
    return this.txHost.tx.permissionRequest.findFirst({ where: { teamId, id } });
  }

  findPermissionByRequest(teamId: string, hostId: string, requestId: string): Promise<PermissionRequest | null> {
    return this.txHost.tx.permissionRequest.findUnique({
      where: { teamId_hostId_requestId: { teamId, hostId, requestId } },
    });
  }

  /** Locks the row until the transaction ends: one answer at a time, whoever answers. */
  async lockPermission(teamId: string, id: string): Promise<PermissionRequest | null> {
    const rows = await this.txHost.tx.$queryRaw<{ id: string }[]>`
      SELECT "id" FROM "permission_requests" WHERE "id" = ${id}::uuid AND "teamId" = ${teamId}::uuid FOR UPDATE`;
    return rows.length ? this.findPermission(teamId, id) : null;
  }

  /** Records an answer on a row still pending; null when it was answered meanwhile. */
  async answerPermission(
    teamId: string,
    where: { id: string } | { hostId: string; requestId: string },
    data: Prisma.PermissionRequestUpdateManyMutationInput,
  ): Promise<PermissionRequest | null> {
    const rows = await this.txHost.tx.permissionRequest.updateManyAndReturn({
      where: { teamId, status: 'pending', ...where },
      data,
    });
    return rows[0] ?? null;
  }

  /** A pending row recorded before its session's task was known gets the task (once). */
  async assignPermissionTask(teamId: string, id: string, taskId: string): Promise<PermissionRequest | null> {
    const rows = await this.txHost.tx.permissionRequest.updateManyAndReturn({
      where: { teamId, id, taskId: null },
      data: { taskId },
    });
    return rows[0] ?? null;
  }

  /**
   * Request ids of the place's pending rows created before `before` (a row inserted after a listing
   * may be a request the listing could not show yet).
   */
  async pendingRequestIds(place: RequestPlace, before: Date): Promise<{ permissions: string[]; questions: string[] }> {
    const { teamId, hostId, directory } = place;
    const where = { teamId, hostId, directory, status: 'pending', createdAt: { lt: before } };
    const select = { requestId: true } as const;
    const [permissions, questions] = await Promise.all([
      this.txHost.tx.permissionRequest.findMany({ where, select }),
      this.txHost.tx.questionRequest.findMany({ where, select }),
    ]);
    return { permissions: permissions.map((r) => r.requestId), questions: questions.map((r) => r.requestId) };
  }

  /** Marks these of the place's requests expired, where still pending (once, whoever else tries). */
  expirePermissions(place: RequestPlace, requestIds: string[], repliedAt: Date) {
    if (requestIds.length === 0) return Promise.resolve([]);
    return this.txHost.tx.permissionRequest.updateManyAndReturn({
      where: { ...place, status: 'pending', requestId: { in: requestIds } },
      data: { status: 'expired', repliedBy: 'host', repliedAt },
    });
  }

  listPermissions(
    teamId: string,
    filter: RequestFilter<PermissionStatus>,
    limit: number,
    beforeId?: string,
  ): Promise<PermissionRequest[]> {
    return this.txHost.tx.permissionRequest.findMany({
      where: { teamId, ...filterWhere(filter), ...(beforeId ? { id: { lt: beforeId } } : {}) },
      orderBy: { id: 'desc' },
      take: limit + 1,
    });
  }

  // ---- questions -------------------------------------------------------------------------------

  async insertQuestion(data: NewQuestion): Promise<QuestionRequest | null> {
    const rows = await this.txHost.tx.questionRequest.createManyAndReturn({ data: [data], skipDuplicates: true });
    return rows[0] ?? null;
  }

  findQuestion(teamId: string, id: string): Promise<QuestionRequest | null> {
    return this.txHost.tx.questionRequest.findFirst({ where: { teamId, id } });
  }

  findQuestionByRequest(teamId: string, hostId: string, requestId: string): Promise<QuestionRequest | null> {
    return this.txHost.tx.questionRequest.findUnique({
      where: { teamId_hostId_requestId: { teamId, hostId, requestId } },
    });
  }

  async lockQuestion(teamId: string, id: string): Promise<QuestionRequest | null> {
    const rows = await this.txHost.tx.$queryRaw<{ id: string }[]>`
      SELECT "id" FROM "question_requests" WHERE "id" = ${id}::uuid AND "teamId" = ${teamId}::uuid FOR UPDATE`;
    return rows.length ? this.findQuestion(teamId, id) : null;
  }

  async answerQuestion(
    teamId: string,
    where: { id: string } | { hostId: string; requestId: string },
    data: Prisma.QuestionRequestUpdateManyMutationInput,
  ): Promise<QuestionRequest | null> {
    const rows = await this.txHost.tx.questionRequest.updateManyAndReturn({
      where: { teamId, status: 'pending', ...where },
      data,
    });
    return rows[0] ?? null;
  }

  async assignQuestionTask(teamId: string, id: string, taskId: string): Promise<QuestionRequest | null> {
    const rows = await this.txHost.tx.questionRequest.updateManyAndReturn({
      where: { teamId, id, taskId: null },
      data: { taskId },
    });
    return rows[0] ?? null;
  }

  expireQuestions(place: RequestPlace, requestIds: string[], repliedAt: Date) {
    if (requestIds.length === 0) return Promise.resolve([]);
    return this.txHost.tx.questionRequest.updateManyAndReturn({
      where: { ...place, status: 'pending', requestId: { in: requestIds } },
      data: { status: 'expired', repliedBy: 'host', repliedAt },
    });
  }

  listQuestions(
    teamId: string,
    filter: RequestFilter<QuestionStatus>,
    limit: number,
    beforeId?: string,
  ): Promise<QuestionRequest[]> {
    return this.txHost.tx.questionRequest.findMany({
      where: { teamId, ...filterWhere(filter), ...(beforeId ? { id: { lt: beforeId } } : {}) },
      orderBy: { id: 'desc' },
      take: limit + 1,
    });
  }

  /**
   * (team, host, directory) places with requests still pending, in the given teams (null: all):
   * re-listed even when no task watches them any more, so none stays pending forever.
   */
  async pendingPlaces(teamIds: readonly string[] | null, limit: number): Promise<RequestPlace[]> {
    const scope = teamIds === null ? Prisma.sql`TRUE` : Prisma.sql`"teamId" = ANY(${[...teamIds]}::uuid[])`;
    return this.txHost.tx.$queryRaw<RequestPlace[]>`
      SELECT DISTINCT "teamId"::text AS "teamId", "hostId"::text AS "hostId", "directory" FROM (
        SELECT "teamId", "hostId", "directory" FROM "permission_requests" WHERE "status" = 'pending' AND ${scope}
        UNION
        SELECT "teamId", "hostId", "directory" FROM "question_requests" WHERE "status" = 'pending' AND ${scope}
      ) AS pending LIMIT ${limit}`;
  }

  /** Every request of a task, for what it waits on: status and times only. */
  async taskRequests(
    teamId: string,
    taskId: string,
  ): Promise<{ kind: 'permission' | 'question'; status: string; createdAt: Date; repliedAt: Date | null }[]> {
    const select = { status: true, createdAt: true, repliedAt: true } as const;
    const [permissions, questions] = await Promise.all([
      this.txHost.tx.permissionRequest.findMany({ where: { teamId, taskId }, select }),
      this.txHost.tx.questionRequest.findMany({ where: { teamId, taskId }, select }),
    ]);
    return [
      ...permissions.map((r) => ({ kind: 'permission' as const, ...r })),
      ...questions.map((r) => ({ kind: 'question' as const, ...r })),
    ];
  }

  // ---- reads of other libs' tables (never written here) ------------------------------------------

  host(teamId: string, hostId: string): Promise<Host | null> {
    return this.txHost.tx.host.findFirst({ where: { teamId, id: hostId } });
  }

  async teamSettings(teamId: string): Promise<Prisma.JsonValue> {
    const team = await this.txHost.tx.team.findUnique({ where: { id: teamId }, select: { settings: true } });
    return team?.settings ?? null;
  }

  /** The team's task that runs (or ran) this session: its current session, else one of its turns'. */
  async taskOfSession(teamId: string, sessionId: string): Promise<string | null> {
    const task = await this.txHost.tx.task.findFirst({
      where: { teamId, sessionId },
      orderBy: { id: 'desc' },
      select: { id: true },
    });
    if (task) return task.id;
    const turn = await this.txHost.tx.turn.findFirst({
      where: { teamId, sessionId },
      orderBy: { id: 'desc' },
      select: { taskId: true },
    });
    return turn?.taskId ?? null;
  }

  task(
    teamId: string,
    taskId: string,
  ): Promise<{ id: string; name: string; permissionPolicy: Prisma.JsonValue } | null> {
    return this.txHost.tx.task.findFirst({
      where: { teamId, id: taskId },
      select: { id: true, name: true, permissionPolicy: true },
    });
  }
}

function filterWhere<S extends string>(filter: RequestFilter<S>) {
  return {
    ...(filter.taskId ? { taskId: filter.taskId } : {}),
    ...(filter.hostId ? { hostId: filter.hostId } : {}),
    ...(filter.status?.length ? { status: { in: filter.status } } : {}),
  };
}
