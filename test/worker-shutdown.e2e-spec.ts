import { randomBytes, randomUUID } from 'node:crypto';
import { PrismaService } from '@heddle/db';
import {
  FakeOpencode,
  RunningProcess,
  TestApp,
  TestTeam,
  registerHost,
  startFakeOpencode,
  startWorkerProcess,
  waitFor,
} from '@heddle/testing';

/**
 * SIGTERM to a worker whose harness step waits on a slow host: the worker says what it drains, waits
 * while it can, then gives the task's lease back (due now) and exits before SHUTDOWN_TIMEOUT_MS —
 * so the next worker takes the task at once, not after the 60 s lease.
 */

const SHUTDOWN_TIMEOUT_MS = 6000;
// Looks every 200 ms even while the host's event stream is open (HARNESS_WATCHED_POLL_MS): the test
// needs a step in flight soon after the host turns slow.
const HARNESS_ENV = {
  HEDDLE_OUTBOUND_ALLOW: '127.0.0.1',
  HARNESS_POLL_MS: '200',
  HARNESS_WATCHED_POLL_MS: '200',
  HARNESS_TURN_START_GRACE_MS: '5000',
};

jest.setTimeout(120_000);

describe('worker shutdown (e2e)', () => {
  const prefix = `drain-${randomUUID().slice(0, 8)}`;
  const encryptionKey = randomBytes(32).toString('base64');
  let t: TestApp;
  let fake: FakeOpencode;
  let team: TestTeam;
  const workers: RunningProcess[] = [];

  async function startWorker(): Promise<RunningProcess> {
    const worker = await startWorkerProcess({
      WORKER_TEAMS: team.teamId,
      HEDDLE_ENCRYPTION_KEY: encryptionKey,
      QUEUE_PREFIX: prefix,
      WORKER_CONSUMERS: 'harness',
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      HARNESS_CALL_TIMEOUT_MS: '30000',
      HARNESS_SWEEP_MS: '1000',
      ...HARNESS_ENV,
    });
    workers.push(worker);
    return worker;
  }

  beforeAll(async () => {
    t = await TestApp.create({ env: { ...HARNESS_ENV, QUEUE_PREFIX: prefix, HEDDLE_ENCRYPTION_KEY: encryptionKey } });
    fake = await startFakeOpencode();
    team = await t.createTeam('drain');
  });
  afterAll(async () => {
    for (const w of workers) {
      w.signal('SIGKILL');
      await w.exited;
    }
    await fake?.stop();
    await t?.close();
  });

  const lease = (taskId: string) =>
    t
      .get(PrismaService)
      .task.findUniqueOrThrow({ where: { id: taskId }, select: { leaseOwner: true, wakeAt: true, status: true } });

  it('lets go of a step stuck on a slow host before the hard stop; the next worker finishes the task', async () => {
    const hostId = await registerHost(t, team, { baseUrl: fake.baseUrl, workspaceRoots: [fake.workspace] });
    const first = await startWorker();
    const created = await t.request('POST', '/api/tasks', {
      token: team.token,
      body: {
        name: 'drain',
        workspace: fake.workspace,
        goal: 'Take your time. SLOW:3000 FILE:drained.txt',
        hostId,
        checks: [{ kind: 'file_exists', path: 'drained.txt' }],
      },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await waitFor(
      () => lease(id),
      (row) => row.status === 'running',
      { timeoutMs: 30_000, what: 'task running' },
    );

    // Every host call now takes 20 s: the next step holds the task's lease while it waits.
    const slowSince = Date.now();
    fake.setSlow(20_000);
    // A look of the harness (session status, then the turn's messages) — not the permission listings.
    const stepCall = (r: { path: string; time: number }) =>
      r.time >= slowSince && (r.path === '/session/status' || /^\/session\/[^/]+\/message$/.test(r.path));
    await waitFor(async () => fake.requests().some(stepCall), Boolean, {
      timeoutMs: 30_000,
      what: 'a step waiting on the host',
    });
    expect((await lease(id)).leaseOwner).not.toBeNull();

    const signalled = Date.now();
    first.signal('SIGTERM');
    const exit = await first.exited;
    const tookMs = Date.now() - signalled;
    // A clean exit (the worker ends by its SIGTERM once drained), not the hard stop (which prints
    // "shutdown took longer" and exits 1). The hand-back comes shortly before the deadline, so on a
    // loaded machine the exit itself may pass it by a little.
    expect({ exit, output: exit.signal === 'SIGTERM' ? '' : first.output().slice(-3000) }).toEqual({
      exit: { code: null, signal: 'SIGTERM' },
      output: '',
    });
    expect(tookMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS + 2_000);
    const output = first.output();
    expect(output).toMatch(
      new RegExp(
        `draining 1 worker\\(s\\), waiting up to \\d+ ms for \\d+ running job\\(s\\): .*task\\.step task=${id}`,
      ),
    );
    expect(output).toContain(`lease of task ${id} given back, due now`);
    expect(output).not.toMatch(/shutdown took longer/);
    const after = await lease(id);
    expect(after.leaseOwner).toBeNull();
    expect(after.wakeAt!.getTime()).toBeLessThanOrEqual(Date.now());

    fake.setSlow(0);
    const resumed = Date.now();
    await startWorker();
    await waitFor(
      () => t.request('GET', `/api/tasks/${id}`, { token: team.token }),
      (res) => res.body.status === 'completed',
      { timeoutMs: 45_000, what: 'task completed by the next worker' },
    );
    // Well inside the 60 s lease a forced exit would have left behind.
    expect(Date.now() - resumed).toBeLessThan(45_000);
  });
});
