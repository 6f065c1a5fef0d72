import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Job, Queue, UnrecoverableError } from 'bullmq';
import { AppConfig } from '@heddle/config';
import { FairQueueService } from '@heddle/hosts';
import {
  DrainDeadline,
  JOBS,
  QUEUES,
  QueueMetrics,
  TaskStepPayload,
  WorkScope,
  bestEffort,
  jobIds,
} from '@heddle/queue';
import { TasksRepository } from '@heddle/tasks';
import { HarnessRepository } from './harness.repository';
import { TaskDriver } from './task-driver';

const SWEEP_LIMIT = 1000;
/**
 * Scheduled looks yield to wake-ups (new tasks, user actions, host events), which carry no
 * priority and so go first in BullMQ: under load a new task reaches its host before the next
 * routine look at a running one.
 */
const SCHEDULED_PRIORITY = 10;
/** A wake-up that found the task busy looks again this many times, a little later each time. */
const BUSY_RETRIES = 4;

export type StepResult = 'stepped' | 'busy' | 'superseded' | 'gone';

/**
 * The `harness` consumer. `task.step` takes a task's lease (one step per task at a time across
 * every worker), lets the driver take the next step, then gives the lease back with the time of the
 * next step and enqueues it. Exactly one scheduled chain lives per task: a step job whose due time
 * is not the task's `wakeAt` was superseded and ends at once. The sweep (HarnessSweepSchedule)
 * re-enqueues tasks whose next step is overdue (lost jobs: a flushed Redis, a killed worker).
 */
