import { Injectable } from '@nestjs/common';
import {
  AuthContext,
  BadRequestError,
  Clock,
  ConflictError,
  NotFoundError,
  Page,
  ServiceUnavailableError,
  decodeCursor,
  toPage,
} from '@heddle/common';
import { OpencodeError } from '@heddle/opencode-client';
import type { ListPermissionsQueryDto, PermissionResponseDto, ReplyPermissionDto } from './dto/permission.dto';
import type { ListQuestionsQueryDto, QuestionResponseDto, ReplyQuestionDto } from './dto/question.dto';
import { AnswerOutcome, PermissionAnswers } from './permission-answers';
import { toPermissionResponse, toQuestionResponse } from './permission-view';
import { PermissionsRepository } from './permissions.repository';
import { TaskWaiting, waitedMs } from './waiting';

/** `/api/permissions` and `/api/questions`: the team's requests, and answers given by people. */
@Injectable()
export class PermissionsService {
  constructor(
    private readonly repository: PermissionsRepository,
    private readonly answers: PermissionAnswers,
    private readonly clock: Clock,
  ) {}

  async listPermissions(teamId: string, query: ListPermissionsQueryDto): Promise<Page<PermissionResponseDto>> {
    const limit = query.limit!;
    const rows = await this.repository.listPermissions(
      teamId,
      { taskId: query.taskId, hostId: query.hostId, status: query.status },
      limit,
      decodeCursor(query.cursor)?.id,
    );
    return toPage(rows, limit, toPermissionResponse);
  }

  async getPermission(teamId: string, id: string): Promise<PermissionResponseDto> {
    const row = await this.repository.findPermission(teamId, id);
    if (!row) throw new NotFoundError('permission', id);
    return toPermissionResponse(row);
  }

  async replyPermission(auth: AuthContext, id: string, dto: ReplyPermissionDto): Promise<PermissionResponseDto> {
    const outcome = await this.answers.replyPermission(
      auth.teamId,
      id,
      { reply: dto.reply, ...(dto.message !== undefined ? { message: dto.message } : {}) },
      { token: auth },
    );
    return toPermissionResponse(settle('permission', id, outcome));
  }

  /**
   * What the task waits for (for the harness: a task with something pending is "waiting", not stale;
   * and how long it waited, should wall time leave that out).
   */
  async waitingOf(teamId: string, taskId: string): Promise<TaskWaiting> {
    const rows = await this.repository.taskRequests(teamId, taskId);
    const pending = rows.filter((r) => r.status === 'pending');
    const since = pending.reduce<Date | null>(
      (min, r) => (min === null || r.createdAt < min ? r.createdAt : min),
      null,
    );
    return {
      permissions: pending.filter((r) => r.kind === 'permission').length,
      questions: pending.filter((r) => r.kind === 'question').length,
      since,
      waitedMs: waitedMs(rows, this.clock.now()),
    };
  }

  async listQuestions(teamId: string, query: ListQuestionsQueryDto): Promise<Page<QuestionResponseDto>> {
    const limit = query.limit!;
    const rows = await this.repository.listQuestions(
      teamId,
      { taskId: query.taskId, hostId: query.hostId, status: query.status },
      limit,
      decodeCursor(query.cursor)?.id,
    );
    return toPage(rows, limit, toQuestionResponse);
  }

  async getQuestion(teamId: string, id: string): Promise<QuestionResponseDto> {
    const row = await this.repository.findQuestion(teamId, id);
    if (!row) throw new NotFoundError('question', id);
    return toQuestionResponse(row);
  }

  async replyQuestion(auth: AuthContext, id: string, dto: ReplyQuestionDto): Promise<QuestionResponseDto> {
    const outcome = await this.answers.replyQuestion(auth.teamId, id, { answers: dto.answers }, { token: auth });
    return toQuestionResponse(settle('question', id, outcome));
  }

  async rejectQuestion(auth: AuthContext, id: string): Promise<QuestionResponseDto> {
    const outcome = await this.answers.replyQuestion(auth.teamId, id, { reject: true }, { token: auth });
    return toQuestionResponse(settle('question', id, outcome));
  }
}

/** The answered row, or the error that says why there is none (after the transaction committed). */
function settle<R extends { status: string; repliedBy: string | null }>(
  resource: 'permission' | 'question',
  id: string,
  outcome: AnswerOutcome<R>,
): R {
  switch (outcome.kind) {
    case 'answered':
      return outcome.row;
    case 'not_found':
      throw new NotFoundError(resource, id);
    case 'settled':
      throw new ConflictError(
        `${resource}/already_answered`,
        `${resource} ${id} is already ${outcome.row.status}${outcome.row.repliedBy ? ` (by ${outcome.row.repliedBy})` : ''}`,
        { status: outcome.row.status, repliedBy: outcome.row.repliedBy },
      );
    case 'gone':
      throw new ConflictError(
        `${resource}/already_answered`,
        `the host no longer has this ${resource}: it was answered there, or its session ended; recorded as expired`,
        { status: outcome.row.status, repliedBy: outcome.row.repliedBy },
      );
    case 'invalid':
      throw new BadRequestError('request/validation_failed', outcome.message, [
        { field: outcome.field, errors: [outcome.message] },
      ]);
    case 'unreachable': {
      const cause =
        outcome.error instanceof OpencodeError
          ? outcome.error.message
          : outcome.error instanceof Error
            ? outcome.error.message
            : String(outcome.error);
      throw new ServiceUnavailableError(
        'host/unreachable',
        `host ${outcome.hostName} did not take the answer (${cause}); nothing was recorded, try again`,
        { hostId: outcome.hostId, retryable: outcome.error instanceof OpencodeError ? outcome.error.retryable : true },
      );
    }
  }
}
