import { PrismaService } from '@heddle/db';
import { HostSecrets, HostSelectionService, HostsService } from '@heddle/hosts';
import { FakeOpencode, TestApp, TestTeam, expectErrorBody, startFakeOpencode, waitFor } from '@heddle/testing';

const PASSWORD = 'fake-host-pa55word-never-shown';

describe('hosts', () => {
  let t: TestApp;
  let fake: FakeOpencode;

  beforeAll(async () => {
    // Loopback is where the fake hosts listen; an operator allows it the same way.
    t = await TestApp.create({ env: { HEDDLE_OUTBOUND_ALLOW: '127.0.0.1,::1', HOST_OFFLINE_AFTER_FAILURES: '2' } });
    fake = await startFakeOpencode({ password: PASSWORD });
  });

  afterAll(async () => {
    await fake.stop();
    await t.close();
  });

  /** POST /api/hosts; `workspaceRoots` is required, so it defaults to ['/srv'] here (pass undefined to leave it out). */
  const register = (team: TestTeam, body: Record<string, unknown>) =>
    t.request('POST', '/api/hosts', { token: team.token, body: { workspaceRoots: ['/srv'], ...body } });

  describe('registry', () => {
    it('registers, reads, lists, changes and removes a host; the password never comes back', async () => {
      const team = await t.createTeam();
      const created = await register(team, {
        name: 'box-1',
        baseUrl: fake.baseUrl,
        password: PASSWORD,
        labels: ['linux', 'gpu'],
        workspaceRoots: ['/srv/repos', '/home/ci/work', '/srv/repos'],
        maxSessions: 2,
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        name: 'box-1',
        baseUrl: fake.baseUrl,
        labels: ['linux', 'gpu'],
        workspaceRoots: ['/srv/repos', '/home/ci/work'], // duplicates dropped
        maxSessions: 2,
        enabled: true,
        status: 'unknown',
        hasPassword: true,
        activeSessions: 0,
      });
      expect(JSON.stringify(created.body)).not.toContain(PASSWORD);
      expect(created.body).not.toHaveProperty('password');
      const id = created.body.id as string;

      const read = await t.request('GET', `/api/hosts/${id}`, { token: team.token });
      expect(read.status).toBe(200);
      expect(read.body.workspaceRoots).toEqual(['/srv/repos', '/home/ci/work']);
      expect(JSON.stringify(read.body)).not.toContain(PASSWORD);

      await register(team, { name: 'box-2', baseUrl: fake.baseUrl, labels: ['linux'], enabled: false });
      const all = await t.request('GET', '/api/hosts?limit=1', { token: team.token });
      expect(all.body.items).toHaveLength(1);
      expect(all.body.nextCursor).toEqual(expect.any(String));
      const page2 = await t.request('GET', `/api/hosts?limit=1&cursor=${all.body.nextCursor}`, { token: team.token });
      expect(page2.body.items).toHaveLength(1);
      expect(page2.body.nextCursor).toBeNull();
      expect(new Set([all.body.items[0].name, page2.body.items[0].name])).toEqual(new Set(['box-1', 'box-2']));
      expect(
        (await t.request('GET', '/api/hosts?label=gpu', { token: team.token })).body.items.map((h: any) => h.name),
      ).toEqual(['box-1']);
      expect(
        (await t.request('GET', '/api/hosts?enabled=false', { token: team.token })).body.items.map((h: any) => h.name),
      ).toEqual(['box-2']);

      const patched = await t.request('PATCH', `/api/hosts/${id}`, {
        token: team.token,
        body: { labels: ['linux'], maxSessions: 8, password: null },
      });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ labels: ['linux'], maxSessions: 8, hasPassword: false });
      expect(patched.body.workspaceRoots).toEqual(['/srv/repos', '/home/ci/work']); // untouched
      const narrowed = await t.request('PATCH', `/api/hosts/${id}`, {
        token: team.token,
        body: { workspaceRoots: ['/srv/repos/api', '/srv/repos/api'] },
      });
      expect(narrowed.status).toBe(200);
      expect(narrowed.body.workspaceRoots).toEqual(['/srv/repos/api']);
      const listed = await t.request('GET', '/api/hosts?label=gpu', { token: team.token });
      expect(listed.body.items).toEqual([]); // labels changed above
      expect(
        (await t.request('GET', '/api/hosts?enabled=true', { token: team.token })).body.items.map(
          (h: any) => h.workspaceRoots,
        ),
      ).toEqual([['/srv/repos/api']]);

      expect((await t.request('DELETE', `/api/hosts/${id}`, { token: team.token })).status).toBe(204);
      expectErrorBody(await t.request('GET', `/api/hosts/${id}`, { token: team.token }), 404, 'host/not_found');

      const audit = await t.request('GET', '/api/audit?limit=100', { token: team.token });
      expect(audit.body.items.map((a: any) => a.action)).toEqual(
        expect.arrayContaining(['host.create', 'host.update', 'host.delete']),
      );
      // Roots are audited like the other host fields, on create and on change.
      const rootsAudit = audit.body.items
        .filter((a: any) => a.action === 'host.create' || a.action === 'host.update')
        .map((a: any) => [a.action, a.details.workspaceRoots]);
      expect(rootsAudit).toEqual(
        expect.arrayContaining([
          ['host.create', ['/srv/repos', '/home/ci/work']],
          ['host.update', ['/srv/repos/api']],
        ]),
      );
      expect(JSON.stringify(audit.body)).not.toContain(PASSWORD);
      const events = await t.request('GET', '/api/events', { token: team.token });
      expect(events.body.items.map((e: any) => e.type)).toEqual(
        expect.arrayContaining(['HOST_REGISTERED', 'HOST_UPDATED', 'HOST_DELETED']),
      );
      expect(JSON.stringify(events.body)).not.toContain(PASSWORD);
    });

    it('stores the password encrypted, bound to the team', async () => {
      const team = await t.createTeam();
      const created = await register(team, { name: 'sealed', baseUrl: fake.baseUrl, password: PASSWORD });
      const row = await t.get(PrismaService).host.findUniqueOrThrow({ where: { id: created.body.id } });
      expect(row.passwordEnc).toMatch(/^v1\./);
      expect(row.passwordEnc).not.toContain(PASSWORD);
      expect(t.get(HostSecrets).open(team.teamId, row.passwordEnc!)).toBe(PASSWORD);
      const other = await t.createTeam();
      expect(() => t.get(HostSecrets).open(other.teamId, row.passwordEnc!)).toThrow();
    });

    it('refuses a second host with the same name in a team (409), but another team may use it', async () => {
      const team = await t.createTeam();
      expect((await register(team, { name: 'twin', baseUrl: fake.baseUrl })).status).toBe(201);
      const dup = await register(team, { name: 'twin', baseUrl: fake.baseUrl });
      expectErrorBody(dup, 409, 'host/name_taken');
      expect(dup.body.details).toEqual({ fields: ['name'] });
      expect((await register(await t.createTeam(), { name: 'twin', baseUrl: fake.baseUrl })).status).toBe(201);
    });

    it('validates the body: bad labels, maxSessions, unknown fields, null name', async () => {
      const team = await t.createTeam();
      for (const [body, field] of [
        [{ name: 'x', baseUrl: fake.baseUrl, labels: ['Has Space'] }, 'labels'],
        [{ name: 'x', baseUrl: fake.baseUrl, maxSessions: 0 }, 'maxSessions'],
        [{ name: 'x', baseUrl: fake.baseUrl, colour: 'red' }, 'colour'],
        [{ name: null, baseUrl: fake.baseUrl }, 'name'],
        [{ name: 'x' }, 'baseUrl'],
      ] as const) {
        const res = await register(team, body);
        expectErrorBody(res, 400, 'request/validation_failed');
        expect(res.body.details.map((d: any) => d.field)).toContain(field);
      }
    });

    it('validates workspaceRoots: required on create, 1–32 absolute normalised paths, never null; 400 naming it', async () => {
      const team = await t.createTeam();
      const long = `/${'a'.repeat(1024)}`;
      for (const [roots, message] of [
        [undefined, /workspaceRoots/],
        [null, /workspaceRoots/],
        ['/srv', /workspaceRoots/],
        [[], /workspaceRoots must name at least one directory/],
        [Array.from({ length: 33 }, (_, i) => `/srv/${i}`), /workspaceRoots must name at most 32 directories/],
        [['srv/repos'], /workspaceRoots\[0\] must be an absolute path/],
        [['/srv', ''], /workspaceRoots\[1\] must not be empty/],
        [['/srv/../etc'], /workspaceRoots\[0\] must be normalised/],
        [['/srv/./repos'], /workspaceRoots\[0\] must be normalised/],
        [['//srv'], /workspaceRoots\[0\] must be normalised/],
        [['/srv/'], /workspaceRoots\[0\] must not end with a slash/],
        [['/srv\u0000x'], /workspaceRoots\[0\] must not contain NUL/],
        [[long], /workspaceRoots\[0\] must be at most 1024 characters/],
        [[42], /workspaceRoots\[0\] must be a string/],
      ] as const) {
        const res = await register(team, { name: 'roots', baseUrl: fake.baseUrl, workspaceRoots: roots });
        expectErrorBody(res, 400, 'request/validation_failed');
        // (A NUL is refused before validation, naming the entry: `workspaceRoots[0]`.)
        const detail = res.body.details.find((d: any) => String(d.field).startsWith('workspaceRoots'));
        if (!detail)
          throw new Error(`no workspaceRoots error for ${JSON.stringify(roots)}: ${JSON.stringify(res.body)}`);
        expect(detail.errors.join('; ')).toMatch(message);
      }
      // The edges that are fine: "/" itself, 32 entries, 1024 characters.
      const ok = await register(team, {
        name: 'edges',
        baseUrl: fake.baseUrl,
        workspaceRoots: ['/', `/${'a'.repeat(1023)}`, ...Array.from({ length: 30 }, (_, i) => `/srv/${i}`)],
      });
      expect(ok.status).toBe(201);
      expect(ok.body.workspaceRoots).toHaveLength(32);

      // PATCH: optional, but when given the same rules, and never null.
      const id = ok.body.id as string;
      for (const roots of [null, [], ['relative'], ['/a/']]) {
        const res = await t.request('PATCH', `/api/hosts/${id}`, {
          token: team.token,
          body: { workspaceRoots: roots },
        });
        expectErrorBody(res, 400, 'request/validation_failed');
        expect(res.body.details.map((d: any) => d.field)).toContain('workspaceRoots');
      }
      expect((await t.request('GET', `/api/hosts/${id}`, { token: team.token })).body.workspaceRoots).toHaveLength(32);
    });

    it("answers 404 for another team's host on every route", async () => {
      const a = await t.createTeam();
      const b = await t.createTeam();
      const id = (await register(a, { name: 'mine', baseUrl: fake.baseUrl })).body.id as string;
      for (const [method, url, body] of [
        ['GET', `/api/hosts/${id}`, undefined],
        ['PATCH', `/api/hosts/${id}`, { maxSessions: 3 }],
        ['POST', `/api/hosts/${id}/probe`, undefined],
        ['DELETE', `/api/hosts/${id}`, undefined],
      ] as const) {
        expectErrorBody(await t.request(method, url, { token: b.token, body }), 404, 'host/not_found');
      }
      expect((await t.request('GET', '/api/hosts', { token: b.token })).body.items).toEqual([]);
      expect((await t.request('GET', `/api/hosts/${id}`, { token: a.token })).body.maxSessions).toBe(4);
    });
  });

  describe('outbound URL policy', () => {
    it.each([
      ['http://169.254.169.254/', /never allowed/],
      ['http://[fe80::1]:4096/', /never allowed/],
      ['http://metadata.google.internal/', /metadata service/],
      ['ftp://example.com/', /only http and https/],
      ['http://user:pw@127.0.0.1:1/', /credentials do not belong/],
    ])('refuses %s even when loopback is allowed', async (baseUrl, reason) => {
      const team = await t.createTeam();
      const res = await register(team, { name: 'evil', baseUrl });
      expectErrorBody(res, 400, 'outbound/refused');
      expect(res.body.message).toMatch(reason);
      expect(res.body.details).toEqual([{ field: 'baseUrl', errors: [expect.stringMatching(reason)] }]);
    });

    it('refuses a hostname that resolves to loopback unless HEDDLE_OUTBOUND_ALLOW covers it', async () => {
      const strict = await TestApp.create();
      try {
        const team = await strict.createTeam();
        const res = await strict.request('POST', '/api/hosts', {
          token: team.token,
          body: { name: 'sneaky', baseUrl: `http://localhost:${fake.port}`, workspaceRoots: ['/srv'] },
        });
        expectErrorBody(res, 400, 'outbound/refused');
        expect(res.body.message).toMatch(/resolves to (127\.0\.0\.1|::1), a private or loopback address/);
        const tenNet = await strict.request('POST', '/api/hosts', {
          token: team.token,
          body: { name: 'lan', baseUrl: 'http://10.1.2.3:4096', workspaceRoots: ['/srv'] },
        });
        expectErrorBody(tenNet, 400, 'outbound/refused');
      } finally {
        await strict.close();
      }
      const team = await t.createTeam();
      expect((await register(team, { name: 'allowed', baseUrl: `http://localhost:${fake.port}` })).status).toBe(201);
    });
  });

  describe('probing', () => {
    it('probes now: online with the version; a wrong password or a dead port is an error, recorded on the host', async () => {
      const team = await t.createTeam();
      const good = (await register(team, { name: 'good', baseUrl: fake.baseUrl, password: PASSWORD })).body
        .id as string;
      const probe = await t.request('POST', `/api/hosts/${good}/probe`, { token: team.token });
      expect(probe.status).toBe(200);
      expect(probe.body).toEqual({ status: 'online', version: '1.18.34', latencyMs: expect.any(Number) });
      const host = (await t.request('GET', `/api/hosts/${good}`, { token: team.token })).body;
      expect(host).toMatchObject({
        status: 'online',
        version: '1.18.34',
        lastError: null,
        lastProbeAt: expect.any(String),
      });

      const wrong = (await register(team, { name: 'wrong-pw', baseUrl: fake.baseUrl, password: 'nope' })).body
        .id as string;
      const denied = await t.request('POST', `/api/hosts/${wrong}/probe`, { token: team.token });
      expect(denied.body.error).toMatch(/auth/i);
      expect(JSON.stringify(denied.body)).not.toContain('nope');

      const dead = await startFakeOpencode();
      const deadUrl = dead.baseUrl;
      await dead.stop();
      const gone = (await register(team, { name: 'gone', baseUrl: deadUrl })).body.id as string;
      const refused = await t.request('POST', `/api/hosts/${gone}/probe`, { token: team.token });
      expect(refused.body.error).toMatch(/unreachable|refused/i);
      expect((await t.request('GET', `/api/hosts/${gone}`, { token: team.token })).body.lastError).toMatch(
        /unreachable|refused/i,
      );
    });
  });
});

