// A host that stops answering while its tasks run: after HARNESS_HOST_LOST_SECONDS (here 1 s) each
// task moves to another matching host with a fresh session, the turn in flight recorded `lost`; with
// no other host it fails `host.lost` after HARNESS_HOST_LOST_WAIT_SECONDS (here 3 s); a task bound to
// a session on that host fails `host.lost` at once. Fake hosts; each test makes its own team.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { OpencodeClient } from '@heddle/opencode-client';
import { FakeHosts, FakeOpencode, TestApp, TestTeam, settledTask, waitFor } from '@heddle/testing';

jest.setTimeout(60_000);

describe('lost host (e2e)', () => {
  let t: TestApp;
  const hosts = new FakeHosts(() => t);

  beforeAll(async () => {
    t = await TestApp.create({
      withWorkers: true,
      env: {
        HEDDLE_OUTBOUND_ALLOW: '127.0.0.1',
        HARNESS_POLL_MS: '200',
        HARNESS_HOST_LOST_SECONDS: '1',
        HARNESS_HOST_LOST_WAIT_SECONDS: '3',
        HARNESS_CALL_TIMEOUT_MS: '1000',
      },
    });
  });
  afterAll(async () => {
    await t.close();
    await hosts.stopAll();
  });

  const fake = (workspace?: string): Promise<FakeOpencode> => hosts.start(workspace ? { workspace } : {});
  const host = (team: TestTeam, name: string, f: FakeOpencode) => hosts.register(team, f, { name, labels: ['pool'] });

  async function createTask(team: TestTeam, body: Record<string, unknown>): Promise<string> {
    const res = await t.request('POST', '/api/tasks', { token: team.token, body: { name: 'lost', ...body } });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  const get = (team: TestTeam, path: string) => t.request('GET', path, { token: team.token }).then((r) => r.body);
  const events = async (team: TestTeam, id: string) =>
    (await get(team, `/api/events?taskId=${id}&limit=100`)).items as { type: string; data: any }[];

  async function runningOn(team: TestTeam, id: string, hostId: string): Promise<void> {
    await waitFor(
      () => get(team, `/api/tasks/${id}`),
      (task) => task.status === 'running' && task.hostId === hostId,
      { timeoutMs: 10_000, what: `the task running on host ${hostId}` },
    );
  }

  it('moves a running task to another matching host with a fresh session; the lost turn says so', async () => {
    const team = await t.createTeam();
    const a = await fake();
    a.script(/MOVE-ME/, [{ type: 'hang' }]); // the turn on A never ends
    const hostA = await host(team, 'a', a);
    const id = await createTask(team, {
      workspace: a.workspace,
      goal: 'MOVE-ME FILE:moved.txt',
      labels: ['pool'],
      checks: [{ kind: 'file_exists', path: 'moved.txt' }],
    });
    await runningOn(team, id, hostA);
    const before = await get(team, `/api/tasks/${id}`);

    // B serves the same workspace; registered only now so that the task started on A.
    const b = await fake(a.workspace);
    const hostB = await host(team, 'b', b);
    await a.setUnreachable(true);

    const task = await settledTask(t, team, id, 20_000);
    expect(task).toMatchObject({ status: 'completed', hostId: hostB });
    expect(task.sessionId).not.toBe(before.sessionId);
    expect(existsSync(join(a.workspace, 'moved.txt'))).toBe(true);

    const turns = (await get(team, `/api/tasks/${id}/turns`)).items;
    expect(turns.map((x: any) => [x.number, x.outcome, x.sessionId])).toEqual([
      [1, 'lost', before.sessionId],
      [2, 'finished', task.sessionId],
    ]);
    expect(turns[0].error).toMatch(/^host a has not answered for \d+ s/);

    const log = await events(team, id);
    const moved = log.find((e) => e.type === 'TASK_UPDATED' && e.data.reason === 'host.lost');
    expect(moved?.data).toMatchObject({ status: 'queued', lostHostId: hostA, lostTurn: 1 });
    // Dispatched again: to B, and the new turn went to B's new session.
    const after = log.slice(log.indexOf(moved!));
    expect(after.find((e) => e.type === 'TASK_UPDATED' && e.data.hostName)?.data.hostName).toBe('b');
    expect(after.filter((e) => e.type === 'TURN_STARTED').map((e) => e.data.turn)).toEqual([2]);
    expect(log.at(-1)?.type).toBe('TASK_COMPLETED');
  });

  it('fails host.lost when no other host takes the task in time', async () => {
    const team = await t.createTeam();
    const a = await fake();
    a.script(/STRANDED/, [{ type: 'hang' }]);
    const hostA = await host(team, 'only', a);
    const id = await createTask(team, { workspace: a.workspace, goal: 'STRANDED', labels: ['pool'] });
    await runningOn(team, id, hostA);
    await a.setUnreachable(true);

    const task = await settledTask(t, team, id, 20_000);
    expect(task).toMatchObject({ status: 'failed', reason: 'host.lost' });
    expect(task.reasonDetail).toMatch(/^host only was lost \d+ s ago and no other host took the task/);
    const turns = (await get(team, `/api/tasks/${id}/turns`)).items;
    expect(turns.map((x: any) => x.outcome)).toEqual(['lost']);
  });

  it('a task bound to a session on the lost host fails host.lost (nothing else can continue it)', async () => {
    const team = await t.createTeam();
    const a = await fake();
    a.script(/BOUND/, [{ type: 'hang' }]);
    const hostA = await host(team, 'bound', a);
    const session = await new OpencodeClient({ baseUrl: a.baseUrl, directory: a.workspace }).createSession({
      title: 'mine',
    });
    const id = await createTask(team, { workspace: a.workspace, goal: 'BOUND', hostId: hostA, sessionId: session.id });
    await runningOn(team, id, hostA);
    await a.setUnreachable(true);

    const task = await settledTask(t, team, id, 20_000);
    expect(task).toMatchObject({ status: 'failed', reason: 'host.lost', sessionId: session.id });
    expect(task.reasonDetail).toContain(`the task is bound to session ${session.id} there`);
  });
});
