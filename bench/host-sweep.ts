// The second measurement of `npm run bench` (bench/run.ts calls runHostSweep after the HTTP
// measurements): host-health sweep throughput. N in-process fake OpenCode hosts are registered for one
// team through the real API, the real `host-health` consumer runs in the same process (TestApp with
// workers), one `host-health.sweep` job is enqueued, and the time until every host has a `lastProbeAt`
// at or after the trigger is measured by polling Postgres. See docs/performance.md.
//
// Everything runs in this one process: the API module (requests through Fastify's inject), the
// BullMQ worker, the fakes and the poller share one event loop and the machine's CPUs with Postgres
// and Redis.
import { randomBytes } from 'node:crypto';
import { getQueueToken } from '@nestjs/bullmq';
import type { JobType, Queue } from 'bullmq';
import { PrismaService } from '@heddle/db';
import { JOBS, QUEUES } from '@heddle/queue';
import { FakeOpencode, TestApp, startFakeOpencode } from '@heddle/testing';
import { deleteQueueKeys } from './queue-keys';

export interface HostSweepOptions {
  databaseUrl: string;
  redisUrl: string;
  /** Fake hosts to register and probe. */
  hosts: number;
  /** HOST_PROBE_CONCURRENCY of the worker. */
  concurrency: number;
  log: (message: string) => void;
}

export interface HostSweepResult {
  target: string;
  hosts: number;
  concurrency: number;
  /** Jobs the sweep job reported enqueuing (its return value). */
  sweepEnqueued: number;
  /** From enqueuing the sweep until the poll saw every host with lastProbeAt ≥ the trigger. */
  totalMs: number;
  /** hosts ÷ totalMs. */
  probesPerSec: number;
  /** min(lastProbeAt) − trigger: queue pickup, the sweep's page read and addBulk, the first probe. */
  firstProbeAfterMs: number;
  /** max(lastProbeAt) − trigger: when the last probe's row was written (the poll adds up to ~50 ms). */
  lastProbeAfterMs: number;
  /** Per-host `latencyMs` the probes recorded (the OpenCode health call, whole ms). */
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number };
  /** Host status after the sweep → count; a passing run has every host `online`. */
  statuses: Record<string, number>;
  /** User + system CPU of this whole process (API module, worker, fakes, poller) per probe. */
  processCpuUsPerProbe: number;
  /** COUNT queries the poller ran. */
  polls: number;
  setup: {
    appStartMs: number;
    fakesStartMs: number;
    /** POST /api/hosts for every host (8 at a time through inject). */
    registerMs: number;
    /** Until the probe each registration enqueues had landed on every host (not measured). */
    registrationProbesMs: number;
  };
  queuePrefix: string;
}

const POLL_INTERVAL_MS = 50;
const SWEEP_DEADLINE_MS = 60_000;
const SETTLE_DEADLINE_MS = 60_000;
const REGISTER_PARALLEL = 8;
const APP_CLOSE_TIMEOUT_MS = 15_000;

/** An Error the caller prints without its stack (the bench's own failures). */
export class HostSweepError extends Error {}

export async function runHostSweep(options: HostSweepOptions): Promise<HostSweepResult> {
  const queuePrefix = `bench-sweep-${randomBytes(4).toString('hex')}`;
  const fakes: FakeOpencode[] = [];
  let app: TestApp | undefined;
  let result: HostSweepResult | undefined;
  let failed = false;
  let failure: unknown;
  try {
    const started = Date.now();
    app = await TestApp.create({
      withWorkers: true,
      env: {
        DATABASE_URL: options.databaseUrl,
        REDIS_URL: options.redisUrl,
        QUEUE_PREFIX: queuePrefix,
        LOG_LEVEL: 'warn',
        RATE_LIMIT_ENABLED: 'false', // measures the workers; its bursts of API calls are not clients
        WORKER_CONSUMERS: 'all',
        HEDDLE_OUTBOUND_ALLOW: '127.0.0.1',
        // The longest interval the config accepts, so the scheduler adds nothing while we measure.
        HOST_PROBE_INTERVAL_MS: '3600000',
        HOST_PROBE_CONCURRENCY: String(options.concurrency),
      },
    });
    result = await measure(app, Date.now() - started, fakes, queuePrefix, options);
  } catch (err) {
    failed = true;
    failure = err;
  }
  // Cleanup always runs; its own failure is reported only when the measurement itself succeeded.
  const cleanupError = await cleanUp(app, fakes, queuePrefix, options);
  if (failed) throw failure;
  if (cleanupError) throw cleanupError;
  return result!;
}

