import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { IncomingHttpHeaders, Server, createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { PrismaService } from '@heddle/db';
import { TestApp, TestTeam, expectErrorBody, freePort, waitFor } from '@heddle/testing';
import { WebhookSecrets } from '@heddle/webhooks';

/**
 * Webhooks end to end: the real API and the `outbox` and `webhooks` consumers in-process, real
 * Postgres and Redis, and loopback receivers this file controls. The first retry comes after the
 * real schedule's 5 s (±20 %), so the retry cases take that long each.
 */

// Retries follow the real schedule: the first one comes 4–6 s after a failure.
jest.setTimeout(30_000);

interface Received {
  /** Path and query as requested. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

interface Answer {
  status: number;
  body?: string;
  /** Answer this much later. */
  delayMs?: number;
}

/** A loopback receiver: records every request and answers what `answer` says (200 by default). */
class Receiver {
  readonly requests: Received[] = [];
  /** Requests being answered right now, and the most there ever were at once. */
  inFlight = 0;
  maxInFlight = 0;
  answer: (request: Received, index: number) => Answer = () => ({ status: 200, body: 'ok' });
  private server?: Server;

  private constructor(readonly port: number) {}

  static async start(port = 0): Promise<Receiver> {
    const receiver = new Receiver(port);
    await receiver.listen();
    return receiver;
  }

  /** A receiver whose port is reserved but closed until `listen()` (connection refused meanwhile). */
  static async closed(): Promise<Receiver> {
    return new Receiver(await freePort());
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async listen(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const received = {
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        };
        this.requests.push(received);
        this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
        const { status, body, delayMs } = this.answer(received, this.requests.length - 1);
        setTimeout(() => {
          this.inFlight--;
          res.writeHead(status, { 'content-type': 'text/plain' }).end(body ?? '');
        }, delayMs ?? 0);
      });
    });
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    (this as { port: number }).port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** The payloads received, parsed. */
  payloads(): any[] {
    return this.requests.map((r) => JSON.parse(r.body));
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server!.close(resolve));
    this.server = undefined;
  }
}

/** The Standard Webhooks headers of a received request, as `Webhook.verify` takes them. */
function signed(r: Received): Record<string, string> {
  return {
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': String(r.headers['webhook-signature']),
  };
}

