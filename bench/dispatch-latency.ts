// A measurement of `npm run bench`: dispatch latency, from a task's creation (its `createdAt`, set in
// the creating transaction) to its prompt reaching the host (the fake host's receive time of
// `prompt_async`), over N tasks created through the real API while the real `harness` consumer runs
// in the same process. The fake host completes each turn at once (it writes the checked file), so
// the harness also verifies and completes every task while later ones are dispatched: the figure is
// latency under that load, not on an idle worker. See docs/performance.md.
import { randomBytes } from 'node:crypto';
import { PrismaService } from '@heddle/db';
import { FakeOpencode, TestApp, startFakeOpencode } from '@heddle/testing';
import { deleteQueueKeys } from './queue-keys';

export interface DispatchLatencyOptions {
  databaseUrl: string;
  redisUrl: string;
  tasks: number;
  /** Tasks created at once (requests in flight). */
  concurrency: number;
  /** HARNESS_CONCURRENCY of the worker. */
  harnessConcurrency: number;
  log: (message: string) => void;
}

export interface DispatchLatencyResult {
  target: string;
  tasks: number;
  concurrency: number;
  harnessConcurrency: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** From the first create to the last prompt received. */
  totalMs: number;
  /** Prompts received per second over totalMs. */
  dispatchesPerSec: number;
  /** Tasks that also completed by the time the last prompt arrived. */
  completed: number;
}

const PROMPT_TIMEOUT_MS = 120_000;

export async function runDispatchLatency(options: DispatchLatencyOptions): Promise<DispatchLatencyResult> {
  const queuePrefix = `bench-dispatch-${randomBytes(4).toString('hex')}`;
  let app: TestApp | undefined;
  let fake: FakeOpencode | undefined;
  try {
    // No git in the fake: its snapshots spawn a git process per step, which is the fake host's cost, not Heddle's.
    fake = await startFakeOpencode({ git: false, maxRecorded: 200_000 });
    app = await TestApp.create({
      withWorkers: true,
      env: {
        DATABASE_URL: options.databaseUrl,
        REDIS_URL: options.redisUrl,
        QUEUE_PREFIX: queuePrefix,
        LOG_LEVEL: 'warn',
        RATE_LIMIT_ENABLED: 'false', // measures the workers; its bursts of API calls are not clients
        WORKER_CONSUMERS: 'harness',
        HEDDLE_OUTBOUND_ALLOW: '127.0.0.1',
        HARNESS_CONCURRENCY: String(options.harnessConcurrency),
      },
    });
    return await measure(app, fake, options);
  } finally {
    await app?.close().catch((err: unknown) => options.log(`dispatch bench: closing the app failed: ${String(err)}`));
    await fake?.stop().catch(() => undefined);
    await deleteQueueKeys(options.redisUrl, queuePrefix).catch(() => undefined);
  }
}

async function measure(app: TestApp, fake: FakeOpencode, options: DispatchLatencyOptions) {
  const team = await app.createTeam('bench-dispatch');
  const host = await app.request('POST', '/api/hosts', {
    token: team.token,
    body: { name: 'fake', baseUrl: fake.baseUrl, workspaceRoots: [fake.workspace], maxSessions: 1000 },
  });
  if (host.status !== 201) throw new Error(`registering the fake host answered ${host.status}`);
  const probe = await app.request('POST', `/api/hosts/${host.body.id}/probe`, { token: team.token });
  if (probe.body.status !== 'online') throw new Error(`the fake host is ${probe.body.status}`);
  fake.clear();

  options.log(`dispatch bench: creating ${options.tasks} tasks, ${options.concurrency} at a time`);
  const started = Date.now();
  let next = 0;
  const create = async () => {
    while (next < options.tasks) {
      const i = next++;
      const res = await app.request('POST', '/api/tasks', {
        token: team.token,
        body: {
          name: `bench-${i}`,
          workspace: fake.workspace,
          goal: `FILE:out-${i}.txt`,
          hostId: host.body.id,
          checks: [{ kind: 'file_exists', path: `out-${i}.txt` }],
        },
      });
      if (res.status !== 201) throw new Error(`POST /api/tasks answered ${res.status}: ${JSON.stringify(res.body)}`);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, create));

  const prisma = app.get(PrismaService);
  const deadline = Date.now() + PROMPT_TIMEOUT_MS;
  let prompts = fake.requests().filter((r) => r.path.endsWith('/prompt_async'));
  while (prompts.length < options.tasks) {
    if (Date.now() > deadline) throw new Error(`only ${prompts.length}/${options.tasks} prompts arrived in time`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    prompts = fake.requests().filter((r) => r.path.endsWith('/prompt_async'));
  }
  const tasks = await prisma.task.findMany({
    where: { teamId: team.teamId },
    select: { sessionId: true, createdAt: true, status: true },
  });
  const createdBySession = new Map(tasks.map((t) => [t.sessionId, t.createdAt.getTime()] as const));
  const latencies = prompts
    .map((r) => {
      const sessionId = /^\/session\/([^/]+)\/prompt_async$/.exec(r.path)?.[1];
      const created = sessionId ? createdBySession.get(sessionId) : undefined;
      return created === undefined ? NaN : r.time - created;
    })
    .filter((ms) => Number.isFinite(ms))
    .sort((a, b) => a - b);
  if (latencies.length !== options.tasks) {
    throw new Error(`matched ${latencies.length} prompts to tasks, expected ${options.tasks}`);
  }
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]!;
  const totalMs = Math.max(...prompts.map((r) => r.time)) - started;
  return {
    target: 'harness dispatch (fake host)',
    tasks: options.tasks,
    concurrency: options.concurrency,
    harnessConcurrency: options.harnessConcurrency,
    p50Ms: pct(50),
    p99Ms: pct(99),
    maxMs: latencies.at(-1)!,
    totalMs,
    dispatchesPerSec: Math.round((options.tasks / totalMs) * 1000),
    completed: tasks.filter((t) => t.status === 'completed').length,
  };
}
