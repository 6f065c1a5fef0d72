import { randomUUID } from 'node:crypto';
import { sign } from '@octokit/webhooks-methods';
import { PrismaService } from '@heddle/db';
import { HookSecrets } from '@heddle/hooks';
import { TestApp, TestTeam, expectErrorBody } from '@heddle/testing';

/**
 * Inbound webhooks end to end: sources made over the API, deliveries signed with
 * @octokit/webhooks-methods (the verifier's own `sign`), tasks made through the real TasksService.
 */

/** An `issue_comment` delivery shaped as GitHub sends it (the fields Heddle reads, and their neighbours). */
function issueComment(body: string, repo = 'acme/api', sender = { login: 'alice', id: 1, type: 'User' }) {
  const [owner, name] = repo.split('/');
  return {
    action: 'created',
    issue: {
      url: `https://api.github.com/repos/${repo}/issues/42`,
      html_url: `https://github.com/${repo}/issues/42`,
      id: 1001,
      number: 42,
      title: 'Flaky test in api',
      user: { login: 'bob', id: 2, type: 'User' },
      labels: [{ id: 3, name: 'bug', color: 'd73a4a' }],
      state: 'open',
      comments: 1,
      body: 'tests/api.spec.ts fails one run in ten',
    },
    comment: {
      id: 2001,
      html_url: `https://github.com/${repo}/issues/42#issuecomment-2001`,
      user: sender,
      created_at: '2026-11-23T12:00:00Z',
      body,
    },
    repository: {
      id: 7,
      name,
      full_name: repo,
      private: false,
      owner: { login: owner, id: 9, type: 'Organization' },
      html_url: `https://github.com/${repo}`,
      default_branch: 'main',
    },
    sender,
  };
}

