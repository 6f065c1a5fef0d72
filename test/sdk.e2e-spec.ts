// The generated SDK (@heddle/sdk) against the real API on a real port, a worker and a fake host: it
// compiles against docs/openapi.json's types, drives a task to its end with waitFor, answers typed
// errors, and its event stream resumes after the connection drops mid-stream with no gap and no duplicate
// (a TCP proxy between client and server cuts every open connection).
import { once } from 'node:events';
import { Server, Socket, createServer, connect } from 'node:net';
import { HeddleApiError, HeddleEvent, createHeddleClient, isHeddleErrorCode } from '@heddle/sdk';
import { FakeHosts, TestApp } from '@heddle/testing';

jest.setTimeout(60_000);

/** Forwards TCP to `target`; `cut()` destroys every open connection (as a restarting proxy would). */
class CuttingProxy {
  private readonly sockets = new Set<Socket>();
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(target: URL): Promise<CuttingProxy> {
    const sockets = new Set<Socket>();
    const server = createServer((client) => {
      const upstream = connect(Number(target.port), target.hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const proxy = new CuttingProxy(server, `http://127.0.0.1:${(server.address() as { port: number }).port}`);
    (proxy as unknown as { sockets: Set<Socket> }).sockets = sockets;
    return proxy;
  }

  cut(): void {
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    this.cut();
    this.server.close();
    await once(this.server, 'close');
  }
}

describe('@heddle/sdk (e2e, real server, fake host)', () => {
  let t: TestApp;
  let url: string;
  const hosts = new FakeHosts(() => t);

  beforeAll(async () => {
    t = await TestApp.create({
      withWorkers: true,
      env: { HEDDLE_OUTBOUND_ALLOW: '127.0.0.1', HARNESS_POLL_MS: '200' },
    });
    url = await t.baseUrl();
  });
  afterAll(async () => {
    await t.close();
    await hosts.stopAll();
  });

  it('creates a task and waits for it: each event once, in seq order, ending completed', async () => {
    const team = await t.createTeam();
    const { fake, hostId } = await hosts.forTeam(team);
    const heddle = createHeddleClient({ baseUrl: url, token: team.token });
    const { task, replayed } = await heddle.tasks.create(
      {
        name: 'sdk-drives',
        workspace: fake.workspace,
        goal: 'FILE:sdk.txt',
        hostId,
        checks: [{ kind: 'file_exists', path: 'sdk.txt' }],
      },
      { idempotencyKey: 'sdk-e2e-1' },
    );
    expect(replayed).toBe(false);
    const seen: HeddleEvent[] = [];
    const done = await heddle.waitFor(task.id, { timeoutMs: 20_000, onEvent: (e) => void seen.push(e) });
    expect(done).toMatchObject({ id: task.id, status: 'completed' });
    const log = await heddle.events.list({ taskId: task.id, limit: 100 });
    expect(seen.map((e) => e.seq)).toEqual(log.items.map((e) => e.seq));
    expect(seen.at(-1)?.type).toBe('TASK_COMPLETED');
    // The same key again: the same task, marked as replayed.
    const again = await heddle.tasks.create(
      { name: 'sdk-drives', workspace: fake.workspace, goal: 'FILE:sdk.txt', hostId, checks: task.checks as never },
      { idempotencyKey: 'sdk-e2e-1' },
    );
    expect(again).toMatchObject({ replayed: true, task: { id: task.id } });
  });

  it('answers typed errors: code, status, message and requestId of the server', async () => {
    const team = await t.createTeam();
    const heddle = createHeddleClient({ baseUrl: url, token: team.token });
    const err = await heddle.tasks.get('00000000-0000-4000-8000-000000000000').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HeddleApiError);
    const e = err as HeddleApiError;
    expect(e).toMatchObject({ status: 404, code: 'task/not_found' });
    expect(isHeddleErrorCode(e.code)).toBe(true);
    expect(e.requestId).toEqual(expect.any(String));
    const anonymous = createHeddleClient({ baseUrl: url });
    await expect(anonymous.tasks.list()).rejects.toMatchObject({ status: 401, code: 'auth/unauthorized' });
  });

  it('resumes the event stream with Last-Event-ID after the connection is cut: no gap, no duplicate', async () => {
    const team = await t.createTeam();
    const { fake, hostId } = await hosts.forTeam(team);
    const proxy = await CuttingProxy.start(new URL(url));
    try {
      const direct = createHeddleClient({ baseUrl: url, token: team.token });
      const viaProxy = createHeddleClient({ baseUrl: proxy.url, token: team.token });
      const { task } = await direct.tasks.create({
        name: 'sdk-resume',
        workspace: fake.workspace,
        goal: 'SLOW:1500 FILE:r.txt',
        hostId,
        checks: [{ kind: 'file_exists', path: 'r.txt' }],
      });
      const reconnects: number[] = [];
      const seen: HeddleEvent[] = [];
      const abort = new AbortController();
      for await (const event of viaProxy.streamEvents({
        taskId: task.id,
        signal: abort.signal,
        onReconnect: ({ lastSeq }) => reconnects.push(lastSeq),
      })) {
        seen.push(event);
        // Cut mid-stream, twice: after the first event and once the turn has started.
        if (seen.length === 1 || event.type === 'TURN_STARTED') proxy.cut();
        if (event.type === 'TASK_COMPLETED') break;
      }
      expect(reconnects.length).toBeGreaterThanOrEqual(2);
      expect(reconnects[0]).toBe(seen[0]!.seq);
      const log = await direct.events.list({ taskId: task.id, limit: 100 });
      expect(seen.map((e) => e.seq)).toEqual(log.items.map((e) => e.seq));
    } finally {
      await proxy.close();
    }
  });
});