@Processor(QUEUES.harness)
export class TaskStepProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger(TaskStepProcessor.name);
  private readonly owner = `${hostname()}:${process.pid}`;
  /** Steps running now: task id → the lease owner they took it as. */
  private readonly inFlight = new Map<string, { teamId: string; owner: string }>();

  constructor(
    private readonly repo: HarnessRepository,
    private readonly tasks: TasksRepository,
    private readonly driver: TaskDriver,
    private readonly config: AppConfig,
    private readonly metrics: QueueMetrics,
    private readonly scope: WorkScope,
    private readonly fairQueue: FairQueueService,
    @InjectQueue(QUEUES.harness) private readonly queue: Queue<TaskStepPayload & { retry?: number }>,
    deadline: DrainDeadline,
  ) {
    super();
    deadline.onReached(() => this.letGo());
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.harnessConcurrency;
  }

  /**
   * Shutdown could not wait for the running steps: give their leases back, due now, so another
   * worker takes each task at once instead of after HARNESS_LEASE_SECONDS. A step cut here is a
   * crashed step to the next one, which every step is written to survive.
   */
  private async letGo(): Promise<void> {
    const now = new Date();
    await Promise.all(
      [...this.inFlight].map(async ([taskId, { teamId, owner }]) => {
        try {
          await this.tasks.releaseLease(teamId, taskId, owner, now);
          this.logger.warn(`shutting down mid-step: lease of task ${taskId} given back, due now`);
        } catch (err) {
          this.logger.error(`could not give back the lease of task ${taskId}: ${String(err)}`);
        }
      }),
    );
  }

  async process(job: Job): Promise<unknown> {
    this.metrics.started(QUEUES.harness, job);
    switch (job.name) {
      case JOBS.taskStep:
        return { result: await this.step(job.data as TaskStepPayload & { retry?: number }) };
      case JOBS.harnessSweep: // enqueued by hand (or by older versions' job scheduler)
        return this.sweep();
      default:
        throw new UnrecoverableError(`unknown job ${job.name} on queue ${QUEUES.harness}`);
    }
  }

  async step(payload: TaskStepPayload & { retry?: number }): Promise<StepResult> {
    // A job of an older version carries no team: every query below is scoped by it, so it ends, and
    // the sweep (which reads each task's team) enqueues the task again if it has work left.
    if (!payload.teamId) return 'gone';
    const { teamId } = payload;
    const owner = `${this.owner}:${randomUUID()}`;
    const leaseSeconds = this.config.harnessLeaseSeconds;
    // A superseded scheduled step ends without touching the lease: taking it, even briefly, could
    // turn away the live step of the same task.
    if (payload.dueMs !== undefined) {
      const wakeAt = await this.repo.wakeAt(teamId, payload.taskId);
      if (wakeAt === undefined) return 'gone';
      if (wakeAt?.getTime() !== payload.dueMs) return 'superseded';
    }
    const task = await this.tasks.acquireLease(teamId, payload.taskId, owner, leaseSeconds);
    if (!task) {
      const exists = await this.repo.find(teamId, payload.taskId);
      if (!exists) return 'gone';
      // Another step holds the task. Look again a little later: that step may be one that does
      // not schedule a follow-up (it ended the task, or a wake-up raced this scheduled step).
      const retry = payload.retry ?? 0;
      if (retry < BUSY_RETRIES) {
        const delay = 250 * 2 ** retry;
        await this.queue.add(
          JOBS.taskStep,
          { ...payload, retry: retry + 1 },
          { jobId: jobIds.taskWake(payload.taskId, Date.now() + delay, retry + 1), delay },
        );
      }
      return 'busy';
    }
    if (payload.dueMs !== undefined && task.wakeAt?.getTime() !== payload.dueMs) {
      await this.tasks.releaseLease(teamId, task.id, owner, undefined);
      return 'superseded';
    }
    // The task's scheduled step, if this is not it: superseded by this step's own schedule.
    const superseded = task.wakeAt && task.wakeAt.getTime() !== payload.dueMs ? task.wakeAt.getTime() : null;
    this.inFlight.set(task.id, { teamId, owner });
    const renewal = setInterval(
      () => void this.tasks.renewLease(teamId, task.id, owner, leaseSeconds).catch(() => undefined),
      (leaseSeconds * 1000) / 3,
    );
    let next: number | null;
    try {
      next = await this.driver.advance(task);
    } catch (err) {
      this.logger.error(`step of task ${task.id} failed; trying again later: ${(err as Error).stack ?? err}`);
      next = this.config.harnessPollMs * 2;
    } finally {
      clearInterval(renewal);
      this.inFlight.delete(task.id);
    }
    const due = next === null ? null : Date.now() + Math.max(0, next);
    // The due time is recorded before the job exists: if the enqueue is lost, the sweep sees it overdue.
    await this.tasks.releaseLease(teamId, task.id, owner, due === null ? null : new Date(due));
    if (due !== null) {
      await this.queue.add(
        JOBS.taskStep,
        { teamId, taskId: task.id, dueMs: due },
        { jobId: jobIds.taskStep(task.id, due), delay: Math.max(0, due - Date.now()), priority: SCHEDULED_PRIORITY },
      );
    }
    if (superseded !== null && superseded !== due) await this.removeScheduled(task.id, superseded);
    // Nothing scheduled: the task may have given back a session; hand it to the next in the fair order.
    if (due === null) await this.fairQueue.wakeNext(task.id);
    return 'stepped';
  }

  /**
   * A step woken early (a host event, a user action) replaced the task's schedule: the old scheduled
   * job would only wake to find itself superseded, so it leaves the queue now instead of waiting
   * there (thousands of them at scale). Best effort: one left behind still ends at once.
   */
  private async removeScheduled(taskId: string, dueMs: number): Promise<void> {
    try {
      await bestEffort(this.queue, () => this.queue.remove(jobIds.taskStep(taskId, dueMs)));
    } catch {
      // Redis away or the job running: it ends as superseded when it runs.
    }
  }

  async sweep(): Promise<{ enqueued: number }> {
    const graceSeconds = Math.max(5, Math.ceil((this.config.harnessPollMs * 3) / 1000));
    const overdue = await this.repo.overdue(graceSeconds, SWEEP_LIMIT, this.scope.teamIds());
    const now = Date.now();
    // Under the id of the scheduled step itself: a step that is merely late (a backlog) is still in
    // the queue and BullMQ adds nothing; only a lost one is created again.
    await this.queue.addBulk(
      overdue.map(({ id, teamId, wakeAt }, i) => ({
        name: JOBS.taskStep,
        data: wakeAt ? { teamId, taskId: id, dueMs: wakeAt.getTime() } : { teamId, taskId: id },
        opts: { jobId: wakeAt ? jobIds.taskStep(id, wakeAt.getTime()) : jobIds.taskWake(id, now, i) },
      })),
    );
    if (overdue.length) this.logger.log(`harness sweep: ${overdue.length} task(s) overdue; lost steps enqueued again`);
    return { enqueued: overdue.length };
  }
}

/**
 * Runs the sweep in every worker on a timer of its own rather than a BullMQ job scheduler: the
 * sweep is what repairs a flushed or failed-over Redis, so it must not live in Redis. Several
 * workers sweeping at once only enqueue wake-ups, which the per-task lease makes harmless.
 */
@Injectable()
export class HarnessSweepSchedule implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(HarnessSweepSchedule.name);
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(
    private readonly processor: TaskStepProcessor,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), this.config.harnessSweepMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.processor.sweep();
    } catch (err) {
      this.logger.warn(`harness sweep failed; next in ${this.config.harnessSweepMs} ms: ${String(err)}`);
    } finally {
      this.running = false;
    }
  }
}