describe('host-health consumer', () => {
  let t: TestApp;
  let fake: FakeOpencode;

  beforeAll(async () => {
    t = await TestApp.create({
      withWorkers: true,
      env: {
        HEDDLE_OUTBOUND_ALLOW: '127.0.0.1',
        HOST_PROBE_INTERVAL_MS: '1000',
        HOST_OFFLINE_AFTER_FAILURES: '2',
        HOST_PROBE_TIMEOUT_MS: '1000',
      },
    });
    fake = await startFakeOpencode({ password: PASSWORD });
  });

  afterAll(async () => {
    await fake.stop();
    await t.close();
  });

  it('flips a host offline when its server stops and online when it returns, one event each way', async () => {
    const team = await t.createTeam();
    const id = (
      await t.request('POST', '/api/hosts', {
        token: team.token,
        body: { name: 'watched', baseUrl: fake.baseUrl, password: PASSWORD, workspaceRoots: ['/srv'] },
      })
    ).body.id;
    const status = () =>
      t.request('GET', `/api/hosts/${id}`, { token: team.token }).then((r) => r.body.status as string);
    const events = async () =>
      (await t.request('GET', `/api/events?hostId=${id}`, { token: team.token })).body.items
        .map((e: any) => e.type)
        .filter((type: string) => type === 'HOST_ONLINE' || type === 'HOST_OFFLINE');

    await waitFor(status, (s) => s === 'online', { timeoutMs: 10_000, what: 'host online' });
    await fake.setUnreachable(true);
    await waitFor(status, (s) => s === 'offline', { timeoutMs: 15_000, what: 'host offline' });
    await fake.setUnreachable(false);
    await waitFor(status, (s) => s === 'online', { timeoutMs: 15_000, what: 'host back online' });

    expect(await events()).toEqual(['HOST_ONLINE', 'HOST_OFFLINE', 'HOST_ONLINE']);
    const offline = (await t.request('GET', `/api/events?hostId=${id}&type=HOST_OFFLINE`, { token: team.token })).body
      .items[0];
    expect(offline.data).toMatchObject({ name: 'watched', status: 'offline', failures: 2, error: expect.any(String) });
  }, 60_000);

  it('does not probe disabled hosts', async () => {
    const team = await t.createTeam();
    const id = (
      await t.request('POST', '/api/hosts', {
        token: team.token,
        body: { name: 'off', baseUrl: fake.baseUrl, password: PASSWORD, workspaceRoots: ['/srv'], enabled: false },
      })
    ).body.id;
    // Another host of the same team, probed on the same schedule, shows the sweeps ran.
    const probed = (
      await t.request('POST', '/api/hosts', {
        token: team.token,
        body: { name: 'on', baseUrl: fake.baseUrl, password: PASSWORD, workspaceRoots: ['/srv'] },
      })
    ).body.id;
    const lastProbe = () =>
      t.request('GET', `/api/hosts/${probed}`, { token: team.token }).then((r) => r.body.lastProbeAt as string | null);
    const first = (await waitFor(lastProbe, Boolean, { timeoutMs: 10_000, what: 'a first probe' })).value;
    await waitFor(lastProbe, (at) => at !== first, { timeoutMs: 10_000, what: 'a later sweep' });
    const off = (await t.request('GET', `/api/hosts/${id}`, { token: team.token })).body;
    expect(off).toMatchObject({ status: 'unknown', lastProbeAt: null });
  }, 30_000);
});

