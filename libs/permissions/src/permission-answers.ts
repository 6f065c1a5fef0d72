import { Injectable } from '@nestjs/common';
import { AuditService } from '@heddle/audit';
import { Actor, AuthContext, Clock, actorLabel, actorTokenId } from '@heddle/common';
import { PermissionRequest, Prisma, QuestionRequest, Transactional } from '@heddle/db';
import { EventsWriter } from '@heddle/events';
import { OpencodeNotFoundError } from '@heddle/opencode-client';
import { PermissionHostClients } from './permission-host-clients';
import { AutoAcceptRule, PermissionReplyKind, PolicyDecision, answersProblem } from './permission-policy';
import { permissionEventData, questionEventData, questionsOf } from './permission-view';
import { PermissionsRepository } from './permissions.repository';

/** Who answers: a token over the API, or Heddle's policy (with the rule that matched). */
export type Answerer =
  | { token: AuthContext }
  | { policy: { source: 'task' | 'team'; rule: PolicyDecision['rule'] | 'autoAnswerQuestions' } };

export type PermissionAnswer = { reply: PermissionReplyKind; message?: string };
export type QuestionAnswer = { answers: string[][] } | { reject: true };

/** How an attempt to answer ended; the caller turns it into an answer or an error after the commit. */
export type AnswerOutcome<R> =
  /** Forwarded to the host and recorded. */
  | { kind: 'answered'; row: R }
  | { kind: 'not_found' }
  /** Not pending any more (answered, rejected or expired before). */
  | { kind: 'settled'; row: R }
  /** The host no longer knows the request: recorded `expired` now (answered elsewhere, or its session ended). */
  | { kind: 'gone'; row: R }
  /** The answer does not fit the questions asked: nothing sent, nothing recorded. */
  | { kind: 'invalid'; field: string; message: string }
  /** The host could not be reached (or failed): nothing recorded. */
  | { kind: 'unreachable'; hostId: string; hostName: string; error: unknown };

const POLICY_ACTOR: Actor = { system: 'policy' };

/**
 * Answers a pending request on its host and records the answer — for a person (the API) and for the
 * policy (ingestion) alike. The row is locked (`FOR UPDATE`) while the host is asked, so two answers
 * never both go out, and an ingestion that sees the host's `permission.replied` meanwhile waits and
 * then finds the row answered (it is not mistaken for an answer given elsewhere). Nothing is written
 * when the host cannot be reached.
 */
