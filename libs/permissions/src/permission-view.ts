import type { PermissionRequest, Prisma, QuestionRequest } from '@heddle/db';
import type { PermissionResponseDto, PermissionStatus, ToolCallRefDto } from './dto/permission.dto';
import type { QuestionInfoDto, QuestionResponseDto, QuestionStatus } from './dto/question.dto';
import type { PermissionReplyKind, QuestionSpec } from './permission-policy';

function toolRef(value: Prisma.JsonValue): ToolCallRefDto | null {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
  const { messageID, callID } = value as Record<string, unknown>;
  return typeof messageID === 'string' && typeof callID === 'string' ? { messageID, callID } : null;
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** The questions as stored (OpenCode's QuestionInfo[]), read defensively. */
export function questionsOf(row: Pick<QuestionRequest, 'questions'>): QuestionSpec[] {
  const objects = (value: unknown): Record<string, unknown>[] => (Array.isArray(value) ? value.filter(isObject) : []);
  return objects(row.questions).map((q) => ({
    question: typeof q.question === 'string' ? q.question : '',
    header: typeof q.header === 'string' ? q.header : '',
    options: objects(q.options).map((o) => ({
      label: typeof o.label === 'string' ? o.label : '',
      description: typeof o.description === 'string' ? o.description : '',
    })),
    ...(typeof q.multiple === 'boolean' ? { multiple: q.multiple } : {}),
    ...(typeof q.custom === 'boolean' ? { custom: q.custom } : {}),
  }));
}

function answersOf(value: Prisma.JsonValue): string[][] | null {
  if (!Array.isArray(value)) return null;
  return value.map((labels) => (Array.isArray(labels) ? labels.filter((l): l is string => typeof l === 'string') : []));
}

export function toPermissionResponse(row: PermissionRequest): PermissionResponseDto {
  return {
    id: row.id,
    taskId: row.taskId,
    hostId: row.hostId,
    sessionId: row.sessionId,
    directory: row.directory,
    requestId: row.requestId,
    permission: row.permission,
    patterns: row.patterns,
    always: row.always,
    metadata: isObject(row.metadata) ? row.metadata : {},
    tool: toolRef(row.tool),
    status: row.status as PermissionStatus,
    reply: (row.reply as PermissionReplyKind | null) ?? null,
    message: row.message,
    repliedBy: row.repliedBy,
    createdAt: row.createdAt.toISOString(),
    repliedAt: row.repliedAt?.toISOString() ?? null,
  };
}

export function toQuestionResponse(row: QuestionRequest): QuestionResponseDto {
  return {
    id: row.id,
    taskId: row.taskId,
    hostId: row.hostId,
    sessionId: row.sessionId,
    directory: row.directory,
    requestId: row.requestId,
    questions: questionsOf(row) as QuestionInfoDto[],
    tool: toolRef(row.tool),
    status: row.status as QuestionStatus,
    answers: answersOf(row.answers),
    repliedBy: row.repliedBy,
    createdAt: row.createdAt.toISOString(),
    repliedAt: row.repliedAt?.toISOString() ?? null,
  };
}

/** What PERMISSION_REQUESTED / PERMISSION_REPLIED carry (the metadata, e.g. a whole diff, stays on the row). */
export function permissionEventData(row: PermissionRequest, taskName: string | null): Prisma.InputJsonObject {
  return {
    permissionId: row.id,
    requestId: row.requestId,
    sessionId: row.sessionId,
    directory: row.directory,
    permission: row.permission,
    patterns: row.patterns,
    always: row.always,
    status: row.status,
    ...(row.status !== 'pending'
      ? { reply: row.reply, repliedBy: row.repliedBy, ...(row.message ? { message: row.message } : {}) }
      : {}),
    ...(taskName !== null ? { name: taskName } : {}),
  };
}

/** What QUESTION_ASKED / QUESTION_ANSWERED carry. */
export function questionEventData(row: QuestionRequest, taskName: string | null): Prisma.InputJsonObject {
  return {
    questionId: row.id,
    requestId: row.requestId,
    sessionId: row.sessionId,
    directory: row.directory,
    questions: questionsOf(row) as unknown as Prisma.InputJsonArray,
    status: row.status,
    ...(row.status !== 'pending' ? { answers: row.answers as Prisma.InputJsonValue, repliedBy: row.repliedBy } : {}),
    ...(taskName !== null ? { name: taskName } : {}),
  };
}