async function measure(
  app: TestApp,
  appStartMs: number,
  fakes: FakeOpencode[],
  queuePrefix: string,
  options: HostSweepOptions,
): Promise<HostSweepResult> {
  const { hosts: count, concurrency, log } = options;
  let started: number;
  log(`host sweep: app with workers started in ${appStartMs} ms (QUEUE_PREFIX ${queuePrefix})`);
  const prisma = app.get(PrismaService);
  const queue = app.app.get<Queue>(getQueueToken(QUEUES.hostHealth));
  // The sweep probes every enabled host of every team: the ones measured must be the only ones.
  const others = await prisma.host.count({ where: { enabled: true } });
  if (others > 0) {
    throw new HostSweepError(`the database already has ${others} enabled host(s); the sweep needs a fresh one`);
  }

  // The schedule's first sweep runs at once (no hosts yet); let it finish, then drop the schedule so
  // that the only sweep of these hosts is ours — a scheduled one in the same interval bucket would
  // otherwise take our probes' job ids.
  await settle(queue, 'the scheduled sweep at start', false);
  for (const scheduler of await queue.getJobSchedulers()) {
    if (scheduler.key) await queue.removeJobScheduler(scheduler.key);
  }
  await settle(queue, 'removing the sweep schedule', true);

  started = Date.now();
  for (let i = 0; i < count; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, (_, j) =>
        startFakeOpencode({ password: `pw-${i + j}-${randomBytes(6).toString('hex')}`, git: false, maxRecorded: 0 }),
      ),
    );
    fakes.push(...batch);
  }
  const fakesStartMs = Date.now() - started;
  log(`host sweep: ${count} fake OpenCode hosts started in ${fakesStartMs} ms`);

  const team = await app.createTeam('bench-sweep');
  started = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(REGISTER_PARALLEL, count) }, async () => {
      while (next < fakes.length) {
        const i = next++;
        const fake = fakes[i]!;
        const res = await app.request('POST', '/api/hosts', {
          token: team.token,
          body: {
            name: `bench-${i}`,
            baseUrl: fake.baseUrl,
            username: fake.username,
            password: fake.password,
            workspaceRoots: [fake.workspace],
          },
        });
        if (res.status !== 201) {
          next = fakes.length; // the other registrations stop too
          throw new HostSweepError(`POST /api/hosts answered ${res.status}: ${JSON.stringify(res.body)}`);
        }
      }
    }),
  );
  const registerMs = Date.now() - started;
  log(`host sweep: registered ${count} hosts through POST /api/hosts in ${registerMs} ms`);

  // Each registration enqueued a probe of its own; wait until all of them have run, so the sweep is
  // measured alone.
  started = Date.now();
  await settle(queue, 'the probes enqueued by registration', true);
  const probed = await prisma.host.count({ where: { teamId: team.teamId, lastProbeAt: { not: null } } });
  if (probed !== count) {
    throw new HostSweepError(`after registration ${probed} of ${count} hosts were probed; expected all`);
  }
  const registrationProbesMs = Date.now() - started;
  log(`host sweep: registration probes done after ${registrationProbesMs} ms; triggering one sweep`);

  const cpuBefore = process.cpuUsage();
  const trigger = new Date();
  const job = await queue.add(JOBS.hostSweep, {});
  let polls = 0;
  let totalMs: number | undefined;
  let seen = 0;
  for (;;) {
    seen = await prisma.host.count({ where: { teamId: team.teamId, lastProbeAt: { gte: trigger } } });
    polls++;
    const elapsed = Date.now() - trigger.getTime();
    if (seen >= count) {
      totalMs = elapsed;
      break;
    }
    if (elapsed > SWEEP_DEADLINE_MS) break;
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  const cpu = process.cpuUsage(cpuBefore);
  if (totalMs === undefined) {
    const state = await job.getState();
    const counts = await queue.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized');
    throw new HostSweepError(
      `only ${seen} of ${count} hosts were probed within ${SWEEP_DEADLINE_MS} ms of the sweep ` +
        `(sweep job ${state}; host-health jobs ${JSON.stringify(counts)})`,
    );
  }
  log(`host sweep: every host probed ${totalMs} ms after the trigger (${polls} polls)`);

  const finished = await queue.getJob(job.id!);
  const sweepEnqueued = Number((finished?.returnvalue as { enqueued?: unknown } | undefined)?.enqueued ?? NaN);
  const rows = await prisma.host.findMany({
    where: { teamId: team.teamId },
    select: { status: true, latencyMs: true, lastProbeAt: true, lastError: true },
  });
  const statuses: Record<string, number> = {};
  for (const r of rows) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  if (statuses.online !== count) {
    const examples = rows
      .filter((r) => r.status !== 'online')
      .slice(0, 3)
      .map((r) => ({ status: r.status, latencyMs: r.latencyMs, lastError: r.lastError }));
    throw new HostSweepError(
      `after the sweep the hosts are ${JSON.stringify(statuses)}; every one must be online ` +
        `(for example ${JSON.stringify(examples)})`,
    );
  }
  if (sweepEnqueued !== count) {
    throw new HostSweepError(`the sweep job reported enqueuing ${sweepEnqueued} probes; expected ${count}`);
  }
  const probeTimes = rows.map((r) => r.lastProbeAt!.getTime() - trigger.getTime());
  const latencies = Float64Array.from(rows.map((r) => r.latencyMs ?? NaN)).sort();
  const sum = latencies.reduce((a, b) => a + b, 0);
  return {
    target: 'host-health sweep',
    hosts: count,
    concurrency,
    sweepEnqueued,
    totalMs,
    probesPerSec: count / (totalMs / 1000),
    firstProbeAfterMs: Math.min(...probeTimes),
    lastProbeAfterMs: Math.max(...probeTimes),
    latencyMs: {
      mean: sum / latencies.length,
      p50: percentile(latencies, 50),
      p90: percentile(latencies, 90),
      p99: percentile(latencies, 99),
      max: latencies[latencies.length - 1]!,
    },
    statuses,
    processCpuUsPerProbe: Math.round((cpu.user + cpu.system) / count),
    polls,
    setup: { appStartMs, fakesStartMs, registerMs, registrationProbesMs },
    queuePrefix,
  };
}