@Injectable()
export class PermissionAnswers {
  constructor(
    private readonly repository: PermissionsRepository,
    private readonly clients: PermissionHostClients,
    private readonly events: EventsWriter,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  @Transactional()
  async replyPermission(
    teamId: string,
    id: string,
    answer: PermissionAnswer,
    by: Answerer,
  ): Promise<AnswerOutcome<PermissionRequest>> {
    const row = await this.repository.lockPermission(teamId, id);
    if (!row) return { kind: 'not_found' };
    if (row.status !== 'pending') return { kind: 'settled', row };
    const host = await this.repository.host(teamId, row.hostId);
    if (!host) return { kind: 'not_found' };
    const now = this.clock.now();
    try {
      await this.clients.forHost(host, row.directory).replyPermission(row.requestId, answer.reply, answer.message);
    } catch (err) {
      if (!(err instanceof OpencodeNotFoundError)) {
        return { kind: 'unreachable', hostId: host.id, hostName: host.name, error: err };
      }
      const expired = await this.repository.answerPermission(
        teamId,
        { id },
        { status: 'expired', repliedBy: 'host', repliedAt: now },
      );
      await this.appendPermissionEvent(expired!);
      return { kind: 'gone', row: expired! };
    }
    const answered = await this.repository.answerPermission(
      teamId,
      { id },
      {
        status: 'replied',
        reply: answer.reply,
        message: answer.message ?? null,
        repliedBy: 'token' in by ? actorLabel(by.token) : 'policy',
        repliedByTokenId: 'token' in by ? actorTokenId(by.token) : null,
        repliedAt: now,
      },
    );
    const taskName = await this.appendPermissionEvent(answered!, 'policy' in by ? by.policy : undefined);
    await this.audit.record({
      teamId,
      actor: 'token' in by ? by.token : POLICY_ACTOR,
      action: 'token' in by ? 'permission.reply' : 'permission.auto_reply',
      targetType: 'permission',
      targetId: id,
      details: {
        requestId: row.requestId,
        taskId: row.taskId,
        ...(taskName !== null ? { taskName } : {}),
        permission: row.permission,
        patterns: row.patterns,
        reply: answer.reply,
        ...(answer.message !== undefined ? { message: answer.message } : {}),
        ...('policy' in by ? { policy: policyJson(by.policy) } : {}),
      },
    });
    return { kind: 'answered', row: answered! };
  }

  @Transactional()
  async replyQuestion(
    teamId: string,
    id: string,
    answer: QuestionAnswer,
    by: Answerer,
  ): Promise<AnswerOutcome<QuestionRequest>> {
    const row = await this.repository.lockQuestion(teamId, id);
    if (!row) return { kind: 'not_found' };
    if (row.status !== 'pending') return { kind: 'settled', row };
    if ('answers' in answer) {
      const problem = answersProblem(questionsOf(row), answer.answers);
      if (problem) return { kind: 'invalid', ...problem };
    }
    const host = await this.repository.host(teamId, row.hostId);
    if (!host) return { kind: 'not_found' };
    const now = this.clock.now();
    const client = this.clients.forHost(host, row.directory);
    try {
      if ('answers' in answer) await client.replyQuestion(row.requestId, answer.answers);
      else await client.rejectQuestion(row.requestId);
    } catch (err) {
      if (!(err instanceof OpencodeNotFoundError)) {
        return { kind: 'unreachable', hostId: host.id, hostName: host.name, error: err };
      }
      const expired = await this.repository.answerQuestion(
        teamId,
        { id },
        { status: 'expired', repliedBy: 'host', repliedAt: now },
      );
      await this.appendQuestionEvent(expired!);
      return { kind: 'gone', row: expired! };
    }
    const answered = await this.repository.answerQuestion(
      teamId,
      { id },
      {
        status: 'answers' in answer ? 'answered' : 'rejected',
        answers: 'answers' in answer ? answer.answers : Prisma.DbNull,
        repliedBy: 'token' in by ? actorLabel(by.token) : 'policy',
        repliedByTokenId: 'token' in by ? actorTokenId(by.token) : null,
        repliedAt: now,
      },
    );
    const taskName = await this.appendQuestionEvent(answered!, 'policy' in by ? by.policy : undefined);
    await this.audit.record({
      teamId,
      actor: 'token' in by ? by.token : POLICY_ACTOR,
      action: 'token' in by ? ('answers' in answer ? 'question.reply' : 'question.reject') : 'question.auto_answer',
      targetType: 'question',
      targetId: id,
      details: {
        requestId: row.requestId,
        taskId: row.taskId,
        ...(taskName !== null ? { taskName } : {}),
        ...('answers' in answer ? { answers: answer.answers } : { rejected: true }),
      },
    });
    return { kind: 'answered', row: answered! };
  }

  /** PERMISSION_REQUESTED (pending) or PERMISSION_REPLIED (otherwise); answers the task's name, if any. */
  async appendPermissionEvent(
    row: PermissionRequest,
    policy?: Extract<Answerer, { policy: unknown }>['policy'],
  ): Promise<string | null> {
    const taskName = await this.taskName(row);
    await this.events.append(row.teamId, {
      type: row.status === 'pending' ? 'PERMISSION_REQUESTED' : 'PERMISSION_REPLIED',
      taskId: row.taskId,
      hostId: row.hostId,
      data: { ...permissionEventData(row, taskName), ...(policy ? { policy: policyJson(policy) } : {}) },
    });
    return taskName;
  }

  /** QUESTION_ASKED (pending) or QUESTION_ANSWERED (answered, rejected or expired). */
  async appendQuestionEvent(
    row: QuestionRequest,
    policy?: Extract<Answerer, { policy: unknown }>['policy'],
  ): Promise<string | null> {
    const taskName = await this.taskName(row);
    await this.events.append(row.teamId, {
      type: row.status === 'pending' ? 'QUESTION_ASKED' : 'QUESTION_ANSWERED',
      taskId: row.taskId,
      hostId: row.hostId,
      data: { ...questionEventData(row, taskName), ...(policy ? { policy: policyJson(policy) } : {}) },
    });
    return taskName;
  }

  private async taskName(row: { teamId: string; taskId: string | null }): Promise<string | null> {
    if (!row.taskId) return null;
    return (await this.repository.task(row.teamId, row.taskId))?.name ?? null;
  }
}

function policyJson(policy: Extract<Answerer, { policy: unknown }>['policy']): Prisma.InputJsonObject {
  const rule = policy.rule;
  return {
    source: policy.source,
    rule: typeof rule === 'string' ? rule : ({ ...rule } satisfies AutoAcceptRule as Prisma.InputJsonObject),
  };
}
