// A measurement of `npm run bench`: webhook delivery throughput and first-attempt latency. N events
// are committed for one team with one webhook endpoint pointing at a loopback receiver (answering
// 204 at once); the real `outbox` relay and `webhooks` consumer run in this process. Measured: from
// the first event's commit to the last delivery recorded (deliveries/s), and the latency of every
// first attempt as the worker recorded it (POST to answer, p50/p99). See docs/performance.md.
import { randomBytes } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { PrismaService } from '@heddle/db';
import { TestApp } from '@heddle/testing';
import { deleteQueueKeys } from './queue-keys';

export interface WebhookBenchOptions {
  databaseUrl: string;
  redisUrl: string;
  events: number;
  log: (message: string) => void;
}

export interface WebhookBenchResult {
  target: string;
  events: number;
  delivered: number;
  totalMs: number;
  deliveriesPerSec: number;
  firstAttemptP50Ms: number;
  firstAttemptP99Ms: number;
  /** From an event's commit to its delivery being recorded, p99 (queueing included). */
  endToEndP99Ms: number;
  webhookConcurrency: number;
  endpointConcurrency: number;
}

const DELIVERY_TIMEOUT_MS = 180_000;
const WEBHOOK_CONCURRENCY = 32;
const ENDPOINT_CONCURRENCY = 32;

export async function runWebhookDeliveries(options: WebhookBenchOptions): Promise<WebhookBenchResult> {
  const queuePrefix = `bench-webhooks-${randomBytes(4).toString('hex')}`;
  let received = 0;
  const receiver: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  let app: TestApp | undefined;
  try {
    app = await TestApp.create({
      withWorkers: true,
      env: {
        DATABASE_URL: options.databaseUrl,
        REDIS_URL: options.redisUrl,
        QUEUE_PREFIX: queuePrefix,
        LOG_LEVEL: 'warn',
        RATE_LIMIT_ENABLED: 'false', // measures the workers; its bursts of API calls are not clients
        WORKER_CONSUMERS: 'outbox,webhooks',
        HEDDLE_OUTBOUND_ALLOW: '127.0.0.1',
        WEBHOOK_CONCURRENCY: String(WEBHOOK_CONCURRENCY),
        WEBHOOK_ENDPOINT_CONCURRENCY: String(ENDPOINT_CONCURRENCY),
      },
    });
    const port = (receiver.address() as AddressInfo).port;
    return await measure(app, port, options);
  } finally {
    await app?.close().catch((err: unknown) => options.log(`webhook bench: closing the app failed: ${String(err)}`));
    await new Promise((resolve) => receiver.close(resolve));
    await deleteQueueKeys(options.redisUrl, queuePrefix).catch(() => undefined);
    options.log(`webhook bench: the receiver got ${received} requests`);
  }
}

async function measure(app: TestApp, port: number, options: WebhookBenchOptions): Promise<WebhookBenchResult> {
  const team = await app.createTeam('bench-webhooks');
  const hook = await app.request('POST', '/api/webhooks', {
    token: team.token,
    body: { url: `http://127.0.0.1:${port}/hook`, events: ['LOG_LINE'] },
  });
  if (hook.status !== 201) throw new Error(`POST /api/webhooks answered ${hook.status}: ${JSON.stringify(hook.body)}`);
  const prisma = app.get(PrismaService);

  options.log(`webhook bench: committing ${options.events} LOG_LINE events`);
  const started = Date.now();
  // Events as the services write them: the seq from the team counter, the NOTIFY, one transaction
  // per batch of 50 (the relay reads whatever has committed).
  for (let i = 0; i < options.events; i += 50) {
    const n = Math.min(50, options.events - i);
    await prisma.$transaction(async (tx) => {
      for (let k = 0; k < n; k++) {
        const [{ eventSeq }] = await tx.$queryRaw<{ eventSeq: bigint }[]>`
          UPDATE "teams" SET "eventSeq" = "eventSeq" + 1 WHERE "id" = ${team.teamId}::uuid RETURNING "eventSeq"`;
        await tx.event.create({
          data: { teamId: team.teamId, seq: eventSeq!, type: 'LOG_LINE', data: { message: `bench ${i + k}` } },
        });
      }
      await tx.$executeRaw`SELECT pg_notify('heddle_events', ${team.teamId})`;
    });
  }

  const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
  let delivered = 0;
  while (delivered < options.events) {
    if (Date.now() > deadline) throw new Error(`only ${delivered}/${options.events} delivered in time`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    delivered = await prisma.delivery.count({ where: { teamId: team.teamId, status: 'delivered' } });
  }
  const rows = await prisma.delivery.findMany({
    where: { teamId: team.teamId },
    select: { deliveredAt: true, eventId: true },
  });
  const events = new Map(
    (await prisma.event.findMany({ where: { teamId: team.teamId }, select: { id: true, createdAt: true } })).map(
      (e) => [e.id, e.createdAt.getTime()] as const,
    ),
  );
  const lastDelivered = Math.max(...rows.map((r) => r.deliveredAt!.getTime()));
  const endToEnd = rows.map((r) => r.deliveredAt!.getTime() - events.get(r.eventId)!).sort((a, b) => a - b);
  const firsts = (
    await prisma.deliveryAttempt.findMany({
      where: { teamId: team.teamId, number: 1 },
      select: { latencyMs: true },
    })
  )
    .map((a) => a.latencyMs)
    .sort((a, b) => a - b);
  const pct = (sorted: number[], p: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  const totalMs = lastDelivered - started;
  return {
    target: 'webhook deliveries (loopback receiver)',
    events: options.events,
    delivered,
    totalMs,
    deliveriesPerSec: Math.round((delivered / totalMs) * 1000),
    firstAttemptP50Ms: pct(firsts, 50),
    firstAttemptP99Ms: pct(firsts, 99),
    endToEndP99Ms: pct(endToEnd, 99),
    webhookConcurrency: WEBHOOK_CONCURRENCY,
    endpointConcurrency: ENDPOINT_CONCURRENCY,
  };
}
