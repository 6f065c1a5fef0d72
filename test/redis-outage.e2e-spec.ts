import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { QUEUES } from '@heddle/queue';
import {
  RedisServer,
  TestApp,
  TestResponse,
  TestTeam,
  expectErrorBody,
  startRedisServer,
  waitFor,
} from '@heddle/testing';

/**
 * Redis holds queues and hints only: with it down or stalled, the API still answers every request in
 * a moment — changes commit in Postgres with their events, and the wake-ups Redis could not take are
 * left to the harness sweep. Before, a create answered after the whole outage plus reconnecting.
 */

/** Well under what a client waits, well over what a request takes here; a request waiting on Redis never fits. */
const PROMPT_MS = 3000;

async function prompt<T>(what: string, request: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${PROMPT_MS} ms`)), PROMPT_MS);
  });
  try {
    return await Promise.race([request, late]);
  } finally {
    clearTimeout(timer);
  }
}

const TASK = { name: 'outage', workspace: '/srv/ws', goal: 'Add GET /health' };

jest.setTimeout(60_000);

describe('Redis outage (e2e)', () => {
  let redis: RedisServer;
  let t: TestApp;
  let team: TestTeam;

  beforeAll(async () => {
    redis = await startRedisServer();
    t = await TestApp.create({ env: { REDIS_URL: redis.url, HEDDLE_OUTBOUND_ALLOW: '127.0.0.1' } });
    team = await t.createTeam();
  });
  afterAll(async () => {
    redis.resume();
    await t.close();
    await redis.stop();
  });

  const harnessJobsFor = async (taskId: string) => {
    const queue = t.get<Queue>(getQueueToken(QUEUES.harness) as never);
    const jobs = await queue.getJobs(['waiting', 'prioritized', 'delayed']);
    return jobs.filter((j) => j?.data?.taskId === taskId);
  };

  async function createTask(key: string): Promise<TestResponse> {
    return prompt(
      'POST /api/tasks',
      t.request('POST', '/api/tasks', { token: team.token, body: TASK, headers: { 'idempotency-key': key } }),
    );
  }

  async function expectCommitted(taskId: string, status: string, eventType: string): Promise<void> {
    const task = await t.request('GET', `/api/tasks/${taskId}`, { token: team.token });
    expect(task.body.status).toBe(status);
    const events = await t.request('GET', `/api/events?taskId=${taskId}`, { token: team.token });
    expect(events.body.items.map((e: { type: string }) => e.type)).toContain(eventType);
  }

  it('with Redis up, a create wakes the harness through the queue', async () => {
    const res = await createTask('up-1');
    expect(res.status).toBe(201);
    expect(await harnessJobsFor(res.body.id)).not.toHaveLength(0);
  });

  it('with Redis killed, creates, actions, webhook pings and /metrics answer at once; /readyz names Redis', async () => {
    const hook = await t.request('POST', '/api/webhooks', { token: team.token, body: { url: 'http://127.0.0.1:9/h' } });
    expect(hook.status).toBe(201);
    await redis.kill();

    const created = await createTask('down-1');
    expect(created.status).toBe(201);
    await expectCommitted(created.body.id, 'queued', 'TASK_CREATED');
    // A retry with the same key finds the task: no duplicate, however the client's first try ended.
    const replay = await createTask('down-1');
    expect(replay.status).toBe(200);
    expect(replay.body.id).toBe(created.body.id);

    const aborted = await prompt(
      'abort',
      t.request('POST', `/api/tasks/${created.body.id}/abort`, { token: team.token }),
    );
    expect(aborted.status).toBe(200);
    await expectCommitted(created.body.id, 'aborted', 'TASK_ABORTED');

    const ping = await prompt(
      'webhook test',
      t.request('POST', `/api/webhooks/${hook.body.id}/test`, { token: team.token }),
    );
    expect(ping.status).toBe(202);

    expect((await prompt('metrics', t.request('GET', '/metrics'))).status).toBe(200);
    const ready = await prompt('readyz', t.request('GET', '/readyz'));
    expectErrorBody(ready, 503, 'health/not_ready');
    expect(ready.body.message).toContain('redis');
    const workerPing = await prompt('worker-ping', t.request('POST', '/api/ops/worker-ping', { token: team.token }));
    expect(workerPing.status).toBeGreaterThanOrEqual(400); // no platform:admin, or 503: never a wait
  });

  it('with Redis stalled (connected, not answering), a create still answers at once', async () => {
    await redis.start();
    await waitFor(
      () => t.request('GET', '/readyz'),
      (res) => res.status === 200,
      { timeoutMs: 20_000, intervalMs: 100, what: 'Redis reachable again' },
    );
    redis.pause();
    try {
      const created = await createTask('stalled-1');
      expect(created.status).toBe(201);
      await expectCommitted(created.body.id, 'queued', 'TASK_CREATED');
    } finally {
      redis.resume();
    }
  });

  it('once Redis is back, wake-ups reach the queue again', async () => {
    // The queue's own connection comes back on its reconnect schedule, after /readyz's.
    const queue = t.get<Queue>(getQueueToken(QUEUES.harness) as never);
    await waitFor(
      async () => (await queue.getBackend().client).status,
      (status) => status === 'ready',
      {
        timeoutMs: 20_000,
        intervalMs: 100,
        what: 'the harness queue reconnected',
      },
    );
    await waitFor(
      () => t.request('GET', '/readyz'),
      (res) => res.status === 200,
      { timeoutMs: 20_000, intervalMs: 100, what: 'Redis reachable again' },
    );
    const created = await createTask('back-1');
    expect(created.status).toBe(201);
    expect(await harnessJobsFor(created.body.id)).not.toHaveLength(0);
  });
});
