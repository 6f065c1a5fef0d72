import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { EVENT_TYPES } from '@heddle/common';
import { FakeHosts, REPO_ROOT, SseClient, TestApp, TestTeam, WebhookReceiver } from '@heddle/testing';

/**
 * The OpenAPI document tells the truth about events and task results: tasks, hosts, messages,
 * permissions, questions, webhooks and sinks are driven through the real app, worker and fake hosts
 * so that every event type occurs (the last test checks); then every event of each team's log — as GET /api/events
 * pages it and as the stream sends it — is validated against `EventDto` of docs/openapi.json (ajv,
 * discriminator on), and again with every data schema closed (`additionalProperties: false`), so a
 * key a writer adds without documenting it fails here. Task `result`s are validated the same way.
 * Each test makes its own team; waits are for events on the team's stream, never sleeps.
 */
jest.setTimeout(60_000);

type Schema = Record<string, any>;
type Event = {
  id: string;
  seq: number;
  type: string;
  taskId: string | null;
  hostId: string | null;
  data: Record<string, any>;
};

const document = JSON.parse(readFileSync(join(REPO_ROOT, 'docs/openapi.json'), 'utf8'));
const SCHEMAS: Record<string, Schema> = document.components.schemas;

/** Which named schemas to close (`additionalProperties: false`) for a stricter check. */
type Close = (name: string, schema: Schema) => boolean;

/**
 * OpenAPI 3.0 schema → JSON Schema for ajv: `nullable: true` becomes "or null", and the
 * discriminator's `mapping` (which ajv does not take; it maps by each variant's `type` enum) is
 * checked against the variants by the unit spec beside the DTOs and dropped here.
 */
function toJsonSchema(node: unknown, close: Close, name = ''): unknown {
  if (Array.isArray(node)) return node.map((n) => toJsonSchema(n, close));
  if (!node || typeof node !== 'object') return node;
  const { nullable, ...rest } = node as Schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(rest)) {
    if (key === 'discriminator') out[key] = { propertyName: (value as Schema).propertyName };
    else if (key === 'properties') {
      out[key] = Object.fromEntries(Object.entries(value as Schema).map(([k, v]) => [k, toJsonSchema(v, close)]));
    } else out[key] = toJsonSchema(value, close);
  }
  if (name && out.properties && close(name, node as Schema)) out.additionalProperties = false;
  return nullable === true ? { anyOf: [out, { type: 'null' }] } : out;
}

function compile(close: Close): Ajv {
  const ajv = new Ajv({ discriminator: true, allErrors: true, strictTypes: false });
  addFormats(ajv);
  ajv.addKeyword('example');
  ajv.addKeyword('components'); // the root holds the schemas where the document's $refs point
  const schemas = Object.fromEntries(Object.entries(SCHEMAS).map(([n, s]) => [n, toJsonSchema(s, close, n)]));
  ajv.addSchema({ $id: 'heddle', components: { schemas } });
  return ajv;
}

/** A compiled schema; a plain boolean answer (ajv's type guard would narrow a failed value to `never`). */
type Check = { (data: unknown): boolean; errors?: ErrorObject[] | null };
const validator = (ajv: Ajv, name: string): Check => ajv.getSchema(`heddle#/components/schemas/${name}`)!;
const describeErrors = (errors: ErrorObject[] | null | undefined) =>
  (errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);

/** As documented (data objects open); and closed: event data, and every object not declared open. */
const open = compile(() => false);
const closed = compile((name, schema) => name.endsWith('EventDataDto') || schema.additionalProperties === undefined);
/** The verdict schemas closed: a completed task's result is exactly what they document. */
const closedResults = compile((name) => name === 'TaskVerdictResultDto' || name === 'TaskManualResultDto');
/** The `result` branch of a `reply_json` value. */
const replyBranch = SCHEMAS.TaskResponseDto!.properties.result.anyOf.find((s: Schema) => s.oneOf);
const REPLY_VALUE: Check = open.compile(toJsonSchema(replyBranch, () => false) as Schema);

/** Each problem as `<TYPE> #<seq>: …`: an empty list when every event matches both ways. */
function eventProblems(events: Event[]): string[] {
  const problems: string[] = [];
  for (const [how, ajv] of [
    ['documented', open],
    ['closed', closed],
  ] as const) {
    const validate = validator(ajv, 'EventDto');
    for (const event of events) {
      if (!validate(event)) problems.push(`${how} ${event.type} #${event.seq}: ${describeErrors(validate.errors)}`);
    }
  }
  return problems;
}

