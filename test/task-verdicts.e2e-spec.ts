import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  FakeOpencode,
  TestApp,
  TestTeam,
  expectErrorBody,
  getTask,
  registerHost,
  settledTask,
  startFakeOpencode,
  waitFor,
} from '@heddle/testing';

/**
 * The lifecycle beyond the harness's own verdicts: a start gate, verdicts by hand (never confused
 * with check evidence), re-checking a finished task for drift, and structured output (`reply_json`)
 * with its one repair turn — against the fake host, through the real API and worker.
 */
jest.setTimeout(45_000);

const FENCE = '```';
const SCHEMA = {
  type: 'object',
  required: ['version', 'files'],
  properties: { version: { type: 'string' }, files: { type: 'array', items: { type: 'string' } } },
  additionalProperties: false,
};

describe('task verdicts (e2e, fake host)', () => {
  let t: TestApp;
  const fakes: FakeOpencode[] = [];

  beforeAll(async () => {
    t = await TestApp.create({
      withWorkers: true,
      env: { HEDDLE_OUTBOUND_ALLOW: '127.0.0.1', HARNESS_POLL_MS: '150', HARNESS_TURN_START_GRACE_MS: '3000' },
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
    const hostId = await registerHost(t, team, { baseUrl: fake.baseUrl, workspaceRoots: [dirname(fake.workspace)] });
    return { team, fake, hostId };
  }

  async function createTask(team: TestTeam, body: Record<string, unknown>): Promise<any> {
    const res = await t.request('POST', '/api/tasks', { token: team.token, body: { name: 'task', ...body } });
    expect(res.status).toBe(201);
    return res.body;
  }

  const events = async (team: TestTeam, taskId: string) =>
    (await t.request('GET', `/api/events?taskId=${taskId}&limit=100`, { token: team.token })).body.items as Array<{
      type: string;
      data: Record<string, any>;
    }>;

  it('holds a task created with start: false paused, dispatching nothing, until it is resumed', async () => {
    const { team, fake, hostId } = await setup('gate');
    const created = await createTask(team, {
      workspace: fake.workspace,
      goal: 'FILE:gated.txt',
      hostId,
      start: false,
      checks: [{ kind: 'file_exists', path: 'gated.txt' }],
    });
    expect(created.status).toBe('paused');
    expect((await events(team, created.id)).map((e) => [e.type, e.data.status])).toEqual([['TASK_CREATED', 'paused']]);

    const resumed = await t.request('POST', `/api/tasks/${created.id}/resume`, { token: team.token });
    expect(resumed.body.status).toBe('queued');
    expect(await settledTask(t, team, created.id)).toMatchObject({ status: 'completed', currentTurn: 1 });
    // Nothing reached the host before the resume: one session, one prompt.
    expect(fake.requests().filter((r) => r.path.endsWith('/prompt_async'))).toHaveLength(1);
  });

  it('marks a running task completed by hand: verification manual, who and why, the session aborted', async () => {
    const { team, fake, hostId } = await setup('mark-complete');
    const task = await createTask(team, {
      workspace: fake.workspace,
      goal: 'HANG',
      hostId,
      checks: [{ kind: 'file_exists', path: 'never.txt' }],
    });
    await waitFor(
      () => getTask(t, team, task.id),
      (x) => x.status === 'running',
      { timeoutMs: 15_000 },
    );
    const res = await t.request('POST', `/api/tasks/${task.id}/complete`, {
      token: team.token,
      body: { reason: 'reviewed by hand' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'completed',
      verification: 'manual',
      reasonDetail: 'reviewed by hand',
      result: { verification: 'manual', reason: 'reviewed by hand', by: expect.stringMatching(/^token:/) },
    });
    const completed = (await events(team, task.id)).find((e) => e.type === 'TASK_COMPLETED')!;
    expect(completed.data).toMatchObject({
      verification: 'manual',
      reasonDetail: 'reviewed by hand',
      action: 'mark_complete',
    });
    // The harness stops the agent it no longer needs.
    await waitFor(async () => fake.requests().some((r) => r.path.endsWith('/abort')), Boolean, {
      timeoutMs: 15_000,
      what: 'the session aborted',
    });
    const again = await t.request('POST', `/api/tasks/${task.id}/complete`, {
      token: team.token,
      body: { reason: 'x' },
    });
    expectErrorBody(again, 409, 'task/invalid_state');

    // Resumed with a new goal, it has no verdict until its checks give one: the hand-made one goes.
    const resumed = await t.request('POST', `/api/tasks/${task.id}/resume`, {
      token: team.token,
      body: { goal: 'HANG again' },
    });
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ verification: 'checks', result: null, reason: null, reasonDetail: null });
    await t.request('POST', `/api/tasks/${task.id}/abort`, { token: team.token });
  });

  it('marks a queued task failed by hand with reason manual; a reason is required', async () => {
    const team = await t.createTeam('mark-failed');
    const task = await createTask(team, { workspace: '/srv/nowhere', goal: 'g', labels: ['none-such'] });
    expectErrorBody(
      await t.request('POST', `/api/tasks/${task.id}/fail`, { token: team.token, body: {} }),
      400,
      'request/validation_failed',
    );
    const res = await t.request('POST', `/api/tasks/${task.id}/fail`, {
      token: team.token,
      body: { reason: 'wrong repo' },
    });
    expect(res.body).toMatchObject({ status: 'failed', reason: 'manual', reasonDetail: 'wrong repo' });
    const failed = (await events(team, task.id)).find((e) => e.type === 'TASK_FAILED')!;
    expect(failed.data).toMatchObject({
      reason: 'manual',
      reasonDetail: 'wrong repo',
      by: expect.stringMatching(/^token:/),
    });
  });

  it('re-checks a finished task: CHECK_RESULT with drift when a pass became a fail, the status unchanged', async () => {
    const { team, fake, hostId } = await setup('recheck');
    const task = await createTask(team, {
      workspace: fake.workspace,
      goal: 'FILE:kept.txt',
      hostId,
      checks: [{ kind: 'file_exists', path: 'kept.txt' }],
    });
    expect((await settledTask(t, team, task.id)).status).toBe('completed');
    expectErrorBody(
      await t.request('POST', `/api/tasks/${(await createTask(team, { workspace: '/x', goal: 'g' })).id}/recheck`, {
        token: team.token,
      }),
      409,
      'task/no_checks',
    );

    // Unchanged: no drift.
    expect((await t.request('POST', `/api/tasks/${task.id}/recheck`, { token: team.token })).status).toBe(202);
    const first = await waitFor(
      () => events(team, task.id),
      (list) => list.some((e) => e.type === 'CHECK_RESULT' && e.data.recheck),
      { timeoutMs: 15_000, what: 'the recheck' },
    );
    expect(first.value.find((e) => e.data.recheck)!.data).toMatchObject({ allPassed: true, drift: false });

    // The file is gone since: drift, and the task stays completed.
    rmSync(join(fake.workspace, 'kept.txt'));
    expect((await t.request('POST', `/api/tasks/${task.id}/recheck`, { token: team.token })).status).toBe(202);
    const second = await waitFor(
      () => events(team, task.id),
      (list) => list.filter((e) => e.type === 'CHECK_RESULT' && e.data.recheck).length === 2,
      { timeoutMs: 15_000, what: 'the second recheck' },
    );
    const drift = second.value.filter((e) => e.data.recheck)[1]!.data;
    expect(drift).toMatchObject({ allPassed: false, drift: true });
    expect((await getTask(t, team, task.id)).status).toBe('completed');
  });

  it("binds a new task to a live task's session: the old one stops (handed over, archived) without aborting it", async () => {
    const { team, fake, hostId } = await setup('handover');
    const first = await createTask(team, {
      workspace: fake.workspace,
      goal: 'Slowly. SLOW:1500 FILE:first.txt',
      hostId,
      checks: [{ kind: 'file_exists', path: 'never.txt' }],
    });
    const running = await waitFor(
      () => getTask(t, team, first.id),
      (x) => x.status === 'running' && x.sessionId,
      { timeoutMs: 15_000, what: 'the first task running' },
    );
    const second = await createTask(team, {
      workspace: fake.workspace,
      goal: 'FILE:second.txt',
      hostId,
      sessionId: running.value.sessionId,
      checks: [{ kind: 'file_exists', path: 'second.txt' }],
    });
    const old = await getTask(t, team, first.id);
    expect(old).toMatchObject({ status: 'aborted', reason: 'session.handover', archived: true });
    const aborted = (await events(team, first.id)).find((e) => e.type === 'TASK_ABORTED')!;
    expect(aborted.data).toMatchObject({ handedOverTo: second.id, sessionId: running.value.sessionId });
    const created = (await events(team, second.id)).find((e) => e.type === 'TASK_CREATED')!;
    expect(created.data.handoverFrom).toEqual([first.id]);

    expect(await settledTask(t, team, second.id, 30_000)).toMatchObject({
      status: 'completed',
      sessionId: running.value.sessionId,
    });
    // The handover never aborted the session it handed over.
    expect(fake.requests().filter((r) => r.path.endsWith('/abort'))).toEqual([]);
  });

  it('takes a reply_json result as the task result, after one repair turn that names the errors', async () => {
    const { team, fake, hostId } = await setup('reply-json');
    fake.script('release-notes', [
      { type: 'text', text: `Here it is:\n${FENCE}json\n{"version":"1.2.0","files":["a.ts"]}\n${FENCE}\n` },
    ]);
    fake.script('release-notes', [{ type: 'text', text: `${FENCE}json\n{"version":12}\n${FENCE}` }], { times: 1 });
    const task = await createTask(team, {
      workspace: fake.workspace,
      goal: 'Write the release-notes as JSON.',
      hostId,
      checks: [{ kind: 'reply_json', schema: SCHEMA }],
    });
    const done = await settledTask(t, team, task.id);
    expect(done).toMatchObject({ status: 'completed', currentTurn: 2, result: { version: '1.2.0', files: ['a.ts'] } });
    const turns = (await t.request('GET', `/api/tasks/${task.id}/turns`, { token: team.token })).body.items;
    expect(turns[1].prompt).toMatch(/version/);
    expect(turns[1].prompt).toMatch(/labelled json/);
  });

  it('fails a reply_json task whose repair turn still does not validate', async () => {
    const { team, fake, hostId } = await setup('reply-json-bad');
    fake.script('bad-json', [{ type: 'text', text: 'no JSON here' }]);
    const task = await createTask(team, {
      workspace: fake.workspace,
      goal: 'Answer bad-json',
      hostId,
      checks: [{ kind: 'reply_json', schema: SCHEMA }],
      budgets: { maxTurns: 5 },
    });
    const done = await settledTask(t, team, task.id);
    expect(done).toMatchObject({ status: 'failed', reason: 'checks.failed', currentTurn: 2 });
    expect(done.reasonDetail).toMatch(/after one repair turn/);
  });
});
