import { IncomingHttpHeaders, Server, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { mkdtemp, readFile, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { PrismaService } from '@heddle/db';
import { SinkSecrets, SinkUrlSealer } from '@heddle/notifications';
import { TestApp, TestTeam, expectErrorBody, waitFor } from '@heddle/testing';

/**
 * Notification sinks end to end: the API, the outbox relay and the `notify` consumer in one process,
 * events made by API actions, and loopback receivers this file controls.
 */

const PUBLIC_URL = 'https://heddle.example.com';
const SECRET_PATH = '/services/T000/B000/s3cr3t-hook-path';

// The retry case waits for the first step of the schedule (5 s ± 20 %).
jest.setTimeout(60_000);

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

interface Receiver {
  url(path?: string): string;
  received: Received[];
  /** The most requests it was answering at once. */
  maxInFlight: number;
  close(): Promise<void>;
}

/**
 * A loopback HTTP receiver answering each request with `respond(n)` (1-based), 200 by default,
 * after `delayMs`.
 */
async function startReceiver(respond: (n: number) => number = () => 200, delayMs = 0): Promise<Receiver> {
  const received: Received[] = [];
  let inFlight = 0;
  const state = { maxInFlight: 0 };
  const server: Server = createServer((req, res) => {
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      });
      const status = respond(received.length);
      setTimeout(() => {
        inFlight--;
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(status < 300 ? 'ok' : `no (${status})`);
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    received,
    get maxInFlight() {
      return state.maxInFlight;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('notification sinks (e2e)', () => {
  let t: TestApp;
  let root: string;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'heddle-sinks-'));
    t = await TestApp.create({
      withWorkers: true,
      env: {
        HEDDLE_OUTBOUND_ALLOW: '127.0.0.1',
        HEDDLE_FILE_SINK_ROOT: root,
        HEDDLE_PUBLIC_URL: PUBLIC_URL,
        OUTBOX_POLL_MS: '100',
        DELIVERY_SWEEP_MS: '1000',
        WEBHOOK_ENDPOINT_CONCURRENCY: '1',
      },
    });
  });

  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await t.close();
    await rm(root, { recursive: true, force: true });
  });

  const receiver = async (respond?: (n: number) => number, delayMs?: number) => {
    const r = await startReceiver(respond, delayMs);
    receivers.push(r);
    return r;
  };

  const createSink = (team: TestTeam, body: Record<string, unknown>) =>
    t.request('POST', '/api/sinks', { token: team.token, body });

  async function sinkOf(team: TestTeam, body: Record<string, unknown>): Promise<string> {
    const res = await createSink(team, body);
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 201 });
    return res.body.id as string;
  }

  const deliveries = async (team: TestTeam, sinkId: string, query = '') =>
    (await t.request('GET', `/api/sinks/${sinkId}/deliveries${query}`, { token: team.token })).body;

  /** Waits until the sink has `count` deliveries and none is pending; answers them oldest first. */
  async function settled(team: TestTeam, sinkId: string, count: number, timeoutMs = 15_000): Promise<any[]> {
    const { value } = await waitFor(
      () => deliveries(team, sinkId),
      (page) => page.items?.length === count && page.items.every((d: any) => d.status !== 'pending'),
      { timeoutMs, intervalMs: 100, what: `${count} settled deliveries of sink ${sinkId}` },
    );
    return [...value.items].reverse();
  }

  const touchTeam = (team: TestTeam, maxTurns: number) =>
    t.request('PATCH', '/api/team', { token: team.token, body: { settings: { defaultBudgets: { maxTurns } } } });

  const createTask = async (team: TestTeam, name = 'add-health') => {
    const res = await t.request('POST', '/api/tasks', {
      token: team.token,
      body: { name, workspace: '/srv/repos/api', goal: 'Add GET /health' },
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };

  /** The team's events of one type as GET /api/events lists them. */
  const eventsOf = async (team: TestTeam, type: string) =>
    (await t.request('GET', `/api/events?type=${type}&limit=100`, { token: team.token })).body.items as any[];

  /** What webhooks and JSON sinks carry, derived from the event log's view of the same event. */
  const payloadOf = (e: any) => ({
    id: e.id,
    type: e.type,
    teamId: e.teamId,
    seq: e.seq,
    timestamp: Math.floor(Date.parse(e.time) / 1000),
    timestamp_iso: e.time,
    taskId: e.taskId,
    hostId: e.hostId,
    data: e.data,
  });

  describe('API', () => {
    it('creates, reads, lists, changes and removes sinks; URLs are answered redacted and kept out of the audit log', async () => {
      const team = await t.createTeam();
      const r = await receiver();
      const created = await createSink(team, {
        name: 'ops-slack',
        kind: 'slack',
        url: r.url(SECRET_PATH),
        events: ['TASK_COMPLETED', 'TASK_FAILED', 'TASK_COMPLETED'],
      });
      expect(created.status).toBe(201);
      const origin = new URL(r.url()).origin;
      expect(created.body).toEqual({
        id: expect.any(String),
        name: 'ops-slack',
        kind: 'slack',
        url: `${origin}/***`,
        filePrefix: null,
        tokenSet: false,
        events: ['TASK_COMPLETED', 'TASK_FAILED'],
        enabled: true,
        failingSince: null,
        disabledAt: null,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const id = created.body.id as string;

      const read = await t.request('GET', `/api/sinks/${id}`, { token: team.token });
      expect(read.body).toEqual(created.body);

      const file = await createSink(team, { name: 'archive', kind: 'file', filePrefix: 'heddle' });
      expect(file.status).toBe(201);
      expect(file.body).toMatchObject({ kind: 'file', url: null, filePrefix: 'heddle', events: [] });

      const page1 = await t.request('GET', '/api/sinks?limit=1', { token: team.token });
      expect(page1.body.items.map((s: any) => s.name)).toEqual(['archive']);
      const page2 = await t.request('GET', `/api/sinks?limit=1&cursor=${page1.body.nextCursor}`, {
        token: team.token,
      });
      expect(page2.body).toEqual({ items: [expect.objectContaining({ name: 'ops-slack' })], nextCursor: null });
      const slackOnly = await t.request('GET', '/api/sinks?kind=slack', { token: team.token });
      expect(slackOnly.body.items.map((s: any) => s.id)).toEqual([id]);

      const changed = await t.request('PATCH', `/api/sinks/${id}`, {
        token: team.token,
        body: { name: 'ops-alerts', url: r.url('/services/T000/B000/another-s3cr3t'), events: [], enabled: false },
      });
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({ name: 'ops-alerts', url: `${origin}/***`, events: [], enabled: false });

      expectErrorBody(
        await createSink(team, { name: 'ops-alerts', kind: 'json', url: r.url() }),
        409,
        'sink/name_taken',
      );
      expectErrorBody(
        await t.request('PATCH', `/api/sinks/${id}`, { token: team.token, body: { name: 'archive' } }),
        409,
        'sink/name_taken',
      );

      const audit = await t.request('GET', '/api/audit?limit=100', { token: team.token });
      const actions = audit.body.items.map((a: any) => a.action);
      expect(actions).toEqual(expect.arrayContaining(['sink.create', 'sink.update']));
      expect(JSON.stringify(audit.body)).not.toMatch(/s3cr3t/);
      const events = await t.request('GET', '/api/events?limit=100', { token: team.token });
      expect(JSON.stringify(events.body)).not.toMatch(/s3cr3t/);

      const removed = await t.request('DELETE', `/api/sinks/${id}`, { token: team.token });
      expect(removed.status).toBe(204);
      expectErrorBody(await t.request('GET', `/api/sinks/${id}`, { token: team.token }), 404, 'sink/not_found');
    });

    it('refuses invalid sinks with 400 naming the field', async () => {
      const team = await t.createTeam();
      const r = await receiver();
      const cases: [Record<string, unknown>, string, RegExp][] = [
        [{ name: 's', kind: 'slack' }, 'url', /url is required for a slack sink/],
        [{ name: 's', kind: 'discord', url: r.url(), filePrefix: 'x' }, 'filePrefix', /only for file sinks/],
        [{ name: 's', kind: 'file' }, 'filePrefix', /filePrefix is required/],
        [{ name: 's', kind: 'file', filePrefix: 'a/b' }, 'filePrefix', /only letters, digits/],
        [{ name: 's', kind: 'file', filePrefix: '../up' }, 'filePrefix', /no slashes/],
        [{ name: 's', kind: 'file', filePrefix: 'p', url: r.url() }, 'url', /not used by file sinks/],
        [{ name: 's', kind: 'email', url: r.url() }, 'kind', /kind must be one of/],
        [{ name: 's', kind: 'json', url: r.url(), events: ['NOPE'] }, 'events', /event types/],
        [{ name: '-bad', kind: 'json', url: r.url() }, 'name', /name must start/],
      ];
      for (const [body, field, message] of cases) {
        const res = await createSink(team, body);
        expectErrorBody(res, 400, 'request/validation_failed');
        expect({ body, details: res.body.details }).toEqual({
          body,
          details: expect.arrayContaining([
            { field, errors: expect.arrayContaining([expect.stringMatching(message)]) },
          ]),
        });
      }

      for (const url of ['http://169.254.169.254/latest/meta-data', 'http://10.0.0.1/hook', 'ftp://example.com/x']) {
        const res = await createSink(team, { name: 's', kind: 'json', url });
        expectErrorBody(res, 400, 'outbound/refused');
        expect(res.body.details).toEqual([{ field: 'url', errors: [expect.any(String)] }]);
      }

      const file = await sinkOf(team, { name: 'f', kind: 'file', filePrefix: 'p' });
      expectErrorBody(
        await t.request('PATCH', `/api/sinks/${file}`, { token: team.token, body: { url: r.url() } }),
        400,
        'request/validation_failed',
      );
      expectErrorBody(
        await t.request('PATCH', `/api/sinks/${file}`, { token: team.token, body: { kind: 'json' } }),
        400,
        'request/validation_failed',
      );
      // Two file sinks of a team with one prefix would overwrite each other's files.
      expectErrorBody(await createSink(team, { name: 'g', kind: 'file', filePrefix: 'p' }), 409, 'sink/prefix_taken');
    });

    it("answers 404 for another team's sink and its deliveries, as for an unknown id", async () => {
      const a = await t.createTeam('team-a');
      const b = await t.createTeam('team-b');
      const r = await receiver();
      const id = await sinkOf(a, { name: 'a-json', kind: 'json', url: r.url() });
      for (const [method, url, body] of [
        ['GET', `/api/sinks/${id}`],
        ['PATCH', `/api/sinks/${id}`, { name: 'stolen' }],
        ['DELETE', `/api/sinks/${id}`],
        ['GET', `/api/sinks/${id}/deliveries`],
      ] as const) {
        expectErrorBody(await t.request(method, url, { token: b.token, body }), 404, 'sink/not_found');
      }
      const listB = await t.request('GET', '/api/sinks', { token: b.token });
      expect(listB.body.items).toEqual([]);
      expect((await t.request('GET', `/api/sinks/${id}`, { token: a.token })).body.name).toBe('a-json');
    });
  });

  describe('URLs at rest', () => {
    /** What the database holds for a sink's URL. */
    const rowOf = async (id: string) => {
      const rows = await t.get(PrismaService).$queryRaw<{ url: string | null; urlEnc: string | null }[]>`
        SELECT "url", "urlEnc" FROM "sinks" WHERE "id" = ${id}::uuid`;
      return rows[0]!;
    };

    /** A sink row as a version before sealing wrote it: the URL in clear in `url`. */
    const insertPlain = async (team: TestTeam, name: string, url: string, event = 'TEAM_UPDATED') => {
      const id = randomUUID();
      await t.get(PrismaService).$executeRaw`
        INSERT INTO "sinks" ("id", "teamId", "name", "kind", "url", "events", "enabled", "updatedAt")
        VALUES (${id}::uuid, ${team.teamId}::uuid, ${name}, 'json', ${url}, ARRAY[${event}]::text[], true, now())`;
      return id;
    };

    it('keeps no plain URL in the database: sealed on create and change, bound to the team, delivered to in full', async () => {
      const team = await t.createTeam();
      const r = await receiver();
      const first = r.url(`${SECRET_PATH}?token=s3cr3t-q`);
      const id = await sinkOf(team, { name: 'sealed', kind: 'json', url: first, events: ['TEAM_UPDATED'] });
      const created = await rowOf(id);
      expect(created.url).toBeNull();
      expect(created.urlEnc).toMatch(/^v1\./);
      expect(JSON.stringify(created)).not.toMatch(/s3cr3t|127\.0\.0\.1|services/);
      const secrets = t.get(SinkSecrets);
      expect(secrets.urlOf({ teamId: team.teamId, urlEnc: created.urlEnc })).toBe(first);
      // Copied onto another team's row, the value does not open.
      const other = await t.createTeam();
      expect(() => secrets.urlOf({ teamId: other.teamId, urlEnc: created.urlEnc })).toThrow();

      const second = r.url('/services/T1/B1/n3w-s3cr3t');
      const changed = await t.request('PATCH', `/api/sinks/${id}`, { token: team.token, body: { url: second } });
      expect(changed.body.url).toBe(`${new URL(second).origin}/***`);
      const updated = await rowOf(id);
      expect(updated.url).toBeNull();
      expect(JSON.stringify(updated)).not.toMatch(/s3cr3t|services/);
      expect(secrets.urlOf({ teamId: team.teamId, urlEnc: updated.urlEnc })).toBe(second);

      await touchTeam(team, 7);
      const [delivery] = await settled(team, id, 1);
      expect(delivery.status).toBe('delivered');
      expect(r.received.map((x) => x.path)).toEqual(['/services/T1/B1/n3w-s3cr3t']);
      const plain = await t.get(PrismaService).$queryRaw<{ n: number }[]>`
        SELECT count(*)::int AS "n" FROM "sinks" WHERE "teamId" = ${team.teamId}::uuid AND "url" IS NOT NULL`;
      expect(plain[0]!.n).toBe(0);
    });

    it('seals URLs an earlier version stored in clear when a process starts, each once even with several processes', async () => {
      const team = await t.createTeam();
      const r = await receiver();
      const legacyUrl = r.url(`${SECRET_PATH}?token=s3cr3t-legacy`);
      const legacy = await insertPlain(team, 'legacy', legacyUrl);
      expect((await rowOf(legacy)).url).toBe(legacyUrl);

      // Another process of the same install starts (same key), covering this team: it seals before serving.
      const started = await TestApp.create({
        env: { HEDDLE_ENCRYPTION_KEY: t.config.encryptionKey.toString('base64') },
        relayTeams: [team.teamId],
      });
      try {
        const sealed = await rowOf(legacy);
        expect(sealed.url).toBeNull();
        expect(t.get(SinkSecrets).urlOf({ teamId: team.teamId, urlEnc: sealed.urlEnc })).toBe(legacyUrl);
        const read = await started.request('GET', `/api/sinks/${legacy}`, { token: team.token });
        expect(read.body).toMatchObject({ name: 'legacy', url: `${new URL(legacyUrl).origin}/***` });
        // Delivered to the whole URL it had in clear.
        await touchTeam(team, 9);
        const [delivery] = await settled(team, legacy, 1);
        expect(delivery.status).toBe('delivered');
        expect(r.received.map((x) => x.path)).toEqual([`${SECRET_PATH}?token=s3cr3t-legacy`]);

        // Two processes sealing at once share the rows: each is sealed exactly once; a third run finds none.
        const more = await Promise.all(
          // (Listening for an event this test does not make: only `legacy` gets a delivery below.)
          [1, 2, 3, 4, 5].map((i) =>
            insertPlain(team, `legacy-${i}`, r.url(`/p/${i}?token=s3cr3t-${i}`), 'TASK_FAILED'),
          ),
        );
        const counts = await Promise.all([
          t.get(SinkUrlSealer).sealPlainUrls(),
          started.get(SinkUrlSealer).sealPlainUrls(),
        ]);
        expect(counts[0] + counts[1]).toBe(5);
        for (const [i, id] of more.entries()) {
          const row = await rowOf(id);
          expect(row.url).toBeNull();
          expect(t.get(SinkSecrets).urlOf({ teamId: team.teamId, urlEnc: row.urlEnc })).toBe(
            r.url(`/p/${i + 1}?token=s3cr3t-${i + 1}`),
          );
        }
        expect(await started.get(SinkUrlSealer).sealPlainUrls()).toBe(0);
      } finally {
        await started.close();
      }
    });
  });

  describe('delivery', () => {
    it('posts Slack and Discord one readable line with a link built from HEDDLE_PUBLIC_URL', async () => {
      const team = await t.createTeam();
      const slack = await receiver();
      const discord = await receiver();
      const slackId = await sinkOf(team, {
        name: 'slack',
        kind: 'slack',
        url: slack.url(SECRET_PATH),
        events: ['TASK_CREATED'],
      });
      const discordId = await sinkOf(team, {
        name: 'discord',
        kind: 'discord',
        url: discord.url('/api/webhooks/123/t0ken'),
        events: ['TASK_CREATED'],
      });
      const taskId = await createTask(team);

      const [toSlack] = await settled(team, slackId, 1);
      const [toDiscord] = await settled(team, discordId, 1);
      expect(toSlack).toMatchObject({ eventType: 'TASK_CREATED', status: 'delivered', lastStatus: 200 });
      expect(toSlack.attempts).toEqual([
        expect.objectContaining({ number: 1, statusCode: 200, responseExcerpt: 'ok', error: null }),
      ]);
      expect(toDiscord.status).toBe('delivered');

      const line = `🆕 TASK_CREATED · add-health · queued · ${PUBLIC_URL}/api/tasks/${taskId}`;
      expect(slack.received).toHaveLength(1);
      expect(slack.received[0]!.path).toBe(SECRET_PATH);
      expect(slack.received[0]!.headers['content-type']).toBe('application/json');
      expect(JSON.parse(slack.received[0]!.body)).toEqual({ text: line });
      expect(discord.received).toHaveLength(1);
      expect(JSON.parse(discord.received[0]!.body)).toEqual({ content: line, allowed_mentions: { parse: [] } });
    });

    it('POSTs the event payload to a JSON sink, and sends each sink only the event types it asked for', async () => {
      const team = await t.createTeam();
      const teamReceiver = await receiver();
      const taskReceiver = await receiver();
      const teamSink = await sinkOf(team, {
        name: 'team-changes',
        kind: 'json',
        url: teamReceiver.url(),
        events: ['TEAM_UPDATED'],
      });
      const taskSink = await sinkOf(team, {
        name: 'task-births',
        kind: 'json',
        url: taskReceiver.url(),
        events: ['TASK_CREATED'],
      });
      expect((await touchTeam(team, 4)).status).toBe(200);
      const taskId = await createTask(team, 'json-task');

      // The relay works in seq order: once the later event's delivery exists, the earlier one's does too.
      const [teamDelivery] = await settled(team, teamSink, 1);
      const [taskDelivery] = await settled(team, taskSink, 1);
      expect(teamDelivery.eventType).toBe('TEAM_UPDATED');
      expect(taskDelivery.eventType).toBe('TASK_CREATED');

      const [updated] = await eventsOf(team, 'TEAM_UPDATED');
      expect(teamReceiver.received.map((r) => JSON.parse(r.body))).toEqual([payloadOf(updated)]);
      expect(teamReceiver.received[0]!.headers).toMatchObject({
        'content-type': 'application/json',
        'heddle-event-id': updated.id,
        'heddle-event-type': 'TEAM_UPDATED',
      });
      const [born] = await eventsOf(team, 'TASK_CREATED');
      expect(born.taskId).toBe(taskId);
      expect(taskReceiver.received.map((r) => JSON.parse(r.body))).toEqual([payloadOf(born)]);

      // An empty filter takes every type.
      const all = await receiver();
      const allSink = await sinkOf(team, { name: 'everything', kind: 'json', url: all.url() });
      await touchTeam(team, 5);
      await waitFor(
        () => deliveries(team, allSink),
        (page) => page.items.some((d: any) => d.eventType === 'TEAM_UPDATED' && d.status === 'delivered'),
        { timeoutMs: 15_000, intervalMs: 100, what: 'a TEAM_UPDATED delivery to the unfiltered sink' },
      );
      expect((await deliveries(team, teamSink)).items).toHaveLength(2);
      expect((await deliveries(team, taskSink)).items).toHaveLength(1);
    });

    it('writes one JSON file per event, atomically, under <HEDDLE_FILE_SINK_ROOT>/<teamId>/', async () => {
      const team = await t.createTeam();
      const sinkId = await sinkOf(team, {
        name: 'archive',
        kind: 'file',
        filePrefix: 'heddle.events',
        events: ['TASK_CREATED', 'TEAM_UPDATED'],
      });
      const taskId = await createTask(team, 'file-task');
      await touchTeam(team, 6);
      const settledDeliveries = await settled(team, sinkId, 2);
      expect(settledDeliveries.map((d) => [d.eventType, d.status])).toEqual([
        ['TASK_CREATED', 'delivered'],
        ['TEAM_UPDATED', 'delivered'],
      ]);

      const [born] = await eventsOf(team, 'TASK_CREATED');
      const [updated] = await eventsOf(team, 'TEAM_UPDATED');
      const stamp = (e: any) =>
        new Date(e.time)
          .toISOString()
          .replace(/\.\d{3}Z$/, 'Z')
          .replace(/[-:]/g, '');
      const expected = [
        `heddle.events-TASK_CREATED-${stamp(born)}-${born.seq}.json`,
        `heddle.events-TEAM_UPDATED-${stamp(updated)}-${updated.seq}.json`,
      ];
      const dir = join(root, team.teamId);
      // Every file in the team's directory is a finished one: no temp file left behind.
      expect((await readdir(dir)).sort()).toEqual(expected.sort());
      for (const name of expected) {
        expect(name).toMatch(/^heddle\.events-[A-Z_]+-\d{8}T\d{6}Z-\d+\.json$/);
      }
      expect(JSON.parse(await readFile(join(dir, expected[0]!), 'utf8'))).toEqual(payloadOf(born));
      expect(JSON.parse(await readFile(join(dir, expected[1]!), 'utf8'))).toEqual(payloadOf(updated));
      expect(born.taskId).toBe(taskId);
      expect(settledDeliveries[0].attempts).toEqual([
        expect.objectContaining({ statusCode: 200, responseExcerpt: `wrote ${team.teamId}/${expected[0]}` }),
      ]);
      // Only the team's own directory: nothing at the root itself.
      expect((await readdir(root, { withFileTypes: true })).filter((e) => !e.isDirectory())).toEqual([]);
    });

    it('refuses to write through a team directory that is a symlink out of the root: failed at once, attempt recorded', async () => {
      const team = await t.createTeam();
      const outside = await mkdtemp(join(tmpdir(), 'heddle-outside-'));
      try {
        await symlink(outside, join(root, team.teamId));
        const sinkId = await sinkOf(team, {
          name: 'escape',
          kind: 'file',
          filePrefix: 'x',
          events: ['TEAM_UPDATED'],
        });
        await touchTeam(team, 7);
        const [delivery] = await settled(team, sinkId, 1);
        expect(delivery).toMatchObject({ status: 'failed', lastStatus: null });
        expect(delivery.attempts).toEqual([
          expect.objectContaining({
            number: 1,
            statusCode: null,
            error: expect.stringMatching(/outside the file sink root/),
          }),
        ]);
        // The team is told what went wrong, never where the operator's root is.
        expect(delivery.lastError).not.toContain(root);
        expect(await readdir(outside)).toEqual([]);
      } finally {
        await rm(outside, { recursive: true, force: true });
      }
    });

    it('retries a receiver that answered 500 on the schedule and delivers the same event', async () => {
      const team = await t.createTeam();
      const r = await receiver((n) => (n === 1 ? 500 : 200));
      const sinkId = await sinkOf(team, { name: 'flaky', kind: 'json', url: r.url(), events: ['TEAM_UPDATED'] });
      await touchTeam(team, 8);

      const failing = await waitFor(
        () => t.request('GET', `/api/sinks/${sinkId}`, { token: team.token }),
        (res) => res.body.failingSince !== null,
        { timeoutMs: 10_000, intervalMs: 100, what: 'the sink to be failing' },
      );
      expect(failing.value.body.disabledAt).toBeNull();
      const pending = (await deliveries(team, sinkId, '?status=pending')).items;
      expect(pending).toEqual([
        expect.objectContaining({ status: 'pending', lastStatus: 500, nextAttemptAt: expect.any(String) }),
      ]);

      const [delivery] = await settled(team, sinkId, 1, 20_000);
      expect(delivery).toMatchObject({ status: 'delivered', lastStatus: 200, lastError: null });
      expect(delivery.attempts.map((a: any) => [a.number, a.statusCode])).toEqual([
        [1, 500],
        [2, 200],
      ]);
      expect(delivery.attempts[0].responseExcerpt).toBe('no (500)');
      expect(r.received).toHaveLength(2);
      expect(r.received[1]!.body).toBe(r.received[0]!.body);
      expect(r.received[1]!.at - r.received[0]!.at).toBeGreaterThanOrEqual(3_900);
      // A success clears the failure clock.
      await waitFor(
        () => t.request('GET', `/api/sinks/${sinkId}`, { token: team.token }),
        (res) => res.body.failingSince === null,
        { timeoutMs: 5_000, what: 'failingSince cleared' },
      );
    });

    it('holds one slow sink to WEBHOOK_ENDPOINT_CONCURRENCY attempts at once while other sinks keep flowing', async () => {
      const team = await t.createTeam();
      const slow = await receiver(undefined, 600);
      const fast = await receiver();
      const slowId = await sinkOf(team, { name: 'slow', kind: 'json', url: slow.url(), events: ['TEAM_UPDATED'] });
      const fastId = await sinkOf(team, { name: 'fast', kind: 'json', url: fast.url(), events: ['TEAM_UPDATED'] });
      for (const maxTurns of [1, 2, 3]) await touchTeam(team, maxTurns);

      const toFast = await settled(team, fastId, 3);
      const toSlow = await settled(team, slowId, 3);
      expect([...toFast, ...toSlow].every((d) => d.status === 'delivered' && d.attempts.length === 1)).toBe(true);
      expect(slow.maxInFlight).toBe(1);
      // The fast receiver had everything before the slow one got its last event.
      expect(fast.received).toHaveLength(3);
      expect(fast.received[2]!.at).toBeLessThan(slow.received[2]!.at);
    });

    it('fails a 410 at once; a sink failing past WEBHOOK_DISABLE_AFTER_SECONDS is disabled with SINK_DISABLED', async () => {
      const team = await t.createTeam();
      const gone = await receiver(() => 410);
      const control = await receiver();
      const sinkId = await sinkOf(team, {
        name: 'gone',
        kind: 'slack',
        url: gone.url(SECRET_PATH),
        events: ['TEAM_UPDATED'],
      });
      const controlId = await sinkOf(team, {
        name: 'control',
        kind: 'json',
        url: control.url(),
        events: ['TEAM_UPDATED', 'SINK_DISABLED'],
      });

      await touchTeam(team, 2);
      const [first] = await settled(team, sinkId, 1);
      expect(first).toMatchObject({ status: 'failed', lastStatus: 410, lastError: 'HTTP 410', nextAttemptAt: null });
      expect(first.attempts).toEqual([expect.objectContaining({ number: 1, statusCode: 410 })]);
      expect(gone.received).toHaveLength(1);
      const failing = await waitFor(
        () => t.request('GET', `/api/sinks/${sinkId}`, { token: team.token }),
        (res) => res.body.failingSince !== null,
        { timeoutMs: 5_000, what: 'the sink to be failing' },
      );
      expect(failing.value.body.disabledAt).toBeNull();

      // It has been failing for six days (the default limit is five).
      await t
        .get(PrismaService)
        .sink.update({ where: { id: sinkId }, data: { failingSince: new Date(Date.now() - 6 * 86_400_000) } });
      await touchTeam(team, 3);
      await settled(team, sinkId, 2);
      const disabled = await waitFor(
        () => t.request('GET', `/api/sinks/${sinkId}`, { token: team.token }),
        (res) => res.body.disabledAt !== null,
        { timeoutMs: 5_000, what: 'the sink to be disabled' },
      );
      expect(disabled.value.body).toMatchObject({ enabled: true, failingSince: expect.any(String) });
      const [event] = await eventsOf(team, 'SINK_DISABLED');
      expect(event.data).toMatchObject({ sinkId, name: 'gone', kind: 'slack', status: 'disabled' });
      expect(JSON.stringify(event)).not.toMatch(/s3cr3t/);

      // A disabled sink gets no more deliveries; the others carry on (and hear about it).
      await touchTeam(team, 4);
      const toControl = await settled(team, controlId, 4);
      expect(toControl.map((d) => d.eventType)).toEqual([
        'TEAM_UPDATED',
        'TEAM_UPDATED',
        'SINK_DISABLED',
        'TEAM_UPDATED',
      ]);
      expect((await deliveries(team, sinkId)).items).toHaveLength(2);
      expect(gone.received).toHaveLength(2);

      const again = await t.request('PATCH', `/api/sinks/${sinkId}`, { token: team.token, body: { enabled: true } });
      expect(again.body).toMatchObject({ enabled: true, disabledAt: null, failingSince: null });
    });
  });
});

describe('notification sinks without HEDDLE_FILE_SINK_ROOT (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    // Empty counts as unset, whatever the developer's environment says.
    t = await TestApp.create({ env: { HEDDLE_OUTBOUND_ALLOW: '127.0.0.1', HEDDLE_FILE_SINK_ROOT: '' } });
  });
  afterAll(() => t.close());

  it('refuses to create a file sink, saying why; other kinds still work', async () => {
    const team = await t.createTeam();
    const res = await t.request('POST', '/api/sinks', {
      token: team.token,
      body: { name: 'archive', kind: 'file', filePrefix: 'heddle' },
    });
    expectErrorBody(res, 400, 'sink/file_sinks_off');
    expect(res.body.message).toMatch(/HEDDLE_FILE_SINK_ROOT/);
    expect(res.body.details).toEqual([{ field: 'kind', errors: [expect.stringMatching(/HEDDLE_FILE_SINK_ROOT/)] }]);
    const json = await t.request('POST', '/api/sinks', {
      token: team.token,
      body: { name: 'json', kind: 'json', url: 'http://127.0.0.1:9/hook' },
    });
    expect(json.status).toBe(201);
  });
});