/** Event types seen by the tests of this file (the last test checks how many of EVENT_TYPES). */
const seen = new Set<string>();

describe('event and result schemas (e2e, fake hosts)', () => {
  let t: TestApp;
  let base: string;
  const hosts = new FakeHosts(() => t);
  const receivers: WebhookReceiver[] = [];
  const streams: SseClient[] = [];

  beforeAll(async () => {
    t = await TestApp.create({
      withWorkers: true,
      env: {
        HEDDLE_OUTBOUND_ALLOW: '127.0.0.1',
        HARNESS_POLL_MS: '150',
        HARNESS_TURN_START_GRACE_MS: '3000',
        HARNESS_HOST_WAIT_SECONDS: '1',
        HOST_OFFLINE_AFTER_FAILURES: '1',
        PERMISSIONS_RECONCILE_MS: '400',
        OUTBOX_POLL_MS: '100',
        DELIVERY_SWEEP_MS: '1000',
        // An endpoint (or sink) failing for a second is disabled at its next failure (the first retry).
        WEBHOOK_DISABLE_AFTER_SECONDS: '1',
      },
    });
    base = await t.baseUrl();
  });
  afterAll(async () => {
    for (const s of streams) s.close();
    await t.close();
    await hosts.stopAll();
    await Promise.all(receivers.map((r) => r.stop()));
  });

  /** A team, and its whole log as a stream (history, then live) to wait on. */
  async function newTeam(): Promise<{ team: TestTeam; log: SseClient }> {
    const team = await t.createTeam('schemas');
    const log = await SseClient.open(`${base}/api/events/stream`, team.token);
    expect(log.status).toBe(200);
    streams.push(log);
    return { team, log };
  }

  const find = (log: SseClient, type: string, where: (e: Event) => boolean = () => true): Event | undefined =>
    (log.events as Event[]).find((e) => e.type === type && where(e));

  /** The first `type` event that matches, once the stream has it. */
  async function eventOf(log: SseClient, type: string, where: (e: Event) => boolean = () => true): Promise<Event> {
    await log.until((c) => find(c, type, where) !== undefined, type, 30_000);
    return find(log, type, where)!;
  }

  const FINISH = ['TASK_COMPLETED', 'TASK_FAILED', 'TASK_ABORTED'];
  const finishOf = (log: SseClient, taskId: string) =>
    (log.events as Event[]).find((e) => FINISH.includes(e.type) && e.taskId === taskId);

  /** The event that finished the task, once the stream has it. */
  async function finished(log: SseClient, taskId: string): Promise<Event> {
    await log.until((c) => finishOf(c, taskId) !== undefined, `task ${taskId} finished`, 30_000);
    return finishOf(log, taskId)!;
  }

  async function call(team: TestTeam, method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown) {
    const res = await t.request(method, path, { token: team.token, body });
    expect({ path, status: res.status < 300 ? 'ok' : res.status, body: res.status < 300 ? null : res.body }).toEqual({
      path,
      status: 'ok',
      body: null,
    });
    return res.body;
  }

  const createTask = async (team: TestTeam, body: Record<string, unknown>): Promise<string> =>
    (await call(team, 'POST', '/api/tasks', { name: 'schemas', ...body })).id;

  /**
   * The team's whole log, paged as a client pages it, checked against the document — and the same
   * events as the stream sent them. Answers the types seen.
   */
  async function expectLogMatches(team: TestTeam, log: SseClient): Promise<string[]> {
    const events: Event[] = [];
    for (let after = 0; ;) {
      const page = (await t.request('GET', `/api/events?after=${after}&limit=100`, { token: team.token })).body;
      events.push(...page.items);
      if (page.items.length < 100) break;
      after = page.nextAfter;
    }
    expect(eventProblems(events)).toEqual([]);
    const page = validator(open, 'EventPageDto');
    expect(page({ items: events, nextAfter: events.at(-1)!.seq }) ? [] : describeErrors(page.errors)).toEqual([]);
    const last = events.at(-1)!.seq;
    await log.until((c) => c.seqs.includes(last), `seq ${last} streamed`);
    const streamed = (log.events as Event[]).filter((e) => e.seq <= last);
    expect(streamed).toEqual(events);
    const types = [...new Set(events.map((e) => e.type))];
    types.forEach((type) => seen.add(type));
    return types;
  }

  /** GET /api/tasks/{id} matches TaskResponseDto, and its `result` the named branch (or is null). */
  async function expectResult(team: TestTeam, taskId: string, branch: string | null): Promise<unknown> {
    const task = (await t.request('GET', `/api/tasks/${taskId}`, { token: team.token })).body;
    const whole = validator(open, 'TaskResponseDto');
    expect({ taskId, errors: whole(task) ? [] : describeErrors(whole.errors) }).toEqual({ taskId, errors: [] });
    if (branch === null) expect(task.result).toBeNull();
    else {
      const one = branch === 'reply' ? REPLY_VALUE : validator(closedResults, branch);
      expect({ result: task.result, errors: one(task.result) ? [] : describeErrors(one.errors) }).toEqual({
        result: task.result,
        errors: [],
      });
    }
    return task.result;
  }

  it('a task through its checks, a recheck, structured output, a plan, and failures', async () => {
    const { team, log } = await newTeam();
    const { fake, hostId } = await hosts.forTeam(team);
    const FENCE = '```';
    fake.script('release-notes', [
      { type: 'text', text: `${FENCE}json\n{"version":"1.2.0","files":["a.ts"]}\n${FENCE}` },
    ]);
    writeFileSync(join(fake.workspace, 'PLAN.md'), '# Plan\n- [ ] the item\n');
    fake.script(/Read the plan at/, [
      {
        type: 'write',
        path: 'PLAN.md',
        content: '# Plan\n- [x] the item\n<plan-complete>the item is done</plan-complete>\n',
      },
    ]);

    const checked = await createTask(team, {
      workspace: fake.workspace,
      goal: 'FILE:hello.txt',
      hostId,
      checks: [{ kind: 'file_exists', path: 'hello.txt' }],
    });
    const reply = await createTask(team, {
      workspace: fake.workspace,
      goal: 'Write the release-notes as JSON.',
      hostId,
      checks: [{ kind: 'reply_json', schema: { type: 'object', required: ['version'] } }],
    });
    const planned = await createTask(team, { workspace: fake.workspace, goal: 'one item', hostId, mode: 'plan' });
    const failing = await createTask(team, {
      workspace: fake.workspace,
      goal: 'SAY:nothing to do',
      hostId,
      checks: [{ kind: 'file_exists', path: 'never.txt' }],
      budgets: { maxTurns: 1 },
    });
    // No host has the label: a LOG_LINE while it waits, then host.unavailable.
    const homeless = await createTask(team, { workspace: fake.workspace, goal: 'FILE:x.txt', labels: ['nowhere'] });

    for (const id of [checked, reply, planned, failing, homeless]) await finished(log, id);
    expect((await eventOf(log, 'TASK_FAILED', (e) => e.taskId === homeless)).data.reason).toBe('host.unavailable');
    expect((await eventOf(log, 'TASK_FAILED', (e) => e.taskId === failing)).data.reason).toBe('checks.failed');
    expect(await expectResult(team, checked, 'TaskVerdictResultDto')).toMatchObject({ verification: 'checks' });
    expect(await expectResult(team, reply, 'reply')).toEqual({ version: '1.2.0', files: ['a.ts'] });
    expect(await expectResult(team, planned, 'TaskVerdictResultDto')).toMatchObject({ summary: 'the item is done' });
    await expectResult(team, failing, null);
    await expectResult(team, homeless, null);

    await call(team, 'POST', `/api/tasks/${checked}/recheck`);
    await eventOf(log, 'CHECK_RESULT', (e) => e.taskId === checked && e.data.recheck === true);
    expect(await expectLogMatches(team, log)).toEqual(
      expect.arrayContaining([
        'TEAM_CREATED',
        'HOST_REGISTERED',
        'HOST_ONLINE',
        'TASK_CREATED',
        'TASK_UPDATED',
        'TASK_STARTED',
        'TURN_STARTED',
        'TURN_FINISHED',
        'CHECK_RESULT',
        'TASK_COMPLETED',
        'TASK_FAILED',
        'LOG_LINE',
      ]),
    );
  });

  it('follow-up messages queued, delivered, merged, dropped; verdicts by hand; abort, archive, resume', async () => {
    const { team, log } = await newTeam();
    const { fake, hostId } = await hosts.forTeam(team);
    const workspace = fake.workspace;
    const nudged = await createTask(team, {
      workspace,
      goal: 'SLOW:1500 FILE:first.txt',
      hostId,
      checks: [
        { kind: 'file_exists', path: 'first.txt' },
        { kind: 'file_exists', path: 'second.txt' },
      ],
      followUps: { debounceMs: 0 },
    });
    await eventOf(log, 'TURN_STARTED', (e) => e.taskId === nudged);
    await call(team, 'POST', `/api/tasks/${nudged}/messages`, { text: 'Also FILE:second.txt', lane: 'advice' });

    // Paused from the start: messages only queue (and merge, or make room) until a verdict drops them.
    const gated = (followUps: Record<string, unknown>) =>
      createTask(team, { workspace, goal: 'FILE:y.txt', hostId, start: false, followUps });
    const summarized = await gated({ cap: 1, dropPolicy: 'summarize' });
    const crowded = await gated({ cap: 1, dropPolicy: 'drop_oldest' });
    for (const id of [summarized, crowded]) {
      await call(team, 'POST', `/api/tasks/${id}/messages`, { text: 'one' });
      await call(team, 'POST', `/api/tasks/${id}/messages`, { text: 'two', lane: 'control' });
    }
    await call(team, 'POST', `/api/tasks/${summarized}/complete`, { reason: 'Reviewed by hand.' });
    await call(team, 'POST', `/api/tasks/${crowded}/fail`, { reason: 'Wrong repository.' });
    const aborted = await gated({});
    await call(team, 'POST', `/api/tasks/${aborted}/abort`);
    await call(team, 'POST', `/api/tasks/${aborted}/archive`);
    const resumed = await gated({});
    await call(team, 'POST', `/api/tasks/${resumed}/resume`, {});

    for (const id of [nudged, resumed]) {
      expect((await finished(log, id)).type).toBe('TASK_COMPLETED');
    }
    await eventOf(log, 'MESSAGE_DELIVERED', (e) => e.taskId === nudged);
    const drops = (log.events as Event[]).filter((e) => e.type === 'MESSAGE_DROPPED').map((e) => e.data.droppedReason);
    expect(new Set(drops)).toEqual(new Set(['summarized', 'drop_oldest', 'task_finished']));
    expect(find(log, 'MESSAGE_QUEUED', (e) => e.data.by === 'system:summarize')?.data.mergedFrom).toHaveLength(2);
    expect(await expectResult(team, summarized, 'TaskManualResultDto')).toMatchObject({ reason: 'Reviewed by hand.' });
    await expectResult(team, crowded, null);
    expect(await expectResult(team, nudged, 'TaskVerdictResultDto')).toMatchObject({ checks: { passed: 2 } });
    expect(await expectLogMatches(team, log)).toEqual(
      expect.arrayContaining(['MESSAGE_QUEUED', 'MESSAGE_DELIVERED', 'MESSAGE_DROPPED', 'TASK_ABORTED']),
    );
  });

  it('permissions and questions, answered by a person and by policy', async () => {
    const { team, log } = await newTeam();
    const { fake, hostId } = await hosts.forTeam(team, { fake: { permission: { edit: 'ask' } } });
    fake.script(/ASK-COLOR/, [
      {
        type: 'question',
        questions: [{ question: 'Which color?', header: 'Color', options: [{ label: 'Red', description: 'warm' }] }],
      },
      { type: 'write', path: 'color.txt', content: 'red\n' },
    ]);
    const rules = ['auto-*', 'color.txt'].map((pattern) => ({ permission: 'edit', pattern }));
    await call(team, 'PATCH', '/api/team', { settings: { autoAccept: rules } });
    const check = (path: string) => [{ kind: 'file_exists', path }];
    const asked = await createTask(team, {
      workspace: fake.workspace,
      goal: 'FILE:asked.txt',
      hostId,
      checks: check('asked.txt'),
    });
    const auto = await createTask(team, {
      workspace: fake.workspace,
      goal: 'FILE:auto-1.txt',
      hostId,
      checks: check('auto-1.txt'),
    });
    const question = await createTask(team, {
      workspace: fake.workspace,
      goal: 'ASK-COLOR',
      hostId,
      checks: check('color.txt'),
    });

    const request = await eventOf(log, 'PERMISSION_REQUESTED', (e) => e.taskId === asked);
    await call(team, 'POST', `/api/permissions/${request.data.permissionId}/reply`, { reply: 'once' });
    const ask = await eventOf(log, 'QUESTION_ASKED', (e) => e.taskId === question);
    await call(team, 'POST', `/api/questions/${ask.data.questionId}/reply`, { answers: [['Red']] });
    for (const id of [asked, auto, question]) expect((await finished(log, id)).type).toBe('TASK_COMPLETED');

    const byPolicy = await eventOf(log, 'PERMISSION_REPLIED', (e) => e.taskId === auto);
    expect(byPolicy.data).toMatchObject({
      repliedBy: 'policy',
      policy: { source: 'team', rule: { permission: 'edit' } },
    });
    expect((await eventOf(log, 'QUESTION_ANSWERED')).data.answers).toEqual([['Red']]);
    expect(await expectLogMatches(team, log)).toEqual(
      expect.arrayContaining([
        'TEAM_UPDATED',
        'PERMISSION_REQUESTED',
        'PERMISSION_REPLIED',
        'QUESTION_ASKED',
        'QUESTION_ANSWERED',
      ]),
    );
  });

  it('a stale session handed over to a new task; hosts updated, lost and deleted; webhooks and sinks', async () => {
    const { team, log } = await newTeam();
    // Failing receivers first: their retry (seconds later) disables them while the rest runs.
    const failing = await WebhookReceiver.start();
    receivers.push(failing);
    failing.answer = () => ({ status: 503 });
    const hook = await call(team, 'POST', '/api/webhooks', { url: failing.url(), events: ['TEAM_UPDATED'] });
    await call(team, 'POST', '/api/sinks', {
      name: 'down',
      kind: 'json',
      url: failing.url('/sink'),
      events: ['TEAM_UPDATED'],
    });
    const pinged = await WebhookReceiver.start();
    receivers.push(pinged);
    const ping = await call(team, 'POST', '/api/webhooks', { url: pinged.url(), events: ['HOST_DELETED'] });
    await call(team, 'POST', `/api/webhooks/${ping.id}/test`);
    await call(team, 'PATCH', '/api/team', { settings: { staleBusyObservations: 2 } });

    const { fake, hostId } = await hosts.forTeam(team);
    const hanging = await createTask(team, { workspace: fake.workspace, goal: 'HANG', hostId });
    const stale = await eventOf(log, 'SESSION_STALE_BUSY', (e) => e.taskId === hanging);
    const taker = await createTask(team, {
      workspace: fake.workspace,
      goal: 'FILE:taken.txt',
      hostId,
      sessionId: stale.data.sessionId,
      abortSession: true,
      checks: [{ kind: 'file_exists', path: 'taken.txt' }],
    });
    expect((await eventOf(log, 'TASK_ABORTED', (e) => e.taskId === hanging)).data.action).toBe('hand_over');
    expect((await eventOf(log, 'TASK_CREATED', (e) => e.taskId === taker)).data.handoverFrom).toEqual([hanging]);
    expect((await finished(log, taker)).type).toBe('TASK_COMPLETED');

    await call(team, 'PATCH', `/api/hosts/${hostId}`, { labels: ['linux'], maxSessions: 2 });
    const lost = await hosts.forTeam(team, { name: 'lost' });
    await lost.fake.stop();
    await t.request('POST', `/api/hosts/${lost.hostId}/probe`, { token: team.token });
    await eventOf(log, 'HOST_OFFLINE', (e) => e.hostId === lost.hostId);
    await call(team, 'DELETE', `/api/hosts/${lost.hostId}`);

    await eventOf(log, 'WEBHOOK_DISABLED', (e) => e.data.webhookId === hook.id);
    await eventOf(log, 'SINK_DISABLED');
    expect(await expectLogMatches(team, log)).toEqual(
      expect.arrayContaining([
        'SESSION_STALE_BUSY',
        'HOST_UPDATED',
        'HOST_OFFLINE',
        'HOST_DELETED',
        'WEBHOOK_PING',
        'WEBHOOK_DISABLED',
        'SINK_DISABLED',
      ]),
    );
  });

  it('saw every event type between them', () => {
    expect(EVENT_TYPES.filter((type) => !seen.has(type))).toEqual([]);
  });
});
