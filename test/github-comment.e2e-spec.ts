import { randomUUID } from 'node:crypto';
import { sign } from '@octokit/webhooks-methods';
import { PrismaService } from '@heddle/db';
import { TestApp, TestTeam, WebhookReceiver, expectErrorBody, waitFor } from '@heddle/testing';

/**
 * The `github_comment` sink: a task made by a GitHub hook gets a comment on its issue when it ends,
 * posted to a GitHub API stand-in on loopback (the sink's `url`) with the team's token. Tasks that
 * did not come from GitHub get no delivery at all.
 */

const PUBLIC_URL = 'https://heddle.example.com';
const TOKEN = 'github_pat_test_0123456789';

interface StoredComment {
  id: number;
  body: string;
}

/** GitHub's issue comments API as the sink uses it: POST creates, GET ?since= lists. */
class FakeGithub {
  readonly comments = new Map<string, StoredComment[]>();
  /** Statuses to answer the next POSTs with (the comment is stored all the same: an answer lost on the way). */
  failNextPosts: number[] = [];

  private constructor(readonly receiver: WebhookReceiver) {
    receiver.answer = (req) => {
      const path = req.path.split('?')[0]!;
      if (!/^\/api\/v3\/repos\/[^/]+\/[^/]+\/issues\/\d+\/comments$/.test(path)) return { status: 404 };
      if (req.headers.authorization !== `Bearer ${TOKEN}`)
        return { status: 401, body: '{"message":"Bad credentials"}' };
      const list = this.comments.get(path) ?? [];
      if (req.method === 'GET') return { status: 200, body: JSON.stringify(list) };
      const comment = { id: list.length + 1, body: (JSON.parse(req.body) as { body: string }).body };
      this.comments.set(path, [...list, comment]);
      return { status: this.failNextPosts.shift() ?? 201, body: JSON.stringify(comment) };
    };
  }

  static async start(): Promise<FakeGithub> {
    return new FakeGithub(await WebhookReceiver.start());
  }

  get apiUrl(): string {
    return this.receiver.url('/api/v3');
  }

  on(repo: string, number: number): StoredComment[] {
    return this.comments.get(`/api/v3/repos/${repo}/issues/${number}/comments`) ?? [];
  }
}

function issueComment(body: string, repo: string, number: number) {
  const [owner, name] = repo.split('/');
  return {
    action: 'created',
    issue: { number, title: 'Flaky test', html_url: `https://github.com/${repo}/issues/${number}`, state: 'open' },
    comment: { id: 2001, user: { login: 'alice', id: 1, type: 'User' }, body },
    repository: { name, full_name: repo, owner: { login: owner, id: 9, type: 'Organization' } },
    sender: { login: 'alice', id: 1, type: 'User' },
  };
}

