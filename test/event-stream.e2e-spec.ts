import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { ClsService } from 'nestjs-cls';
import { PrismaService, TransactionHost, TxHost } from '@heddle/db';
import { EventNotifications, EventsWriter, NewEvent } from '@heddle/events';
import { SseResponder } from '@heddle/platform';
import { SseClient, TestApp, TestTeam, expectErrorBody, waitFor } from '@heddle/testing';

/**
 * GET /api/events/stream over a real socket: replay then live, resume without gaps or duplicates,
 * filters, tenancy, heartbeats, cleanup on disconnect and shutdown, and concurrent writers.
 */

jest.setTimeout(60_000);

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('GET /api/events/stream (e2e)', () => {
  let t: TestApp;
  let baseUrl: string;
  let writer: EventsWriter;
  let txHost: TxHost;
  let cls: ClsService;
  let prisma: PrismaService;
  let notifications: EventNotifications;
  let responder: SseResponder;
  const clients: SseClient[] = [];

  beforeAll(async () => {
    t = await TestApp.create({ env: { SSE_HEARTBEAT_MS: '100' } });
    await t.app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    writer = t.get(EventsWriter);
    txHost = t.get(TransactionHost) as TxHost;
    cls = t.get(ClsService);
    prisma = t.get(PrismaService);
    notifications = t.get(EventNotifications);
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

  /** One append in a transaction of its own, as a service method makes it. */
  const append = (teamId: string, event: NewEvent) =>
    cls.run(() => txHost.withTransaction(() => writer.append(teamId, event)));

  /** Appends `count` LOG_LINE events one after another; the new team's TEAM_CREATED is seq 1. */
  async function appendLines(teamId: string, count: number): Promise<void> {
    for (let i = 0; i < count; i++) await append(teamId, { type: 'LOG_LINE', data: { i } });
  }

  async function stream(team: TestTeam, query = '', headers: Record<string, string> = {}): Promise<SseClient> {
    const client = await SseClient.open(`${baseUrl}/api/events/stream${query}`, team.token, headers);
    clients.push(client);
    expect(client.status).toBe(200);
    return client;
  }

  it('replays the whole log, then sends each event as it commits, as GET /api/events lists it', async () => {
    const team = await t.createTeam('stream');
    await appendLines(team.teamId, 2);

    const client = await stream(team);
    expect(client.headers.get('content-type')).toBe('text/event-stream');
    expect(client.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(client.headers.get('x-accel-buffering')).toBe('no');
    expect(client.headers.get('x-request-id')).toEqual(expect.any(String));
    await client.untilFrames(3);
    expect(client.seqs).toEqual([1, 2, 3]);
    expect(client.frames.map((f) => f.event)).toEqual(['TEAM_CREATED', 'LOG_LINE', 'LOG_LINE']);

    await append(team.teamId, { type: 'TASK_CREATED', taskId: randomUUID(), data: { name: 'live' } });
    await append(team.teamId, { type: 'LOG_LINE' });
    await client.untilFrames(5);
    expect(client.seqs).toEqual([1, 2, 3, 4, 5]);
    expect(client.frames[3]!.event).toBe('TASK_CREATED');

    // `data` is exactly an item of the JSON log.
    const page = await t.request('GET', '/api/events?limit=100', { token: team.token });
    expect(client.events).toEqual(page.body.items);
  });

  it('resumes after Last-Event-ID, or ?after, with exactly the missing events and no duplicates', async () => {
    const team = await t.createTeam('resume');
    await appendLines(team.teamId, 5); // seq 1..6

    const first = await stream(team);
    await first.untilFrames(4);
    first.close(); // dropped after seq 4 (or a little later): resume from what it got
    const got = first.seqs;
    await append(team.teamId, { type: 'LOG_LINE' }); // seq 7, while nobody listens

    const byHeader = await stream(team, '', { 'last-event-id': String(got.at(-1)) });
    const byQuery = await stream(team, `?after=${got.at(-1)}`);
    await byHeader.until((c) => c.seqs.at(-1) === 7, 'seq 7');
    await byQuery.until((c) => c.seqs.at(-1) === 7, 'seq 7');
    expect([...got, ...byHeader.seqs]).toEqual(range(1, 7));
    expect([...got, ...byQuery.seqs]).toEqual(range(1, 7));

    await append(team.teamId, { type: 'LOG_LINE' });
    await byHeader.until((c) => c.seqs.at(-1) === 8, 'seq 8');
    await byQuery.until((c) => c.seqs.at(-1) === 8, 'seq 8');
    expect(byHeader.seqs).toEqual(range(got.at(-1)! + 1, 8));
    expect(byQuery.seqs).toEqual(range(got.at(-1)! + 1, 8));

    // A reconnecting EventSource keeps its first URL and adds the header: the header wins.
    const reconnect = await stream(team, '?after=1&live=true', { 'last-event-id': '6' });
    await reconnect.untilFrames(2);
    expect(reconnect.seqs).toEqual([7, 8]);

    // Resuming at the end sends nothing old.
    const atEnd = await stream(team, '', { 'last-event-id': '8' });
    await atEnd.until((c) => c.lastEventId === '8', 'the resume position');
    await append(team.teamId, { type: 'LOG_LINE' });
    await atEnd.untilFrames(1);
    expect(atEnd.seqs).toEqual([9]);
  });

  it('live=true skips the history, and a reconnect before the first event still resumes from there', async () => {
    const team = await t.createTeam('live');
    await appendLines(team.teamId, 2); // seq 1..3

    const client = await stream(team, '?live=true');
    // The first frame carries only the position: EventSource would send it back on reconnect.
    await client.until((c) => c.lastEventId === '3', 'the id-only frame');
    expect(client.frames).toEqual([]);
    await append(team.teamId, { type: 'HOST_ONLINE', hostId: randomUUID() });
    await client.untilFrames(1);
    expect(client.seqs).toEqual([4]);
    expect(client.frames[0]!.event).toBe('HOST_ONLINE');
  });

  it('filters by type (repeated or comma-separated), hostId and taskId, for history and live events', async () => {
    const team = await t.createTeam('filters');
    const [hostA, hostB, task] = [randomUUID(), randomUUID(), randomUUID()];
    await append(team.teamId, { type: 'TASK_CREATED', taskId: task }); // 2
    await append(team.teamId, { type: 'HOST_ONLINE', hostId: hostA }); // 3
    await append(team.teamId, { type: 'LOG_LINE', taskId: task }); // 4
    await append(team.teamId, { type: 'HOST_OFFLINE', hostId: hostB }); // 5

    const comma = await stream(team, '?type=HOST_ONLINE,HOST_OFFLINE');
    const repeated = await stream(team, '?type=HOST_ONLINE&type=LOG_LINE');
    const mixed = await stream(team, '?type=TEAM_CREATED,HOST_OFFLINE&type=TASK_CREATED');
    const byHost = await stream(team, `?hostId=${hostA}`);
    const byTask = await stream(team, `?taskId=${task}`);
    const typeAndTask = await stream(team, `?type=LOG_LINE&taskId=${task}`);

    // Live: a non-matching event first, then one that matches every filter's stream.
    await append(team.teamId, { type: 'TEAM_UPDATED' }); // 6
    await append(team.teamId, { type: 'HOST_ONLINE', hostId: hostA }); // 7
    await append(team.teamId, { type: 'LOG_LINE', taskId: task }); // 8

    await comma.untilFrames(3);
    await repeated.untilFrames(4);
    await mixed.untilFrames(3);
    await byHost.untilFrames(2);
    await byTask.untilFrames(3);
    await typeAndTask.untilFrames(2);
    // The log has nothing beyond seq 8, so no frame can still be on its way.
    expect(comma.seqs).toEqual([3, 5, 7]);
    expect(repeated.seqs).toEqual([3, 4, 7, 8]);
    expect(mixed.seqs).toEqual([1, 2, 5]);
    expect(byHost.seqs).toEqual([3, 7]);
    expect(byTask.seqs).toEqual([2, 4, 8]);
    expect(typeAndTask.seqs).toEqual([4, 8]);
  });

  it("never sends another team's events", async () => {
    const a = await t.createTeam('tenant-a');
    const b = await t.createTeam('tenant-b');
    const client = await stream(a);
    await client.untilFrames(1);

    await appendLines(b.teamId, 5);
    await append(a.teamId, { type: 'LOG_LINE', data: { marker: true } });
    await client.untilFrames(2);

    expect(client.seqs).toEqual([1, 2]);
    expect(client.events.every((e) => e.teamId === a.teamId)).toBe(true);
    expect(client.events[1]!.data).toEqual({ marker: true });
  });

  it('needs a token with events:read, and answers bad input with the JSON error body', async () => {
    const team = await t.createTeam('auth');
    expectErrorBody(await t.request('GET', '/api/events/stream'), 401, 'auth/unauthorized');
    const noScope = await t.createToken(team, ['tasks:read']);
    expectErrorBody(await t.request('GET', '/api/events/stream', { token: noScope }), 403, 'auth/missing_scope');

    for (const query of ['after=-1', 'after=abc', 'type=NOPE', 'type=LOG_LINE,NOPE', 'live=yes', 'hostId=x', 'x=1']) {
      expectErrorBody(
        await t.request('GET', `/api/events/stream?${query}`, { token: team.token }),
        400,
        'request/validation_failed',
      );
    }
    const badHeader = await t.request('GET', '/api/events/stream', {
      token: team.token,
      headers: { 'last-event-id': 'abc' },
    });
    expectErrorBody(badHeader, 400, 'request/validation_failed');
    expect(badHeader.body.details).toEqual([{ field: 'Last-Event-ID', errors: [expect.any(String)] }]);

    // A token with exactly events:read streams.
    const readOnly = await t.createToken(team, ['events:read']);
    const client = await stream({ ...team, token: readOnly });
    await client.untilFrames(1);
  });

  it('sends heartbeat comments while the log is quiet', async () => {
    const team = await t.createTeam('heartbeat');
    const client = await stream(team, '?live=true');
    await client.until((c) => c.comments.filter((x) => x === 'heartbeat').length >= 3, 'three heartbeats');
    expect(client.frames).toEqual([]);
    expect(client.comments[0]).toBe('connected');
  });

  it('releases the subscription and the stream when the client disconnects', async () => {
    const team = await t.createTeam('disconnect');
    const client = await stream(team);
    await client.untilFrames(1);
    expect(notifications.subscriberCount(team.teamId)).toBe(1);
    expect(responder.openStreams).toBe(1);

    client.close();
    await waitFor(
      async () => ({ subscribers: notifications.subscriberCount(team.teamId), streams: responder.openStreams }),
      (v) => v.subscribers === 0 && v.streams === 0,
      { timeoutMs: 5000, what: 'subscription and stream released' },
    );
  });

  it('delivers seq 1..N exactly once and in order while 200 transactions append concurrently', async () => {
    const team = await t.createTeam('concurrent');
    const client = await stream(team);
    await client.untilFrames(1);

    const results = await Promise.all(range(1, 200).map((i) => append(team.teamId, { type: 'LOG_LINE', data: { i } })));
    expect(results.map((r) => r.seq).sort((x, y) => x - y)).toEqual(range(2, 201));

    await client.untilFrames(201);
    expect(client.seqs).toEqual(range(1, 201));
    expect(
      client.events
        .slice(1)
        .map((e) => e.data.i)
        .sort((x: number, y: number) => x - y),
    ).toEqual(range(1, 200));
  });

  it('still delivers an event whose notification never came (fallback poll)', async () => {
    const team = await t.createTeam('silent');
    const client = await stream(team);
    await client.untilFrames(1);

    // Written as the writer does, minus pg_notify.
    await prisma.$transaction(async (tx) => {
      const [row] = await tx.$queryRaw<{ eventSeq: bigint }[]>`
        UPDATE "teams" SET "eventSeq" = "eventSeq" + 1 WHERE "id" = ${team.teamId}::uuid RETURNING "eventSeq"`;
      await tx.event.create({ data: { teamId: team.teamId, seq: row!.eventSeq, type: 'LOG_LINE', data: {} } });
    });
    await client.untilFrames(2);
    expect(client.seqs).toEqual([1, 2]);
  });

  it('keeps streaming when the LISTEN connection is killed, and listens again', async () => {
    const team = await t.createTeam('relisten');
    const client = await stream(team);
    await client.untilFrames(1);
    await waitFor(
      async () => notifications.listenerPid,
      (pid) => pid !== undefined,
      { timeoutMs: 5000, what: 'listening' },
    );
    const pid = notifications.listenerPid!;

    await prisma.$queryRaw`SELECT pg_terminate_backend(${pid}::int)`;
    await append(team.teamId, { type: 'LOG_LINE' });
    await client.untilFrames(2);
    await waitFor(
      async () => notifications.listenerPid,
      (now) => now !== undefined && now !== pid,
      { timeoutMs: 10_000, what: 'a new LISTEN connection' },
    );
    await append(team.teamId, { type: 'LOG_LINE' });
    await client.untilFrames(3);
    expect(client.seqs).toEqual([1, 2, 3]);
  });

  it('ends open streams when the app shuts down, so close() does not hang', async () => {
    const other = await TestApp.create({ env: { SSE_HEARTBEAT_MS: '100' } });
    await other.app.listen(0, '127.0.0.1');
    const url = `http://127.0.0.1:${(other.app.getHttpServer().address() as AddressInfo).port}/api/events/stream`;
    const team = await other.createTeam('shutdown');
    const streams = await Promise.all([SseClient.open(url, team.token), SseClient.open(url, team.token)]);
    clients.push(...streams);
    await Promise.all(streams.map((s) => s.untilFrames(1)));

    const started = Date.now();
    await other.close();
    await Promise.all(streams.map((s) => s.ended));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(other.get(EventNotifications).subscriberCount()).toBe(0);
  });
});
