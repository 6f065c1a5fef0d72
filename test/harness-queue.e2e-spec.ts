// One live schedule per task in the queue, not just in Postgres: a step woken early (a host event, a
// user action) replaces the task's scheduled step, and the old one leaves the queue at once instead of
// waiting there to find itself superseded (at 2,000 running tasks they were thousands).
import { getQueueToken } from '@nestjs/bullmq';
import { Queue } from 'bullmq';
import { QUEUES, TaskWaker } from '@heddle/queue';
import { FakeHosts, TestApp, waitFor } from '@heddle/testing';

describe('harness queue (e2e)', () => {
  let t: TestApp;
  const hosts = new FakeHosts(() => t);

  beforeAll(async () => {
    // Looks 20 s apart: every scheduled step of this test stays in the queue until the test ends.
    t = await TestApp.create({
      withWorkers: true,
      env: { HEDDLE_OUTBOUND_ALLOW: '127.0.0.1', HARNESS_POLL_MS: '20000' },
    });
  });
  afterAll(async () => {
    await t.close();
    await hosts.stopAll();
  });

  it('a step woken early removes the scheduled step it replaces: one queued step per task', async () => {
    const team = await t.createTeam();
    const { fake, hostId } = await hosts.forTeam(team);
    fake.script(/KEEP-BUSY/, [{ type: 'hang' }]);
    const created = await t.request('POST', '/api/tasks', {
      token: team.token,
      body: { name: 'busy', workspace: fake.workspace, goal: 'KEEP-BUSY', hostId, checkIntervalSeconds: 3600 },
    });
    const id = created.body.id;
    const queue = t.get<Queue>(getQueueToken(QUEUES.harness) as never);
    const scheduled = async () =>
      (await queue.getJobs(['delayed', 'prioritized', 'waiting'])).filter((j) => j?.data?.taskId === id);
    const wakeAt = async () =>
      (await t.request('GET', `/api/tasks/${id}`, { token: team.token })).body as {
        status: string;
        currentTurn: number;
      };

    await waitFor(wakeAt, (task) => task.status === 'running' && task.currentTurn === 1, {
      timeoutMs: 10_000,
      what: 'turn 1 running',
    });
    // Five early wake-ups, each a step that schedules the next look 20 s on.
    for (let i = 0; i < 5; i++) {
      const before = (await scheduled()).map((j) => j.id);
      await t.get(TaskWaker).wake(team.teamId, id);
      await waitFor(
        scheduled,
        (jobs) => jobs.some((j) => !before.includes(j.id)) && jobs.every((j) => j.data.dueMs !== undefined),
        { timeoutMs: 10_000, what: `the step of wake-up ${i + 1} scheduled` },
      );
    }
    const jobs = await scheduled();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.data.dueMs).toBeGreaterThan(Date.now());
  });
});

describe('looks at a busy task when its host stream is open (e2e)', () => {
  let t: TestApp;
  const hosts = new FakeHosts(() => t);

  beforeAll(async () => {
    t = await TestApp.create({
      withWorkers: true,
      env: { HEDDLE_OUTBOUND_ALLOW: '127.0.0.1', HARNESS_POLL_MS: '200', HARNESS_WATCHED_POLL_MS: '60000' },
    });
  });
  afterAll(async () => {
    await t.close();
    await hosts.stopAll();
  });

  it('are only a fallback: a hung session is not polled every HARNESS_POLL_MS, yet the stale report comes on time', async () => {
    const team = await t.createTeam();
    const settings = await t.request('PATCH', '/api/team', {
      token: team.token,
      body: { settings: { staleBusyObservations: 10 } }, // 10 × 200 ms = 2 s without progress
    });
    expect(settings.status).toBe(200);
    const { fake, hostId } = await hosts.forTeam(team);
    fake.script(/HUNG/, [{ type: 'hang' }]);
    const created = await t.request('POST', '/api/tasks', {
      token: team.token,
      body: { name: 'hung', workspace: fake.workspace, goal: 'HUNG', hostId, checkIntervalSeconds: 3600 },
    });
    const id = created.body.id;
    const started = Date.now();
    const events = async () =>
      (await t.request('GET', `/api/events?taskId=${id}&limit=100`, { token: team.token })).body.items as {
        type: string;
        time: string;
      }[];
    const { value } = await waitFor(events, (list) => list.some((e) => e.type === 'SESSION_STALE_BUSY'), {
      timeoutMs: 15_000,
      intervalMs: 100,
      what: 'SESSION_STALE_BUSY',
    });
    const turnStarted = Date.parse(value.find((e) => e.type === 'TURN_STARTED')!.time);
    const stale = Date.parse(value.find((e) => e.type === 'SESSION_STALE_BUSY')!.time);
    // On time: about 2 s after the turn began (not at the 60 s fallback, not many looks early).
    expect(stale - turnStarted).toBeGreaterThanOrEqual(1_800);
    expect(stale - turnStarted).toBeLessThan(5_000);
    // Looks at the session while it hung: a handful, not one per 200 ms.
    const looks = fake
      .requests()
      .filter((r) => r.method === 'GET' && /^\/session\/status$/.test(r.path) && r.time >= started);
    expect(looks.length).toBeLessThanOrEqual(4);
  });
});
