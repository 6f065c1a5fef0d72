// Row 8: team A owns one of everything (token, host, a finished and a running task, webhook, sink,
// deliveries, a pending permission request and question, a member invite, a hook source); team B's owner calls every operation of
// docs/openapi.json with A's ids → 404 on every route naming one, none of A's ids in any answer, and
// A's objects untouched afterwards.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiOperation, REPO_ROOT, WebhookReceiver, apiOperations } from '@heddle/testing';
import type { Cluster, Team } from './cluster';
import { createWebhook } from './deliveries';
import { ApiClient, ApiResponse, sleep } from './http';
import { TERMINAL, tasksOf, waitTerminal } from './invariants';
import { Findings, Scenario } from './scenario';
import { taskBody, waitUntil } from './tasks';

interface TeamAObjects {
  tokenId: string;
  hostId: string;
  doneTaskId: string;
  runningTaskId: string;
  webhookId: string;
  sinkId: string;
  deliveryId: string;
  /** A pending permission request and a pending question of A's tasks (which wait on them). */
  permissionId: string;
  questionId: string;
  /** A pending invite: the member resource of `/api/members/{id}` (no one logs in here). */
  memberId: string;
  /** An inbound-webhook source (`/api/hook-sources/{id}`). */
  hookSourceId: string;
}

async function createTeamA(
  cluster: Cluster,
  api: ApiClient,
  a: Team,
  receiver: WebhookReceiver,
): Promise<TeamAObjects> {
  const must = async (res: Promise<ApiResponse>, status: number, what: string) => {
    const r = await res;
    if (r.status !== status) throw new Error(`${what} answered ${r.status}: ${r.text.slice(0, 300)}`);
    return r.body;
  };
  const token = await must(
    api.request('POST', '/api/tokens', { token: a.token, body: { name: 'a-ci', scopes: ['tasks:read'] } }),
    201,
    'POST /api/tokens',
  );
  const member = await must(
    api.request('POST', '/api/members', { token: a.token, body: { email: 'tenant-a@example.com', role: 'member' } }),
    201,
    'POST /api/members',
  );
  const hookSource = await must(
    api.request('POST', '/api/hook-sources', {
      token: a.token,
      body: { name: 'a-github', kind: 'github', config: { repos: { 'acme/api': '/srv/repos/api' }, label: 'heddle' } },
    }),
    201,
    'POST /api/hook-sources',
  );
  const hostId = await cluster.registerFakeHost(a);
  const webhook = await createWebhook(cluster, a, receiver, '/tenant-a');
  const sink = await must(
    api.request('POST', '/api/sinks', {
      token: a.token,
      body: { name: 'a-json', kind: 'json', url: receiver.url('/tenant-a-sink') },
    }),
    201,
    'POST /api/sinks',
  );
  const workspace = cluster.fakeWorkspace('tenant');
  const done = await must(
    api.request('POST', '/api/tasks', {
      token: a.token,
      body: taskBody({ name: 'a-done', workspace, goal: 'FILE:tenant-a.txt', hostId, file: 'tenant-a.txt' }),
      headers: { 'idempotency-key': 'tenant-shared-key' },
    }),
    201,
    'POST /api/tasks',
  );
  const running = await must(
    api.request('POST', '/api/tasks', {
      token: a.token,
      body: taskBody({ name: 'a-running', workspace, goal: 'HANG', hostId, file: 'never.txt' }),
    }),
    201,
    'POST /api/tasks',
  );
  // Two tasks that wait for a person: one on a permission (a write that asks), one on a question.
  cluster.fake.script(/TENANT-A-PERMISSION/, [
    { type: 'write', path: 'tenant-a-asked.txt', content: 'x\n', ask: true },
  ]);
  cluster.fake.script(/TENANT-A-QUESTION/, [
    {
      type: 'question',
      questions: [{ question: 'Which?', header: 'Which', options: [{ label: 'A', description: 'a' }] }],
    },
  ]);
  const waiting = async (goal: string, kind: 'permissions' | 'questions') => {
    const task = await must(
      api.request('POST', '/api/tasks', {
        token: a.token,
        body: taskBody({ name: `a-${kind}`, workspace, goal, hostId, file: 'never.txt' }),
      }),
      201,
      'POST /api/tasks',
    );
    let id: string | undefined;
    await waitUntil(
      async () => {
        const res = await api.request('GET', `/api/${kind}?taskId=${task.id}`, { token: a.token });
        id = res.body?.items?.[0]?.id;
        return id ? 1 : 0;
      },
      1,
      30_000,
    );
    if (!id) throw new Error(`team A's task ${task.id} has no pending ${kind}`);
    return id;
  };
  const permissionId = await waiting('TENANT-A-PERMISSION', 'permissions');
  const questionId = await waiting('TENANT-A-QUESTION', 'questions');
  const states = async () =>
    (await tasksOf(cluster, [a.id])).filter(
      (t) => (t.id === done.id && t.status === 'completed') || (t.id === running.id && t.status === 'running'),
    ).length;
  if ((await waitUntil(states, 2, 30_000)) < 2) throw new Error("team A's tasks did not reach completed and running");
  // A delivery that is done: its attempts change only if someone resends it.
  const delivered = () =>
    cluster.sql<{ id: string }>(`SELECT id FROM deliveries WHERE "webhookId" = $1 AND status = 'delivered' LIMIT 1`, [
      webhook.id,
    ]);
  await waitUntil(async () => (await delivered()).length, 1, 30_000);
  const [delivery] = await delivered();
  if (!delivery) throw new Error('team A has no delivered webhook delivery');
  return {
    tokenId: token.id,
    hostId,
    doneTaskId: done.id,
    runningTaskId: running.id,
    webhookId: webhook.id,
    sinkId: sink.id,
    deliveryId: delivery.id,
    permissionId,
    questionId,
    memberId: member.id,
    hookSourceId: hookSource.id,
  };
}

