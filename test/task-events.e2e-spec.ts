import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SseResponder } from '@heddle/platform';
import { SseClient, TestApp, TestTeam, expectErrorBody, waitFor } from '@heddle/testing';

/**
 * GET /api/tasks/{id}/events over a real socket: the task's events only, replay then live, resume
 * without gaps or duplicates, the type filter, tenancy and bad input answered with the JSON error body.
 * Every event comes from the tasks API itself (create, pause, resume, abort, archive).
 */

jest.setTimeout(60_000);

const TASK = {
  name: 'add-health',
  workspace: '/srv/repos/api',
  goal: 'Add GET /health',
  checks: [{ kind: 'file_exists', path: 'src/health.ts' }],
};

describe('GET /api/tasks/{id}/events (e2e)', () => {
  let t: TestApp;
  let baseUrl: string;
  let responder: SseResponder;
  const clients: SseClient[] = [];

  beforeAll(async () => {
    t = await TestApp.create();
    await t.app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    responder = t.get(SseResponder);
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await waitFor(
      async () => responder.openStreams,
      (n) => n === 0,
      { timeoutMs: 5000, what: 'every stream of the test closed' },
    );
  });

  afterAll(() => t.close());

  async function createTask(team: TestTeam, name = TASK.name): Promise<string> {
    const res = await t.request('POST', '/api/tasks', { token: team.token, body: { ...TASK, name } });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  /** A user action on the task; each writes one event (pause/resume/archive TASK_UPDATED, abort TASK_ABORTED). */
  async function act(team: TestTeam, id: string, action: 'pause' | 'resume' | 'abort' | 'archive'): Promise<void> {
    const res = await t.request('POST', `/api/tasks/${id}/${action}`, { token: team.token, body: {} });
    expect({ action, status: res.status }).toEqual({ action, status: 200 });
  }

  /** The task's events as the JSON log lists them. */
  async function logOf(team: TestTeam, taskId: string): Promise<Array<Record<string, any>>> {
    const res = await t.request('GET', `/api/events?taskId=${taskId}&limit=100`, { token: team.token });
    expect(res.status).toBe(200);
    return res.body.items;
  }

  async function stream(
    team: TestTeam | string,
    taskId: string,
    query = '',
    headers: Record<string, string> = {},
  ): Promise<SseClient> {
    const token = typeof team === 'string' ? team : team.token;
    const client = await SseClient.open(`${baseUrl}/api/tasks/${taskId}/events${query}`, token, headers);
    clients.push(client);
    expect(client.status).toBe(200);
    return client;
  }

  it("replays the task's events from TASK_CREATED, each as GET /api/events lists it, and none of another task", async () => {
    const team = await t.createTeam('task-stream');
    const a = await createTask(team, 'a');
    const b = await createTask(team, 'b');
    await act(team, a, 'pause');
    await act(team, b, 'pause');
    await act(team, a, 'resume');
    await act(team, b, 'abort');

    const streamA = await stream(team, a);
    const streamB = await stream(team, b);
    expect(streamA.headers.get('content-type')).toBe('text/event-stream');
    expect(streamA.headers.get('cache-control')).toBe('no-cache, no-transform');
    await streamA.untilFrames(3);
    await streamB.untilFrames(3);

    expect(streamA.types).toEqual(['TASK_CREATED', 'TASK_UPDATED', 'TASK_UPDATED']);
    expect(streamA.events[0]).toMatchObject({ type: 'TASK_CREATED', taskId: a, data: { status: 'queued' } });
    expect(streamB.types).toEqual(['TASK_CREATED', 'TASK_UPDATED', 'TASK_ABORTED']);
    expect(streamA.events.every((e) => e.taskId === a)).toBe(true);
    expect(streamB.events.every((e) => e.taskId === b)).toBe(true);
    // `data` is exactly an item of the JSON log, and the ids are the events' seqs.
    expect(streamA.events).toEqual(await logOf(team, a));
    expect(streamB.events).toEqual(await logOf(team, b));
    expect(streamA.seqs).toEqual(streamA.events.map((e) => e.seq));

    // Live: B's events never reach A's stream. A's own event comes after them in seq order, so once
    // it has arrived nothing of B can still be on its way.
    await act(team, b, 'archive');
    await act(team, a, 'abort');
    await streamA.untilEvent('TASK_ABORTED');
    await streamB.untilFrames(4);
    expect(streamA.types).toEqual(['TASK_CREATED', 'TASK_UPDATED', 'TASK_UPDATED', 'TASK_ABORTED']);
    expect(streamA.events.every((e) => e.taskId === a)).toBe(true);
    expect(streamB.events.map((e) => e.taskId)).toEqual([b, b, b, b]);
  });

  it('sends an event that commits after the client connected (abort → TASK_ABORTED)', async () => {
    const team = await t.createTeam('task-live');
    const id = await createTask(team);

    const client = await stream(team, id);
    await client.untilEvent('TASK_CREATED');
    const aborted = await t.request('POST', `/api/tasks/${id}/abort`, { token: team.token });
    expect(aborted.status).toBe(200);
    await client.untilEvent('TASK_ABORTED');
    expect(client.types).toEqual(['TASK_CREATED', 'TASK_ABORTED']);
    expect(client.events[1]).toMatchObject({ type: 'TASK_ABORTED', taskId: id, data: { status: 'aborted' } });
    expect(client.seqs[1]).toBeGreaterThan(client.seqs[0]!);

    // live=true skips the history: only the position, then what commits from now on.
    const liveOnly = await stream(team, id, '?live=true');
    await liveOnly.until((c) => c.lastEventId === String(client.seqs[1]), 'the id-only frame');
    expect(liveOnly.frames).toEqual([]);
    await act(team, id, 'archive');
    await liveOnly.untilEvent('TASK_UPDATED');
    expect(liveOnly.events.map((e) => e.data.action)).toEqual(['archive']);
  });

  it('resumes after Last-Event-ID, or ?after, with exactly the missing events: no gap, no duplicate', async () => {
    const team = await t.createTeam('task-resume');
    const id = await createTask(team);
    const other = await createTask(team, 'other');
    await act(team, id, 'pause');
    await act(team, id, 'resume');

    const first = await stream(team, id);
    await first.untilFrames(3);
    first.close();
    const got = first.seqs;
    const last = String(got.at(-1));

    // While nobody listens: another task's event, then one of this task.
    await act(team, other, 'pause');
    await act(team, id, 'pause');

    const byHeader = await stream(team, id, '', { 'last-event-id': last });
    const byQuery = await stream(team, id, `?after=${last}`);
    // A reconnecting EventSource keeps the URL it first opened and adds the header: the header wins.
    const reconnect = await stream(team, id, '?after=0&live=true', { 'last-event-id': last });
    for (const c of [byHeader, byQuery, reconnect]) await c.untilFrames(1);

    // Live after the resume, again with another task's event in between.
    await act(team, other, 'abort');
    await act(team, id, 'resume');
    for (const c of [byHeader, byQuery, reconnect]) await c.untilFrames(2);

    const all = (await logOf(team, id)).map((e) => e.seq as number);
    expect(all).toHaveLength(5);
    for (const c of [byHeader, byQuery, reconnect]) {
      expect([...got, ...c.seqs]).toEqual(all);
      expect(c.events.map((e) => [e.type, e.data.action])).toEqual([
        ['TASK_UPDATED', 'pause'],
        ['TASK_UPDATED', 'resume'],
      ]);
    }

    // Resuming at the end sends nothing old.
    const atEnd = await stream(team, id, '', { 'last-event-id': String(all.at(-1)) });
    await atEnd.until((c) => c.lastEventId === String(all.at(-1)), 'the resume position');
    await act(team, id, 'abort');
    await atEnd.untilFrames(1);
    expect(atEnd.types).toEqual(['TASK_ABORTED']);
    expect(atEnd.seqs).toEqual([(await logOf(team, id)).at(-1)!.seq]);
  });

  it('filters by type (repeated or comma-separated), for history and live events', async () => {
    const team = await t.createTeam('task-types');
    const id = await createTask(team);
    await act(team, id, 'pause');
    await act(team, id, 'resume');

    const updated = await stream(team, id, '?type=TASK_UPDATED');
    const comma = await stream(team, id, '?type=TASK_CREATED,TASK_ABORTED');
    const repeated = await stream(team, id, '?type=TASK_ABORTED&type=TASK_UPDATED');
    await updated.untilFrames(2);
    await comma.untilFrames(1);
    await repeated.untilFrames(2);

    await act(team, id, 'abort');
    await act(team, id, 'archive');
    await updated.untilFrames(3);
    await comma.untilFrames(2);
    await repeated.untilFrames(4);
    // archive is the task's last event: every stream has seen all there will be.
    expect(updated.types).toEqual(['TASK_UPDATED', 'TASK_UPDATED', 'TASK_UPDATED']);
    expect(comma.types).toEqual(['TASK_CREATED', 'TASK_ABORTED']);
    expect(repeated.types).toEqual(['TASK_UPDATED', 'TASK_UPDATED', 'TASK_ABORTED', 'TASK_UPDATED']);
  });

  it("answers 404 with the JSON error body for another team's task and for no task at all", async () => {
    const a = await t.createTeam('task-owner');
    const b = await t.createTeam('task-stranger');
    const id = await createTask(a);

    const foreign = await t.request('GET', `/api/tasks/${id}/events`, { token: b.token, eventStream: true });
    expectErrorBody(foreign, 404, 'task/not_found');
    const missing = await t.request('GET', `/api/tasks/${randomUUID()}/events`, { token: b.token, eventStream: true });
    expectErrorBody(missing, 404, 'task/not_found');
    // Not found is not found: B learns nothing a random id would not tell it.
    expect(foreign.body.message.replace(id, 'ID')).toBe(missing.body.message.replace(/[0-9a-f-]{36}/, 'ID'));
    // Not even with a resume position or a filter.
    expectErrorBody(
      await t.request('GET', `/api/tasks/${id}/events?type=TASK_CREATED`, {
        token: b.token,
        headers: { 'last-event-id': '1' },
      }),
      404,
      'task/not_found',
    );

    // The owner streams it.
    const client = await stream(a, id);
    await client.untilEvent('TASK_CREATED');
  });

  it('needs tasks:read, and answers bad input with 400 and the JSON error body', async () => {
    const team = await t.createTeam('task-input');
    const id = await createTask(team);

    expectErrorBody(await t.request('GET', `/api/tasks/${id}/events`), 401, 'auth/unauthorized');
    const eventsOnly = await t.createToken(team, ['events:read']);
    const noScope = await t.request('GET', `/api/tasks/${id}/events`, { token: eventsOnly });
    expectErrorBody(noScope, 403, 'auth/missing_scope');
    expect(noScope.body.details).toEqual({ missing: ['tasks:read'] });

    const badHeader = await t.request('GET', `/api/tasks/${id}/events`, {
      token: team.token,
      headers: { 'last-event-id': 'abc' },
    });
    expectErrorBody(badHeader, 400, 'request/validation_failed');
    expect(badHeader.body.details).toEqual([{ field: 'Last-Event-ID', errors: [expect.any(String)] }]);
    for (const value of ['-1', '1.5', '12abc']) {
      expectErrorBody(
        await t.request('GET', `/api/tasks/${id}/events`, { token: team.token, headers: { 'last-event-id': value } }),
        400,
        'request/validation_failed',
      );
    }

    // The task is the path's: hostId and taskId are not parameters of this stream.
    for (const query of ['after=-1', 'after=abc', 'type=NOPE', 'type=TASK_CREATED,NOPE', 'live=yes', 'x=1']) {
      expectErrorBody(
        await t.request('GET', `/api/tasks/${id}/events?${query}`, { token: team.token }),
        400,
        'request/validation_failed',
      );
    }
    for (const query of [`taskId=${id}`, `hostId=${randomUUID()}`]) {
      const res = await t.request('GET', `/api/tasks/${id}/events?${query}`, { token: team.token });
      expectErrorBody(res, 400, 'request/validation_failed');
      expect(res.body.details.map((d: { field: string }) => d.field)).toEqual([query.split('=')[0]]);
    }
    expectErrorBody(
      await t.request('GET', '/api/tasks/not-a-uuid/events', { token: team.token }),
      400,
      'request/invalid_id',
    );

    // A token with exactly tasks:read streams.
    const readOnly = await t.createToken(team, ['tasks:read']);
    const client = await stream(readOnly, id);
    await client.untilEvent('TASK_CREATED');
  });
});
