import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '@heddle/common';
import { Host, PermissionRequest, Prisma, QuestionRequest, Transactional } from '@heddle/db';
import type {
  OpencodeClient,
  PermissionRequest as OpencodePermission,
  QuestionRequest as OpencodeQuestion,
} from '@heddle/opencode-client';
import { PermissionAnswers } from './permission-answers';
import { PermissionHostClients } from './permission-host-clients';
import {
  PERMISSION_REPLIES,
  PermissionReplyKind,
  decidePermission,
  firstOptionAnswers,
  fixedAnswers,
  readPermissionPolicy,
  readTeamPermissionSettings,
} from './permission-policy';
import { questionsOf } from './permission-view';
import { PermissionsRepository, RequestPlace } from './permissions.repository';
import { VanishedRequests } from './vanished-requests';

/** A (team, host, directory) the harness follows, with the sessions it knows there (session → task). */
export interface WatchedPlace extends RequestPlace {
  host: Host;
  sessions: ReadonlyMap<string, string>;
}

/** How deep a child session's parents are followed to find the task (subagents ask in sessions of their own). */
const MAX_PARENT_DEPTH = 3;
/** A session found to belong to no task is looked up again after this long (a task may bind it later). */
const UNKNOWN_SESSION_TTL_MS = 5_000;
/** A session's task is looked up again after this long (the task may have been deleted). */
const KNOWN_SESSION_TTL_MS = 60_000;
const SESSION_CACHE_LIMIT = 10_000;
/** A request the host stopped listing is expired once it has been missing this long (VanishedRequests). */
export const VANISHED_GRACE_MS = 2_000;

/**
 * Turns what a host reports (events and listings) into rows, events and policy answers. Idempotent:
 * every request is keyed by (team, host, OpenCode id), so several workers, a replayed listing or an
 * event seen twice record it once. Every query names the team.
 */
@Injectable()
export class PermissionIngest {
  private readonly logger = new Logger(PermissionIngest.name);
  private readonly sessionTasks = new Map<string, { taskId: string | null; at: number }>();
  private readonly vanished = new VanishedRequests();

  constructor(
    private readonly repository: PermissionsRepository,
    private readonly answers: PermissionAnswers,
    private readonly clients: PermissionHostClients,
    private readonly clock: Clock,
  ) {}

  // ---- permissions -------------------------------------------------------------------------------

  /** `permission.asked`, or a request listed by `GET /permission`: recorded once, then offered to the policy. */
  async permissionAsked(place: WatchedPlace, request: OpencodePermission): Promise<PermissionRequest> {
    const row = await this.recordAsked(place, request.sessionID, {
      find: () => this.repository.findPermissionByRequest(place.teamId, place.hostId, request.id),
      insert: (taskId) => this.recordPermission(place, request, taskId),
      assign: (found, taskId) => this.repository.assignPermissionTask(found.teamId, found.id, taskId),
    });
    return row.status === 'pending' ? this.applyPermissionPolicy(row) : row;
  }

  /** `permission.replied`: answered on the host. A reply of ours is recorded already (and the row locked meanwhile). */
  @Transactional()
  async permissionReplied(place: RequestPlace, requestId: string, reply: string): Promise<void> {
    const kind = PERMISSION_REPLIES.includes(reply as PermissionReplyKind) ? reply : null;
    const row = await this.repository.answerPermission(
      place.teamId,
      { hostId: place.hostId, requestId },
      { status: 'replied', reply: kind, repliedBy: 'host', repliedAt: this.clock.now() },
    );
    if (row) await this.answers.appendPermissionEvent(row);
  }

  @Transactional()
  private async recordPermission(
    place: WatchedPlace,
    request: OpencodePermission,
    taskId: string | null,
  ): Promise<PermissionRequest | null> {
    const row = await this.repository.insertPermission({
      teamId: place.teamId,
      hostId: place.hostId,
      taskId,
      sessionId: request.sessionID,
      directory: place.directory,
      requestId: request.id,
      permission: String(request.permission),
      patterns: stringsOf(request.patterns),
      always: stringsOf(request.always),
      metadata: boundedMetadata(request.metadata),
      tool: request.tool ? { messageID: request.tool.messageID, callID: request.tool.callID } : Prisma.DbNull,
    });
    if (row) await this.answers.appendPermissionEvent(row);
    return row;
  }

