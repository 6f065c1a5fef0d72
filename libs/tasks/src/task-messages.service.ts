import { Injectable } from '@nestjs/common';
import {
  AuthContext,
  BadRequestError,
  Clock,
  ConflictError,
  InvalidStateError,
  NotFoundError,
  Page,
  actorLabel,
  decodeCursor,
  toPage,
} from '@heddle/common';
import type { TaskStatus } from '@heddle/common';
import { Prisma, Task, TaskMessage, Transactional } from '@heddle/db';
import { EventsWriter } from '@heddle/events';
import { TaskWaker } from '@heddle/queue';
import { requestHash } from './canonical-json';
import type { ListTaskMessagesQueryDto, SendTaskMessageDto, TaskMessageResponseDto } from './dto/task-message.dto';
import {
  DroppedReason,
  FollowUpPolicy,
  MessageLane,
  applyCap,
  composePrompt,
  excerpt,
  mergeTexts,
  orderForDelivery,
  readyAt,
  resolveFollowUpPolicy,
} from './follow-ups';
import { taskEventData } from './task-event-data';
import { transition } from './task-state';
import { TaskMessagesRepository } from './task-messages.repository';
import { toTaskMessageResponse } from './task-view';
import { TasksRepository } from './tasks.repository';

/** What the harness sends when a task's session is idle, or null when nothing is queued. */
export interface NextDelivery {
  /** Every queued message, in delivery order: lane priority, then oldest first. */
  messages: TaskMessage[];
  /** Their texts as one prompt: the text alone for one message; numbered (`1. …`) for several. */
  prompt: string;
  /** Not before this (the debounce after the newest message); null: deliver now. */
  readyAt: Date | null;
}

/** The answer to POST /api/tasks/{id}/messages: `created` is false when an Idempotency-Key replays one. */
export interface SentMessage {
  message: TaskMessageResponseDto;
  created: boolean;
}

type MessageEventType = 'MESSAGE_QUEUED' | 'MESSAGE_DELIVERED' | 'MESSAGE_DROPPED';

/** Who makes a summary: the policy, not a person. */
const SUMMARIZER = 'system:summarize';

/**
 * Follow-up messages to a task: queued through the API under the task's policy (cap, drop policy,
 * lanes), delivered by the harness as the next prompt in the same session once it is idle — a turn
 * like any other — and dropped when the task finishes first. Every change is written with its
 * MESSAGE_* event in one transaction, under the task's row lock (one queue change at a time, and
 * none across a task's state change).
 */
@Injectable()
export class TaskMessagesService {
  constructor(
    private readonly repository: TaskMessagesRepository,
    private readonly tasks: TasksRepository,
    private readonly events: EventsWriter,
    private readonly clock: Clock,
    private readonly waker: TaskWaker,
  ) {}