/** Stops the fakes, closes the app (bounded) and deletes the run's Redis keys; answers the first failure. */
async function cleanUp(
  app: TestApp | undefined,
  fakes: FakeOpencode[],
  queuePrefix: string,
  options: HostSweepOptions,
): Promise<Error | undefined> {
  await Promise.allSettled(fakes.map((f) => f.stop()));
  let error: Error | undefined;
  if (app) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<Error>((resolve) => {
      timer = setTimeout(
        () => resolve(new HostSweepError(`the app did not close within ${APP_CLOSE_TIMEOUT_MS} ms`)),
        APP_CLOSE_TIMEOUT_MS,
      );
    });
    error = await Promise.race([
      app.close().then(
        () => undefined,
        (err: unknown) => new HostSweepError(`closing the app failed: ${String(err)}`),
      ),
      timeout,
    ]);
    clearTimeout(timer);
  }
  await deleteQueueKeys(options.redisUrl, queuePrefix).catch((err: unknown) =>
    options.log(`host sweep: could not delete the Redis keys under ${queuePrefix}: ${String(err)}`),
  );
  return error;
}

/** Waits until the host-health queue has nothing waiting or running (nor delayed, if asked). */
async function settle(queue: Queue, what: string, delayedToo: boolean): Promise<void> {
  const started = Date.now();
  const states: JobType[] = [
    'waiting',
    'active',
    'prioritized',
    'waiting-children',
    ...(delayedToo ? ['delayed' as const] : []),
  ];
  for (;;) {
    const counts = await queue.getJobCounts(...states);
    if (Object.values(counts).every((n) => n === 0)) return;
    if (Date.now() - started > SETTLE_DEADLINE_MS) {
      throw new HostSweepError(`${what} did not finish within ${SETTLE_DEADLINE_MS} ms: ${JSON.stringify(counts)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}