/** A's id for the operation's path, by resource (tasks twice: the finished one and the running one). */
function idsFor(path: string, objects: TeamAObjects): string[] {
  if (path.startsWith('/api/tokens/')) return [objects.tokenId];
  if (path.startsWith('/api/hosts/')) return [objects.hostId];
  if (path.startsWith('/api/tasks/')) return [objects.doneTaskId, objects.runningTaskId];
  if (path.startsWith('/api/webhooks/deliveries/')) return [objects.deliveryId];
  if (path.startsWith('/api/webhooks/')) return [objects.webhookId];
  if (path.startsWith('/api/sinks/')) return [objects.sinkId];
  if (path.startsWith('/api/permissions/')) return [objects.permissionId];
  if (path.startsWith('/api/questions/')) return [objects.questionId];
  if (path.startsWith('/api/members/')) return [objects.memberId];
  if (path.startsWith('/api/hook-sources/')) return [objects.hookSourceId];
  return [];
}

export const crossTenant: Scenario = {
  id: 8,
  title: "every route with another team's ids",
  async run({ cluster, log }) {
    const f = new Findings();
    const api = cluster.client();
    const receiver = await WebhookReceiver.start();
    try {
      const a = await cluster.createTeam('tenant-a');
      const b = await cluster.createTeam('tenant-b');
      const objects = await createTeamA(cluster, api, a, receiver);
      const secrets = [a.id, a.name, ...Object.values(objects)];
      const before = await snapshot(api, a, objects);
      const [attemptsBefore] = await cluster.sql<{ attempts: number }>(
        `SELECT attempts FROM deliveries WHERE id = $1`,
        [objects.deliveryId],
      );
      const doc = JSON.parse(readFileSync(join(REPO_ROOT, 'docs', 'openapi.json'), 'utf8'));
      const operations = apiOperations(doc);
      let calls = 0;
      const not404: string[] = [];
      const leaks: string[] = [];
      const call = async (op: ApiOperation, url: string, body: unknown, headers: Record<string, string> = {}) => {
        calls++;
        const res = await api.request(op.method, url, {
          token: b.token,
          body: op.method === 'GET' || op.method === 'DELETE' ? undefined : body,
          headers,
          streamMs: op.eventStream ? 1_000 : undefined,
        });
        // An id the request itself named may come back in the message ("… not found"); any other is a leak.
        const asked = `${url} ${JSON.stringify(body ?? '')}`;
        const leaked = secrets.filter((s) => res.text.includes(s) && !asked.includes(s));
        if (leaked.length > 0) leaks.push(`${op.method} ${url} → ${res.status} shows A's ${leaked.join(', ')}`);
        return res;
      };
      for (const op of operations) {
        const ids = idsFor(op.path, objects);
        if (op.path.includes('{')) {
          if (ids.length === 0) f.problem(`no team A object for ${op.method} ${op.path}: add one to the sweep`);
          for (const id of ids) {
            const url = op.path.replace(/\{[^}]+\}/g, id);
            const res = await call(op, url, op.exampleBody ?? {});
            if (res.status !== 404 || !/\/not_found$/.test(String(res.body?.code))) {
              not404.push(`${op.method} ${url} → ${res.status} ${res.text.slice(0, 200)}`);
            }
          }
          continue;
        }
        // No id in the path: A's ids go where the operation takes one (filters, a host to run on).
        await call(op, op.path, op.exampleBody ?? {});
        const query = (op.operation.parameters ?? []) as { in: string; name: string }[];
        for (const p of query.filter((q) => q.in === 'query')) {
          if (p.name === 'hostId') await call(op, `${op.path}?hostId=${objects.hostId}`, undefined);
          if (p.name === 'taskId') await call(op, `${op.path}?taskId=${objects.doneTaskId}`, undefined);
        }
        if (op.method === 'POST' && op.path === '/api/tasks') {
          const onA = await call(op, op.path, { ...op.exampleBody, hostId: objects.hostId });
          if (onA.status < 400)
            not404.push(`POST /api/tasks with A's hostId → ${onA.status} ${onA.text.slice(0, 200)}`);
          const sameKey = await call(op, op.path, op.exampleBody, { 'idempotency-key': 'tenant-shared-key' });
          if (sameKey.body?.id === objects.doneTaskId)
            leaks.push(`POST /api/tasks with A's Idempotency-Key answered A's task`);
        }
      }
      f.count('operations', operations.length);
      f.count('calls', calls);
      f.count('not404', not404.length);
      f.count('leaks', leaks.length);
      f.problemList("routes with A's id that did not answer 404 not_found", not404, 40);
      f.problemList("answers to B holding A's data", leaks, 40);
      f.lost += leaks.length;

      // A's objects are as they were.
      await sleep(500);
      const after = await snapshot(api, a, objects);
      const changed = Object.keys(before).filter((k) => before[k] !== after[k]);
      f.problemList(
        "team A objects changed by team B's calls",
        changed.map((k) => `${k}: ${before[k]} → ${after[k]}`),
      );
      const [attemptsAfter] = await cluster.sql<{ attempts: number }>(`SELECT attempts FROM deliveries WHERE id = $1`, [
        objects.deliveryId,
      ]);
      if (attemptsAfter!.attempts !== attemptsBefore!.attempts) {
        f.problem(
          `A's delivery went from ${attemptsBefore!.attempts} to ${attemptsAfter!.attempts} attempts after B's resend`,
        );
      }
      const [onAHost] = await cluster.sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM tasks WHERE "teamId" = $1 AND ("hostId" = $2 OR "requestedHostId" = $2)`,
        [b.id, objects.hostId],
      );
      if (onAHost!.n > 0) f.problem(`${onAHost!.n} of B's tasks reference A's host`);
      log(`${calls} calls, ${not404.length} not 404, ${leaks.length} leaks`);

      // Clean up: every task still open (A's running one, those B created) is aborted by its team.
      const open = (await tasksOf(cluster, [a.id, b.id])).filter((t) => !TERMINAL.includes(t.status));
      for (const t of open) {
        await api.request('POST', `/api/tasks/${t.id}/abort`, { token: t.teamId === a.id ? a.token : b.token });
      }
      await waitTerminal(cluster, [a.id, b.id], 30_000);
    } finally {
      await receiver.stop();
    }
    return f.result(api.stats.serverErrorCount, api.stats.serverErrors);
  },
};

/** What A sees of its objects (fields B's calls could change), to compare before and after the sweep. */
async function snapshot(api: ApiClient, a: Team, o: TeamAObjects): Promise<Record<string, string>> {
  const get = async (path: string, pick: (b: any) => unknown) => {
    const res = await api.request('GET', path, { token: a.token });
    return res.status === 200 ? JSON.stringify(pick(res.body)) : `HTTP ${res.status}`;
  };
  return {
    token: await get('/api/tokens?limit=100', (b) =>
      b.items.some((t: any) => t.id === o.tokenId) ? 'listed' : 'not listed',
    ),
    host: await get(`/api/hosts/${o.hostId}`, (b) => [b.name, b.baseUrl, b.enabled, b.labels, b.maxSessions]),
    doneTask: await get(`/api/tasks/${o.doneTaskId}`, (b) => [b.status, b.archived, b.currentTurn]),
    runningTask: await get(`/api/tasks/${o.runningTaskId}`, (b) => [b.status, b.archived, b.currentTurn]),
    webhook: await get(`/api/webhooks/${o.webhookId}`, (b) => [
      b.url,
      b.enabled,
      b.events,
      b.description,
      b.previousSecretExpiresAt,
    ]),
    sink: await get(`/api/sinks/${o.sinkId}`, (b) => [b.name, b.url, b.enabled, b.events]),
    permission: await get(`/api/permissions/${o.permissionId}`, (b) => [b.status, b.reply, b.repliedBy]),
    question: await get(`/api/questions/${o.questionId}`, (b) => [b.status, b.answers, b.repliedBy]),
    hookSource: await get(`/api/hook-sources/${o.hookSourceId}`, (b) => [b.name, b.kind, b.enabled, b.config]),
    member: await get('/api/members?limit=100', (b) =>
      b.items.filter((m: any) => m.id === o.memberId).map((m: any) => [m.status, m.role, m.email]),
    ),
  };
}
