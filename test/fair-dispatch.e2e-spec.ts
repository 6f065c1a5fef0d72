import { dirname } from 'node:path';
import { FakeOpencode, TestApp, TestTeam, startFakeOpencode, waitFor } from '@heddle/testing';

/**
 * Fair dispatch end to end (issue 10), with the harness and one fake OpenCode server that two teams
 * both registered (one pool). Every session the harness opens stays busy until the test opens its
 * gate, so capacity is held exactly as long as the test says, and the order in which the harness
 * opened sessions on the server is the dispatch order — measured, never waited out.
 */
jest.setTimeout(120_000);

describe('fair dispatch (e2e, fake host)', () => {
  let t: TestApp;
  const fakes: FakeOpencode[] = [];

  beforeAll(async () => {
    t = await TestApp.create({
      withWorkers: true,
      env: {
        HEDDLE_OUTBOUND_ALLOW: '127.0.0.1',
        HARNESS_POLL_MS: '150',
        HARNESS_TURN_START_GRACE_MS: '3000',
        // Far below how long the bursts below take: waiting for a turn (or a team limit) must not
        // count as waiting for a host.
        HARNESS_HOST_WAIT_SECONDS: '5',
      },
    });
  });
  afterAll(async () => {
    await t.close();
    await Promise.all(fakes.map((f) => f.stop()));
  });

  /**
   * A fake server whose every turn waits for its session's gate, then writes a file (so the task
   * completes on weak verification). `dispatches()` lists task names in the order their sessions
   * were opened on the server.
   */
  async function gatedServer() {
    const fake = await startFakeOpencode();
    fakes.push(fake);
    const gates = new Map<string, { opened: Promise<void>; open: () => void }>();
    let allOpen = false;
    const gate = (sessionId: string) => {
      let entry = gates.get(sessionId);
      if (!entry) {
        let open!: () => void;
        const opened = new Promise<void>((resolve) => (open = resolve));
        entry = { opened, open };
        gates.set(sessionId, entry);
        if (allOpen) open();
      }
      return entry;
    };
    fake.setDefaultScript((ctx) => [
      { type: 'wait', until: gate(ctx.sessionID).opened },
      { type: 'write', path: `out/${ctx.sessionID}.txt`, content: 'done\n' },
    ]);
    const dispatches = () =>
      fake
        .requests()
        .filter((r) => r.method === 'POST' && r.path === '/session')
        .map((r) => String((r.body as { title?: string }).title).replace(/^heddle: /, ''));
    return {
      fake,
      dispatches,
      release: (sessionId: string) => gate(sessionId).open(),
      releaseAll: () => {
        allOpen = true;
        for (const entry of gates.values()) entry.open();
      },
    };
  }

  async function register(team: TestTeam, fake: FakeOpencode, maxSessions: number): Promise<string> {
    const res = await t.request('POST', '/api/hosts', {
      token: team.token,
      body: {
        name: 'shared-box',
        baseUrl: fake.baseUrl,
        workspaceRoots: [dirname(fake.workspace)],
        labels: ['shared'],
        maxSessions,
      },
    });
    expect(res.status).toBe(201);
    const probe = await t.request('POST', `/api/hosts/${res.body.id}/probe`, { token: team.token });
    expect(probe.body.status).toBe('online');
    return res.body.id;
  }

  async function createTask(team: TestTeam, body: Record<string, unknown>): Promise<string> {
    const res = await t.request('POST', '/api/tasks', { token: team.token, body: { goal: 'work', ...body } });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  const getTask = async (team: TestTeam, id: string) =>
    (await t.request('GET', `/api/tasks/${id}`, { token: team.token })).body;

  async function events(team: TestTeam, query: string): Promise<any[]> {
    const res = await t.request('GET', `/api/events?limit=100&${query}`, { token: team.token });
    expect(res.status).toBe(200);
    return res.body.items;
  }

  async function tasksOf(team: TestTeam): Promise<any[]> {
    const items: any[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await t.request('GET', `/api/tasks?limit=100${cursor ? `&cursor=${cursor}` : ''}`, {
        token: team.token,
      });
      items.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    return items;
  }

  /** The task's session, once recorded (the harness records it with the first turn). */
  async function sessionOf(team: TestTeam, id: string): Promise<string> {
    const { value } = await waitFor(
      () => getTask(team, id),
      (task) => typeof task.sessionId === 'string',
      { timeoutMs: 10_000, what: `task ${id} has a session` },
    );
    return value.sessionId;
  }

  const holding = (tasks: any[]) => tasks.filter((x) => ['dispatching', 'running', 'verifying'].includes(x.status));

  /** The most sessions held at once, from each task's start to its end. */
  function maxOverlap(tasks: any[]): number {
    const edges = tasks.flatMap((x) => [
      { at: Date.parse(x.startedAt), d: 1 },
      { at: Date.parse(x.finishedAt), d: -1 },
    ]);
    edges.sort((p, q) => p.at - q.at || p.d - q.d);
    let now = 0;
    let most = 0;
    for (const e of edges) most = Math.max(most, (now += e.d));
    return most;
  }

  async function allCompleted(team: TestTeam, count: number): Promise<any[]> {
    const { value } = await waitFor(
      () => tasksOf(team),
      (tasks) => tasks.length === count && tasks.every((x) => x.status === 'completed'),
      { timeoutMs: 90_000, intervalMs: 250, what: `the ${count} tasks of ${team.name} completed` },
    );
    return value;
  }

  it("two teams, one host with maxSessions 2: A queues 50, B queues 1 → B's task starts within the next two dispatches", async () => {
    const server = await gatedServer();
    const a = await t.createTeam('fair-burst');
    const b = await t.createTeam('fair-single');
    await register(a, server.fake, 2);
    const bHost = await register(b, server.fake, 2);

    for (let i = 1; i <= 50; i++) {
      await createTask(a, {
        name: `a-${String(i).padStart(2, '0')}`,
        workspace: server.fake.workspace,
        labels: ['shared'],
      });
    }
    // A fills the server's two sessions; its other 48 wait.
    await waitFor(
      async () => server.dispatches(),
      (names) => names.length === 2,
      { timeoutMs: 20_000, what: 'two of A dispatched' },
    );
    const bTask = await createTask(b, { name: 'b-01', workspace: server.fake.workspace, hostId: bHost });
    const { value: waiting } = await waitFor(
      () => events(b, `taskId=${bTask}&type=LOG_LINE`),
      (items) => items.length > 0,
      { timeoutMs: 20_000, what: "B's task waiting for a host" },
    );
    expect(waiting[0].data.message).toContain('waiting for a host: host shared-box is at capacity (2/2 sessions)');
    const before = server.dispatches();
    expect([...before].sort()).toEqual(['a-01', 'a-02']);

    // One of A's sessions ends: the freed session is the next dispatch, and it is B's.
    server.release(await sessionOf(a, (await tasksOf(a)).find((x) => x.name === 'a-01').id));
    const { value: after } = await waitFor(
      async () => server.dispatches(),
      (names) => names.includes('b-01'),
      { timeoutMs: 20_000, what: "B's task dispatched" },
    );
    const position = after.indexOf('b-01') - before.length;
    expect(position).toBeLessThan(2); // within the next two dispatches (here: the very next)
    expect(position).toBe(0);
    // The same order in the event log: when B's TASK_STARTED exists, A has started only the two.
    const { value: bStarted } = await waitFor(
      () => events(b, `taskId=${bTask}&type=TASK_STARTED`),
      (items) => items.length === 1,
      { timeoutMs: 10_000, what: "B's TASK_STARTED" },
    );
    const aStarted = await events(a, 'type=TASK_STARTED');
    expect(aStarted.filter((e) => e.time <= bStarted[0].time).length).toBeLessThanOrEqual(2);
    expect(holding(await tasksOf(a)).length + holding([await getTask(b, bTask)]).length).toBeLessThanOrEqual(2);

    // Everything may finish now: the rest of A goes through the two sessions, each freed session
    // handed on at once (no backoff to wait out), never more than two at a time.
    server.releaseAll();
    const aDone = await allCompleted(a, 50);
    const bDone = await allCompleted(b, 1);
    expect(server.dispatches()).toHaveLength(51);
    expect(maxOverlap([...aDone, ...bDone])).toBeLessThanOrEqual(2);
  });

  it('maxRunningTasks: 1 keeps a team at one running task while the other team runs', async () => {
    const server = await gatedServer();
    const limited = await t.createTeam('fair-limited');
    const other = await t.createTeam('fair-other');
    const patch = await t.request('PATCH', '/api/team', {
      token: limited.token,
      body: { settings: { maxRunningTasks: 1 } },
    });
    expect(patch.status).toBe(200);
    expect(patch.body.settings.maxRunningTasks).toBe(1);
    const invalid = await t.request('PATCH', '/api/team', {
      token: other.token,
      body: { settings: { maxRunningTasks: 0 } },
    });
    expect(invalid.status).toBe(400);
    await register(limited, server.fake, 4);
    await register(other, server.fake, 4);

    const mine: string[] = [];
    for (let i = 1; i <= 3; i++) {
      mine.push(await createTask(limited, { name: `l-${i}`, workspace: server.fake.workspace, labels: ['shared'] }));
    }
    for (let i = 1; i <= 2; i++) {
      await createTask(other, { name: `o-${i}`, workspace: server.fake.workspace, labels: ['shared'] });
    }
    // The other team takes two sessions; the limited team one; its other two wait, saying why.
    await waitFor(
      async () => server.dispatches(),
      (names) => names.length === 3,
      { timeoutMs: 20_000, what: 'three dispatches' },
    );
    for (const id of mine.slice(1)) {
      const { value } = await waitFor(
        () => events(limited, `taskId=${id}&type=LOG_LINE`),
        (items) => items.length > 0,
        { timeoutMs: 20_000, what: `task ${id} waiting` },
      );
      expect(value[0].data.message).toMatch(/^waiting for a host: .*settings\.maxRunningTasks/);
    }
    expect(server.dispatches().filter((n) => n.startsWith('l-'))).toEqual(['l-1']);
    expect(
      server
        .dispatches()
        .filter((n) => n.startsWith('o-'))
        .sort(),
    ).toEqual(['o-1', 'o-2']);
    expect(holding(await tasksOf(limited))).toHaveLength(1);

    // l-1 finishes: l-2 goes (woken at once), still one at a time.
    server.release(await sessionOf(limited, mine[0]!));
    await waitFor(
      async () => server.dispatches(),
      (names) => names.includes('l-2'),
      { timeoutMs: 20_000, what: 'l-2 dispatched' },
    );
    expect(holding(await tasksOf(limited))).toHaveLength(1);
    expect(server.dispatches().filter((n) => n.startsWith('l-'))).toEqual(['l-1', 'l-2']);

    server.releaseAll();
    const done = await allCompleted(limited, 3);
    const others = await allCompleted(other, 2);
    expect(maxOverlap(done)).toBe(1);
    // …while the other team's tasks ran alongside.
    expect(maxOverlap([...done, ...others])).toBeGreaterThan(1);
  });
});