describe('github_comment sink (e2e)', () => {
  let t: TestApp;
  let github: FakeGithub;

  beforeAll(async () => {
    github = await FakeGithub.start();
    t = await TestApp.create({
      withWorkers: true,
      env: {
        HEDDLE_OUTBOUND_ALLOW: '127.0.0.1',
        HEDDLE_PUBLIC_URL: PUBLIC_URL,
        OUTBOX_POLL_MS: '100',
        DELIVERY_SWEEP_MS: '1000',
      },
    });
  });

  afterAll(async () => {
    await t.close();
    await github.receiver.stop();
  });

  async function githubTask(team: TestTeam, repo: string, number: number): Promise<string> {
    const source = await t.request('POST', '/api/hook-sources', {
      token: team.token,
      body: { name: `gh-${randomUUID().slice(0, 8)}`, kind: 'github', config: { repos: { [repo]: '/srv/repos/api' } } },
    });
    expect(source.status).toBe(201);
    const raw = JSON.stringify(issueComment('/heddle fix the flaky test', repo, number));
    const res = await t.request('POST', source.body.path, {
      rawBody: raw,
      headers: {
        'x-github-event': 'issue_comment',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': await sign(source.body.secret, raw),
      },
    });
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 201, body: { status: 'created' } });
    return res.body.taskId as string;
  }

  async function commentSink(team: TestTeam, extra: Record<string, unknown> = {}): Promise<string> {
    const res = await t.request('POST', '/api/sinks', {
      token: team.token,
      body: { name: 'gh-replies', kind: 'github_comment', url: github.apiUrl, token: TOKEN, ...extra },
    });
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 201 });
    return res.body.id as string;
  }

  const deliveries = async (team: TestTeam, sinkId: string) =>
    (await t.request('GET', `/api/sinks/${sinkId}/deliveries`, { token: team.token })).body.items as any[];

  async function settled(team: TestTeam, sinkId: string, count: number, timeoutMs = 20_000): Promise<any[]> {
    const { value } = await waitFor(
      () => deliveries(team, sinkId),
      (items) => items.length === count && items.every((d) => d.status !== 'pending'),
      { timeoutMs, intervalMs: 100, what: `${count} settled deliveries of sink ${sinkId}` },
    );
    return value;
  }

  it('checks its fields, keeps the token sealed and never answers it', async () => {
    const team = await t.createTeam('ghc');
    const create = (body: Record<string, unknown>) => t.request('POST', '/api/sinks', { token: team.token, body });
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ name: 's', kind: 'github_comment' }, 'token', /token is required/],
      [{ name: 's', kind: 'json', url: github.apiUrl, token: TOKEN }, 'token', /only for github_comment/],
      [{ name: 's', kind: 'github_comment', token: TOKEN, filePrefix: 'p' }, 'filePrefix', /only for file sinks/],
      [{ name: 's', kind: 'github_comment', token: TOKEN, events: ['TURN_STARTED'] }, 'events', /not TURN_STARTED/],
      [{ name: 's', kind: 'github_comment', token: 'two words' }, 'token', /spaces/],
    ];
    for (const [body, field, message] of cases) {
      const res = await create(body);
      expectErrorBody(res, 400, 'request/validation_failed');
      expect(res.body.details).toEqual(
        expect.arrayContaining([expect.objectContaining({ field, errors: [expect.stringMatching(message)] })]),
      );
    }

    const made = await create({ name: 'gh', kind: 'github_comment', token: TOKEN });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({
      kind: 'github_comment',
      url: 'https://api.github.com/',
      tokenSet: true,
      events: ['TASK_COMPLETED', 'TASK_FAILED'],
    });
    expect(JSON.stringify(made.body)).not.toContain(TOKEN);
    const row = await t.get(PrismaService).sink.findUniqueOrThrow({ where: { id: made.body.id } });
    expect(row.tokenEnc).toBeTruthy();
    expect(row.tokenEnc).not.toContain(TOKEN);
    const audit = await t
      .get(PrismaService)
      .auditLog.findMany({ where: { teamId: team.teamId, targetId: made.body.id } });
    expect(JSON.stringify(audit)).not.toContain(TOKEN);

    const emptied = await t.request('PATCH', `/api/sinks/${made.body.id}`, { token: team.token, body: { events: [] } });
    expectErrorBody(emptied, 400, 'request/validation_failed');
    const slack = await create({ name: 'sl', kind: 'slack', url: github.receiver.url('/slack') });
    expect(slack.body.tokenSet).toBe(false);
  });

  it('comments on the issue a task came from when it ends; other tasks get no delivery', async () => {
    const team = await t.createTeam('ghc');
    const sinkId = await commentSink(team);

    // A task made over the API, finished first: the relay passes its events over for this sink.
    const plain = await t.request('POST', '/api/tasks', {
      token: team.token,
      body: { name: 'not-from-github', goal: 'x', workspace: '/srv/repos/api' },
    });
    expect(plain.status).toBe(201);
    await t.request('POST', `/api/tasks/${plain.body.id}/complete`, { token: team.token, body: { reason: 'by hand' } });

    const taskId = await githubTask(team, 'acme/api', 42);
    const done = await t.request('POST', `/api/tasks/${taskId}/complete`, {
      token: team.token,
      body: { reason: 'reviewed' },
    });
    expect(done.status).toBe(200);

    const [delivery] = await settled(team, sinkId, 1);
    expect(delivery).toMatchObject({ status: 'delivered', eventType: 'TASK_COMPLETED' });
    expect(delivery.attempts).toHaveLength(1);
    const [comment] = github.on('acme/api', 42);
    expect(comment!.body).toContain('✅');
    expect(comment!.body).toContain('acme/api#42');
    expect(comment!.body).toContain('Verification: manual');
    expect(comment!.body).toContain(`(${PUBLIC_URL}/api/tasks/${taskId})`);
    expect(comment!.body).toMatch(/<!-- heddle-event:[0-9a-f-]{36} -->/);
    const post = github.receiver.requests.find((r) => r.method === 'POST' && r.path.includes('/acme/api/issues/42/'))!;
    expect(post.headers).toMatchObject({ accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' });
  });

  it('says why a task failed, and a retry after a lost answer finds its comment instead of posting twice', async () => {
    const team = await t.createTeam('ghc');
    const sinkId = await commentSink(team);
    const taskId = await githubTask(team, 'acme/web', 7);

    // GitHub stores the comment, but the answer is a 502: the next attempt must not comment again.
    github.failNextPosts = [502];
    const failed = await t.request('POST', `/api/tasks/${taskId}/fail`, {
      token: team.token,
      body: { reason: 'the migration needs a human' },
    });
    expect(failed.status).toBe(200);

    const [delivery] = await settled(team, sinkId, 1);
    expect(delivery).toMatchObject({ status: 'delivered', eventType: 'TASK_FAILED' });
    expect(delivery.attempts.map((a: any) => a.statusCode)).toEqual([502, 200]);
    const comments = github.on('acme/web', 7);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain('❌');
    expect(comments[0]!.body).toContain('Reason: `manual` — the migration needs a human');
    const calls = github.receiver.requests.filter((r) => r.path.startsWith('/api/v3/repos/acme/web/'));
    expect(calls.map((r) => r.method)).toEqual(['POST', 'GET']);
    expect(calls[1]!.path).toMatch(/\?since=\d{4}-\d\d-\d\dT/);
  });

  it('fails at once, without retrying, when GitHub refuses the token', async () => {
    const team = await t.createTeam('ghc');
    const res = await t.request('POST', '/api/sinks', {
      token: team.token,
      body: { name: 'bad-token', kind: 'github_comment', url: github.apiUrl, token: 'wrong' },
    });
    const sinkId = res.body.id as string;
    const taskId = await githubTask(team, 'acme/ops', 3);
    await t.request('POST', `/api/tasks/${taskId}/complete`, { token: team.token, body: { reason: 'ok' } });
    const [delivery] = await settled(team, sinkId, 1);
    expect(delivery).toMatchObject({ status: 'failed', lastStatus: 401 });
    expect(delivery.attempts).toHaveLength(1);
    expect(github.on('acme/ops', 3)).toHaveLength(0);
  });
});
