import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { Queue } from 'bullmq';
import { OutageLog, bestEffort } from './best-effort';
import { JOBS, QUEUES, TaskStepPayload, jobIds } from './queues';

/**
 * Asks the harness to look at a task now: after a user action commits, or when its host reports
 * something. Only a hint — the task's state is in Postgres and the harness sweep finds a task whose
 * wake-up was lost — so it never makes its caller wait on Redis (see `bestEffort`), and a failure is
 * logged once per outage, never thrown at the caller whose change has already committed.
 */
@Injectable()
export class TaskWaker {
  private readonly logger = new Logger(TaskWaker.name);
  private readonly outage = new OutageLog((message) => this.logger.warn(message));
  private counter = 0;

  constructor(@InjectQueue(QUEUES.harness) private readonly queue: Queue<TaskStepPayload>) {}

  async wake(teamId: string, taskId: string): Promise<void> {
    const n = (this.counter = (this.counter + 1) % 1_000_000);
    try {
      await bestEffort(this.queue, () =>
        this.queue.add(JOBS.taskStep, { teamId, taskId }, { jobId: jobIds.taskWake(taskId, Date.now(), n) }),
      );
      this.outage.recovered('tasks are woken');
    } catch (err) {
      this.outage.failed(`could not wake task ${taskId}; the harness sweep will start it (${String(err)})`);
    }
  }
}
