import { Injectable, Logger } from '@nestjs/common';
import { OutageLog, TaskWaker, WorkScope } from '@heddle/queue';
import { FairQueueRepository } from './fair-queue.repository';

/**
 * Hands a freed session to the next task in the fair order at once, instead of leaving it to whoever
 * retries first (docs/harness.md, "Dispatch order"). The harness calls `wakeNext` after every step
 * that left a task with nothing scheduled — it finished, failed or was aborted — which is when a
 * session is given back. Waking is only a hint: each woken task decides again, under the fair rule,
 * whether it may take the slot; a lost wake-up is a task that retries on its own backoff.
 */
@Injectable()
export class FairQueueService {
  private readonly logger = new Logger(FairQueueService.name);
  private readonly outage = new OutageLog((message) => this.logger.warn(message));

  constructor(
    private readonly repository: FairQueueRepository,
    private readonly waker: TaskWaker,
    private readonly scope: WorkScope,
  ) {}

  /**
   * When `taskId` no longer holds a session, wakes the waiting tasks whose turn it now is on the pool
   * it held one on (and its team's oldest queued task if the team has a limit). Answers their ids.
   * Never throws: one query, then best-effort wake-ups.
   */
  async wakeNext(taskId: string): Promise<string[]> {
    let next: { id: string; teamId: string }[];
    try {
      next = await this.repository.nextInLine(taskId, this.scope.teamIds());
      this.outage.recovered('finding the next tasks in line works');
    } catch (err) {
      const message = `could not find the tasks next in line after task ${taskId}; they retry on their own backoff`;
      this.outage.failed(`${message} (${String(err)})`);
      return [];
    }
    await Promise.all(next.filter((t) => t.id !== taskId).map((t) => this.waker.wake(t.teamId, t.id)));
    return next.map((t) => t.id);
  }
}
