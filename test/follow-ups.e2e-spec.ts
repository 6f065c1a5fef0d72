// Follow-up messages delivered by the harness (fake host): a message posted while a turn runs does not
// abort it; at the next idle it is the next turn's prompt in the same session — before the checks are
// judged — and messages posted within the debounce go out together as one numbered prompt. Each test
// makes its own team and host.
import { FakeHosts, FakeOpencode, TestApp, TestTeam, settledTask, waitFor } from '@heddle/testing';

jest.setTimeout(60_000);

describe('follow-up messages delivered by the harness (e2e, fake host)', () => {
  let t: TestApp;
  const hosts = new FakeHosts(() => t);

  beforeAll(async () => {
    t = await TestApp.create({
      withWorkers: true,
      env: { HEDDLE_OUTBOUND_ALLOW: '127.0.0.1', HARNESS_POLL_MS: '200' },
    });
  });
  afterAll(async () => {
    await t.close();
    await hosts.stopAll();
  });

  async function setup(): Promise<{ team: TestTeam; fake: FakeOpencode; hostId: string }> {
    const team = await t.createTeam();
    return { team, ...(await hosts.forTeam(team)) };
  }

  const get = (team: TestTeam, path: string) => t.request('GET', path, { token: team.token }).then((r) => r.body);
  const post = (team: TestTeam, path: string, body: unknown) => t.request('POST', path, { token: team.token, body });

  async function busyWithTurn1(team: TestTeam, id: string): Promise<any> {
    const { value } = await waitFor(
      () => get(team, `/api/tasks/${id}`),
      (task) => task.status === 'running' && task.currentTurn === 1,
      { timeoutMs: 10_000, what: 'turn 1 running' },
    );
    return value;
  }

  it('a message posted mid-turn is the next turn in the same session, before the verdict; the turn is not cut', async () => {
    const { team, fake, hostId } = await setup();
    const res = await post(team, '/api/tasks', {
      name: 'nudged',
      workspace: fake.workspace,
      goal: 'SLOW:2000 FILE:first.txt',
      hostId,
      // Both files: after turn 1 alone the checks fail (and a plain retry would follow without the message).
      checks: [
        { kind: 'file_exists', path: 'first.txt' },
        { kind: 'file_exists', path: 'second.txt' },
      ],
      followUps: { debounceMs: 0 },
    });
    expect(res.status).toBe(201);
    const id = res.body.id;
    const running = await busyWithTurn1(team, id);
    const sent = await post(team, `/api/tasks/${id}/messages`, { text: 'Also FILE:second.txt', lane: 'advice' });
    expect(sent.status).toBe(202);

    const task = await settledTask(t, team, id, 20_000);
    expect(task).toMatchObject({ status: 'completed', sessionId: running.sessionId, currentTurn: 2 });
    const turns = (await get(team, `/api/tasks/${id}/turns`)).items;
    expect(turns.map((x: any) => [x.number, x.outcome, x.sessionId, x.prompt])).toEqual([
      [1, 'finished', running.sessionId, expect.stringContaining('SLOW:2000 FILE:first.txt')],
      [2, 'finished', running.sessionId, 'Also FILE:second.txt'],
    ]);
    // Turn 1 ran to its end (no abort), and the checks were first judged after turn 2.
    expect(fake.requests().filter((r) => r.path.endsWith('/abort'))).toEqual([]);
    const types = ((await get(team, `/api/events?taskId=${id}&limit=100`)).items as any[]).map((e) =>
      e.type === 'TURN_STARTED' || e.type === 'MESSAGE_DELIVERED' ? `${e.type}:${e.data.turn}` : e.type,
    );
    expect(types.indexOf('MESSAGE_DELIVERED:2')).toBeLessThan(types.indexOf('TURN_STARTED:2'));
    expect(types.indexOf('MESSAGE_DELIVERED:2')).toBeLessThan(types.indexOf('CHECK_RESULT'));
    expect(types.filter((x) => x === 'CHECK_RESULT')).toHaveLength(1);

    const messages = (await get(team, `/api/tasks/${id}/messages`)).items;
    expect(messages).toEqual([expect.objectContaining({ status: 'delivered', turn: 2, lane: 'advice' })]);
  });

  it('messages within the debounce go out together as one numbered prompt, control lane first', async () => {
    const { team, fake, hostId } = await setup();
    const res = await post(team, '/api/tasks', {
      name: 'debounced',
      workspace: fake.workspace,
      goal: 'SLOW:1500 FILE:one.txt',
      hostId,
      checks: [{ kind: 'file_exists', path: 'two.txt' }],
      followUps: { debounceMs: 1500 },
    });
    const id = res.body.id;
    await busyWithTurn1(team, id);
    expect((await post(team, `/api/tasks/${id}/messages`, { text: 'FILE:two.txt please' })).status).toBe(202);
    expect((await post(team, `/api/tasks/${id}/messages`, { text: 'Stop and listen', lane: 'control' })).status).toBe(
      202,
    );

    const task = await settledTask(t, team, id, 20_000);
    expect(task).toMatchObject({ status: 'completed', currentTurn: 2 });
    const turns = (await get(team, `/api/tasks/${id}/turns`)).items;
    expect(turns[1].prompt).toBe('1. Stop and listen\n\n2. FILE:two.txt please');
    const messages = (await get(team, `/api/tasks/${id}/messages`)).items;
    expect(messages.map((m: any) => [m.status, m.turn])).toEqual([
      ['delivered', 2],
      ['delivered', 2],
    ]);
  });

  it('queued messages of a task that finishes are dropped (task_finished)', async () => {
    const { team, fake, hostId } = await setup();
    const res = await post(team, '/api/tasks', {
      name: 'done-first',
      workspace: fake.workspace,
      goal: 'SLOW:1500 FILE:x.txt',
      hostId,
      checks: [{ kind: 'file_exists', path: 'x.txt' }],
      followUps: { debounceMs: 600000 },
    });
    const id = res.body.id;
    await busyWithTurn1(team, id);
    expect((await post(team, `/api/tasks/${id}/messages`, { text: 'later' })).status).toBe(202);
    // Waiting out a 10-minute debounce is not what a finished turn does: the message waits, the task
    // is aborted by its owner, and the message is dropped.
    await waitFor(
      () => get(team, `/api/tasks/${id}/turns`),
      (turns) => turns.items[0]?.outcome === 'finished',
      { timeoutMs: 10_000, what: 'turn 1 over' },
    );
    expect(await get(team, `/api/tasks/${id}`)).toMatchObject({ status: 'running', currentTurn: 1 });
    expect((await post(team, `/api/tasks/${id}/abort`, {})).status).toBe(200);
    expect(await settledTask(t, team, id)).toMatchObject({ status: 'aborted' });
    const messages = (await get(team, `/api/tasks/${id}/messages`)).items;
    expect(messages).toEqual([expect.objectContaining({ status: 'dropped', droppedReason: 'task_finished' })]);
  });
});
