// The outbox relay against the real Postgres and Redis: deliveries per matching target, in seq
// order, never twice with two relays in parallel, and jobs re-created after Redis lost them.
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Queue } from 'bullmq';
import { getQueueToken } from '@nestjs/bullmq';
import { PrismaService } from '@heddle/db';
import { QUEUES } from '@heddle/queue';
import { TestApp, TestTeam, waitFor } from '@heddle/testing';
import { deliveryJobId } from './index';

jest.setTimeout(60_000);

const RELAY_ENV = { WORKER_CONSUMERS: 'outbox', OUTBOX_POLL_MS: '100', DELIVERY_SWEEP_MS: '1000' };

describe('OutboxRelay (Postgres + Redis)', () => {
  let a: TestApp;
  let b: TestApp;
  let prisma: PrismaService;

  beforeAll(async () => {
    a = await TestApp.create({ withWorkers: true, env: RELAY_ENV });
    b = await TestApp.create({ withWorkers: true, env: RELAY_ENV });
    prisma = a.get(PrismaService);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  async function webhook(team: TestTeam, events: string[] = []) {
    return prisma.webhookEndpoint.create({
      data: { teamId: team.teamId, url: 'https://hooks.example.com/x', events, secretEnc: 'sealed' },
    });
  }

  async function logLines(team: TestTeam, count: number, parallel = false) {
    const write = (i: number) =>
      a.request('PATCH', '/api/team', { token: team.token, body: { settings: { defaultBudgets: { maxTurns: i } } } });
    if (parallel) await Promise.all(Array.from({ length: count }, (_, i) => write(i + 1)));
    else for (let i = 1; i <= count; i++) await write(i);
  }

  const jobIds = async (app: TestApp) => {
    const queue = app.get<Queue>(getQueueToken(QUEUES.webhooks) as never);
    return (await queue.getJobs(['waiting', 'delayed', 'prioritized'], 0, 10_000)).map((j) => j.id!);
  };

  it('creates one delivery per event and matching endpoint, honouring the event filter', async () => {
    const team = await a.createTeam('relay-filter');
    const all = await webhook(team);
    const onlyTeam = await webhook(team, ['TEAM_UPDATED']);
    await logLines(team, 3);
    const { value: rows } = await waitFor(
      () => prisma.delivery.findMany({ where: { teamId: team.teamId }, orderBy: { eventSeq: 'asc' } }),
      (d) => d.length === 7, // TEAM_CREATED + 3 × TEAM_UPDATED to `all`, 3 × TEAM_UPDATED to `onlyTeam`
      { timeoutMs: 10_000, what: 'deliveries relayed' },
    );
    // TEAM_CREATED (seq 1) committed before the endpoints existed: still relayed to `all`, since the
    // relay reads the log, but the endpoint filter decides per event.
    expect(rows.filter((d) => d.webhookId === all.id).map((d) => d.eventType)).toEqual([
      'TEAM_CREATED',
      'TEAM_UPDATED',
      'TEAM_UPDATED',
      'TEAM_UPDATED',
    ]);
    expect(rows.filter((d) => d.webhookId === onlyTeam.id).every((d) => d.eventType === 'TEAM_UPDATED')).toBe(true);
    const cursor = await prisma.relayCursor.findUniqueOrThrow({ where: { teamId: team.teamId } });
    expect(Number(cursor.relayedSeq)).toBe(4);
  });

  it('never relays an event twice with two relays working in parallel, and enqueues each delivery once', async () => {
    const team = await a.createTeam('relay-parallel');
    b.relayTeam(team.teamId); // both relays work on this team
    await webhook(team);
    await logLines(team, 60, true);
    const { value: rows } = await waitFor(
      () => prisma.delivery.findMany({ where: { teamId: team.teamId } }),
      (d) => d.length === 61,
      { timeoutMs: 20_000, what: 'every event relayed' },
    );
    expect(new Set(rows.map((d) => d.eventId)).size).toBe(61);
    const ids = new Set(rows.map((d) => deliveryJobId(d.id, 1)));
    const enqueued = [...(await jobIds(a)), ...(await jobIds(b))].filter((id) => ids.has(id));
    expect(enqueued.sort()).toEqual([...ids].sort());
  });

  it('re-creates the jobs Redis lost, with the same ids', async () => {
    const team = await a.createTeam('relay-flush');
    await webhook(team);
    await logLines(team, 2);
    const { value: rows } = await waitFor(
      () => prisma.delivery.findMany({ where: { teamId: team.teamId } }),
      (d) => d.length === 3,
      { timeoutMs: 10_000, what: 'relayed' },
    );
    const expected = rows.map((d) => deliveryJobId(d.id, 1)).sort();
    const redis = new Redis(a.config.redisUrl);
    try {
      // Atomically, as a FLUSHALL would, while the relays keep running.
      const script = `local keys = redis.call('keys', ARGV[1])
        for i = 1, #keys, 1000 do redis.call('del', unpack(keys, i, math.min(i + 999, #keys))) end
        return #keys`;
      for (const app of [a, b]) await redis.eval(script, 0, `${app.config.queuePrefix}:${QUEUES.webhooks}:*`);
    } finally {
      redis.disconnect();
    }
    expect((await jobIds(a)).filter((id) => expected.includes(id))).toEqual([]);
    await waitFor(
      async () => [...(await jobIds(a)), ...(await jobIds(b))].filter((id) => expected.includes(id)).sort(),
      (found) => found.length === expected.length && found.every((id, i) => id === expected[i]),
      { timeoutMs: 20_000, intervalMs: 250, what: 'the sweep re-created the lost jobs' },
    );
  });

  it('skips WEBHOOK_PING events (a ping goes only to the endpoint it tests)', async () => {
    const team = await a.createTeam('relay-ping');
    await webhook(team);
    const ping = await prisma.$transaction(async (tx) => {
      const { eventSeq } = await tx.team.update({
        where: { id: team.teamId },
        data: { eventSeq: { increment: 1 } },
        select: { eventSeq: true },
      });
      return tx.event.create({
        data: {
          teamId: team.teamId,
          seq: eventSeq,
          type: 'WEBHOOK_PING',
          data: { nonce: randomBytes(4).toString('hex') },
        },
      });
    });
    await logLines(team, 1);
    await waitFor(
      () => prisma.relayCursor.findUnique({ where: { teamId: team.teamId } }),
      (c) => Number(c?.relayedSeq ?? 0) >= Number(ping.seq) + 1,
      { timeoutMs: 10_000, what: 'relayed past the ping' },
    );
    const types = (await prisma.delivery.findMany({ where: { teamId: team.teamId } })).map((d) => d.eventType);
    expect(types).not.toContain('WEBHOOK_PING');
    expect(types).toContain('TEAM_UPDATED');
  });
});
