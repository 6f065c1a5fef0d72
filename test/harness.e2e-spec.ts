import { FakeOpencode, TestApp, TestTeam, startFakeOpencode, waitFor } from '@heddle/testing';

/**
 * The harness end to end against the in-process fake OpenCode host (fast; the same flows run against
 * the real binary in harness-real.e2e-spec.ts): dispatch, watch, verify, next turns, budgets,
 * stale-busy, abort, takeover, pause/resume. Each test makes its own team and host.
 */
describe('harness (e2e, fake host)', () => {
  let t: TestApp;
  const fakes: FakeOpencode[] = [];

  beforeAll(async () => {
    t = await TestApp.create({
      withWorkers: true,
      env: {
        HEDDLE_OUTBOUND_ALLOW: '127.0.0.1',
        HARNESS_POLL_MS: '150',
        HARNESS_TURN_START_GRACE_MS: '3000',
        HARNESS_HOST_WAIT_SECONDS: '3',
      },
    });
  });
  afterAll(async () => {
    await t.close();
    await Promise.all(fakes.map((f) => f.stop()));
  });

  async function setup(name: string): Promise<{ team: TestTeam; fake: FakeOpencode; hostId: string }> {
    const team = await t.createTeam(name);
    const fake = await startFakeOpencode();
    fakes.push(fake);
    const host = await t.request('POST', '/api/hosts', {
      token: team.token,
      body: { name: 'fake', baseUrl: fake.baseUrl },
    });
    expect(host.status).toBe(201);
    const probe = await t.request('POST', `/api/hosts/${host.body.id}/probe`, { token: team.token });
    expect(probe.body.status).toBe('online');
    return { team, fake, hostId: host.body.id };
  }

  async function createTask(team: TestTeam, body: Record<string, unknown>): Promise<string> {
    const res = await t.request('POST', '/api/tasks', { token: team.token, body: { name: 'task', ...body } });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  const getTask = async (team: TestTeam, id: string) =>
    (await t.request('GET', `/api/tasks/${id}`, { token: team.token })).body;

  async function settled(team: TestTeam, id: string, timeoutMs = 15_000) {
    const { value } = await waitFor(
      () => getTask(team, id),
      (task) => ['completed', 'failed', 'aborted'].includes(task.status),
      { timeoutMs, what: `task ${id} finished` },
    );
    return value;
  }

  async function eventTypes(team: TestTeam, taskId: string): Promise<string[]> {
    const res = await t.request('GET', `/api/events?taskId=${taskId}&limit=100`, { token: team.token });
    expect(res.status).toBe(200);
    return res.body.items.map((e: { type: string }) => e.type);
  }

  const turns = async (team: TestTeam, id: string) =>
    (await t.request('GET', `/api/tasks/${id}/turns`, { token: team.token })).body.items;

  it('dispatches, watches, verifies and completes, with the exact event sequence', async () => {
    const { team, fake, hostId } = await setup('harness-happy');
    const id = await createTask(team, {
      workspace: fake.workspace,
      goal: 'Create the file. FILE:hello.txt',
      hostId,
      checks: [{ kind: 'file_exists', path: 'hello.txt' }],
    });
    const task = await settled(team, id);
    expect(task).toMatchObject({
      status: 'completed',
      reason: null,
      hostId,
      verification: 'checks',
      currentTurn: 1,
    });
    expect(task.sessionId).toMatch(/^ses_/);
    expect(await eventTypes(team, id)).toEqual([
      'TASK_CREATED',
      'TASK_UPDATED',
      'TASK_STARTED',
      'TURN_STARTED',
      'TURN_FINISHED',
      'TASK_UPDATED',
      'CHECK_RESULT',
      'TASK_COMPLETED',
    ]);
    const [turn] = await turns(team, id);
    expect(turn).toMatchObject({ number: 1, sessionId: task.sessionId, outcome: 'finished' });
    expect(turn.prompt).toContain('FILE:hello.txt');
    const prompts = fake.requests().filter((r) => r.path.endsWith('/prompt_async'));
    expect(prompts).toHaveLength(1);
    const host = await t.request('GET', `/api/hosts/${hostId}`, { token: team.token });
    expect(host.body.activeSessions).toBe(0);
  });

  it('never completes on the agent saying TASK COMPLETE: the claim is recorded, the task fails on its checks', async () => {
    const { team, fake, hostId } = await setup('harness-claim');
    const id = await createTask(team, {
      workspace: fake.workspace,
      goal: 'SAY:TASK COMPLETE',
      hostId,
      checks: [{ kind: 'file_exists', path: 'never.txt' }],
      budgets: { maxTurns: 2 },
    });
    const task = await settled(team, id);
    expect(task).toMatchObject({ status: 'failed', reason: 'checks.failed', claimedComplete: true, currentTurn: 2 });
    const all = await turns(team, id);
    expect(all.map((x: { sessionId: string }) => x.sessionId)).toEqual([task.sessionId, task.sessionId]);
  });

  it('sends a second turn to the same session naming the failing check, which then passes', async () => {
    const { team, fake, hostId } = await setup('harness-second-turn');
    fake.script(/These checks still fail/, [{ type: 'write', path: 'out.txt', content: 'fixed\n' }]);
    const id = await createTask(team, {
      workspace: fake.workspace,
      goal: 'Write out.txt. FILE:out.txt',
      hostId,
      checks: [{ kind: 'file_contains', path: 'out.txt', pattern: 'fixed' }],
    });
    const task = await settled(team, id);
    expect(task).toMatchObject({ status: 'completed', currentTurn: 2 });
    const [first, second] = await turns(team, id);
    expect(second.sessionId).toBe(first.sessionId);
    expect(second.prompt).toContain('out.txt');
    expect(second.prompt).toContain('These checks still fail');
    const checks = await t.request('GET', `/api/tasks/${id}/checks`, { token: team.token });
    expect(checks.body.items.map((c: { allPassed: boolean }) => c.allPassed)).toEqual([true, false]);
  });

  it('completes a task without checks on weak verification when the tree changed', async () => {
    const { team, fake, hostId } = await setup('harness-weak');
    const id = await createTask(team, { workspace: fake.workspace, goal: 'FILE:weak.txt', hostId });
    const task = await settled(team, id);
    expect(task).toMatchObject({ status: 'completed', verification: 'weak' });
  });

  it('fails with workspace.missing when the workspace does not exist on the host', async () => {
    const { team, fake, hostId } = await setup('harness-no-ws');
    const id = await createTask(team, { workspace: `${fake.workspace}-missing`, goal: 'x', hostId });
    const task = await settled(team, id);
    expect(task).toMatchObject({ status: 'failed', reason: 'workspace.missing' });
  });

  it('waits for a host, then fails with host.unavailable', async () => {
    const team = await t.createTeam('harness-no-host');
    const id = await createTask(team, { workspace: '/tmp', goal: 'x', labels: ['gpu'] });
    const task = await settled(team, id);
    expect(task).toMatchObject({ status: 'failed', reason: 'host.unavailable' });
    expect(task.reasonDetail).toContain('gpu');
  });

  it('aborts a hung session: the turn and the task end, the session is aborted on the host', async () => {
    const { team, fake, hostId } = await setup('harness-abort');
    const id = await createTask(team, { workspace: fake.workspace, goal: 'HANG', hostId });
    await waitFor(
      () => turns(team, id),
      (items) => items.length === 1,
      { timeoutMs: 10_000, what: 'the turn started' },
    );
    const { value: running } = await waitFor(
      () => getTask(team, id),
      (task) => task.status === 'running',
      { timeoutMs: 10_000, what: 'the task running' },
    );
    await waitFor(
      async () => fake.requests().some((r) => r.path.endsWith('/prompt_async')),
      (sent) => sent,
      { timeoutMs: 10_000, what: 'the prompt sent' },
    );
    const res = await t.request('POST', `/api/tasks/${id}/abort`, { token: team.token });
    expect(res.status).toBe(200);
    await waitFor(
      () => turns(team, id),
      (items) => items[0].outcome === 'aborted',
      { timeoutMs: 10_000, what: 'the turn marked aborted' },
    );
    expect(fake.requests().some((r) => r.path === `/session/${running.sessionId}/abort`)).toBe(true);
    expect((await getTask(team, id)).status).toBe('aborted');
  });

  it('fails a task over its token budget while the turn runs', async () => {
    const { team, fake, hostId } = await setup('harness-tokens');
    const id = await createTask(team, {
      workspace: fake.workspace,
      goal: 'FILE:t.txt TOKENS:5000,100',
      hostId,
      checks: [{ kind: 'file_exists', path: 'never.txt' }],
      budgets: { maxTokens: 1000 },
    });
    const task = await settled(team, id);
    expect(task).toMatchObject({ status: 'failed', reason: 'budget.tokens' });
  });
});
