// Fair dispatch against the real Postgres: the order in which queued tasks of many teams get the
// sessions of one OpenCode server (one pool: the same base URL registered by every team), decided by
// HostSelectionService.select(…, {task}) the way harness workers call it — each task asking for
// itself, in no particular order, with no scheduler — and the wake-ups FairQueueService picks.
import { randomUUID } from 'node:crypto';
import { ClsService } from 'nestjs-cls';
import { Prisma, PrismaService, Task, TransactionHost, TxHost } from '@heddle/db';
import { EventsWriter } from '@heddle/events';
import { TestApp, TestTeam, waitFor } from '@heddle/testing';
import { POOL_LOCK_CLASS } from './host-pool';
import { FairQueueService, HostSelectionService, Selection } from './index';

jest.setTimeout(60_000);

describe('fair dispatch (Postgres)', () => {
  let t: TestApp;
  let prisma: PrismaService;
  let selection: HostSelectionService;
  let fairQueue: FairQueueService;
  let events: EventsWriter;
  let txHost: TxHost;
  let cls: ClsService;

  beforeAll(async () => {
    t = await TestApp.create();
    prisma = t.get(PrismaService);
    selection = t.get(HostSelectionService);
    fairQueue = t.get(FairQueueService);
    events = t.get(EventsWriter);
    txHost = t.get(TransactionHost) as TxHost;
    cls = t.get(ClsService);
  });
  // Its tasks are written straight into the shared test database (running ones without sessions):
  // remove them, so no worker of another test file ever finds them.
  const teams: string[] = [];
  afterAll(async () => {
    await prisma.team.deleteMany({ where: { id: { in: teams } } });
    await t.close();
  });

  /** A pool: one server URL of its own, registered by each team as a host of its own. */
  const newPool = () => `http://fair-${randomUUID().slice(0, 8)}.test:4096`;

  interface Member {
    team: TestTeam;
    label: string;
    hostId: string;
  }

  async function member(
    label: string,
    pool: string,
    host: { maxSessions?: number; status?: string } = {},
    settings: Prisma.InputJsonObject = {},
  ): Promise<Member> {
    const team = await t.createTeam(`fair-${label}`);
    teams.push(team.teamId);
    if (Object.keys(settings).length) await prisma.team.update({ where: { id: team.teamId }, data: { settings } });
    const row = await prisma.host.create({
      data: {
        teamId: team.teamId,
        name: 'shared',
        baseUrl: pool,
        labels: ['fair'],
        workspaceRoots: ['/srv'],
        maxSessions: host.maxSessions ?? 2,
        status: host.status ?? 'online',
        enabled: true,
      },
    });
    return { team, label, hostId: row.id };
  }

  /** Queues `n` tasks of the team, named <label><1…n>, one after the other (ids are time-ordered). */
  async function queue(m: Member, n: number): Promise<Task[]> {
    const made: Task[] = [];
    for (let i = 1; i <= n; i++) {
      made.push(
        await prisma.task.create({
          data: {
            teamId: m.team.teamId,
            name: `${m.label}${i}`,
            workspace: '/srv/app',
            goal: 'x',
            steps: [],
            labels: ['fair'],
            verification: 'weak',
          },
        }),
      );
    }
    return made;
  }

  let lastGrantMs = 0;

  /**
   * One harness worker's dispatch decision for the task, as the harness makes it: select, and on a
   * grant record it in the same transaction (the task takes the host and starts, TASK_STARTED).
   */
  async function attempt(task: Task): Promise<Selection> {
    // Grants a millisecond apart at least: "served least recently" compares TASK_STARTED times.
    while (Date.now() === lastGrantMs) await Promise.resolve();
    return cls.run(() =>
      txHost.withTransaction(async () => {
        const verdict = await selection.select(
          task.teamId,
          { labels: task.labels },
          { workspace: task.workspace, task },
        );
        if (verdict.ok) {
          lastGrantMs = Date.now();
          await txHost.tx.task.update({
            where: { id: task.id },
            data: { status: 'running', hostId: verdict.host.id, startedAt: new Date() },
          });
          await events.append(task.teamId, { type: 'TASK_STARTED', taskId: task.id, hostId: verdict.host.id });
        }
        return verdict;
      }),
    );
  }

  const status = async (id: string) => (await prisma.task.findUniqueOrThrow({ where: { id } })).status;
  const finish = (id: string) => prisma.task.update({ where: { id }, data: { status: 'completed' } });

  /** Every queued task asks for a slot, in a shuffled order (as workers would): the names granted. */
  async function everyoneAsks(all: Task[]): Promise<string[]> {
    const queued: Task[] = [];
    for (const task of all) if ((await status(task.id)) === 'queued') queued.push(task);
    const granted: string[] = [];
    for (const task of shuffle(queued)) if ((await attempt(task)).ok) granted.push(task.name);
    return granted.sort();
  }

  it('round-robins the sessions of one pool across four teams; offline registrations hold nothing back', async () => {
    const pool = newPool();
    // Z is oldest, but its registration of the server is offline: its tasks cannot take a slot, so
    // they must not hold anyone back either.
    const z = await member('z', pool, { status: 'offline' });
    const a = await member('a', pool);
    const b = await member('b', pool);
    const c = await member('c', pool);
    const d = await member('d', pool);
    const tasks = [
      ...(await queue(z, 2)),
      ...(await queue(a, 5)),
      ...(await queue(b, 3)),
      ...(await queue(c, 1)),
      ...(await queue(d, 2)),
    ];
    const byName = new Map(tasks.map((x) => [x.name, x] as const));

    // Capacity 2: only the two first in the fair order (level 0, never served, oldest first) get in.
    for (const task of tasks.slice(2).reverse()) {
      if (task.name !== 'a1' && task.name !== 'b1') expect((await attempt(task)).ok).toBe(false);
    }
    expect((await attempt(byName.get('a1')!)).ok).toBe(true);
    expect((await attempt(byName.get('b1')!)).ok).toBe(true);
    expect(await everyoneAsks(tasks)).toEqual([]); // full: nobody else gets in, whoever asks
    const running = ['a1', 'b1'];

    // Each time the longest-running task finishes, exactly one task gets the freed session; the
    // wake-up names that same task. Teams with fewer sessions first, then the least recently served.
    const order: string[] = [];
    while (order.length < 9) {
      const done = running.shift()!;
      await finish(byName.get(done)!.id);
      const woken = await fairQueue.wakeNext(byName.get(done)!.id);
      const granted = await everyoneAsks(tasks);
      expect(granted).toHaveLength(1);
      expect(woken.map((id) => tasks.find((x) => x.id === id)!.name)).toEqual(granted);
      order.push(granted[0]!);
      running.push(granted[0]!);
    }
    expect(order).toEqual(['c1', 'd1', 'a2', 'b2', 'd2', 'a3', 'b3', 'a4', 'a5']);
    expect(await status(byName.get('z1')!.id)).toBe('queued');
  });

  it('gives a burst of 50 and a single task of another team the slots fairly: the single one is next', async () => {
    const pool = newPool();
    const a = await member('burst', pool);
    const b = await member('single', pool);
    const burst = await queue(a, 50);
    expect(await everyoneAsks(burst)).toEqual(['burst1', 'burst2']);
    const [single] = await queue(b, 1);
    const denied = await attempt(single!);
    expect(denied).toMatchObject({ ok: false, reason: expect.stringContaining('is at capacity (2/2 sessions)') });

    await finish(burst[0]!.id);
    // Burst tasks asking first (their backoff ran out) are turned away: the single task goes first.
    for (const task of burst.slice(2, 12)) {
      expect(await attempt(task)).toMatchObject({
        ok: false,
        waitingFor: 'turn',
        reason: expect.stringContaining('has 1 free session, which tasks queued before this one take first'),
      });
    }
    expect(await attempt(single!)).toMatchObject({ ok: true, host: { id: b.hostId } });
  });

  it('never grants more than the capacity to concurrent deciders, and grants the first in the fair order', async () => {
    const pool = newPool();
    const a = await member('race-a', pool);
    const b = await member('race-b', pool);
    const all = [...(await queue(a, 10)), ...(await queue(b, 1))];
    const verdicts = await Promise.all(all.map((task) => attempt(task)));
    const granted = all.filter((_, i) => verdicts[i]!.ok).map((x) => x.name);
    expect(granted.sort()).toEqual(['race-a1', 'race-b1']);

    // A session frees: of everyone queued asking at once, exactly the next in line gets it.
    await finish(all[0]!.id);
    const queued = all.slice(1).filter((x) => x.name !== 'race-b1');
    const again = await Promise.all(queued.map((task) => attempt(task)));
    expect(queued.filter((_, i) => again[i]!.ok).map((x) => x.name)).toEqual(['race-a2']);
    const held = await prisma.task.count({ where: { hostId: { in: [a.hostId, b.hostId] }, status: 'running' } });
    expect(held).toBe(2);
  });

  it('decides a grant and records it under the pool lock: a task arriving meanwhile waits, then sees the slot gone', async () => {
    const pool = newPool();
    const a = await member('lock-a', pool);
    const b = await member('lock-b', pool);
    const [a1, a2] = await queue(a, 2);
    expect((await attempt(a1!)).ok).toBe(true);
    // a2 takes the last slot and holds its transaction open; b1 (level 0: it would go before a2,
    // level 1) arrives in between. Without the lock it would see a free slot and take it too.
    let decided!: () => void;
    let commit!: () => void;
    const isDecided = new Promise<void>((resolve) => (decided = resolve));
    const mayCommit = new Promise<void>((resolve) => (commit = resolve));
    const first = cls.run(() =>
      txHost.withTransaction(async () => {
        const verdict = await selection.select(
          a.team.teamId,
          { labels: ['fair'] },
          { workspace: '/srv/app', task: a2! },
        );
        if (verdict.ok)
          await txHost.tx.task.update({
            where: { id: a2!.id },
            data: { status: 'dispatching', hostId: verdict.host.id },
          });
        decided();
        await mayCommit;
        return verdict;
      }),
    );
    await isDecided;
    const [b1] = await queue(b, 1);
    const second = attempt(b1!);
    await waitFor(
      () =>
        prisma.$queryRaw<{ n: number }[]>`
          SELECT count(*)::int AS n FROM pg_locks
          WHERE locktype = 'advisory' AND NOT granted AND classid = ${POOL_LOCK_CLASS}::oid`,
      (rows) => rows[0]!.n > 0,
      { timeoutMs: 5000, what: 'the second decision waiting for the pool lock' },
    );
    commit();
    expect(await first).toMatchObject({ ok: true });
    expect(await second).toMatchObject({ ok: false, reason: expect.stringContaining('is at capacity (2/2 sessions)') });
  });

  it('counts the sessions of every registration of the server against each capacity', async () => {
    const pool = newPool();
    const a = await member('cap-a', pool, { maxSessions: 2 });
    const b = await member('cap-b', pool.toUpperCase().replace('HTTP', 'http') + '/', { maxSessions: 3 });
    const [a1, a2] = await queue(a, 2);
    const [b1, b2] = await queue(b, 2);
    expect((await attempt(a1!)).ok).toBe(true);
    expect((await attempt(b1!)).ok).toBe(true);
    // Two sessions on the server: a's registration allows 2 in all, b's 3.
    expect(await attempt(a2!)).toMatchObject({ ok: false, reason: expect.stringContaining('(2/2 sessions)') });
    expect(await attempt(b2!)).toMatchObject({ ok: true, host: { id: b.hostId } });
  });

  it("holds a team at settings.maxRunningTasks while another team's tasks run; a finished task lets the next go", async () => {
    const pool = newPool();
    const limited = await member('lim', pool, { maxSessions: 4 }, { maxRunningTasks: 1 });
    const other = await member('free', pool, { maxSessions: 4 });
    const [l1, l2, l3] = await queue(limited, 3);
    const [o1, o2] = await queue(other, 2);
    expect((await attempt(l1!)).ok).toBe(true);
    const held = await attempt(l2!);
    expect(held).toMatchObject({
      ok: false,
      waitingFor: 'team_limit',
      reason: expect.stringContaining('the team is at its limit of 1 running task (settings.maxRunningTasks'),
    });
    // The limited team's waiting tasks hold no one back: the other team takes the free sessions.
    expect((await attempt(o1!)).ok).toBe(true);
    expect((await attempt(o2!)).ok).toBe(true);
    expect((await attempt(l3!)).ok).toBe(false);

    await finish(l1!.id);
    expect(await fairQueue.wakeNext(l1!.id)).toEqual([l2!.id]);
    expect((await attempt(l2!)).ok).toBe(true);
    expect((await attempt(l3!)).ok).toBe(false);
    expect(await prisma.task.count({ where: { teamId: limited.team.teamId, status: 'running' } })).toBe(1);
  });

  it('keeps the plain contract without a task: capacity per registration, no fairness, no limit', async () => {
    const pool = newPool();
    const a = await member('plain', pool, {}, { maxRunningTasks: 1 });
    await queue(a, 1);
    await prisma.host.update({ where: { id: a.hostId }, data: { activeSessions: 1 } });
    expect(await selection.select(a.team.teamId, { labels: ['fair'] }, { workspace: '/srv/app' })).toMatchObject({
      ok: true,
      host: { id: a.hostId },
    });
  });
});

/** A deterministic shuffle (the order must not matter; a fixed seed keeps failures reproducible). */
function shuffle<T>(items: T[]): T[] {
  const out = items.slice();
  let seed = 42;
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
