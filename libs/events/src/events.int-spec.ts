// EventsWriter against the real Postgres: per-team sequence numbers handed out inside the caller's
// transaction, gap-free and unique under concurrency, and gone with a rollback.
import { ClsService } from 'nestjs-cls';
import { PrismaService, TransactionHost, TxHost } from '@heddle/db';
import { TestApp, TestTeam } from '@heddle/testing';
import { EventsWriter, EventView, NewEvent } from './index';

jest.setTimeout(60_000);

describe('EventsWriter (Postgres)', () => {
  let t: TestApp;
  let writer: EventsWriter;
  let txHost: TxHost;
  let cls: ClsService;
  let prisma: PrismaService;

  beforeAll(async () => {
    t = await TestApp.create();
    writer = t.get(EventsWriter);
    txHost = t.get(TransactionHost) as TxHost;
    cls = t.get(ClsService);
    prisma = t.get(PrismaService);
  });
  afterAll(() => t.close());

  /** One append in a transaction of its own, in a CLS context of its own (as a request has). */
  const appendInTx = (teamId: string, event: NewEvent): Promise<EventView> =>
    cls.run(() => txHost.withTransaction(() => writer.append(teamId, event)));

  const seqs = async (teamId: string): Promise<number[]> =>
    (await prisma.event.findMany({ where: { teamId }, orderBy: { seq: 'asc' }, select: { seq: true } })).map((e) =>
      Number(e.seq),
    );

  const counter = async (teamId: string): Promise<number> =>
    Number((await prisma.team.findUniqueOrThrow({ where: { id: teamId }, select: { eventSeq: true } })).eventSeq);

  /** A new team through the real factory: its TEAM_CREATED event already holds seq 1. */
  async function team(): Promise<TestTeam> {
    const created = await t.createTeam('events');
    expect(await seqs(created.teamId)).toEqual([1]);
    return created;
  }

  it("numbers a team's events 1, 2, 3… in the order they are appended", async () => {
    const { teamId } = await team();

    const a = await appendInTx(teamId, { type: 'TASK_CREATED', data: { n: 1 } });
    const b = await appendInTx(teamId, { type: 'TASK_STARTED' });
    const c = await appendInTx(teamId, { type: 'TASK_COMPLETED', taskId: null });

    expect([a.seq, b.seq, c.seq]).toEqual([2, 3, 4]);
    expect(await seqs(teamId)).toEqual([1, 2, 3, 4]);
    expect(await counter(teamId)).toBe(4);
    expect(a).toMatchObject({ teamId, type: 'TASK_CREATED', data: { n: 1 }, taskId: null, hostId: null });
    expect(b.data).toEqual({});
    expect(new Date(a.time).toISOString()).toBe(a.time);
  });

  it('stays gap-free and unique under 20 concurrent appends from parallel transactions', async () => {
    const { teamId } = await team();

    const views = await Promise.all(
      Array.from({ length: 20 }, (_, i) => appendInTx(teamId, { type: 'LOG_LINE', data: { i } })),
    );

    const handedOut = views.map((v) => v.seq).sort((x, y) => x - y);
    expect(handedOut).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
    expect(await seqs(teamId)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(await counter(teamId)).toBe(21);
    // every append landed once, with the seq it answered
    const rows = await prisma.event.findMany({ where: { teamId, type: 'LOG_LINE' } });
    expect(rows.map((r) => (r.data as { i: number }).i).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 20 }, (_, i) => i),
    );
    for (const view of views) expect(rows.find((r) => r.id === view.id)?.seq).toBe(BigInt(view.seq));
  });

  it('keeps the sequences of two teams independent, also when they interleave', async () => {
    const [a, b] = await Promise.all([team(), team()]);

    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        appendInTx(i % 2 === 0 ? a.teamId : b.teamId, { type: 'LOG_LINE', data: { i } }),
      ),
    );
    await appendInTx(a.teamId, { type: 'LOG_LINE' });

    expect(await seqs(a.teamId)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(await seqs(b.teamId)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('leaves no event and burns no number when the transaction rolls back', async () => {
    const { teamId } = await team();
    await appendInTx(teamId, { type: 'TASK_CREATED' }); // seq 2

    let inside: EventView | undefined;
    await expect(
      cls.run(() =>
        txHost.withTransaction(async () => {
          inside = await writer.append(teamId, { type: 'TASK_FAILED', data: { doomed: true } });
          throw new Error('the state change failed after the append');
        }),
      ),
    ).rejects.toThrow('the state change failed after the append');

    expect(inside?.seq).toBe(3); // it was handed out inside the transaction…
    expect(await prisma.event.count({ where: { teamId, type: 'TASK_FAILED' } })).toBe(0); // …and rolled back with it
    expect(await counter(teamId)).toBe(2);

    const next = await appendInTx(teamId, { type: 'TASK_COMPLETED' });
    expect(next.seq).toBe(3);
    expect(await seqs(teamId)).toEqual([1, 2, 3]);
  });

  it('rolls back only the failing transaction when others of the same team run alongside', async () => {
    const { teamId } = await team();

    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        cls.run(() =>
          txHost.withTransaction(async () => {
            const view = await writer.append(teamId, { type: 'LOG_LINE', data: { i } });
            if (i % 3 === 0) throw new Error(`abort ${i}`);
            return view;
          }),
        ),
      ),
    );

    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(4); // i = 0, 3, 6, 9
    expect(await seqs(teamId)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('refuses to append to a team that does not exist', async () => {
    await expect(appendInTx('00000000-0000-7000-8000-000000000000', { type: 'LOG_LINE' })).rejects.toThrow(
      /does not exist/,
    );
  });
});
