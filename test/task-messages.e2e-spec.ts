import { TransactionHost } from '@heddle/db';
import { TaskLifecycle, TaskMessagesService, TasksRepository } from '@heddle/tasks';
import { TestApp, TestTeam, expectErrorBody } from '@heddle/testing';

/**
 * Follow-up messages to a task (`POST /api/tasks/{id}/messages`) through the real API: queued under
 * the task's policy (cap, drop policy, lanes, debounce), listed, and handed to the harness through
 * TaskMessagesService (nextDelivery, markDelivered). No worker runs here, so tasks stay where the
 * API puts them and nothing is delivered behind the test's back.
 */
describe('task follow-up messages (e2e)', () => {
  let t: TestApp;
  let messages: TaskMessagesService;

  beforeAll(async () => {
    t = await TestApp.create();
    messages = t.get(TaskMessagesService);
  });
  afterAll(() => t.close());

  const valid = { name: 'nudged', workspace: '/srv/repos/api', goal: 'Add GET /health' };

  async function createTask(team: TestTeam, body: Record<string, unknown> = {}): Promise<any> {
    const res = await t.request('POST', '/api/tasks', { token: team.token, body: { ...valid, ...body } });
    expect(res.status).toBe(201);
    return res.body;
  }

  /** Sends one message, a second later than the last one (the test's clock), so their order is their time. */
  function send(team: TestTeam, taskId: string, body: unknown, headers?: Record<string, string>) {
    t.clock.advance(1000);
    return t.request('POST', `/api/tasks/${taskId}/messages`, { token: team.token, body, headers });
  }

  async function sendOk(team: TestTeam, taskId: string, text: string, lane?: string): Promise<any> {
    const res = await send(team, taskId, { text, ...(lane ? { lane } : {}) });
    expect(res.status).toBe(202);
    return res.body;
  }

  const list = async (team: TestTeam, taskId: string, query = '') => {
    const res = await t.request('GET', `/api/tasks/${taskId}/messages${query}`, { token: team.token });
    expect(res.status).toBe(200);
    return res.body.items as any[];
  };

  const events = async (team: TestTeam, taskId: string) =>
    (
      (await t.request('GET', `/api/events?taskId=${taskId}&limit=100`, { token: team.token })).body.items as Array<{
        type: string;
        data: Record<string, any>;
      }>
    ).filter((e) => e.type.startsWith('MESSAGE_'));

  it('queues a message (202), lists it, shows the resolved policy on the task, and writes MESSAGE_QUEUED', async () => {
    const team = await t.createTeam('msg-basic');
    const task = await createTask(team, { start: false });
    expect(task.followUps).toEqual({
      cap: 10,
      dropPolicy: 'reject',
      debounceMs: 2000,
      lanePriority: ['control', 'handoff', 'advice', 'default'],
    });

    const res = await send(team, task.id, { text: 'Also document the endpoint.' });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      id: expect.any(String),
      taskId: task.id,
      text: 'Also document the endpoint.',
      lane: 'default',
      status: 'queued',
      createdBy: expect.stringMatching(/^token:[a-z0-9]{8}$/),
      createdAt: expect.any(String),
      deliveredAt: null,
      turn: null,
      droppedAt: null,
      droppedReason: null,
      mergedInto: null,
    });
    const second = await sendOk(team, task.id, 'Stop if the tests fail.', 'control');

    expect((await list(team, task.id)).map((m) => [m.id, m.status])).toEqual([
      [res.body.id, 'queued'],
      [second.id, 'queued'],
    ]);
    expect(await list(team, task.id, '?status=delivered,dropped')).toEqual([]);
    // Pages oldest first.
    const page = await t.request('GET', `/api/tasks/${task.id}/messages?limit=1`, { token: team.token });
    expect(page.body.items.map((m: any) => m.id)).toEqual([res.body.id]);
    const next = await t.request('GET', `/api/tasks/${task.id}/messages?limit=1&cursor=${page.body.nextCursor}`, {
      token: team.token,
    });
    expect(next.body).toEqual({ items: [expect.objectContaining({ id: second.id })], nextCursor: null });

    expect((await events(team, task.id)).map((e) => [e.type, e.data])).toEqual([
      [
        'MESSAGE_QUEUED',
        expect.objectContaining({
          messageId: res.body.id,
          lane: 'default',
          text: 'Also document the endpoint.',
          queued: 1,
          by: res.body.createdBy,
          name: 'nudged',
          status: 'paused',
        }),
      ],
      ['MESSAGE_QUEUED', expect.objectContaining({ messageId: second.id, lane: 'control', queued: 2 })],
    ]);
  });

  it('accepts messages for active tasks only: a finished task answers 409 and drops what it had queued', async () => {
    const team = await t.createTeam('msg-finished');
    const task = await createTask(team); // queued: no worker runs here
    const queued = await sendOk(team, task.id, 'One more thing.');
    const aborted = await t.request('POST', `/api/tasks/${task.id}/abort`, { token: team.token });
    expect(aborted.body.status).toBe('aborted');

    const res = await send(team, task.id, { text: 'Too late.' });
    expectErrorBody(res, 409, 'task/invalid_state');
    expect(res.body.details).toEqual({ currentState: 'aborted' });
    // Finishing dropped the queued message, in the transaction that finished the task.
    expect(await list(team, task.id)).toEqual([
      expect.objectContaining({ id: queued.id, status: 'dropped', droppedReason: 'task_finished' }),
    ]);
    expect((await events(team, task.id)).map((e) => [e.type, e.data.droppedReason ?? null, e.data.queued])).toEqual([
      ['MESSAGE_QUEUED', null, 1],
      ['MESSAGE_DROPPED', 'task_finished', 0],
    ]);
  });

  it('drops the queued messages of a task the harness finishes, in the same transaction', async () => {
    const team = await t.createTeam('msg-harness-finish');
    const created = await createTask(team);
    const queued = await sendOk(team, created.id, 'Never delivered.');
    const lifecycle = t.get(TaskLifecycle);
    const task = (await t.get(TasksRepository).find(team.teamId, created.id))!;
    const failed = await lifecycle.advance(task, 'failed', {
      patch: { reason: 'harness.error', finishedAt: new Date() },
    });
    expect(failed.status).toBe('failed');
    expect(await list(team, created.id)).toEqual([
      expect.objectContaining({ id: queued.id, status: 'dropped', droppedReason: 'task_finished' }),
    ]);
    expect((await events(team, created.id)).map((e) => [e.type, e.data.status, e.data.queued])).toEqual([
      ['MESSAGE_QUEUED', 'queued', 1],
      ['MESSAGE_DROPPED', 'failed', 0],
    ]);
    expect(await messages.nextDelivery(team.teamId, created.id, t.clock.now())).toBeNull();
  });

  it("answers 404 for another team's task and an unknown one, on both routes", async () => {
    const owner = await t.createTeam('msg-owner');
    const other = await t.createTeam('msg-other');
    const task = await createTask(owner, { start: false });
    await sendOk(owner, task.id, 'Mine.');
    for (const id of [task.id, '0195f3c2-9a00-7000-8000-00000000dead']) {
      expectErrorBody(await send(other, id, { text: 'Theirs?' }), 404, 'task/not_found');
      expectErrorBody(
        await t.request('GET', `/api/tasks/${id}/messages`, { token: other.token }),
        404,
        'task/not_found',
      );
    }
    expect(await list(owner, task.id)).toHaveLength(1);
  });

  it('validates the body and the query with field messages', async () => {
    const team = await t.createTeam('msg-validation');
    const task = await createTask(team, { start: false });
    for (const [body, field] of [
      [{ text: '' }, 'text'],
      [{ text: '   \n ' }, 'text'],
      [{ text: 'x'.repeat(20_001) }, 'text'],
      [{}, 'text'],
      [{ text: null }, 'text'],
      [{ text: 42 }, 'text'],
      [{ text: 'ok', lane: 'urgent' }, 'lane'],
      [{ text: 'ok', lane: null }, 'lane'],
      [{ text: 'ok', extra: 1 }, 'extra'],
    ] as const) {
      const res = await send(team, task.id, body);
      expectErrorBody(res, 400, 'request/validation_failed');
      expect({ body, fields: res.body.details.map((d: any) => d.field) }).toEqual({
        body,
        fields: expect.arrayContaining([field]),
      });
    }
    expect((await send(team, task.id, { text: 'x'.repeat(20_000) })).status).toBe(202);
    const bad = await t.request('GET', `/api/tasks/${task.id}/messages?status=queued,lost`, { token: team.token });
    expectErrorBody(bad, 400, 'request/validation_failed');
    // Nothing refused was stored.
    expect(await list(team, task.id)).toHaveLength(1);
  });

  it('validates followUps on task create and in team settings', async () => {
    const team = await t.createTeam('msg-policy-validation');
    for (const [followUps, field] of [
      [{ cap: 0 }, 'followUps.cap'],
      [{ cap: 101 }, 'followUps.cap'],
      [{ cap: 2.5 }, 'followUps.cap'],
      [{ dropPolicy: 'newest' }, 'followUps.dropPolicy'],
      [{ debounceMs: -1 }, 'followUps.debounceMs'],
      [{ debounceMs: 600_001 }, 'followUps.debounceMs'],
      [{ lanePriority: ['control', 'control'] }, 'followUps.lanePriority'],
      [{ lanePriority: ['urgent'] }, 'followUps.lanePriority'],
      [{ lanePriority: [] }, 'followUps.lanePriority'],
      [{ other: 1 }, 'followUps.other'],
      ['summarize', 'followUps'],
    ] as const) {
      const created = await t.request('POST', '/api/tasks', { token: team.token, body: { ...valid, followUps } });
      expectErrorBody(created, 400, 'request/validation_failed');
      expect({ followUps, fields: created.body.details.map((d: any) => d.field) }).toEqual({
        followUps,
        fields: [field],
      });
      const patched = await t.request('PATCH', '/api/team', { token: team.token, body: { settings: { followUps } } });
      expectErrorBody(patched, 400, 'request/validation_failed');
      expect(patched.body.details.map((d: any) => d.field)).toEqual([`settings.${field}`]);
    }
    expect((await t.request('GET', '/api/team', { token: team.token })).body.settings).toEqual({});
  });

  it('refuses a message at the cap with 409 task/message_queue_full under the reject policy', async () => {
    const team = await t.createTeam('msg-reject');
    const task = await createTask(team, { start: false, followUps: { cap: 2 } });
    expect(task.followUps).toMatchObject({ cap: 2, dropPolicy: 'reject' });
    await sendOk(team, task.id, 'one');
    await sendOk(team, task.id, 'two');
    const res = await send(team, task.id, { text: 'three' });
    expectErrorBody(res, 409, 'task/message_queue_full');
    expect(res.body.message).toContain('cap (2)');
    expect(res.body.message).toContain('reject');
    expect(res.body.details).toEqual({ cap: 2, dropPolicy: 'reject', queued: 2 });
    expect((await list(team, task.id)).map((m) => m.text)).toEqual(['one', 'two']);
  });

  it('holds the cap under concurrent messages: one queue change at a time', async () => {
    const team = await t.createTeam('msg-race');
    const task = await createTask(team, { start: false, followUps: { cap: 3 } });
    const answers = await Promise.all(
      [1, 2, 3, 4, 5, 6, 7].map((n) =>
        t.request('POST', `/api/tasks/${task.id}/messages`, { token: team.token, body: { text: `m${n}` } }),
      ),
    );
    expect(answers.map((r) => r.status).sort()).toEqual([202, 202, 202, 409, 409, 409, 409]);
    expect(await list(team, task.id, '?status=queued')).toHaveLength(3);
    expect((await events(team, task.id)).map((e) => e.data.queued)).toEqual([1, 2, 3]);
  });

  it('drop_oldest drops the oldest queued message of the lowest-priority lane to make room', async () => {
    const team = await t.createTeam('msg-drop');
    const task = await createTask(team, { start: false, followUps: { cap: 3, dropPolicy: 'drop_oldest' } });
    const control = await sendOk(team, task.id, 'control 1', 'control');
    const default1 = await sendOk(team, task.id, 'default 1');
    const advice = await sendOk(team, task.id, 'advice 1', 'advice');
    const control2 = await sendOk(team, task.id, 'control 2', 'control');
    expect(control2.status).toBe('queued');

    const all = await list(team, task.id);
    expect(all.map((m) => [m.text, m.status, m.droppedReason])).toEqual([
      ['control 1', 'queued', null],
      ['default 1', 'dropped', 'drop_oldest'],
      ['advice 1', 'queued', null],
      ['control 2', 'queued', null],
    ]);
    expect((await list(team, task.id, '?status=queued')).map((m) => m.id)).toEqual([
      control.id,
      advice.id,
      control2.id,
    ]);
    expect((await events(team, task.id)).slice(3).map((e) => [e.type, e.data.messageId, e.data.queued])).toEqual([
      ['MESSAGE_DROPPED', default1.id, 2],
      ['MESSAGE_QUEUED', control2.id, 3],
    ]);
    expect((await events(team, task.id))[3]!.data).toMatchObject({ droppedReason: 'drop_oldest', text: 'default 1' });
  });

  it('summarize merges the two oldest queued messages into one, each part prefixed by its time', async () => {
    const team = await t.createTeam('msg-summarize');
    const task = await createTask(team, { start: false, followUps: { cap: 2, dropPolicy: 'summarize' } });
    const first = await sendOk(team, task.id, 'Use Postgres.', 'advice');
    const second = await sendOk(team, task.id, 'Stop touching the tests.', 'control');
    const third = await sendOk(team, task.id, 'Add a README section.');
    expect(third.status).toBe('queued');

    const all = await list(team, task.id);
    const summary = all.find((m) => m.createdBy === 'system:summarize')!;
    const tag = (iso: string) => `[${iso.replace(/\.\d{3}Z$/, 'Z')}]`;
    expect(summary).toMatchObject({
      status: 'queued',
      lane: 'control',
      createdAt: first.createdAt, // it keeps the place of the oldest message it holds
      text: `${tag(first.createdAt)} Use Postgres.\n\n${tag(second.createdAt)} Stop touching the tests.`,
    });
    expect(all.filter((m) => m.id !== summary.id).map((m) => [m.id, m.status, m.droppedReason, m.mergedInto])).toEqual([
      [first.id, 'dropped', 'summarized', summary.id],
      [second.id, 'dropped', 'summarized', summary.id],
      [third.id, 'queued', null, null],
    ]);
    expect((await events(team, task.id)).slice(2).map((e) => [e.type, e.data.messageId, e.data.queued])).toEqual([
      ['MESSAGE_DROPPED', first.id, 1],
      ['MESSAGE_DROPPED', second.id, 0],
      ['MESSAGE_QUEUED', summary.id, 1],
      ['MESSAGE_QUEUED', third.id, 2],
    ]);
    expect((await events(team, task.id))[4]!.data).toMatchObject({ mergedFrom: [first.id, second.id] });

    // Again at the cap: the summary (the oldest) takes the next one in, without prefixing its parts twice.
    await sendOk(team, task.id, 'Keep it short.');
    const queued = await list(team, task.id, '?status=queued');
    expect(queued).toHaveLength(2);
    const rolled = queued.find((m) => m.createdBy === 'system:summarize')!;
    expect(rolled.text).toBe(`${summary.text}\n\n${tag(third.createdAt)} Add a README section.`);
  });

  it('summarize with a cap of 1 merges the queued message with the incoming one', async () => {
    const team = await t.createTeam('msg-summarize-1');
    const task = await createTask(team, { start: false, followUps: { cap: 1, dropPolicy: 'summarize' } });
    const first = await sendOk(team, task.id, 'first');
    const second = await sendOk(team, task.id, 'second');
    expect(second).toMatchObject({ status: 'dropped', droppedReason: 'summarized', mergedInto: expect.any(String) });
    const queued = await list(team, task.id, '?status=queued');
    expect(queued).toEqual([
      expect.objectContaining({ id: second.mergedInto, createdAt: first.createdAt, createdBy: 'system:summarize' }),
    ]);
    expect(queued[0].text).toMatch(/^\[[^\]]+\] first\n\n\[[^\]]+\] second$/);
  });

  it("uses the team's followUps for what the task does not set", async () => {
    const team = await t.createTeam('msg-team-default');
    const patched = await t.request('PATCH', '/api/team', {
      token: team.token,
      body: { settings: { followUps: { cap: 2, dropPolicy: 'drop_oldest', lanePriority: ['advice'] } } },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.settings.followUps).toEqual({ cap: 2, dropPolicy: 'drop_oldest', lanePriority: ['advice'] });

    const task = await createTask(team, { start: false, followUps: { debounceMs: 0 } });
    expect(task.followUps).toEqual({
      cap: 2,
      dropPolicy: 'drop_oldest',
      debounceMs: 0,
      lanePriority: ['advice', 'control', 'handoff', 'default'],
    });
    expect((await t.request('GET', `/api/tasks/${task.id}`, { token: team.token })).body.followUps).toEqual(
      task.followUps,
    );
    const advice = await sendOk(team, task.id, 'advice', 'advice');
    await sendOk(team, task.id, 'control', 'control');
    await sendOk(team, task.id, 'default');
    // Under this team's lanes `control` ranks below `advice`: at the cap it goes, the advice stays.
    expect((await list(team, task.id, '?status=queued')).map((m) => m.text)).toEqual(['advice', 'default']);
    expect((await messages.nextDelivery(team.teamId, task.id, t.clock.now()))!.messages[0]!.id).toBe(advice.id);

    // A change of the team's defaults applies to tasks created after it; null removes them.
    await t.request('PATCH', '/api/team', { token: team.token, body: { settings: { followUps: { cap: 5 } } } });
    expect((await createTask(team, { start: false })).followUps).toMatchObject({ cap: 5, dropPolicy: 'drop_oldest' });
    expect((await t.request('GET', `/api/tasks/${task.id}`, { token: team.token })).body.followUps.cap).toBe(2);
    await t.request('PATCH', '/api/team', { token: team.token, body: { settings: { followUps: null } } });
    expect((await createTask(team, { start: false })).followUps).toEqual({
      cap: 10,
      dropPolicy: 'reject',
      debounceMs: 2000,
      lanePriority: ['control', 'handoff', 'advice', 'default'],
    });
  });

  it('nextDelivery: lane priority then age, one numbered prompt, ready after the debounce', async () => {
    const team = await t.createTeam('msg-next');
    const task = await createTask(team, { start: false });
    expect(await messages.nextDelivery(team.teamId, task.id, t.clock.now())).toBeNull();

    const d = await sendOk(team, task.id, 'Default, oldest.');
    const a = await sendOk(team, task.id, 'Advice.', 'advice');
    const c = await sendOk(team, task.id, 'Control.', 'control');
    const h = await sendOk(team, task.id, 'Handoff.', 'handoff');
    const c2 = await sendOk(team, task.id, 'Control, newer.', 'control');

    const now = t.clock.now();
    const next = (await messages.nextDelivery(team.teamId, task.id, now))!;
    expect(next.messages.map((m) => m.id)).toEqual([c.id, c2.id, h.id, a.id, d.id]);
    expect(next.prompt).toBe('1. Control.\n\n2. Control, newer.\n\n3. Handoff.\n\n4. Advice.\n\n5. Default, oldest.');
    expect(next.readyAt).toEqual(new Date(new Date(c2.createdAt).getTime() + 2000));
    // Once the debounce is over: deliver now.
    expect((await messages.nextDelivery(team.teamId, task.id, new Date(now.getTime() + 2000)))!.readyAt).toBeNull();
    // Another team's view of the task: nothing.
    const other = await t.createTeam('msg-next-other');
    expect(await messages.nextDelivery(other.teamId, task.id, now)).toBeNull();
  });

  it('markDelivered marks queued messages delivered in a turn, once, with MESSAGE_DELIVERED', async () => {
    const team = await t.createTeam('msg-delivered');
    const task = await createTask(team, { start: false });
    const one = await sendOk(team, task.id, 'one');
    const two = await sendOk(team, task.id, 'two', 'control');
    const three = await sendOk(team, task.id, 'three');

    const next = (await messages.nextDelivery(team.teamId, task.id, t.clock.now()))!;
    const ids = next.messages.slice(0, 2).map((m) => m.id); // two, one
    const delivered = await messages.markDelivered(team.teamId, task.id, ids, 3);
    expect(delivered.map((m) => [m.id, m.status, m.turn])).toEqual([
      [one.id, 'delivered', 3],
      [two.id, 'delivered', 3],
    ]);
    // Idempotent: nothing is delivered twice, and another team's ids change nothing.
    expect(await messages.markDelivered(team.teamId, task.id, ids, 4)).toEqual([]);
    const other = await t.createTeam('msg-delivered-other');
    expect(await messages.markDelivered(other.teamId, task.id, [three.id], 4)).toEqual([]);

    expect((await list(team, task.id)).map((m) => [m.id, m.status, m.turn, m.deliveredAt !== null])).toEqual([
      [one.id, 'delivered', 3, true],
      [two.id, 'delivered', 3, true],
      [three.id, 'queued', null, false],
    ]);
    expect(
      (await events(team, task.id))
        .filter((e) => e.type === 'MESSAGE_DELIVERED')
        .map((e) => [e.data.messageId, e.data.turn, e.data.queued]),
    ).toEqual([
      [one.id, 3, 2],
      [two.id, 3, 1],
    ]);
    expect((await messages.nextDelivery(team.teamId, task.id, t.clock.now()))!.prompt).toBe('three');

    // In the caller's transaction (the harness's, recording the turn): rolled back with it.
    await expect(
      t.get(TransactionHost).withTransaction(async () => {
        expect(await messages.markDelivered(team.teamId, task.id, [three.id], 4)).toHaveLength(1);
        throw new Error('the harness gave up');
      }),
    ).rejects.toThrow('the harness gave up');
    expect((await list(team, task.id, '?status=queued')).map((m) => m.id)).toEqual([three.id]);
    expect((await events(team, task.id)).filter((e) => e.type === 'MESSAGE_DELIVERED')).toHaveLength(2);
    // dropQueued (what the harness calls when a task finishes) is idempotent too.
    expect((await messages.dropQueued(team.teamId, task.id)).map((m) => m.id)).toEqual([three.id]);
    expect(await messages.dropQueued(team.teamId, task.id)).toEqual([]);
    expect((await list(team, task.id, '?status=dropped')).map((m) => m.droppedReason)).toEqual(['task_finished']);
  });

  it('replays the same Idempotency-Key and body (200, the same message) and refuses another body under it', async () => {
    const team = await t.createTeam('msg-idem');
    const task = await createTask(team, { start: false });
    const headers = { 'idempotency-key': 'nudge-1' };
    const first = await send(team, task.id, { text: 'Once.' }, headers);
    expect(first.status).toBe(202);
    const again = await send(team, task.id, { text: 'Once.', lane: 'default' }, headers);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expectErrorBody(await send(team, task.id, { text: 'Twice?' }, headers), 409, 'task/idempotency_key_reused');
    expectErrorBody(
      await send(team, task.id, { text: 'Once.' }, { 'idempotency-key': 'has space' }),
      400,
      'task/invalid_idempotency_key',
    );
    // Another task's key space is its own.
    const other = await createTask(team, { start: false });
    expect((await send(team, other.id, { text: 'Once.' }, headers)).status).toBe(202);
    expect(await list(team, task.id)).toHaveLength(1);
    expect(await events(team, task.id)).toHaveLength(1);
  });

  it('needs tasks:write to send and tasks:read to list', async () => {
    const team = await t.createTeam('msg-scopes');
    const task = await createTask(team, { start: false });
    const reader = await t.createToken(team, ['tasks:read']);
    const post = await t.request('POST', `/api/tasks/${task.id}/messages`, { token: reader, body: { text: 'hi' } });
    expectErrorBody(post, 403, 'auth/missing_scope');
    expect((await t.request('GET', `/api/tasks/${task.id}/messages`, { token: reader })).status).toBe(200);
  });
});