  /** Answers a pending request of a task by the task's and the team's rules, when one matches. */
  private async applyPermissionPolicy(row: PermissionRequest): Promise<PermissionRequest> {
    if (!row.taskId) return row;
    const task = await this.repository.task(row.teamId, row.taskId);
    const team = readTeamPermissionSettings(await this.repository.teamSettings(row.teamId));
    const decision = decidePermission(row, { task: readPermissionPolicy(task?.permissionPolicy), team });
    if (!decision) return row;
    const outcome = await this.answers.replyPermission(
      row.teamId,
      row.id,
      { reply: decision.reply, ...(decision.message ? { message: decision.message } : {}) },
      { policy: { source: decision.source, rule: decision.rule } },
    );
    if (outcome.kind === 'unreachable') {
      // Still pending: the next listing of the place offers it to the policy again.
      this.logger.warn(`could not answer permission ${row.id} by policy: ${describe(outcome.error)}`);
      return row;
    }
    return 'row' in outcome ? outcome.row : row;
  }

  // ---- questions ---------------------------------------------------------------------------------

  async questionAsked(place: WatchedPlace, request: OpencodeQuestion): Promise<QuestionRequest> {
    const row = await this.recordAsked(place, request.sessionID, {
      find: () => this.repository.findQuestionByRequest(place.teamId, place.hostId, request.id),
      insert: (taskId) => this.recordQuestion(place, request, taskId),
      assign: (found, taskId) => this.repository.assignQuestionTask(found.teamId, found.id, taskId),
    });
    return row.status === 'pending' ? this.applyQuestionPolicy(row) : row;
  }

  /** `question.replied` (answers) or `question.rejected` (null): answered on the host. */
  @Transactional()
  async questionAnswered(place: RequestPlace, requestId: string, answers: string[][] | null): Promise<void> {
    const row = await this.repository.answerQuestion(
      place.teamId,
      { hostId: place.hostId, requestId },
      {
        status: answers ? 'answered' : 'rejected',
        answers: answers ?? Prisma.DbNull,
        repliedBy: 'host',
        repliedAt: this.clock.now(),
      },
    );
    if (row) await this.answers.appendQuestionEvent(row);
  }

  @Transactional()
  private async recordQuestion(
    place: WatchedPlace,
    request: OpencodeQuestion,
    taskId: string | null,
  ): Promise<QuestionRequest | null> {
    const row = await this.repository.insertQuestion({
      teamId: place.teamId,
      hostId: place.hostId,
      taskId,
      sessionId: request.sessionID,
      directory: place.directory,
      requestId: request.id,
      questions: (Array.isArray(request.questions) ? request.questions : []) as unknown as Prisma.InputJsonArray,
      tool: request.tool ? { messageID: request.tool.messageID, callID: request.tool.callID } : Prisma.DbNull,
    });
    if (row) await this.answers.appendQuestionEvent(row);
    return row;
  }

  /**
   * The team's `autoAnswerQuestions`, for a task's session: `first` — the first option of every
   * question; `fixed` — the team's `autoAnswerText` (fixedAnswers).
   */
  private async applyQuestionPolicy(row: QuestionRequest): Promise<QuestionRequest> {
    if (!row.taskId) return row;
    const team = readTeamPermissionSettings(await this.repository.teamSettings(row.teamId));
    if (team.autoAnswerQuestions === 'off') return row;
    const answers =
      team.autoAnswerQuestions === 'first'
        ? firstOptionAnswers(questionsOf(row))
        : fixedAnswers(questionsOf(row), team.autoAnswerText!);
    if (!answers) return row;
    const outcome = await this.answers.replyQuestion(
      row.teamId,
      row.id,
      { answers },
      { policy: { source: 'team', rule: 'autoAnswerQuestions' } },
    );
    if (outcome.kind === 'unreachable') {
      this.logger.warn(`could not answer question ${row.id} by policy: ${describe(outcome.error)}`);
      return row;
    }
    return 'row' in outcome ? outcome.row : row;
  }

  /**
   * A request (permission or question) recorded once: found by its host and OpenCode id, or inserted
   * with the task whose session asked (none if no task has it yet); a pending row recorded before its
   * session was a task's gets that task now.
   */
  private async recordAsked<R extends { id: string; teamId: string; status: string; taskId: string | null }>(
    place: WatchedPlace,
    sessionId: string,
    ops: {
      find: () => Promise<R | null>;
      insert: (taskId: string | null) => Promise<R | null>;
      assign: (row: R, taskId: string) => Promise<R | null>;
    },
  ): Promise<R> {
    let row = await ops.find();
    if (!row) {
      const taskId = await this.taskOf(place, sessionId);
      const inserted = await this.withTaskGone(place, sessionId, taskId, (id) => ops.insert(id));
      row = inserted ?? (await ops.find())!;
    }
    if (row.status !== 'pending' || row.taskId) return row;
    const taskId = await this.taskOf(place, sessionId);
    if (!taskId) return row;
    const found = row;
    const assigned = await this.withTaskGone(place, sessionId, taskId, (id) =>
      id ? ops.assign(found, id) : Promise.resolve(null),
    );
    return assigned ?? row;
  }

  // ---- listings ----------------------------------------------------------------------------------

