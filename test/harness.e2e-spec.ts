import { dirname } from 'node:path';
import { FakeOpencode, TestApp, TestTeam, startFakeOpencode, waitFor } from '@heddle/testing';

/**
 * The harness end to end against the in-process fake OpenCode host (fast; the same flows run against
 * the real binary in harness-real.e2e-spec.ts): dispatch, watch, verify, next turns, budgets,
 * stale-busy, abort, takeover, pause/resume. Each test makes its own team and host.
 */
jest.setTimeout(30_000);

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
      body: { name: 'fake', baseUrl: fake.baseUrl, workspaceRoots: [dirname(fake.workspace)] },
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
    // Recent activity: on the task, and in every task event from the turn's end on (tool names, no output).
    expect(task.activity).toEqual(turn.activity);
    expect(task.activity.tools).toContain('write');
    const completed = (await t.request('GET', `/api/events?taskId=${id}&type=TASK_COMPLETED`, { token: team.token }))
      .body.items[0];
    expect(completed.data.activity).toEqual(turn.activity);
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

  it('reports a stale busy session once per episode and re-arms on progress', async () => {
    const { team, fake, hostId } = await setup('harness-stale');
    const patched = await t.request('PATCH', '/api/team', {
      token: team.token,
      body: { settings: { staleBusyObservations: 2 } },
    });
    expect(patched.status).toBe(200);
    // Busy with no progress for a while (stale), one part finishes (progress), stale again, then done.
    // Each quiet stretch is many observations long, so a loaded machine still sees both episodes.
    fake.script('STALESCRIPT', [
      { type: 'wait', ms: 2000 },
      { type: 'read', path: 'README.md' },
      { type: 'wait', ms: 2000 },
      { type: 'write', path: 'stale.txt', content: 'ok' },
    ]);
    const id = await createTask(team, {
      workspace: fake.workspace,
      goal: 'STALESCRIPT',
      hostId,
      checks: [{ kind: 'file_exists', path: 'stale.txt' }],
    });
    const task = await settled(team, id);
    expect(task.status).toBe('completed');
    const types = await eventTypes(team, id);
    expect(types.filter((x) => x === 'SESSION_STALE_BUSY')).toHaveLength(2);
    expect(types.indexOf('SESSION_STALE_BUSY')).toBeLessThan(types.indexOf('TURN_FINISHED'));
  }, 20_000);

  it('takes over a hung session: aborts it, then prompts the same session with the new goal', async () => {
    const { team, fake, hostId } = await setup('harness-takeover');
    const id = await createTask(team, {
      workspace: fake.workspace,
      goal: 'HANG',
      hostId,
      checks: [{ kind: 'file_exists', path: 'taken.txt' }],
    });
    const { value: running } = await waitFor(
      () => getTask(team, id),
      (task) => task.status === 'running' && task.currentTurn === 1,
      { timeoutMs: 10_000, what: 'the first turn running' },
    );
    const res = await t.request('POST', `/api/tasks/${id}/takeover`, {
      token: team.token,
      body: { goal: 'FILE:taken.txt' },
    });
    expect(res.status).toBe(200);
    const task = await settled(team, id);
    expect(task).toMatchObject({ status: 'completed', currentTurn: 2, sessionId: running.sessionId });
    const [first, second] = await turns(team, id);
    expect(first.outcome).toBe('aborted');
    expect(second).toMatchObject({ sessionId: running.sessionId, outcome: 'finished' });
    expect(second.prompt).toContain('FILE:taken.txt');
    expect(fake.requests().some((r) => r.path === `/session/${running.sessionId}/abort`)).toBe(true);
  });

  it('pauses (the running turn finishes, no new one) and resumes with a fresh turn', async () => {
    const { team, fake, hostId } = await setup('harness-pause');
    fake.script('PAUSESCRIPT', [
      { type: 'wait', ms: 800 },
      { type: 'text', text: 'nothing written' },
    ]);
    fake.script('RESUMED', [{ type: 'write', path: 'resumed.txt', content: 'ok' }]);
    const id = await createTask(team, {
      workspace: fake.workspace,
      goal: 'PAUSESCRIPT',
      hostId,
      checks: [{ kind: 'file_exists', path: 'resumed.txt' }],
    });
    await waitFor(
      () => getTask(team, id),
      (task) => task.status === 'running',
      { timeoutMs: 10_000, what: 'running' },
    );
    expect((await t.request('POST', `/api/tasks/${id}/pause`, { token: team.token })).status).toBe(200);
    await waitFor(
      () => turns(team, id),
      (items) => items[0]?.outcome === 'finished',
      { timeoutMs: 10_000, what: 'the paused turn finished' },
    );
    await waitFor(
      () => t.request('GET', `/api/tasks/${id}/checks`, { token: team.token }),
      (res) => res.body.items.length === 1,
      { timeoutMs: 10_000, what: 'the paused turn verified' },
    );
    expect(await getTask(team, id)).toMatchObject({ status: 'paused', currentTurn: 1 });
    const resumed = await t.request('POST', `/api/tasks/${id}/resume`, {
      token: team.token,
      body: { goal: 'RESUMED' },
    });
    expect(resumed.status).toBe(200);
    const task = await settled(team, id);
    expect(task).toMatchObject({ status: 'completed', currentTurn: 2 });
  });

  it('fails on the wall-clock budget, aborting the session', async () => {
    const { team, fake, hostId } = await setup('harness-wall');
    const id = await createTask(team, {
      workspace: fake.workspace,
      goal: 'HANG',
      hostId,
      budgets: { maxWallSeconds: 1 },
    });
    const task = await settled(team, id);
    expect(task).toMatchObject({ status: 'failed', reason: 'budget.wall' });
    expect(fake.requests().some((r) => r.path === `/session/${task.sessionId}/abort`)).toBe(true);
    const [turn] = await turns(team, id);
    expect(turn.outcome).toBe('aborted');
  });

  it('runs a plan: a fresh session per iteration, progress and ETA, done on <plan-complete>', async () => {
    const { team, fake, hostId } = await setup('harness-plan');
    const plan = (done: number, tag = '') =>
      ['# Plan', ...[1, 2, 3].map((n) => `- [${n <= done ? 'x' : ' '}] item ${n}`), '- [MANUAL] ask legal', tag]
        .join('\n')
        .trimEnd() + '\n';
    await import('node:fs/promises').then((fs) => fs.writeFile(`${fake.workspace}/PLAN.md`, plan(0)));
    let iteration = 0;
    fake.script(/Read the plan at/, () => {
      iteration++;
      const tag = iteration >= 3 ? '<plan-complete>all three items done</plan-complete>' : '';
      return [{ type: 'write', path: 'PLAN.md', content: plan(iteration, tag) }];
    });
    const id = await createTask(team, { workspace: fake.workspace, goal: 'three items', hostId, mode: 'plan' });
    const task = await settled(team, id);
    expect(task).toMatchObject({ status: 'completed', currentTurn: 3 });
    expect(task.progress).toMatchObject({
      mode: 'plan',
      done: 3,
      total: 4,
      manual: 1,
      open: 0,
      iterations: 3,
      etaMs: 0,
    });
    expect(task.result).toMatchObject({ summary: 'all three items done' });
    const sessions = (await turns(team, id)).map((x: { sessionId: string }) => x.sessionId);
    expect(new Set(sessions).size).toBe(3);
    expect((await turns(team, id))[0].prompt).toContain(`${fake.workspace}/PLAN.md`);
  });

  it('fails on the cost budget while the turn runs', async () => {
    const { team, fake, hostId } = await setup('harness-cost');
    fake.script('COSTLY', [
      { type: 'write', path: 'c1.txt', content: '1', cost: 0.6 },
      { type: 'wait', ms: 3000 },
      { type: 'write', path: 'c2.txt', content: '2', cost: 0.6 },
    ]);
    const id = await createTask(team, {
      workspace: fake.workspace,
      goal: 'COSTLY',
      hostId,
      checks: [{ kind: 'file_exists', path: 'never.txt' }],
      budgets: { maxCostUsd: 0.5 },
    });
    const task = await settled(team, id);
    expect(task).toMatchObject({ status: 'failed', reason: 'budget.cost' });
    expect(task.costUsd).toBeGreaterThan(0.5);
  });

  it('fails a plan that runs out of turns with budget.turns', async () => {
    const { team, fake, hostId } = await setup('harness-plan-budgets');
    const fs = await import('node:fs/promises');
    await fs.writeFile(`${fake.workspace}/PLAN.md`, '- [ ] one\n- [ ] two\n- [ ] three\n');
    let ticked = 0;
    fake.script(/Read the plan at/, () => {
      ticked++;
      const lines = [1, 2, 3].map((n) => `- [${n <= ticked ? 'x' : ' '}] item ${n}`);
      return [{ type: 'write', path: 'PLAN.md', content: `${lines.join('\n')}\n` }];
    });
    const id = await createTask(team, {
      workspace: fake.workspace,
      goal: 'plan',
      hostId,
      mode: 'plan',
      budgets: { maxTurns: 2 },
    });
    expect(await settled(team, id)).toMatchObject({ status: 'failed', reason: 'budget.turns', currentTurn: 2 });
  });

  it('fails a plan whose iterations close nothing with budget.no_progress', async () => {
    const { team, fake, hostId } = await setup('harness-no-progress');
    const fs = await import('node:fs/promises');
    await fs.writeFile(`${fake.workspace}/PLAN.md`, '- [ ] one\n- [ ] two\n');
    fake.script(/Read the plan at/, [{ type: 'write', path: 'notes.txt', content: 'thinking' }]);
    const id = await createTask(team, {
      workspace: fake.workspace,
      goal: 'plan',
      hostId,
      mode: 'plan',
      budgets: { maxNoProgressIterations: 2 },
    });
    const task = await settled(team, id);
    expect(task).toMatchObject({ status: 'failed', reason: 'budget.no_progress', currentTurn: 2 });
    expect(task.progress).toMatchObject({ done: 0, open: 2, noProgressStreak: 2 });
  });

  it('aborts and re-prompts a stale session when the team policy says so', async () => {
    const { team, fake, hostId } = await setup('harness-stale-abort');
    const patched = await t.request('PATCH', '/api/team', {
      token: team.token,
      body: { settings: { staleBusyObservations: 2, staleBusyAutoAbortAfter: 4 } },
    });
    expect(patched.body.settings).toMatchObject({ staleBusyObservations: 2, staleBusyAutoAbortAfter: 4 });
    fake.script('STUCKONCE', [{ type: 'hang' }], { times: 1 });
    fake.script(/stalled/, [{ type: 'write', path: 'unstuck.txt', content: 'ok' }]);
    const id = await createTask(team, {
      workspace: fake.workspace,
      goal: 'STUCKONCE',
      hostId,
      checks: [{ kind: 'file_exists', path: 'unstuck.txt' }],
    });
    const task = await settled(team, id);
    expect(task).toMatchObject({ status: 'completed', currentTurn: 2 });
    const [first, second] = await turns(team, id);
    expect(first).toMatchObject({ outcome: 'aborted', error: 'aborted by the stale-busy policy' });
    expect(second.sessionId).toBe(first.sessionId);
    expect(await eventTypes(team, id)).toContain('SESSION_STALE_BUSY');
  });
});