  /**
   * Queues a message for an active task (queued, dispatching, running, verifying, paused), making
   * room by the task's drop policy when the queue is at its cap. With an Idempotency-Key, the same
   * key and body answer the message already stored (whatever became of it); another body is a 409.
   */
  async send(
    auth: AuthContext,
    taskId: string,
    dto: SendTaskMessageDto,
    idempotencyKey?: string,
  ): Promise<SentMessage> {
    if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,200}$/.test(idempotencyKey)) {
      throw new BadRequestError(
        'task/invalid_idempotency_key',
        'Idempotency-Key must be 1-200 visible ASCII characters',
        [{ field: 'Idempotency-Key', errors: ['must be 1-200 visible ASCII characters'] }],
      );
    }
    const sent = await this.enqueue(auth, taskId, dto, idempotencyKey);
    // After the commit, best effort: a harness waiting on the idle session looks now.
    if (sent.created && sent.wake) await this.waker.wake(auth.teamId, taskId);
    return { message: sent.message, created: sent.created };
  }

  async list(teamId: string, taskId: string, query: ListTaskMessagesQueryDto): Promise<Page<TaskMessageResponseDto>> {
    if (!(await this.tasks.find(teamId, taskId))) throw new NotFoundError('task', taskId);
    const limit = query.limit!;
    const rows = await this.repository.list(teamId, taskId, query.status, limit, decodeCursor(query.cursor)?.id);
    return toPage(rows, limit, toTaskMessageResponse);
  }

  /** The task's follow-up policy (resolved at create; Heddle's defaults for tasks made before). */
  policyOf(task: Pick<Task, 'followUpPolicy'>): FollowUpPolicy {
    return resolveFollowUpPolicy(task.followUpPolicy, null);
  }

  /**
   * For the harness: what to send when the task's session is idle — every queued message in
   * delivery order and the prompt they make — or null when nothing is queued (or the task is gone).
   * `readyAt` is when the debounce after the newest message ends, null when it has by `now`. Reads
   * only: nothing changes until markDelivered.
   */
  async nextDelivery(teamId: string, taskId: string, now: Date): Promise<NextDelivery | null> {
    // Asked at every look of a running task, and nearly always empty: the queue first, the task's
    // policy only when there is something to deliver.
    const queued = await this.repository.queued(teamId, taskId);
    if (queued.length === 0) return null;
    const task = await this.tasks.find(teamId, taskId);
    if (!task) return null;
    const policy = this.policyOf(task);
    const messages = orderForDelivery(queued, policy.lanePriority);
    return { messages, prompt: composePrompt(messages), readyAt: readyAt(messages, policy.debounceMs, now) };
  }

  /**
   * For the harness, in its own transaction (the one that records turn `turnNumber`): marks those of
   * `messageIds` still queued delivered in that turn, each with MESSAGE_DELIVERED, and returns them.
   * Idempotent: messages already delivered or dropped are left alone. Fewer rows than ids means some
   * were dropped or merged since nextDelivery (a POST at the cap): compose the prompt again.
   */
  @Transactional()
  async markDelivered(
    teamId: string,
    taskId: string,
    messageIds: string[],
    turnNumber: number,
  ): Promise<TaskMessage[]> {
    if (messageIds.length === 0) return [];
    const task = await this.tasks.findForUpdate(teamId, taskId);
    if (!task) return [];
    const delivered = sortByAge(
      await this.repository.markDelivered(teamId, taskId, [...new Set(messageIds)], turnNumber, this.clock.now()),
    );
    if (delivered.length === 0) return [];
    let queued = (await this.repository.countQueued(teamId, taskId)) + delivered.length;
    for (const message of delivered) {
      queued -= 1;
      await this.append(task, 'MESSAGE_DELIVERED', message, queued, { turn: turnNumber });
    }
    return delivered;
  }

  /**
   * Drops every queued message of the task (`task_finished`: it finished before they were
   * delivered), each with MESSAGE_DROPPED; returns them. Joins the caller's transaction. TaskLifecycle
   * already does this whenever a task finishes, so calling it again finds nothing left to drop.
   */
  @Transactional()
  async dropQueued(teamId: string, taskId: string, reason: DroppedReason = 'task_finished'): Promise<TaskMessage[]> {
    const task = await this.tasks.findForUpdate(teamId, taskId);
    return task ? this.dropAll(task, reason) : [];
  }

  /** Drops every queued message of `task`, whose row the caller holds (TaskLifecycle, dropQueued). */
  async dropAll(task: Task, reason: DroppedReason): Promise<TaskMessage[]> {
    const dropped = sortByAge(await this.repository.markDropped(task.teamId, task.id, 'all', reason, this.clock.now()));
    let queued = dropped.length;
    for (const message of dropped) {
      queued -= 1;
      await this.append(task, 'MESSAGE_DROPPED', message, queued, { droppedReason: reason });
    }
    return dropped;
  }

  @Transactional()
  private async enqueue(
    auth: AuthContext,
    taskId: string,
    dto: SendTaskMessageDto,
    idempotencyKey: string | undefined,
  ): Promise<SentMessage & { wake: boolean }> {
    const task = await this.tasks.findForUpdate(auth.teamId, taskId);
    if (!task) throw new NotFoundError('task', taskId);
    const lane: MessageLane = dto.lane ?? 'default';
    const hash = requestHash({ text: dto.text, lane });
    if (idempotencyKey !== undefined) {
      const existing = await this.repository.findByIdempotencyKey(auth.teamId, taskId, idempotencyKey);
      if (existing) {
        if (existing.requestHash !== hash) {
          throw new ConflictError(
            'task/idempotency_key_reused',
            'this Idempotency-Key was used with a different message for this task',
            { messageId: existing.id },
          );
        }
        return { message: toTaskMessageResponse(existing), created: false, wake: false };
      }
    }
    // The lifecycle table says whether a task takes a follow-up (any unfinished one does).
    const verdict = transition(task.status as TaskStatus, {
      by: 'user',
      action: 'follow_up',
      hasSession: (task.sessionId ?? task.bindSessionId) !== null,
    });
    if (!verdict.ok) throw new InvalidStateError('task', task.status, `send a message to (${verdict.why})`);

    const policy = this.policyOf(task);
    const now = this.clock.now();
    const queue = await this.repository.queued(auth.teamId, taskId);
    const decision = applyCap(queue, policy, { lane, createdAt: now });
    if (decision.reject) {
      throw new ConflictError(
        'task/message_queue_full',
        `task ${taskId} already has ${queue.length} queued messages, its cap (${policy.cap}), and its drop policy is reject: wait for them to be delivered, or create tasks with followUps.dropPolicy drop_oldest or summarize`,
        { cap: policy.cap, dropPolicy: policy.dropPolicy, queued: queue.length },
      );
    }

    // Rows first (a summary must exist before what it merges points to it), then the events in the
    // order things happened, each with the queue's length after it.
    let queued = queue.length;
    const events: Array<{ type: MessageEventType; message: TaskMessage; extra: Prisma.InputJsonObject }> = [];
    const createdBy = actorLabel(auth);
    const base = { taskId, lane, text: dto.text, createdBy, idempotencyKey: idempotencyKey ?? null, requestHash: hash };

    const madeRoom = await this.repository.markDropped(
      auth.teamId,
      taskId,
      decision.drop.map((m) => m.id),
      'drop_oldest',
      now,
    );
    for (const message of sortByAge(madeRoom)) {
      events.push({ type: 'MESSAGE_DROPPED', message, extra: { droppedReason: 'drop_oldest' } });
    }

    let incoming: TaskMessage | undefined;
    if (decision.merge) {
      const { messages: parts, withIncoming } = decision.merge;
      const summaries = await this.repository.summaries(
        auth.teamId,
        taskId,
        parts.map((m) => m.id),
      );
      const summary = await this.repository.create(auth.teamId, {
        taskId,
        lane: decision.merge.lane,
        createdBy: SUMMARIZER,
        createdAt: decision.merge.createdAt,
        text: mergeTexts([
          ...parts.map((m) => ({ text: m.text, createdAt: m.createdAt, summary: summaries.has(m.id) })),
          ...(withIncoming ? [{ text: dto.text, createdAt: now }] : []),
        ]),
      });
      const mergedInto = summary.id;
      const merged = sortByAge(
        await this.repository.markDropped(
          auth.teamId,
          taskId,
          parts.map((m) => m.id),
          'summarized',
          now,
          mergedInto,
        ),
      );
      for (const message of merged) {
        events.push({ type: 'MESSAGE_DROPPED', message, extra: { droppedReason: 'summarized', mergedInto } });
      }
      if (withIncoming) {
        // A cap of 1: the incoming message is stored merged into the summary, never queued on its own.
        incoming = await this.repository.create(auth.teamId, {
          ...base,
          createdAt: now,
          status: 'dropped',
          droppedReason: 'summarized',
          droppedAt: now,
          mergedInto,
        });
        events.push({
          type: 'MESSAGE_DROPPED',
          message: incoming,
          extra: { droppedReason: 'summarized', mergedInto, by: createdBy },
        });
      }
      const mergedFrom = [...merged, ...(incoming ? [incoming] : [])].map((m) => m.id);
      events.push({ type: 'MESSAGE_QUEUED', message: summary, extra: { by: SUMMARIZER, mergedFrom } });
    }
    if (!incoming) {
      incoming = await this.repository.create(auth.teamId, { ...base, createdAt: now });
      events.push({ type: 'MESSAGE_QUEUED', message: incoming, extra: { by: createdBy } });
    }
    for (const event of events) {
      // A message that was never queued (merged on arrival) leaves the count as it was.
      if (event.type === 'MESSAGE_QUEUED') queued += 1;
      else if (event.message !== incoming) queued -= 1;
      await this.append(task, event.type, event.message, queued, event.extra);
    }
    return { message: toTaskMessageResponse(incoming), created: true, wake: task.status !== 'paused' };
  }

  /** A MESSAGE_* event: the task's common payload, then the message's (`queued`: the count after it). */
  private async append(
    task: Task,
    type: MessageEventType,
    message: TaskMessage,
    queued: number,
    extra: Prisma.InputJsonObject = {},
  ): Promise<void> {
    await this.events.append(task.teamId, {
      type,
      taskId: task.id,
      hostId: task.hostId,
      data: {
        ...taskEventData(task),
        messageId: message.id,
        lane: message.lane,
        text: excerpt(message.text),
        queued,
        ...extra,
      },
    });
  }
}

function sortByAge(messages: TaskMessage[]): TaskMessage[] {
  return [...messages].sort(
    (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}