describe('webhooks (e2e)', () => {
  let t: TestApp;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    t = await TestApp.create({
      withWorkers: true,
      env: {
        HEDDLE_OUTBOUND_ALLOW: '127.0.0.1',
        OUTBOX_POLL_MS: '100',
        DELIVERY_SWEEP_MS: '1000',
        // An endpoint failing for a second is disabled at its next failure (the first retry, 4–6 s on).
        // Successes clear the failure period, so the other cases (a retry that succeeds) are unaffected.
        WEBHOOK_DISABLE_AFTER_SECONDS: '1',
      },
    });
  });

  afterAll(async () => {
    for (const r of receivers) await r.stop();
    await t.close();
  });

  async function receiver(): Promise<Receiver> {
    const r = await Receiver.start();
    receivers.push(r);
    return r;
  }

  /** A new team whose own log (TEAM_CREATED) the relay has already passed: only later events are delivered. */
  async function newTeam(): Promise<TestTeam> {
    const team = await t.createTeam('hooks');
    await waitFor(
      () => t.get(PrismaService).relayCursor.findUnique({ where: { teamId: team.teamId } }),
      (c) => c !== null && c.relayedSeq >= 1n,
      { timeoutMs: 5000, what: 'the relay to pass TEAM_CREATED' },
    );
    return team;
  }

  const createWebhook = (team: TestTeam, body: Record<string, unknown>) =>
    t.request('POST', '/api/webhooks', { token: team.token, body });

  /** Writes a TEAM_UPDATED event. */
  const touchTeam = (team: TestTeam) =>
    t.request('PATCH', '/api/team', { token: team.token, body: { name: `hooks-${randomUUID().slice(0, 12)}` } });

  const deliveries = async (team: TestTeam, webhookId: string, query = '') =>
    (await t.request('GET', `/api/webhooks/${webhookId}/deliveries${query}`, { token: team.token })).body
      .items as any[];

  /** Waits until the endpoint's only delivery matches `accept`, and returns it. */
  async function settled(team: TestTeam, webhookId: string, accept: (d: any) => boolean, timeoutMs = 5000) {
    const { value } = await waitFor(
      () => deliveries(team, webhookId),
      (items) => items.length > 0 && accept(items[0]),
      { timeoutMs, intervalMs: 50, what: `delivery of webhook ${webhookId}` },
    );
    return value[0];
  }

  const received = (r: Receiver, n: number, timeoutMs = 5000) =>
    waitFor(
      async () => r.requests.length,
      (count) => count >= n,
      { timeoutMs, what: `${n} request(s) at ${r.url}` },
    );

  describe('endpoints', () => {
    it('answers and audits a URL carrying a token with its query values and user info redacted, and delivers to the full URL', async () => {
      const team = await newTeam();
      const r = await receiver();
      const url = `${r.url}?token=s3cr3t-abc&channel=ci`;
      const created = await createWebhook(team, { url });
      expect(created.status).toBe(201);
      const redacted = `${r.url}?token=***&channel=***`;
      expect(created.body.url).toBe(redacted);
      const id = created.body.id as string;
      expect((await t.request('GET', `/api/webhooks/${id}`, { token: team.token })).body.url).toBe(redacted);
      const list = await t.request('GET', '/api/webhooks', { token: team.token });
      expect(list.body.items.map((w: any) => w.url)).toEqual([redacted]);

      // The redacted URL sent back (copied from an answer) is refused rather than stored.
      const copied = await t.request('PATCH', `/api/webhooks/${id}`, { token: team.token, body: { url: redacted } });
      expectErrorBody(copied, 400, 'request/validation_failed');
      expect(copied.body.details[0].field).toBe('url');

      const changed = await t.request('PATCH', `/api/webhooks/${id}`, {
        token: team.token,
        body: { url: `${r.url}?token=an0ther-s3cr3t` },
      });
      expect(changed.body.url).toBe(`${r.url}?token=***`);

      // Deliveries go to the whole URL, token included.
      await touchTeam(team);
      await received(r, 1);
      expect(r.requests[0]!.path).toBe('/hook?token=an0ther-s3cr3t');

      const audit = await t.request('GET', '/api/audit?limit=100', { token: team.token });
      const rows = audit.body.items.filter((a: any) => a.targetId === id);
      expect(rows.map((a: any) => [a.action, a.details.url])).toEqual([
        ['webhook.update', `${r.url}?token=***`],
        ['webhook.create', redacted],
      ]);
      await t.request('DELETE', `/api/webhooks/${id}`, { token: team.token });
      const after = await t.request('GET', '/api/audit?limit=100', { token: team.token });
      expect(after.body.items.find((a: any) => a.action === 'webhook.delete' && a.targetId === id).details).toEqual({
        url: `${r.url}?token=***`,
      });
      expect(JSON.stringify(after.body)).not.toMatch(/s3cr3t/);
      const events = await t.request('GET', '/api/events?limit=100', { token: team.token });
      expect(JSON.stringify(events.body)).not.toMatch(/s3cr3t/);
    });

    it('creates an endpoint with a secret shown once, sealed at rest; reads, lists, changes and removes it', async () => {
      const team = await newTeam();
      const created = await createWebhook(team, {
        url: 'https://203.0.113.10/heddle',
        events: ['TASK_COMPLETED', 'TASK_FAILED', 'TASK_COMPLETED'],
        description: 'CI',
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        url: 'https://203.0.113.10/heddle',
        events: ['TASK_COMPLETED', 'TASK_FAILED'],
        description: 'CI',
        enabled: true,
        disabledAt: null,
        failingSince: null,
        previousSecretExpiresAt: null,
      });
      const secret = created.body.secret as string;
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
      expect(Buffer.from(secret.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);
      const id = created.body.id as string;

      const row = await t.get(PrismaService).webhookEndpoint.findUniqueOrThrow({ where: { id } });
      expect(row.secretEnc).toMatch(/^v1\./);
      expect(row.secretEnc).not.toContain(secret.slice(6));
      expect(t.get(WebhookSecrets).open(team.teamId, row.secretEnc)).toBe(secret);
      expect(() => t.get(WebhookSecrets).open(randomUUID(), row.secretEnc)).toThrow();

      const read = await t.request('GET', `/api/webhooks/${id}`, { token: team.token });
      expect(read.status).toBe(200);
      expect(read.body).not.toHaveProperty('secret');
      expect(read.body).toEqual({ ...created.body, secret: undefined, updatedAt: read.body.updatedAt });

      const second = await createWebhook(team, { url: 'https://203.0.113.10/two', enabled: false });
      expect(second.body).toMatchObject({ events: [], enabled: false, description: null });
      const page1 = await t.request('GET', '/api/webhooks?limit=1', { token: team.token });
      expect(page1.body.items.map((w: any) => w.id)).toEqual([second.body.id]);
      const page2 = await t.request('GET', `/api/webhooks?limit=1&cursor=${page1.body.nextCursor}`, {
        token: team.token,
      });
      expect(page2.body).toMatchObject({ items: [{ id }], nextCursor: null });

      const patched = await t.request('PATCH', `/api/webhooks/${id}`, {
        token: team.token,
        body: { events: [], description: null, url: 'https://203.0.113.10/v2' },
      });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ events: [], description: null, url: 'https://203.0.113.10/v2' });

      expect((await t.request('DELETE', `/api/webhooks/${id}`, { token: team.token })).status).toBe(204);
      expectErrorBody(await t.request('GET', `/api/webhooks/${id}`, { token: team.token }), 404, 'webhook/not_found');

      const audit = await t.request('GET', '/api/audit?limit=100', { token: team.token });
      expect(audit.body.items.map((a: any) => a.action)).toEqual(
        expect.arrayContaining(['webhook.create', 'webhook.update', 'webhook.delete']),
      );
      const everything = JSON.stringify([audit.body, page1.body, page2.body, patched.body]);
      expect(everything).not.toContain(secret.slice(6));
      expect(everything).not.toContain(row.secretEnc);
    });

    it('validates the body: unknown event types, unknown fields, null url', async () => {
      const team = await t.createTeam();
      for (const [body, field] of [
        [{ url: 'https://203.0.113.10', events: ['NOPE'] }, 'events'],
        [{ url: 'https://203.0.113.10', secret: 'whsec_mine' }, 'secret'],
        [{ url: null }, 'url'],
        [{ url: 'https://203.0.113.10', enabled: 'yes' }, 'enabled'],
      ] as const) {
        const res = await createWebhook(team, body);
        expectErrorBody(res, 400);
        expect(JSON.stringify(res.body.details)).toContain(field);
      }
    });

    it('refuses metadata, link-local and non-http URLs at create and update (400 naming the field)', async () => {
      const team = await newTeam(); // no later events: nothing is sent to the (unreachable) URL it saves
      for (const url of [
        'http://169.254.169.254/latest/meta-data',
        'http://[fe80::1]/hook',
        'http://metadata.google.internal/',
        'ftp://hooks.example.com/',
        'http://user:pw@hooks.example.com/',
      ]) {
        const res = await createWebhook(team, { url });
        expectErrorBody(res, 400, 'outbound/refused');
        expect(res.body.details).toEqual([{ field: 'url', errors: [expect.any(String)] }]);
      }
      const ok = await createWebhook(team, { url: 'https://203.0.113.10/' });
      const patch = await t.request('PATCH', `/api/webhooks/${ok.body.id}`, {
        token: team.token,
        body: { url: 'http://169.254.169.254/' },
      });
      expectErrorBody(patch, 400, 'outbound/refused');
      expect((await t.request('GET', `/api/webhooks/${ok.body.id}`, { token: team.token })).body.url).toBe(
        'https://203.0.113.10/',
      );
    });

    it('refuses loopback (by name or address) when HEDDLE_OUTBOUND_ALLOW does not cover it', async () => {
      const strict = await TestApp.create();
      try {
        const team = await strict.createTeam();
        for (const url of ['http://localhost:8080/hook', 'http://127.0.0.1:8080/hook', 'http://10.0.0.5/hook']) {
          const res = await strict.request('POST', '/api/webhooks', { token: team.token, body: { url } });
          expectErrorBody(res, 400, 'outbound/refused');
          expect(res.body.message).toMatch(/HEDDLE_OUTBOUND_ALLOW/);
          expect(res.body.details[0].field).toBe('url');
        }
      } finally {
        await strict.close();
      }
    });

    it("answers 404 to every route about another team's webhook or delivery", async () => {
      const a = await newTeam();
      const b = await t.createTeam();
      const r = await receiver();
      const hook = (await createWebhook(a, { url: r.url })).body;
      const ping = await t.request('POST', `/api/webhooks/${hook.id}/test`, { token: a.token });
      expect(ping.status).toBe(202);
      await settled(a, hook.id, (d) => d.status === 'delivered');

      for (const [method, url, body] of [
        ['GET', `/api/webhooks/${hook.id}`],
        ['PATCH', `/api/webhooks/${hook.id}`, { enabled: false }],
        ['DELETE', `/api/webhooks/${hook.id}`],
        ['POST', `/api/webhooks/${hook.id}/rotate-secret`],
        ['POST', `/api/webhooks/${hook.id}/test`],
        ['GET', `/api/webhooks/${hook.id}/deliveries`],
      ] as const) {
        expectErrorBody(await t.request(method, url, { token: b.token, body }), 404, 'webhook/not_found');
      }
      for (const [method, url] of [['POST', `/api/webhooks/deliveries/${ping.body.id}/resend`]] as const) {
        expectErrorBody(await t.request(method, url, { token: b.token }), 404, 'delivery/not_found');
      }
      expect((await t.request('GET', '/api/webhooks', { token: b.token })).body.items).toEqual([]);
      // A's endpoint is untouched and received only its ping.
      expect((await t.request('GET', `/api/webhooks/${hook.id}`, { token: a.token })).body.enabled).toBe(true);
      expect(r.requests).toHaveLength(1);
    });
  });

  describe('delivery', () => {
    it('delivers a signed event that standardwebhooks verifies, with the event as the body', async () => {
      const team = await newTeam();
      const r = await receiver();
      const created = await createWebhook(team, { url: r.url });
      const secret = created.body.secret as string;

      expect((await touchTeam(team)).status).toBe(200);
      await received(r, 1);
      const [request] = r.requests;
      const payload = new Webhook(secret).verify(request!.body, signed(request!)) as any;
      expect(payload).toEqual({
        id: expect.any(String),
        type: 'TEAM_UPDATED',
        teamId: team.teamId,
        seq: expect.any(Number),
        timestamp: expect.any(Number),
        timestamp_iso: expect.any(String),
        taskId: null,
        hostId: null,
        data: expect.objectContaining({ changes: expect.any(Object) }),
      });
      expect(payload.timestamp).toBe(Math.floor(Date.parse(payload.timestamp_iso) / 1000));
      expect(request!.headers['webhook-id']).toBe(payload.id);
      expect(request!.headers['content-type']).toBe('application/json');
      expect(Math.abs(Number(request!.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(10);
      expect(request!.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
      // Another secret does not verify it, nor does a changed body.
      expect(() =>
        new Webhook(`whsec_${Buffer.alloc(24, 7).toString('base64')}`).verify(request!.body, signed(request!)),
      ).toThrow();
      expect(() =>
        new Webhook(secret).verify(request!.body.replace('TEAM_UPDATED', 'TEAM_UPDATEX'), signed(request!)),
      ).toThrow();

      const event = (await t.request('GET', '/api/events?limit=100', { token: team.token })).body.items.find(
        (e: any) => e.id === payload.id,
      );
      expect(event).toMatchObject({ type: 'TEAM_UPDATED', seq: payload.seq });

      const delivery = await settled(team, created.body.id, (d) => d.status === 'delivered');
      expect(delivery).toMatchObject({
        webhookId: created.body.id,
        eventId: payload.id,
        eventSeq: payload.seq,
        eventType: 'TEAM_UPDATED',
        status: 'delivered',
        lastStatus: 200,
        lastError: null,
        nextAttemptAt: null,
        deliveredAt: expect.any(String),
        attempts: [
          {
            number: 1,
            statusCode: 200,
            latencyMs: expect.any(Number),
            responseExcerpt: 'ok',
            error: null,
            createdAt: expect.any(String),
          },
        ],
      });
      expect(JSON.stringify(delivery)).not.toContain(secret.slice(6));
    });

    it('retries a 500 and delivers on the 200, with the same webhook-id on both attempts', async () => {
      const team = await newTeam();
      const r = await receiver();
      r.answer = (_req, i) => (i === 0 ? { status: 500, body: 'x'.repeat(5000) } : { status: 200, body: 'ok' });
      const hook = (await createWebhook(team, { url: r.url, events: ['TEAM_UPDATED'] })).body;
      await touchTeam(team);

      const pending = await settled(team, hook.id, (d) => d.attempts.length === 1);
      expect(pending).toMatchObject({ status: 'pending', lastStatus: 500, attempts: [{ number: 1, statusCode: 500 }] });
      expect(pending.attempts[0].responseExcerpt).toHaveLength(1024);
      const dueIn = Date.parse(pending.nextAttemptAt) - Date.parse(pending.attempts[0].createdAt);
      expect(dueIn).toBeGreaterThanOrEqual(3900);
      expect(dueIn).toBeLessThanOrEqual(6100);
      await waitFor(
        async () => (await t.request('GET', `/api/webhooks/${hook.id}`, { token: team.token })).body.failingSince,
        (since) => typeof since === 'string',
        { timeoutMs: 2000, what: 'failingSince to be set' },
      );

      const delivered = await settled(team, hook.id, (d) => d.status === 'delivered', 10_000);
      expect(delivered.attempts.map((a: any) => a.statusCode)).toEqual([500, 200]);
      expect(r.requests).toHaveLength(2);
      expect(r.requests[1]!.headers['webhook-id']).toBe(r.requests[0]!.headers['webhook-id']);
      expect(r.requests[1]!.body).toBe(r.requests[0]!.body);
      expect(r.requests[1]!.at - r.requests[0]!.at).toBeGreaterThanOrEqual(3900);
      // A success ends the failure period.
      const after = (await t.request('GET', `/api/webhooks/${hook.id}`, { token: team.token })).body;
      expect(after).toMatchObject({ failingSince: null, disabledAt: null });

      expect(await deliveries(team, hook.id, '?status=delivered')).toHaveLength(1);
      expect(await deliveries(team, hook.id, '?status=failed')).toHaveLength(0);
      expectErrorBody(
        await t.request('GET', `/api/webhooks/${hook.id}/deliveries?status=lost`, { token: team.token }),
        400,
      );
    });

    it('fails a 410 at once (one attempt), and a resend makes a new attempt with the same webhook-id', async () => {
      const team = await newTeam();
      const r = await receiver();
      r.answer = () => ({ status: 410, body: 'gone' });
      const hook = (await createWebhook(team, { url: r.url, events: ['TEAM_UPDATED'] })).body;
      await touchTeam(team);

      const failed = await settled(team, hook.id, (d) => d.status === 'failed');
      expect(failed).toMatchObject({
        lastStatus: 410,
        lastError: 'HTTP 410',
        nextAttemptAt: null,
        attempts: [{ number: 1, statusCode: 410, responseExcerpt: 'gone' }],
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(r.requests).toHaveLength(1);

      r.answer = () => ({ status: 204 });
      const resent = await t.request('POST', `/api/webhooks/deliveries/${failed.id}/resend`, { token: team.token });
      expect(resent.status).toBe(202);
      expect(resent.body).toMatchObject({ id: failed.id, status: 'pending' });
      const delivered = await settled(team, hook.id, (d) => d.status === 'delivered');
      expect(delivered.attempts.map((a: any) => [a.number, a.statusCode])).toEqual([
        [1, 410],
        [2, 204],
      ]);
      expect(r.requests).toHaveLength(2);
      expect(r.requests[1]!.headers['webhook-id']).toBe(r.requests[0]!.headers['webhook-id']);
      expect(r.requests[1]!.headers['webhook-id']).toBe(failed.eventId);

      // A delivered one can be sent again too.
      await t.request('POST', `/api/webhooks/deliveries/${failed.id}/resend`, { token: team.token });
      const third = await settled(team, hook.id, (d) => d.status === 'delivered' && d.attempts.length === 3);
      expect(third.attempts.map((a: any) => a.number)).toEqual([1, 2, 3]);
      expect(new Set(r.requests.map((q) => q.headers['webhook-id']))).toEqual(new Set([failed.eventId]));
      const audit = await t.request('GET', '/api/audit?limit=100', { token: team.token });
      expect(audit.body.items.map((a: any) => a.action)).toContain('webhook.delivery.resend');
    });

    it('brings a scheduled retry forward on resend', async () => {
      const team = await newTeam();
      const r = await receiver();
      r.answer = (_req, i) => (i === 0 ? { status: 503 } : { status: 200 });
      const hook = (await createWebhook(team, { url: r.url, events: ['TEAM_UPDATED'] })).body;
      await touchTeam(team);
      const pending = await settled(team, hook.id, (d) => d.attempts.length === 1);
      expect(pending.status).toBe('pending');

      const started = Date.now();
      const resent = await t.request('POST', `/api/webhooks/deliveries/${pending.id}/resend`, { token: team.token });
      expect(resent.status).toBe(202);
      const delivered = await settled(team, hook.id, (d) => d.status === 'delivered', 3000);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(delivered.attempts.map((a: any) => [a.number, a.statusCode])).toEqual([
        [1, 503],
        [2, 200],
      ]);
      expect(r.requests.map((q) => q.headers['webhook-id'])).toEqual([pending.eventId, pending.eventId]);
    });

    it('makes at most WEBHOOK_ENDPOINT_CONCURRENCY attempts to one endpoint at once; the rest wait their turn', async () => {
      const team = await newTeam();
      const slow = await receiver();
      slow.answer = () => ({ status: 200, delayMs: 600 });
      const hook = (await createWebhook(team, { url: slow.url, events: ['TEAM_UPDATED'] })).body;
      for (let i = 0; i < 10; i++) await touchTeam(team);

      await waitFor(
        () => deliveries(team, hook.id, '?status=delivered'),
        (items) => items.length === 10,
        { timeoutMs: 10_000, intervalMs: 100, what: 'ten deliveries to the slow receiver' },
      );
      expect(t.config.webhookEndpointConcurrency).toBe(4);
      expect(slow.maxInFlight).toBe(4);
      expect(slow.requests).toHaveLength(10);
      expect(new Set(slow.requests.map((q) => q.headers['webhook-id'])).size).toBe(10);
    });

    it('keeps retrying while the receiver is down and delivers once it is up', async () => {
      const team = await newTeam();
      const r = await Receiver.closed();
      receivers.push(r);
      const hook = (await createWebhook(team, { url: r.url, events: ['TEAM_UPDATED'] })).body;
      await touchTeam(team);

      const refused = await settled(team, hook.id, (d) => d.attempts.length === 1);
      expect(refused).toMatchObject({ status: 'pending', lastStatus: null });
      expect(refused.attempts[0]).toMatchObject({ statusCode: null, error: expect.stringMatching(/ECONNREFUSED/) });

      await r.listen();
      const delivered = await settled(team, hook.id, (d) => d.status === 'delivered', 10_000);
      expect(delivered.attempts.map((a: any) => a.statusCode)).toEqual([null, 200]);
      expect(r.requests).toHaveLength(1);
      expect(r.requests[0]!.headers['webhook-id']).toBe(delivered.eventId);
    });

    it('delivers only the event types an endpoint asked for', async () => {
      const team = await newTeam();
      const [all, tasksOnly] = [await receiver(), await receiver()];
      const allHook = (await createWebhook(team, { url: all.url })).body;
      const tasksHook = (await createWebhook(team, { url: tasksOnly.url, events: ['TASK_CREATED'] })).body;

      await touchTeam(team);
      await received(all, 1);
      // The relay made the deliveries of that event for every endpoint in one transaction.
      expect(await deliveries(team, tasksHook.id)).toEqual([]);

      const task = await t.request('POST', '/api/tasks', {
        token: team.token,
        body: { name: 'hook-task', workspace: '/srv/repos/api', goal: 'Say hello.' },
      });
      expect(task.status).toBe(201);
      await received(tasksOnly, 1);
      await received(all, 2);
      expect(tasksOnly.payloads().map((p) => p.type)).toEqual(['TASK_CREATED']);
      expect(tasksOnly.payloads()[0].taskId).toBe(task.body.id);
      expect(all.payloads().map((p) => p.type)).toEqual(expect.arrayContaining(['TEAM_UPDATED', 'TASK_CREATED']));
      expect((await deliveries(team, allHook.id)).length).toBeGreaterThanOrEqual(2);
    });

    it('signs with both secrets for a day after a rotation; each verifies the same delivery', async () => {
      const team = await newTeam();
      const r = await receiver();
      const created = (await createWebhook(team, { url: r.url, events: ['TEAM_UPDATED'] })).body;
      const oldSecret = created.secret as string;

      const rotated = await t.request('POST', `/api/webhooks/${created.id}/rotate-secret`, { token: team.token });
      expect(rotated.status).toBe(200);
      const newSecret = rotated.body.secret as string;
      expect(newSecret).toMatch(/^whsec_/);
      expect(newSecret).not.toBe(oldSecret);
      const overlapMs = Date.parse(rotated.body.previousSecretExpiresAt) - Date.now();
      expect(overlapMs).toBeGreaterThan(23.9 * 3600_000);
      expect(overlapMs).toBeLessThanOrEqual(24 * 3600_000);

      await touchTeam(team);
      await received(r, 1);
      const request = r.requests[0]!;
      expect(String(request.headers['webhook-signature']).split(' ')).toHaveLength(2);
      expect(new Webhook(oldSecret).verify(request.body, signed(request))).toMatchObject({ type: 'TEAM_UPDATED' });
      expect(new Webhook(newSecret).verify(request.body, signed(request))).toMatchObject({ type: 'TEAM_UPDATED' });

      // Once the overlap is over only the new secret signs.
      await t.get(PrismaService).webhookEndpoint.update({
        where: { id: created.id },
        data: { previousSecretExpiresAt: new Date(Date.now() - 1000) },
      });
      await touchTeam(team);
      await received(r, 2);
      const later = r.requests[1]!;
      expect(String(later.headers['webhook-signature']).split(' ')).toHaveLength(1);
      expect(() => new Webhook(newSecret).verify(later.body, signed(later))).not.toThrow();
      expect(() => new Webhook(oldSecret).verify(later.body, signed(later))).toThrow(/No matching signature/);

      const audit = await t.request('GET', '/api/audit?limit=100', { token: team.token });
      expect(audit.body.items.map((a: any) => a.action)).toContain('webhook.rotate_secret');
      expect(JSON.stringify(audit.body)).not.toContain(newSecret.slice(6));
    });

    it('sends a test ping to that endpoint only', async () => {
      const team = await newTeam();
      const [r, other] = [await receiver(), await receiver()];
      const hook = (await createWebhook(team, { url: r.url })).body;
      const otherHook = (await createWebhook(team, { url: other.url })).body;

      const ping = await t.request('POST', `/api/webhooks/${hook.id}/test`, { token: team.token });
      expect(ping.status).toBe(202);
      expect(ping.body).toMatchObject({
        webhookId: hook.id,
        eventType: 'WEBHOOK_PING',
        status: 'pending',
        attempts: [],
      });
      await received(r, 1);
      const payload = new Webhook(hook.secret).verify(r.requests[0]!.body, signed(r.requests[0]!)) as any;
      expect(payload).toMatchObject({ id: ping.body.eventId, type: 'WEBHOOK_PING', data: { webhookId: hook.id } });
      await settled(team, hook.id, (d) => d.status === 'delivered');

      // The relay passes the ping by: the team's other endpoint gets nothing (a later event, yes).
      await touchTeam(team);
      await received(other, 1);
      await received(r, 2);
      expect(other.payloads().map((p) => p.type)).toEqual(['TEAM_UPDATED']);
      expect((await deliveries(team, otherHook.id)).map((d) => d.eventType)).toEqual(['TEAM_UPDATED']);
    });

    it('disables an endpoint failing for longer than the limit, with a WEBHOOK_DISABLED event; PATCH enabled re-enables it', async () => {
      const team = await newTeam();
      const [failing, watcher] = [await receiver(), await receiver()];
      failing.answer = () => ({ status: 503, body: 'down' });
      const hook = (await createWebhook(team, { url: failing.url, events: ['TEAM_UPDATED'] })).body;
      const watch = (await createWebhook(team, { url: watcher.url, events: ['WEBHOOK_DISABLED'] })).body;
      await touchTeam(team);

      const { value: disabled } = await waitFor(
        async () => (await t.request('GET', `/api/webhooks/${hook.id}`, { token: team.token })).body,
        (w) => w.disabledAt !== null,
        { timeoutMs: 10_000, intervalMs: 100, what: 'the endpoint to be disabled' },
      );
      expect(disabled).toMatchObject({
        enabled: true,
        failingSince: expect.any(String),
        disabledReason: expect.stringMatching(/every attempt has failed since .*HTTP 503/),
      });
      expect(failing.requests).toHaveLength(2);

      const events = (await t.request('GET', '/api/events?limit=100', { token: team.token })).body.items;
      const event = events.find((e: any) => e.type === 'WEBHOOK_DISABLED');
      expect(event.data).toMatchObject({
        webhookId: hook.id,
        urlHost: `127.0.0.1:${failing.port}`,
        reason: disabled.disabledReason,
      });
      // The event fans out like any other, to the endpoints that want it.
      await received(watcher, 1);
      expect(watcher.payloads()[0]).toMatchObject({ type: 'WEBHOOK_DISABLED', data: { webhookId: hook.id } });
      expect(watch.id).toBeDefined();

      // A disabled endpoint gets no new deliveries, and cannot be pinged.
      expectErrorBody(
        await t.request('POST', `/api/webhooks/${hook.id}/test`, { token: team.token }),
        409,
        'webhook/invalid_state',
      );
      const before = (await deliveries(team, hook.id)).length;
      await touchTeam(team);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await deliveries(team, hook.id)).toHaveLength(before);

      failing.answer = () => ({ status: 200 });
      const reenabled = await t.request('PATCH', `/api/webhooks/${hook.id}`, {
        token: team.token,
        body: { enabled: true },
      });
      expect(reenabled.body).toMatchObject({
        enabled: true,
        disabledAt: null,
        disabledReason: null,
        failingSince: null,
      });
      await touchTeam(team);
      await waitFor(
        () => deliveries(team, hook.id, '?status=delivered'),
        (items) => items.length === 1,
        { timeoutMs: 5000, what: 'a delivery after re-enabling' },
      );
      const audit = await t.request('GET', '/api/audit?limit=100', { token: team.token });
      expect(audit.body.items.map((a: any) => a.action)).toEqual(expect.arrayContaining(['webhook.disable']));
    });
  });
});