describe('host selection', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await TestApp.create({ env: { HEDDLE_OUTBOUND_ALLOW: '127.0.0.1' } });
  });

  afterAll(() => t.close());

  async function host(
    team: TestTeam,
    name: string,
    fields: {
      labels?: string[];
      status?: string;
      activeSessions?: number;
      maxSessions?: number;
      enabled?: boolean;
      workspaceRoots?: string[];
    },
  ) {
    const created = await t.get(HostsService).upsertByName(
      team.teamId,
      { system: 'test' },
      {
        name,
        baseUrl: 'http://127.0.0.1:9',
        labels: fields.labels ?? [],
        workspaceRoots: fields.workspaceRoots ?? ['/'],
        maxSessions: fields.maxSessions ?? 4,
        enabled: fields.enabled ?? true,
      },
    );
    await t.get(PrismaService).host.update({
      where: { id: created.id },
      data: { status: fields.status ?? 'online', activeSessions: fields.activeSessions ?? 0 },
    });
    return created.id;
  }

  it('picks the least loaded online host carrying every label, with a free session', async () => {
    const team = await t.createTeam();
    await host(team, 'busy', { labels: ['linux', 'gpu'], activeSessions: 3 });
    const idle = await host(team, 'idle', { labels: ['linux', 'gpu'], activeSessions: 1 });
    await host(team, 'nolabel', { labels: ['linux'] });
    await host(team, 'down', { labels: ['linux', 'gpu'], status: 'offline' });
    const selection = await t.get(HostSelectionService).select(team.teamId, { labels: ['gpu', 'linux'] });
    expect(selection).toMatchObject({ ok: true, host: { id: idle } });
  });

  it('says why when nothing fits', async () => {
    const team = await t.createTeam();
    const select = (labels: string[]) => t.get(HostSelectionService).select(team.teamId, { labels });
    expect(await select(['gpu'])).toEqual({ ok: false, reason: 'no enabled host with labels [gpu]' });
    await host(team, 'full', { labels: ['gpu'], activeSessions: 2, maxSessions: 2 });
    await host(team, 'degraded', { labels: ['gpu'], status: 'degraded' });
    await host(team, 'disabled', { labels: ['gpu'], enabled: false });
    const none = await select(['gpu']);
    expect(none.ok).toBe(false);
    expect(!none.ok && none.reason).toMatch(/full: is at capacity \(2\/2 sessions\)/);
    expect(!none.ok && none.reason).toMatch(/degraded: is degraded/);
    expect(!none.ok && none.reason).not.toMatch(/disabled/);
  });

  it('passes over hosts whose roots cannot contain the workspace, and says so; none can → outsideRoots', async () => {
    const team = await t.createTeam();
    const select = (workspace: string) =>
      t.get(HostSelectionService).select(team.teamId, { labels: ['roots'] }, { workspace });
    const wide = await host(team, 'wide', { labels: ['roots'], workspaceRoots: ['/srv'], activeSessions: 3 });
    const narrow = await host(team, 'narrow', { labels: ['roots'], workspaceRoots: ['/srv/repos/api'] });
    // The less loaded host is picked only when its roots contain the workspace.
    expect(await select('/srv/repos/api/sub')).toMatchObject({ ok: true, host: { id: narrow } });
    expect(await select('/srv/repos/web')).toMatchObject({ ok: true, host: { id: wide } });
    // Lexical: "/srv/repos/apix" is not under "/srv/repos/api".
    expect(await select('/srv/repos/apix')).toMatchObject({ ok: true, host: { id: wide } });
    const none = await select('/etc');
    expect(none).toEqual({
      ok: false,
      outsideRoots: true,
      reason:
        'no enabled host with labels [roots] has a workspace root containing /etc (wide: [/srv]; narrow: [/srv/repos/api])',
    });
    // A host that could contain it but is busy: wait (no outsideRoots), naming both reasons.
    await t.get(PrismaService).host.update({ where: { id: wide }, data: { activeSessions: 4 } });
    const busy = await select('/srv/repos/web');
    expect(busy).toMatchObject({ ok: false });
    expect(busy).not.toHaveProperty('outsideRoots');
    expect(!busy.ok && busy.reason).toMatch(/wide: is at capacity/);
    expect(!busy.ok && busy.reason).toMatch(
      /narrow: workspace \/srv\/repos\/web is outside its roots \[\/srv\/repos\/api\]/,
    );
  });

  it('selects by id within the team only, and says why a named host does not fit', async () => {
    const a = await t.createTeam();
    const b = await t.createTeam();
    const id = await host(a, 'named', { status: 'offline' });
    expect(await t.get(HostSelectionService).select(b.teamId, { hostId: id })).toEqual({
      ok: false,
      reason: `host ${id} does not exist`,
    });
    expect(await t.get(HostSelectionService).select(a.teamId, { hostId: id })).toEqual({
      ok: false,
      reason: 'host named is offline',
    });
    await t.get(PrismaService).host.update({ where: { id }, data: { status: 'online' } });
    expect(await t.get(HostSelectionService).select(a.teamId, { hostId: id })).toMatchObject({
      ok: true,
      host: { id },
    });
  });
});