describe('inbound webhooks (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await TestApp.create();
  });

  afterAll(async () => {
    await t.close();
  });

  async function githubSource(team: TestTeam, config: Record<string, unknown> = {}) {
    const res = await t.request('POST', '/api/hook-sources', {
      token: team.token,
      body: {
        name: 'gh',
        kind: 'github',
        config: { repos: { 'acme/api': '/srv/repos/api' }, label: 'heddle', ...config },
      },
    });
    expect(res.status).toBe(201);
    return res.body as { id: string; path: string; secret: string };
  }

  async function deliver(
    path: string,
    secret: string,
    event: string,
    payload: unknown,
    delivery = randomUUID(),
    signature?: string,
  ) {
    const raw = JSON.stringify(payload);
    return t.request('POST', path, {
      rawBody: raw,
      headers: {
        'x-github-event': event,
        'x-github-delivery': delivery,
        'x-hub-signature-256': signature ?? (await sign(secret, raw)),
        'user-agent': 'GitHub-Hookshot/abc123',
      },
    });
  }

  it('keeps the secret sealed and shows it once; another team gets 404', async () => {
    const team = await t.createTeam('hooks');
    const source = await githubSource(team);
    expect(source.secret).toMatch(/^hks_/);
    expect(source.path).toBe(`/api/hooks/${source.id}`);

    const row = await t.get(PrismaService).hookSource.findUniqueOrThrow({ where: { id: source.id } });
    expect(row.secretEnc).not.toContain(source.secret);
    expect(t.get(HookSecrets).open(team.teamId, source.id, row.secretEnc)).toBe(source.secret);

    const read = await t.request('GET', `/api/hook-sources/${source.id}`, { token: team.token });
    expect(read.status).toBe(200);
    expect(read.body).not.toHaveProperty('secret');
    expect(read.body.config).toEqual({ repos: { 'acme/api': '/srv/repos/api' }, trigger: '/heddle', label: 'heddle' });
    const list = await t.request('GET', '/api/hook-sources', { token: team.token });
    expect(list.body.items.map((s: { id: string }) => s.id)).toEqual([source.id]);
    expect(JSON.stringify(list.body)).not.toContain(source.secret);

    const other = await t.createTeam('hooks-other');
    for (const [method, url] of [
      ['GET', `/api/hook-sources/${source.id}`],
      ['PATCH', `/api/hook-sources/${source.id}`],
      ['DELETE', `/api/hook-sources/${source.id}`],
      ['POST', `/api/hook-sources/${source.id}/rotate-secret`],
      ['GET', `/api/hook-sources/${source.id}/deliveries`],
    ] as const) {
      const res = await t.request(method, url, {
        token: other.token,
        ...(method === 'PATCH' ? { body: { enabled: false } } : {}),
      });
      expectErrorBody(res, 404, 'hook_source/not_found');
    }

    const rotated = await t.request('POST', `/api/hook-sources/${source.id}/rotate-secret`, { token: team.token });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(source.secret);
    const stale = await deliver(source.path, source.secret, 'issue_comment', issueComment('/heddle go'));
    expectErrorBody(stale, 401, 'hook/unauthorized');

    expect((await t.request('DELETE', `/api/hook-sources/${source.id}`, { token: team.token })).status).toBe(204);
  });

  it('keeps accepting the replaced secret during a rotation grace period, and only then', async () => {
    const team = await t.createTeam('hooks');
    const source = await githubSource(team);
    const rotate = (body?: Record<string, unknown>) =>
      t.request('POST', `/api/hook-sources/${source.id}/rotate-secret`, {
        token: team.token,
        ...(body ? { body } : {}),
      });

    expectErrorBody(await rotate({ graceSeconds: 8 * 24 * 3600 }), 400, 'request/validation_failed');
    const first = await rotate({ graceSeconds: 3600 });
    expect(first.status).toBe(200);
    expect(Date.parse(first.body.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(3500_000);
    const read = await t.request('GET', `/api/hook-sources/${source.id}`, { token: team.token });
    expect(read.body.previousSecretExpiresAt).toBe(first.body.previousSecretExpiresAt);

    const comment = (n: number) => issueComment(`/heddle fix ${n}`);
    expect((await deliver(source.path, source.secret, 'issue_comment', comment(1))).status).toBe(201);
    expect((await deliver(source.path, first.body.secret, 'issue_comment', comment(2))).status).toBe(201);
    expectErrorBody(await deliver(source.path, 'hks_guess', 'issue_comment', comment(3)), 401, 'hook/unauthorized');

    // The grace period ends: the replaced secret is refused, the new one still works.
    await t.get(PrismaService).hookSource.update({
      where: { id: source.id },
      data: { previousSecretExpiresAt: new Date(Date.now() - 1000) },
    });
    expectErrorBody(await deliver(source.path, source.secret, 'issue_comment', comment(4)), 401, 'hook/unauthorized');
    expect((await deliver(source.path, first.body.secret, 'issue_comment', comment(5))).status).toBe(201);

    // A rotation without grace (a leaked secret) ends every earlier secret at once.
    const second = await rotate();
    expect(second.body.previousSecretExpiresAt).toBeNull();
    expectErrorBody(
      await deliver(source.path, first.body.secret, 'issue_comment', comment(6)),
      401,
      'hook/unauthorized',
    );
    expect((await deliver(source.path, second.body.secret, 'issue_comment', comment(7))).status).toBe(201);
  });

  it('needs webhooks:write to manage sources', async () => {
    const team = await t.createTeam('hooks');
    const reader = await t.createToken(team, ['webhooks:read', 'tasks:write']);
    const res = await t.request('POST', '/api/hook-sources', {
      token: reader,
      body: { name: 'gh', kind: 'github', config: { repos: { 'acme/api': '/srv/x' } } },
    });
    expectErrorBody(res, 403, 'auth/missing_scope');
  });

  it('rejects bad configs naming the field', async () => {
    const team = await t.createTeam('hooks');
    const cases: [Record<string, unknown>, string][] = [
      [{ kind: 'github', config: { repos: { 'acme/api': 'relative/path' } } }, 'config.repos.acme/api'],
      [{ kind: 'github', config: { repos: {} } }, 'config.repos'],
      [{ kind: 'github', config: { repos: { 'a/b': '/x' }, template: { goal: 'x' } } }, 'config.template'],
      [{ kind: 'generic', config: { template: { goal: '{{ body }}', workspace: '/x' } } }, 'config.template.goal'],
      [{ kind: 'generic', config: { template: { goal: '{{ $.body }}' } } }, 'config.template.workspace'],
      [
        { kind: 'generic', config: { template: { goal: 'x', workspace: '/x' }, task: { checks: [{ type: 'nope' }] } } },
        'config.task.checks',
      ],
    ];
    for (const [body, field] of cases) {
      const res = await t.request('POST', '/api/hook-sources', { token: team.token, body: { name: 'x', ...body } });
      expectErrorBody(res, 400);
      expect({ body, fields: (res.body.details as { field: string }[]).map((d) => d.field) }).toEqual({
        body,
        fields: expect.arrayContaining([expect.stringMatching(new RegExp(`^${field.replace(/[.[\]]/g, '\\$&')}`))]),
      });
    }
  });

  it('turns a GitHub comment with the trigger into one task, even when redelivered', async () => {
    const team = await t.createTeam('hooks');
    const source = await githubSource(team, { task: { labels: ['linux'] } });
    const delivery = randomUUID();
    const payload = issueComment('Thanks!\n/heddle fix the flaky test');

    const first = await deliver(source.path, source.secret, 'issue_comment', payload, delivery);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ status: 'created', deliveryId: delivery });
    const task = await t.request('GET', `/api/tasks/${first.body.taskId}`, { token: team.token });
    expect(task.body).toMatchObject({
      name: 'acme/api#42 Flaky test in api',
      workspace: '/srv/repos/api',
      labels: ['linux'],
      status: 'queued',
    });
    expect(task.body.goal).toMatch(/^fix the flaky test\n/);
    expect(task.body.goal).toContain('https://github.com/acme/api/issues/42#issuecomment-2001');

    const again = await deliver(source.path, source.secret, 'issue_comment', payload, delivery);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ status: 'replayed', taskId: first.body.taskId, deliveryId: delivery });
    const tasks = await t.request('GET', '/api/tasks', { token: team.token });
    expect(tasks.body.items).toHaveLength(1);

    const events = await t.get(PrismaService).event.findMany({ where: { teamId: team.teamId, type: 'TASK_CREATED' } });
    expect(events).toHaveLength(1);
    const deliveries = await t.request('GET', `/api/hook-sources/${source.id}/deliveries`, { token: team.token });
    expect(deliveries.body.items).toEqual([
      expect.objectContaining({
        deliveryId: delivery,
        event: 'issue_comment',
        outcome: 'created',
        taskId: first.body.taskId,
      }),
    ]);
    const origin = await t.get(PrismaService).hookDelivery.findFirstOrThrow({ where: { taskId: first.body.taskId } });
    expect(origin.origin).toEqual({
      provider: 'github',
      repo: 'acme/api',
      number: 42,
      url: 'https://github.com/acme/api/issues/42',
    });
  });

  it('answers one 401 for a wrong signature, a missing one, an unknown source and another source', async () => {
    const team = await t.createTeam('hooks');
    const source = await githubSource(team);
    const payload = issueComment('/heddle go');
    const raw = JSON.stringify(payload);
    const wrong = await deliver(
      source.path,
      source.secret,
      'issue_comment',
      payload,
      undefined,
      await sign('not-the-secret', raw),
    );
    const missing = await t.request('POST', source.path, {
      rawBody: raw,
      headers: { 'x-github-event': 'issue_comment', 'x-github-delivery': randomUUID() },
    });
    const unknown = await deliver(`/api/hooks/${randomUUID()}`, source.secret, 'issue_comment', payload);
    const notUuid = await deliver('/api/hooks/gh', source.secret, 'issue_comment', payload);
    const other = await githubSource(await t.createTeam('hooks-other'));
    const crossed = await deliver(other.path, source.secret, 'issue_comment', payload);
    const tampered = await t.request('POST', source.path, {
      rawBody: raw.replace('/heddle go', '/heddle rm -rf'),
      headers: {
        'x-github-event': 'issue_comment',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': await sign(source.secret, raw),
      },
    });
    for (const res of [wrong, missing, unknown, notUuid, crossed, tampered]) {
      expectErrorBody(res, 401, 'hook/unauthorized');
      expect(res.body.message).toBe(wrong.body.message);
    }
    await t.request('PATCH', `/api/hook-sources/${source.id}`, { token: team.token, body: { enabled: false } });
    expectErrorBody(await deliver(source.path, source.secret, 'issue_comment', payload), 401, 'hook/unauthorized');
    expect((await t.request('GET', '/api/tasks', { token: team.token })).body.items).toHaveLength(0);
  });

  it('ignores comments without the trigger (202), fires on the label, and answers 422 for an unmapped repo', async () => {
    const team = await t.createTeam('hooks');
    const source = await githubSource(team);
    const quiet = await deliver(source.path, source.secret, 'issue_comment', issueComment('LGTM'));
    expect(quiet.status).toBe(202);
    expect(quiet.body).toMatchObject({ status: 'ignored', reason: 'no trigger in the comment' });
    const ping = await deliver(source.path, source.secret, 'ping', { zen: 'Design for failure.', hook_id: 1 });
    expect(ping.status).toBe(202);

    const labeled = await deliver(source.path, source.secret, 'issues', {
      action: 'labeled',
      label: { id: 4, name: 'heddle' },
      issue: {
        number: 5,
        title: 'Add dark mode',
        body: 'Please add it',
        html_url: 'https://github.com/acme/api/issues/5',
      },
      repository: { full_name: 'acme/api' },
      sender: { login: 'bob', type: 'User' },
    });
    expect(labeled.status).toBe(201);
    const task = await t.request('GET', `/api/tasks/${labeled.body.taskId}`, { token: team.token });
    expect(task.body).toMatchObject({ name: 'acme/api#5 Add dark mode', workspace: '/srv/repos/api' });
    expect(task.body.goal).toContain('Please add it');

    const unmapped = await deliver(source.path, source.secret, 'issue_comment', issueComment('/heddle go', 'acme/web'));
    expectErrorBody(unmapped, 422, 'hook/repo_not_mapped');
    expect(unmapped.body.message).toContain('acme/web');
  });

  describe('generic sources', () => {
    const template = { name: '{{ $.title }}', goal: '{{ $.body }}', workspace: '/srv/x', steps: '{{ $.steps }}' };

    it('authenticate with the source token and fill the template', async () => {
      const team = await t.createTeam('hooks');
      const created = await t.request('POST', '/api/hook-sources', {
        token: team.token,
        body: { name: 'alerts', kind: 'generic', config: { template } },
      });
      expect(created.status).toBe(201);
      const { path, secret } = created.body as { path: string; secret: string };
      const body = { title: 'Disk full', body: 'Clean /var/log', steps: ['look', 'clean'] };

      const ok = await t.request('POST', path, {
        body,
        headers: { 'x-heddle-hook-token': secret, 'x-delivery-id': 'alert-1' },
      });
      expect(ok.status).toBe(201);
      const task = await t.request('GET', `/api/tasks/${ok.body.taskId}`, { token: team.token });
      expect(task.body).toMatchObject({
        name: 'Disk full',
        goal: 'Clean /var/log',
        workspace: '/srv/x',
        steps: ['look', 'clean'],
      });
      const again = await t.request('POST', path, {
        body,
        headers: { 'x-heddle-hook-token': secret, 'x-delivery-id': 'alert-1' },
      });
      expect(again.body).toMatchObject({ status: 'replayed', taskId: ok.body.taskId });

      expectErrorBody(
        await t.request('POST', path, { body, headers: { 'x-heddle-hook-token': `${secret}x` } }),
        401,
        'hook/unauthorized',
      );
      expectErrorBody(await t.request('POST', path, { body }), 401, 'hook/unauthorized');

      const bad = await t.request('POST', path, {
        body: { title: 'No body' },
        headers: { 'x-heddle-hook-token': secret },
      });
      expectErrorBody(bad, 400, 'hook/template_failed');
      expect(bad.body.details).toEqual(
        expect.arrayContaining([{ field: 'template.goal', errors: ['$.body is missing from the payload'] }]),
      );
      const invalid = await t.request('POST', path, {
        body: { title: 'x', body: 'y', steps: 'not a list' },
        headers: { 'x-heddle-hook-token': secret },
      });
      expectErrorBody(invalid, 400, 'request/validation_failed');
      expect(invalid.body.details.map((d: { field: string }) => d.field)).toContain('steps');
    });

    it('authenticate with an HMAC of the body; no delivery id means the body hash', async () => {
      const team = await t.createTeam('hooks');
      const created = await t.request('POST', '/api/hook-sources', {
        token: team.token,
        body: { name: 'ci', kind: 'generic', config: { auth: 'hmac', signatureHeader: 'X-Ci-Signature', template } },
      });
      const { path, secret } = created.body as { path: string; secret: string };
      const raw = JSON.stringify({ title: 'Build broke', body: 'Fix main', steps: [] });
      const signed = { 'x-ci-signature': await sign(secret, raw) };
      const ok = await t.request('POST', path, { rawBody: raw, headers: signed });
      expect(ok.status).toBe(201);
      expect(ok.body.deliveryId).toMatch(/^sha256:[0-9a-f]{64}$/);
      const again = await t.request('POST', path, { rawBody: raw, headers: signed });
      expect(again.body).toMatchObject({ status: 'replayed', taskId: ok.body.taskId });
      const forged = await t.request('POST', path, {
        rawBody: raw,
        headers: { 'x-ci-signature': await sign('guess', raw) },
      });
      expectErrorBody(forged, 401, 'hook/unauthorized');
      const asToken = await t.request('POST', path, { rawBody: raw, headers: { 'x-heddle-hook-token': secret } });
      expectErrorBody(asToken, 401, 'hook/unauthorized');
    });
  });
});