  /**
   * Lists the place's pending requests on the host: records those not seen yet (a dropped stream, a
   * restart), offers pending ones to the policy again, and marks rows whose request the host has no
   * longer listed for `graceMs` `expired` (answered elsewhere while nobody listened, or its session
   * ended; see VanishedRequests). Throws when the host cannot be listed (nothing is expired then).
   */
  async reconcile(place: WatchedPlace, graceMs = VANISHED_GRACE_MS, signal?: AbortSignal): Promise<void> {
    const client = this.clients.forHost(place.host, place.directory);
    const listedAt = await this.repository.now();
    const [permissions, questions] = await Promise.all([
      client.listPermissions({ signal }),
      client.listQuestions({ signal }),
    ]);
    for (const request of permissions) await this.permissionAsked(place, request);
    for (const request of questions) await this.questionAsked(place, request);
    const pending = await this.repository.pendingRequestIds(place, listedAt);
    const key = `${place.teamId}|${place.hostId}|${place.directory}`;
    const now = this.clock.now().getTime();
    await this.expire(
      place,
      this.vanished.due(`${key}|permission`, pending.permissions, new Set(permissions.map((p) => p.id)), now, graceMs),
      this.vanished.due(`${key}|question`, pending.questions, new Set(questions.map((q) => q.id)), now, graceMs),
    );
  }

  @Transactional()
  private async expire(place: RequestPlace, permissionIds: string[], questionIds: string[]) {
    const { teamId, hostId, directory } = place;
    const now = this.clock.now();
    for (const row of await this.repository.expirePermissions({ teamId, hostId, directory }, permissionIds, now)) {
      await this.answers.appendPermissionEvent(row);
    }
    for (const row of await this.repository.expireQuestions({ teamId, hostId, directory }, questionIds, now)) {
      await this.answers.appendQuestionEvent(row);
    }
  }

  // ---- which task asks ---------------------------------------------------------------------------

  /**
   * Runs `write` with the session's task; when that task was deleted meanwhile (the foreign key
   * refuses it), forgets it and writes the row without a task.
   */
  private async withTaskGone<T>(
    place: WatchedPlace,
    sessionId: string,
    taskId: string | null,
    write: (taskId: string | null) => Promise<T>,
  ): Promise<T> {
    try {
      return await write(taskId);
    } catch (err) {
      if (taskId === null || !(err instanceof Prisma.PrismaClientKnownRequestError) || err.code !== 'P2003') throw err;
      this.sessionTasks.set(`${place.teamId}|${sessionId}`, { taskId: null, at: Date.now() });
      return write(null);
    }
  }

  /**
   * The team's task of a session: the one the harness follows it for, else the task whose session
   * or turn it is, else — for a child session (a subagent) — its parent's task.
   */
  private async taskOf(place: WatchedPlace, sessionId: string, depth = 0): Promise<string | null> {
    const known = place.sessions.get(sessionId);
    if (known) return known;
    const key = `${place.teamId}|${sessionId}`;
    const cached = this.sessionTasks.get(key);
    const now = Date.now();
    if (cached && now - cached.at < (cached.taskId === null ? UNKNOWN_SESSION_TTL_MS : KNOWN_SESSION_TTL_MS)) {
      return cached.taskId;
    }
    let taskId = await this.repository.taskOfSession(place.teamId, sessionId);
    if (!taskId && depth < MAX_PARENT_DEPTH) {
      const parent = await this.parentOf(this.clients.forHost(place.host, place.directory), sessionId);
      if (parent) taskId = await this.taskOf(place, parent, depth + 1);
    }
    if (this.sessionTasks.size >= SESSION_CACHE_LIMIT) this.sessionTasks.clear();
    this.sessionTasks.set(key, { taskId, at: now });
    return taskId;
  }

  private async parentOf(client: OpencodeClient, sessionId: string): Promise<string | undefined> {
    try {
      return (await client.getSession(sessionId)).parentID ?? undefined;
    } catch {
      return undefined;
    }
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Longest text of OpenCode's `metadata` kept on a row (an edit's diff can be a whole file). */
export const MAX_METADATA_TEXT = 64 * 1024;
const MAX_METADATA_JSON = 256 * 1024;

/** The request's `metadata`, with long texts cut (`…[truncated]`) and, past 256 KB in all, only its keys. */
export function boundedMetadata(metadata: unknown): Prisma.InputJsonObject {
  if (!isObject(metadata)) return {};
  const cut = Object.fromEntries(
    Object.entries(metadata).map(([key, value]) => [
      key,
      typeof value === 'string' && value.length > MAX_METADATA_TEXT
        ? `${value.slice(0, MAX_METADATA_TEXT)}…[truncated]`
        : value,
    ]),
  );
  if (JSON.stringify(cut).length <= MAX_METADATA_JSON) return cut as Prisma.InputJsonObject;
  return { truncated: true, keys: Object.keys(metadata) };
}
const stringsOf = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));
