// The OpenCode contract: the client in libs/opencode-client against a real `opencode serve`
// (scripted fake LLM, offline) for every call Heddle makes. Written once over a list of targets
// (ContractTargetFactory in libs/testing/src/opencode/contract-cases.ts) so that the in-process
// fake host can be held to the same contract.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AssistantMessage,
  MessageWithParts,
  OpencodeAuthError,
  OpencodeBadResponseError,
  OpencodeClient,
  OpencodeConflictError,
  OpencodeEvent,
  OpencodeNotFoundError,
  OpencodeServerError,
  OpencodeTimeoutError,
  OpencodeUnreachableError,
  ToolPart,
  UserMessage,
} from '@heddle/opencode-client';
import { readWorkspaceGit } from '@heddle/checks';
import { catalogFrom, unknownModelOrAgent } from '@heddle/hosts';
import {
  ContractTarget,
  ContractTargetFactory,
  EventRecorder,
  TokenUsage,
  expectedCost,
  expectedTokens,
  fakeOpencodeTarget,
  freePort,
  realOpencodeTarget,
  waitFor,
} from '@heddle/testing';

jest.setTimeout(60_000);

/**
 * Every server the contract runs against: the real binary, and the in-process fake host, which is
 * trusted only as far as these same cases show it answers like the real one.
 */
const targets: ContractTargetFactory[] = [realOpencodeTarget, fakeOpencodeTarget];

const PASSWORD = 'contract-pw-7f3a';
const COST = { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 };
const USAGE: TokenUsage = { prompt: 1200, completion: 120, cached: 200, reasoning: 50 };

const enabled = targets.filter((t) => t.enabled);
if (enabled.length === 0) {
  describe.skip('OpenCode contract (no target on this platform)', () => {
    it('needs the opencode binary', () => undefined);
  });
} else {
  describe.each(enabled.map((t) => [t.name, t] as const))('OpenCode contract against %s', (_name, factory) => {
    describeMainServer(factory);
    describeShell(factory, '/bin/sh');
    describeEventStream(factory);
  });
}

// ---- helpers ---------------------------------------------------------------------------------------

function clientFor(target: ContractTarget, directory = target.workspace): OpencodeClient {
  return new OpencodeClient({ baseUrl: target.baseUrl, auth: target.auth, directory, host: 'contract-host' });
}

const isAssistant = (m: MessageWithParts): m is MessageWithParts<AssistantMessage> => m.info.role === 'assistant';
const toolPartOf = (m: MessageWithParts): ToolPart | undefined => m.parts.find((p): p is ToolPart => p.type === 'tool');
const statusIs = (sessionId: string, type: string) => (e: OpencodeEvent) =>
  e.type === 'session.status' && e.properties.sessionID === sessionId && e.properties.status.type === type;

/** Resolves with the rejection (fails the test if the promise resolves). */
async function rejectionOf(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

interface Ctx {
  target: ContractTarget;
  client: OpencodeClient;
  events: EventRecorder;
}

/** Starts one server per describe (with an event recorder on its main workspace). */
function useServer(factory: ContractTargetFactory, options: Parameters<ContractTargetFactory['start']>[0]): Ctx {
  const ctx = {} as Ctx;
  beforeAll(async () => {
    ctx.target = await factory.start(options);
    ctx.client = clientFor(ctx.target);
    ctx.events = await EventRecorder.start(ctx.client);
  });
  afterAll(async () => {
    await ctx.events?.close();
    await ctx.target?.stop();
  });
  return ctx;
}

/** prompt_async, then wait until the session went busy and idle again. */
async function runTurn(ctx: Ctx, sessionId: string, text: string | Promise<string>): Promise<MessageWithParts[]> {
  const since = ctx.events.mark();
  await ctx.client.promptAsync(sessionId, { text: await text, model: ctx.target.model, agent: 'build' });
  await ctx.events.turnEnded(sessionId, since);
  return (await ctx.client.listMessages(sessionId)).messages;
}

/** Waits for the assistant message that ends in `error` (idle may come before the final message.updated). */
function assistantError(ctx: Ctx, sessionId: string, since: number): Promise<OpencodeEvent> {
  return ctx.events.waitFor(
    (e) =>
      e.type === 'message.updated' &&
      e.properties.sessionID === sessionId &&
      e.properties.info.role === 'assistant' &&
      e.properties.info.error !== undefined,
    { since, what: 'assistant message with an error' },
  );
}

// ---- the main server: password, cost block, SHELL=/bin/bash, a second workspace ---------------------

function describeMainServer(factory: ContractTargetFactory): void {
  describe('sessions, turns, permissions, questions, files and errors', () => {
    const ctx = useServer(factory, { password: PASSWORD, cost: COST, extraWorkspaces: ['ws2'] });
    const ws = () => ctx.target.workspace;
    const ws2 = () => ctx.target.workspaces.ws2;

    describe('health and errors', () => {
      it('health reports healthy and a version; the event stream opened with server.connected', async () => {
        const health = await ctx.client.health();
        expect(health.healthy).toBe(true);
        expect(health.version).toMatch(/^\d+\.\d+\.\d+/);
        expect(ctx.events.events[0]?.type).toBe('server.connected');
      });

      it('a wrong or missing password is an OpencodeAuthError that never shows a password', async () => {
        const wrong = new OpencodeClient({
          baseUrl: ctx.target.baseUrl,
          auth: { password: 'not-the-pw-91c' },
          directory: ws(),
        });
        const err = await rejectionOf(wrong.listSessions());
        expect(err).toBeInstanceOf(OpencodeAuthError);
        expect(err).toMatchObject({ status: 401, route: 'GET /session', host: '127.0.0.1:' + ctx.target.port });
        expect(`${err.message} ${err.stack}`).not.toMatch(/not-the-pw-91c|contract-pw/);
        await expect(new OpencodeClient({ baseUrl: ctx.target.baseUrl }).health()).rejects.toBeInstanceOf(
          OpencodeAuthError,
        );
        // The right password in the URL works (and is moved out of it).
        const inUrl = new URL(ctx.target.baseUrl);
        inUrl.username = ctx.target.auth!.username;
        inUrl.password = ctx.target.auth!.password;
        expect((await new OpencodeClient({ baseUrl: inUrl.toString() }).health()).healthy).toBe(true);
      });

      it('an unknown route answers 200 text/html, which is an OpencodeBadResponseError', async () => {
        const err = await rejectionOf(
          ctx.client.transport.request({ method: 'GET', route: '/no-such-route', expect: 'json' }),
        );
        expect(err).toBeInstanceOf(OpencodeBadResponseError);
        expect(err).toMatchObject({ status: 200, route: 'GET /no-such-route' });
        expect(err.contentType).toMatch(/text\/html/);
      });

      it('a port nobody listens on is an OpencodeUnreachableError', async () => {
        const dead = new OpencodeClient({ baseUrl: `http://127.0.0.1:${await freePort()}`, host: 'dead-box' });
        const err = await rejectionOf(dead.health());
        expect(err).toBeInstanceOf(OpencodeUnreachableError);
        expect(err).toMatchObject({ code: 'ECONNREFUSED', host: 'dead-box', route: 'GET /global/health' });
      });

      it('a call that outlives its deadline is an OpencodeTimeoutError (the turn keeps running until aborted)', async () => {
        const s = await ctx.client.createSession({ title: 'timeout' });
        const since = ctx.events.mark();
        const started = Date.now();
        const text = await ctx.target.scenario.hang();
        const err = await rejectionOf(
          ctx.client.prompt(s.id, { text, model: ctx.target.model, agent: 'build' }, { timeoutMs: 700 }),
        );
        expect(err).toBeInstanceOf(OpencodeTimeoutError);
        expect(err).toMatchObject({ timeoutMs: 700, route: 'POST /session/{sessionID}/message' });
        expect(Date.now() - started).toBeLessThan(5_000);
        await ctx.events.waitFor(statusIs(s.id, 'busy'), { since });
        expect(await ctx.client.sessionStatus(s.id)).toEqual({ type: 'busy' });
        await ctx.client.abort(s.id);
        await ctx.events.waitFor(statusIs(s.id, 'idle'), { since });
      });

      it('missing sessions, permission and question requests are OpencodeNotFoundError in both error dialects', async () => {
        const missing = 'ses_doesnotexist0000000000000';
        for (const call of [
          () => ctx.client.getSession(missing),
          () => ctx.client.listMessages(missing),
          () => ctx.client.updateSession(missing, { title: 'x' }),
          () => ctx.client.deleteSession(missing),
          () => ctx.client.promptAsync(missing, { text: 'NOTOOL' }),
        ]) {
          const err = await rejectionOf(call());
          expect(err).toBeInstanceOf(OpencodeNotFoundError);
          expect(err).toMatchObject({ status: 404, serverName: 'NotFoundError' });
          expect(err.serverMessage).toContain(missing);
        }
        const perm = await rejectionOf(ctx.client.replyPermission('per_doesnotexist000000000000', 'once'));
        expect(perm).toBeInstanceOf(OpencodeNotFoundError);
        expect(perm).toMatchObject({
          serverName: 'PermissionNotFoundError',
          route: 'POST /permission/{requestID}/reply',
        });
        const question = await rejectionOf(ctx.client.replyQuestion('que_doesnotexist000000000000', [['x']]));
        expect(question).toMatchObject({ status: 404, serverName: 'QuestionNotFoundError' });
        await expect(ctx.client.rejectQuestion('que_doesnotexist000000000000')).rejects.toBeInstanceOf(
          OpencodeNotFoundError,
        );
      });

      it('a nonexistent directory (which OpenCode accepts silently) is detected', async () => {
        expect(await ctx.client.directoryExists()).toBe(true);
        expect(await ctx.client.directoryExists(ws2())).toBe(true);
        expect(await ctx.client.directoryExists(join(ws(), 'no-such-dir'))).toBe(false);
        expect(await ctx.client.directoryExists('/nonexistent/heddle/contract')).toBe(false);
        expect(await ctx.client.directoryExists(join(ws(), 'README.md'))).toBe(false);
        // …which matters, because the server itself does not care:
        const ghost = ctx.client.withDirectory('/nonexistent/heddle/contract');
        const s = await ghost.createSession({ title: 'ghost' });
        expect(s.directory).toBe('/nonexistent/heddle/contract');
      });

      // Heddle's workspace roots rely on this (docs/security.md): the check at dispatch is made on the
      // directory as the host resolves it.
      it('GET /path answers the real directory: symlinks followed, a missing one as given, a file is a 500', async () => {
        const base = realpathSync(mkdtempSync(join(tmpdir(), 'heddle-contract-path-')));
        try {
          mkdirSync(join(base, 'roots/real/inner'), { recursive: true });
          mkdirSync(join(base, 'outside'));
          writeFileSync(join(base, 'roots/file.txt'), 'x');
          symlinkSync(join(base, 'outside'), join(base, 'roots/escape'));
          symlinkSync(join(base, 'roots/real'), join(base, 'roots/alias'));
          symlinkSync('/etc', join(base, 'roots/etc'));
          const dirOf = async (directory: string) => (await ctx.client.paths({ directory })).directory;
          expect(await dirOf(ws())).toBe(realpathSync(ws()));
          expect(await dirOf(join(base, 'roots/real/inner'))).toBe(join(base, 'roots/real/inner'));
          expect(await dirOf(join(base, 'roots/escape'))).toBe(join(base, 'outside'));
          expect(await dirOf(join(base, 'roots/etc'))).toBe('/etc');
          expect(await dirOf(join(base, 'roots/alias/inner'))).toBe(join(base, 'roots/real/inner'));
          // Not there: the path as given, normalised, symlinks in it not followed.
          expect(await dirOf(join(base, 'roots/missing'))).toBe(join(base, 'roots/missing'));
          expect(await dirOf(join(base, 'roots/escape/missing'))).toBe(join(base, 'roots/escape/missing'));
          expect(await dirOf(`${base}/roots/real/../real/`)).toBe(join(base, 'roots/real'));
          await expect(dirOf(join(base, 'roots/file.txt'))).rejects.toBeInstanceOf(OpencodeServerError);
        } finally {
          rmSync(base, { recursive: true, force: true });
        }
      });

      it('an unknown agent on a synchronous prompt is an OpencodeServerError carrying the log ref', async () => {
        const s = await ctx.client.createSession({ title: 'bad agent' });
        const err = await rejectionOf(
          ctx.client.prompt(s.id, { text: 'NOTOOL', agent: 'no-such-agent' }, { timeoutMs: 10_000 }),
        );
        expect(err).toBeInstanceOf(OpencodeServerError);
        expect(err).toMatchObject({ status: 500, serverName: 'UnknownError' });
        expect(err.ref).toMatch(/^err_/);
      });
    });

    // Heddle checks a task's model and agent against these two answers (at create when the task names
    // its host, at dispatch otherwise): HostCatalog, unknownModelOrAgent.
    describe('models and agents', () => {
      it('GET /config/providers lists providers with their models by id, the target model among them, and defaults', async () => {
        const answer = await ctx.client.configProviders();
        expect(Object.keys(answer).sort()).toEqual(['default', 'providers']);
        for (const provider of answer.providers) {
          expect(provider).toMatchObject({
            id: expect.any(String),
            name: expect.any(String),
            models: expect.any(Object),
          });
          for (const [id, model] of Object.entries(provider.models)) {
            expect(model).toMatchObject({ id, providerID: provider.id, name: expect.any(String) });
            expect(model.limit).toMatchObject({ context: expect.any(Number), output: expect.any(Number) });
            expect(model.cost).toMatchObject({ input: expect.any(Number), output: expect.any(Number) });
          }
          // `default` names one model of each provider.
          expect(Object.keys(provider.models)).toContain(answer.default[provider.id]);
        }
        const [providerID, modelID] = [
          ctx.target.model.slice(0, ctx.target.model.indexOf('/')),
          ctx.target.model.slice(ctx.target.model.indexOf('/') + 1),
        ];
        const provider = answer.providers.find((p) => p.id === providerID);
        expect(provider?.models[modelID]).toMatchObject({ id: modelID, providerID });
        // The model config's cost block is what the route reports (USD per 1M tokens).
        expect(provider?.models[modelID].cost).toMatchObject({
          input: COST.input,
          output: COST.output,
          cache: { read: COST.cache_read, write: COST.cache_write },
        });
        // Instance-scoped like the rest: another workspace's answer lists the same model.
        const other = await ctx.client.configProviders({ directory: ws2() });
        expect(other.providers.find((p) => p.id === providerID)?.models[modelID]).toBeDefined();
      });

      it('GET /agent lists build and plan as primary, explore and general as subagents, and hidden helpers', async () => {
        const agents = await ctx.client.agents();
        for (const agent of agents) {
          expect(agent).toMatchObject({ name: expect.any(String), permission: expect.any(Array), options: {} });
          expect(['primary', 'subagent', 'all']).toContain(agent.mode);
        }
        const byName = new Map(agents.map((a) => [a.name, a]));
        for (const name of ['build', 'plan']) {
          expect(byName.get(name)).toMatchObject({ mode: 'primary', native: true });
          expect(byName.get(name)?.hidden).toBeUndefined();
        }
        for (const name of ['explore', 'general']) expect(byName.get(name)).toMatchObject({ mode: 'subagent' });
        for (const name of ['compaction', 'summary', 'title']) expect(byName.get(name)).toMatchObject({ hidden: true });
        // The rules end with the config's (`permission` of the server), which is why they win.
        expect(byName.get('build')?.permission.at(-1)).toMatchObject({ permission: expect.any(String) });
      });

      it("Heddle's catalog of these answers knows the target's model and the primary agents, and nothing else", async () => {
        const catalog = catalogFrom('contract-host', await ctx.client.configProviders(), await ctx.client.agents());
        expect(unknownModelOrAgent({ model: ctx.target.model, agent: 'build' }, catalog)).toBeNull();
        expect(unknownModelOrAgent({ model: ctx.target.model, agent: 'plan' }, catalog)).toBeNull();
        expect(catalog.agents).toEqual(expect.arrayContaining(['build', 'explore', 'general', 'plan']));
        expect(catalog.agents).not.toContain('title');
        expect(unknownModelOrAgent({ model: `${ctx.target.model}-nope` }, catalog)).toMatchObject({
          field: 'model',
          reason: 'model.unknown',
        });
        expect(unknownModelOrAgent({ agent: 'no-such-agent' }, catalog)).toMatchObject({
          field: 'agent',
          reason: 'agent.unknown',
        });
      });

      it('a prompt may name a subagent (it runs), while an agent missing from GET /agent fails the turn', async () => {
        const s = await ctx.client.createSession({ title: 'subagent prompt' });
        const reply = await ctx.client.prompt(
          s.id,
          { text: await ctx.target.scenario.reply(), model: ctx.target.model, agent: 'explore' },
          { timeoutMs: 20_000 },
        );
        expect(reply.info).toMatchObject({ role: 'assistant', agent: 'explore' });
        expect(reply.info.error).toBeUndefined();
        const since = ctx.events.mark();
        const bad = await ctx.client.createSession({ title: 'unknown agent' });
        await ctx.client.promptAsync(bad.id, { text: 'NOTOOL', model: ctx.target.model, agent: 'no-such-agent' });
        const error = await ctx.events.waitFor((e) => e.type === 'session.error' && e.properties.sessionID === bad.id, {
          since,
          what: 'session.error of the unknown agent',
        });
        expect((error.properties as any).error?.data?.message).toContain('Agent not found: "no-such-agent"');
      });
    });

    describe('sessions', () => {
      it('create (title, permission ruleset, agent, model, metadata), get, list by directory, update, archive, delete', async () => {
        const rules = [{ permission: 'edit', pattern: '*', action: 'ask' as const }];
        const s = await ctx.client.createSession({
          title: 'lifecycle',
          permission: rules,
          agent: 'build',
          model: ctx.target.model,
          metadata: { task: 't-1' },
        });
        expect(s.id).toMatch(/^ses_/);
        expect(s).toMatchObject({ title: 'lifecycle', directory: ws(), metadata: { task: 't-1' }, permission: rules });
        expect(s.time.created).toBeGreaterThan(Date.now() - 60_000);

        expect(await ctx.client.getSession(s.id)).toMatchObject({ id: s.id, title: 'lifecycle' });

        const other = await ctx.client.withDirectory(ws2()).createSession({ title: 'in ws2' });
        expect(other.directory).toBe(ws2());
        const mine = (await ctx.client.listSessions()).map((x) => x.id);
        expect(mine).toContain(s.id);
        expect(mine).not.toContain(other.id);
        expect((await ctx.client.withDirectory(ws2()).listSessions()).map((x) => x.id)).toEqual([other.id]);
        expect(await ctx.client.listSessions({ search: 'lifecycle' })).toEqual([expect.objectContaining({ id: s.id })]);
        expect(await ctx.client.listSessions({ limit: 1 })).toHaveLength(1);

        expect(await ctx.client.updateSession(s.id, { title: 'renamed' })).toMatchObject({
          id: s.id,
          title: 'renamed',
        });
        const at = Date.now();
        const archived = await ctx.client.archiveSession(s.id, at);
        expect(archived.time.archived).toBe(at);
        expect((await ctx.client.listSessions()).map((x) => x.id)).toContain(s.id); // archived ones stay listed

        expect(await ctx.client.deleteSession(s.id)).toBe(true);
        await expect(ctx.client.getSession(s.id)).rejects.toBeInstanceOf(OpencodeNotFoundError);
        await expect(ctx.client.deleteSession(s.id)).rejects.toBeInstanceOf(OpencodeNotFoundError);
      });
    });

    describe('turns', () => {
      it('a synchronous prompt writes the file and returns the final assistant message; messages carry tokens and cost', async () => {
        const s = await ctx.client.createSession({ title: 'tokens' });
        const text = await ctx.target.scenario.writeFile('tokens.md', { usage: USAGE });
        const final = await ctx.client.prompt(s.id, { text, model: ctx.target.model, agent: 'build' });
        expect(final.info).toMatchObject({ role: 'assistant', finish: 'stop', sessionID: s.id });
        expect(final.info.error).toBeUndefined();
        expect(readFileSync(join(ws(), 'tokens.md'), 'utf8')).toBe(ctx.target.scenario.fileContent);

        const { messages, nextCursor } = await ctx.client.listMessages(s.id);
        expect(nextCursor).toBeUndefined();
        const [user, ...rest] = messages;
        expect(user.info).toMatchObject({
          role: 'user',
          agent: 'build',
          model: { providerID: 'fake', modelID: 'fake-model' },
        });
        expect(user.parts).toEqual([expect.objectContaining({ type: 'text', text })]);
        const assistants = rest.filter(isAssistant);
        expect(assistants.map((m) => m.info.finish)).toEqual(['tool-calls', 'stop']);
        expect(assistants.every((m) => m.info.parentID === user.info.id)).toBe(true);
        expect(toolPartOf(assistants[0])).toMatchObject({ tool: 'write', state: { status: 'completed' } });
        for (const m of assistants) {
          expect(m.info.tokens).toEqual(expectedTokens(USAGE));
          expect(m.info.cost).toBeCloseTo(expectedCost(USAGE, COST), 8);
          expect(m.parts.find((p) => p.type === 'step-finish')).toMatchObject({ tokens: expectedTokens(USAGE) });
        }
        expect(assistants.at(-1)!.info.id).toBe(final.info.id);
        const session = await ctx.client.getSession(s.id);
        expect(session.cost).toBeCloseTo(2 * expectedCost(USAGE, COST), 8);
        expect(session.tokens).toMatchObject({ input: 2000, output: 140, reasoning: 100, cache: { read: 400 } });
        expect(await ctx.client.getMessage(s.id, final.info.id)).toMatchObject({ info: { id: final.info.id } });
      });

      it('pages messages newest-first with limit and the X-Next-Cursor cursor', async () => {
        const s = await ctx.client.createSession({ title: 'paging' });
        await runTurn(ctx, s.id, ctx.target.scenario.reply());
        await runTurn(ctx, s.id, ctx.target.scenario.reply());
        const all = (await ctx.client.listMessages(s.id)).messages.map((m) => m.info.id);
        expect(all).toHaveLength(4);
        const pages: string[][] = [];
        let before: string | undefined;
        do {
          const page = await ctx.client.listMessages(s.id, { limit: 3, before });
          pages.push(page.messages.map((m) => m.info.id));
          before = page.nextCursor;
        } while (before && pages.length < 5);
        expect(pages).toEqual([all.slice(1), all.slice(0, 1)]);
      });

      it('prompt_async (204) with a client-chosen message id: busy, then idle; the status map leaves idle sessions out', async () => {
        const s = await ctx.client.createSession({ title: 'async' });
        const since = ctx.events.mark();
        const messageID = `msg_heddle_${Date.now()}_contract`;
        await ctx.client.promptAsync(s.id, {
          text: await ctx.target.scenario.writeFile('async.md'),
          model: ctx.target.model,
          agent: 'build',
          messageID,
        });
        await ctx.events.turnEnded(s.id, since);
        expect(await ctx.client.sessionStatuses()).not.toHaveProperty(s.id);
        expect(await ctx.client.sessionStatus(s.id)).toEqual({ type: 'idle' });
        expect(existsSync(join(ws(), 'async.md'))).toBe(true);
        const user = await ctx.client.getMessage(s.id, messageID);
        expect(user.info).toMatchObject({ id: messageID, role: 'user' });
      });

      it('an LLM error (400) ends the turn with APIError on the assistant message', async () => {
        const s = await ctx.client.createSession({ title: 'fail' });
        const since = ctx.events.mark();
        const messages = await runTurn(ctx, s.id, ctx.target.scenario.fail());
        await assistantError(ctx, s.id, since);
        const last = (await ctx.client.listMessages(s.id)).messages.filter(isAssistant).at(-1)!;
        expect(messages.length).toBeGreaterThanOrEqual(1);
        expect(last.info.error).toMatchObject({ name: 'APIError' });
        expect(last.info.finish).toBeUndefined();
      });

      it('a hung model call is aborted: MessageAbortedError, the LLM socket closes, the session works again', async () => {
        const s = await ctx.client.createSession({ title: 'hang' });
        const since = ctx.events.mark();
        await ctx.client.promptAsync(s.id, {
          text: await ctx.target.scenario.hang(),
          model: ctx.target.model,
          agent: 'build',
        });
        await ctx.events.waitFor(statusIs(s.id, 'busy'), { since });
        expect((await ctx.client.sessionStatuses())[s.id]).toEqual({ type: 'busy' });
        expect(await ctx.client.abort(s.id)).toBe(true);
        await ctx.events.waitFor(statusIs(s.id, 'idle'), { since });
        await assistantError(ctx, s.id, since);
        const last = (await ctx.client.listMessages(s.id)).messages.filter(isAssistant).at(-1)!;
        expect(last.info.error).toMatchObject({ name: 'MessageAbortedError' });
        expect(last.info.finish).toBeUndefined();
        await ctx.target.probes?.waitForNoOpenLlmCalls?.(5_000);

        await runTurn(ctx, s.id, ctx.target.scenario.writeFile('after-hang.md'));
        expect(existsSync(join(ws(), 'after-hang.md'))).toBe(true);
      });

      it('a hung tool is aborted: the command is killed, the tool part says so, the session works again', async () => {
        const s = await ctx.client.createSession({ title: 'hang tool' });
        const since = ctx.events.mark();
        await ctx.client.promptAsync(s.id, {
          text: await ctx.target.scenario.hangTool(),
          model: ctx.target.model,
          agent: 'build',
        });
        await ctx.events.waitFor(
          (e) =>
            e.type === 'message.part.updated' &&
            e.properties.sessionID === s.id &&
            e.properties.part.type === 'tool' &&
            e.properties.part.state.status === 'running',
          { since, what: 'running tool part' },
        );
        const probe = ctx.target.probes?.toolProcesses;
        if (probe) {
          await waitFor(
            async () => probe(),
            (cmds) => cmds.some((c) => c.includes('sleep 600')),
            {
              timeoutMs: 10_000,
              what: 'the sleep to start',
            },
          );
        }
        expect(await ctx.client.abort(s.id)).toBe(true);
        await assistantError(ctx, s.id, since);
        await ctx.events.waitFor(statusIs(s.id, 'idle'), { since });
        const last = (await ctx.client.listMessages(s.id)).messages.filter(isAssistant).at(-1)!;
        expect(last.info.error).toMatchObject({ name: 'MessageAbortedError' });
        const tool = toolPartOf(last)!;
        expect(tool.tool).toBe('bash');
        expect(tool.state.status).toBe('completed');
        expect(tool.state.status === 'completed' && tool.state.output).toMatch(/User aborted the command/);
        if (probe) {
          await waitFor(
            async () => probe(),
            (cmds) => !cmds.some((c) => c.includes('sleep 600')),
            {
              timeoutMs: 10_000,
              what: 'the sleep to be killed',
            },
          );
        }
        await runTurn(ctx, s.id, ctx.target.scenario.reply());
        expect((await ctx.client.listMessages(s.id)).messages.filter(isAssistant).at(-1)!.info.finish).toBe('stop');
      });
    });

    describe('permissions and questions', () => {
      const askEdit = [{ permission: 'edit', pattern: '*', action: 'ask' as const }];

      it('edit "ask": the request is listed (per directory), replying once writes the file, a second reply is 404', async () => {
        const s = await ctx.client.createSession({ title: 'perm once', permission: askEdit });
        const since = ctx.events.mark();
        await ctx.client.promptAsync(s.id, {
          text: await ctx.target.scenario.writeFile('perm-once.md'),
          model: ctx.target.model,
          agent: 'build',
        });
        const asked = await ctx.events.waitFor(
          (e) => e.type === 'permission.asked' && e.properties.sessionID === s.id,
          {
            since,
          },
        );
        const requestId = (asked as Extract<OpencodeEvent, { type: 'permission.asked' }>).properties.id;
        const pending = (await ctx.client.listPermissions()).find((p) => p.id === requestId);
        expect(pending).toMatchObject({ sessionID: s.id, permission: 'edit', patterns: ['perm-once.md'] });
        expect(await ctx.client.withDirectory(ws2()).listPermissions()).toEqual([]);
        expect(await ctx.client.sessionStatus(s.id)).toEqual({ type: 'busy' });
        expect(existsSync(join(ws(), 'perm-once.md'))).toBe(false);

        // Instance-scoped: the wrong directory does not know the request.
        await expect(
          ctx.client.replyPermission(requestId, 'once', undefined, { directory: ws2() }),
        ).rejects.toBeInstanceOf(OpencodeNotFoundError);
        expect(await ctx.client.replyPermission(requestId, 'once')).toBe(true);
        await ctx.events.waitFor((e) => e.type === 'permission.replied' && e.properties.requestID === requestId, {
          since,
        });
        await ctx.events.turnEnded(s.id, since);
        expect(readFileSync(join(ws(), 'perm-once.md'), 'utf8')).toBe(ctx.target.scenario.fileContent);
        await expect(ctx.client.replyPermission(requestId, 'once')).rejects.toBeInstanceOf(OpencodeNotFoundError);
        expect((await ctx.client.listPermissions()).map((p) => p.id)).not.toContain(requestId);
      });

      it('edit "ask" rejected: the tool fails, the turn ends, nothing is written', async () => {
        const s = await ctx.client.createSession({ title: 'perm reject', permission: askEdit });
        const since = ctx.events.mark();
        await ctx.client.promptAsync(s.id, {
          text: await ctx.target.scenario.writeFile('perm-reject.md'),
          model: ctx.target.model,
          agent: 'build',
        });
        await ctx.events.waitFor((e) => e.type === 'permission.asked' && e.properties.sessionID === s.id, { since });
        const [request] = (await ctx.client.listPermissions()).filter((p) => p.sessionID === s.id);
        expect(await ctx.client.replyPermission(request.id, 'reject')).toBe(true);
        await ctx.events.turnEnded(s.id, since);
        const tool = await waitFor(
          async () => toolPartOf((await ctx.client.listMessages(s.id)).messages.filter(isAssistant).at(-1)!),
          (t) => t?.state.status === 'error',
          { timeoutMs: 5_000, what: 'the rejected tool part' },
        );
        expect(tool.value!.state.status === 'error' && tool.value!.state.error).toMatch(/rejected/);
        expect(existsSync(join(ws(), 'perm-reject.md'))).toBe(false);
      });

      // libs/permissions judges requests with OpenCode's own wildcards and order (sessionPermissionRuleset).
      it('a session ruleset: the last matching rule wins, and "echo *" also covers a bare "echo"', async () => {
        const s = await ctx.client.createSession({
          title: 'ruleset order',
          permission: [
            { permission: 'bash', pattern: '*', action: 'ask' },
            { permission: 'bash', pattern: 'echo *', action: 'allow' },
          ],
        });
        const askedIn = (since: number) =>
          ctx.events.events
            .slice(since)
            .filter((e) => e.type === 'permission.asked' && e.properties.sessionID === s.id);
        for (const command of ['echo ruleset-allowed', 'echo']) {
          const since = ctx.events.mark();
          await ctx.client.promptAsync(s.id, {
            text: await ctx.target.scenario.bash(command),
            model: ctx.target.model,
            agent: 'build',
          });
          await ctx.events.turnEnded(s.id, since);
          expect(askedIn(since)).toEqual([]);
          const tool = toolPartOf((await ctx.client.listMessages(s.id)).messages.filter(isAssistant).at(-2)!);
          expect(tool).toMatchObject({ tool: 'bash', state: { status: 'completed' } });
        }
        const since = ctx.events.mark();
        await ctx.client.promptAsync(s.id, {
          text: await ctx.target.scenario.bash('pwd'),
          model: ctx.target.model,
          agent: 'build',
        });
        const asked = (await ctx.events.waitFor(
          (e) => e.type === 'permission.asked' && e.properties.sessionID === s.id,
          { since },
        )) as Extract<OpencodeEvent, { type: 'permission.asked' }>;
        expect(asked.properties).toMatchObject({ permission: 'bash', patterns: ['pwd'] });
        expect(await ctx.client.replyPermission(asked.properties.id, 'reject')).toBe(true);
        await ctx.events.turnEnded(s.id, since);
      });

      const questions = [
        {
          question: 'Which color?',
          header: 'Color',
          options: [
            { label: 'Red', description: 'warm' },
            { label: 'Blue', description: 'cold' },
          ],
        },
        {
          question: 'Which sizes?',
          header: 'Sizes',
          multiple: true,
          options: [
            { label: 'S', description: 'small' },
            { label: 'L', description: 'large' },
          ],
        },
      ];

      it('a question is listed and answered (one label array per question); the model continues', async () => {
        const s = await ctx.client.createSession({ title: 'question' });
        const since = ctx.events.mark();
        await ctx.client.promptAsync(s.id, {
          text: await ctx.target.scenario.ask(questions),
          model: ctx.target.model,
          agent: 'build',
        });
        await ctx.events.waitFor((e) => e.type === 'question.asked' && e.properties.sessionID === s.id, { since });
        const [request] = (await ctx.client.listQuestions()).filter((q) => q.sessionID === s.id);
        expect(request.id).toMatch(/^que_/);
        expect(request.questions).toEqual([
          expect.objectContaining({ question: 'Which color?', header: 'Color' }),
          expect.objectContaining({ question: 'Which sizes?', multiple: true }),
        ]);
        expect(await ctx.client.replyQuestion(request.id, [['Blue'], ['S', 'L']])).toBe(true);
        await ctx.events.turnEnded(s.id, since);
        const assistants = (await ctx.client.listMessages(s.id)).messages.filter(isAssistant);
        const tool = toolPartOf(assistants[0])!;
        expect(tool.tool).toBe('question');
        expect(tool.state.status === 'completed' && tool.state.output).toContain(
          '"Which color?"="Blue", "Which sizes?"="S, L"',
        );
        expect(assistants.at(-1)!.info.finish).toBe('stop');
        expect((await ctx.client.listQuestions()).map((q) => q.id)).not.toContain(request.id);
      });

      it('a rejected question fails the tool and ends the turn', async () => {
        const s = await ctx.client.createSession({ title: 'question reject' });
        const since = ctx.events.mark();
        await ctx.client.promptAsync(s.id, {
          text: await ctx.target.scenario.ask(questions),
          model: ctx.target.model,
          agent: 'build',
        });
        await ctx.events.waitFor((e) => e.type === 'question.asked' && e.properties.sessionID === s.id, { since });
        const [request] = (await ctx.client.listQuestions()).filter((q) => q.sessionID === s.id);
        expect(await ctx.client.rejectQuestion(request.id)).toBe(true);
        await ctx.events.waitFor((e) => e.type === 'question.rejected' && e.properties.requestID === request.id, {
          since,
        });
        await ctx.events.turnEnded(s.id, since);
        const tool = await waitFor(
          async () => toolPartOf((await ctx.client.listMessages(s.id)).messages.filter(isAssistant).at(-1)!),
          (t) => t?.state.status === 'error',
          { timeoutMs: 5_000, what: 'the dismissed question part' },
        );
        expect(tool.value!.state.status === 'error' && tool.value!.state.error).toMatch(/dismissed/);
      });
    });

    describe('files and VCS', () => {
      it('reads (trimmed!), lists, finds, searches; a missing file reads "" but does not exist', async () => {
        writeFileSync(join(ws(), 'trim.txt'), '\n\n  lead\ntrail  \n\n\n');
        expect(await ctx.client.readFile('trim.txt')).toMatchObject({ type: 'text', content: 'lead\ntrail' });
        expect((await ctx.client.readFile('src/a.ts')).content).toContain('// TODO: find me');
        expect(await ctx.client.readFile('missing.txt')).toMatchObject({ type: 'text', content: '' });
        expect(await ctx.client.fileExists('missing.txt')).toBe(false);
        expect(await ctx.client.fileExists('src/a.ts')).toBe(true);
        expect(await ctx.client.fileExists('no-dir/a.ts')).toBe(false);
        expect(await ctx.client.stat('src')).toMatchObject({ type: 'directory', path: 'src/' });
        expect(await ctx.client.stat(join(ws(), 'README.md'))).toMatchObject({ type: 'file', name: 'README.md' });

        const root = await ctx.client.listDirectory();
        expect(root).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ name: 'README.md', type: 'file', ignored: false }),
            expect.objectContaining({ name: 'src', type: 'directory' }),
          ]),
        );
        expect((await ctx.client.listDirectory('src')).map((e) => e.path)).toEqual(['src/a.ts']);
        expect(await ctx.client.withDirectory(ws2()).fileExists('ws2.txt')).toBe(true);
        expect(await ctx.client.fileExists('ws2.txt')).toBe(false);

        expect(await ctx.client.findFiles('a.ts')).toContain('src/a.ts');
        expect(await ctx.client.findFiles('src', { type: 'directory' })).toContain('src/');
        expect(await ctx.client.findFiles('.', { limit: 1 })).toHaveLength(1);

        const matches = await ctx.client.searchText('TODO: find');
        expect(matches).toEqual([
          expect.objectContaining({
            path: { text: 'src/a.ts' },
            line_number: 2,
            lines: { text: '// TODO: find me\n' },
          }),
        ]);

        await expect(ctx.client.readFile('src')).rejects.toBeInstanceOf(OpencodeServerError);
        await expect(ctx.client.readFile('../outside.txt')).rejects.toBeInstanceOf(OpencodeServerError);
      });

      it('after the agent writes a file: VCS status and diff show it; a user message diff is its summary', async () => {
        const s = await ctx.client.createSession({ title: 'vcs' });
        const messages = await runTurn(ctx, s.id, ctx.target.scenario.writeFile('vcs-new.md'));
        const user = messages.find((m): m is MessageWithParts<UserMessage> => m.info.role === 'user')!;

        expect(await ctx.client.vcsInfo()).toMatchObject({ branch: 'main' });
        expect(await ctx.client.vcsStatus()).toEqual(
          expect.arrayContaining([{ file: 'vcs-new.md', additions: 3, deletions: 0, status: 'added' }]),
        );
        const diff = (await ctx.client.vcsDiff()).find((d) => d.file === 'vcs-new.md');
        expect(diff).toMatchObject({ status: 'added', additions: 3 });
        expect(diff!.patch).toContain('+# Done');
        expect(await ctx.client.withDirectory(ws2()).vcsStatus()).toEqual([]);

        // The turn's summary (what the message diff reads) is written after the idle — and the real
        // 1.18.34 sometimes never writes it (seen in about one full contract run in three; Heddle does not
        // depend on it). What always holds: the message diff is the summary's diffs, and once there
        // it names the file.
        const written = await waitFor(
          () => ctx.client.sessionDiff(s.id, user.info.id),
          (diffs) => diffs.length > 0,
          { timeoutMs: 15_000, intervalMs: 250, what: 'the user message summary' },
        ).then(
          (r) => r.value,
          () => [],
        );
        const summary = (await ctx.client.getMessage(s.id, user.info.id)).info as UserMessage;
        expect(await ctx.client.sessionDiff(s.id, user.info.id)).toEqual(summary.summary?.diffs ?? []);
        if (written.length > 0) {
          expect(written).toEqual([expect.objectContaining({ file: 'vcs-new.md', status: 'added', additions: 3 })]);
        }
      }, 60_000);
    });

    describeGitEvidence(ctx);

    describeShellCases(ctx, '/bin/bash');
  });
}

// ---- git HEAD and dirty state, as check evidence reads them (libs/checks/src/git-state.ts) -------------

/** Runs git in `cwd` with no user or system config; returns stdout trimmed. */
function git(cwd: string, ...args: string[]): string {
  return execFileSync(
    'git',
    ['-c', 'user.name=Heddle Test', '-c', 'user.email=test@heddle.invalid', '-c', 'commit.gpgsign=false', ...args],
    { cwd, stdio: 'pipe', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' } },
  )
    .toString()
    .trim();
}

function describeGitEvidence(ctx: Ctx): void {
  describe('git HEAD and dirty state (check evidence)', () => {
    // Own repositories beside the target's workspaces: commits, detaches and worktrees here cannot
    // disturb the other cases. One server serves any directory (§2.2).
    let root: string;
    beforeAll(() => {
      root = realpathSync(mkdtempSync(join(tmpdir(), 'heddle-contract-git-')));
    });
    afterAll(() => {
      if (root) rmSync(root, { recursive: true, force: true });
    });
    let n = 0;
    const repo = (files: Record<string, string> = { 'README.md': '# repo\n' }): string => {
      const dir = join(root, `repo${++n}`);
      mkdirSync(dir);
      for (const [path, content] of Object.entries(files)) writeFileSync(join(dir, path), content);
      git(dir, 'init', '-q', '-b', 'main');
      git(dir, 'add', '-A');
      git(dir, 'commit', '-q', '-m', 'initial');
      return dir;
    };
    const read = async (c: OpencodeClient, path: string) => (await c.readFile(path)).content;

    it('HEAD is read through /file/content: .git/HEAD, the loose ref, else packed-refs; detached; nested branch names', async () => {
      const dir = repo();
      const c = clientFor(ctx.target, dir);
      const first = git(dir, 'rev-parse', 'HEAD');
      expect(await c.readFile('.git/HEAD')).toEqual({ type: 'text', content: 'ref: refs/heads/main' });
      expect(await read(c, '.git/refs/heads/main')).toBe(first);
      expect(await read(c, '.git/packed-refs')).toBe(''); // missing, read as "" like any missing file
      expect(await readWorkspaceGit(c)).toMatchObject({ head: { commit: first, branch: 'main' }, dirty: false });

      // Packed: the loose ref is gone (reads ""), packed-refs has the line.
      git(dir, 'pack-refs', '--all');
      expect(await read(c, '.git/refs/heads/main')).toBe('');
      expect((await read(c, '.git/packed-refs')).split('\n')).toContain(`${first} refs/heads/main`);
      expect((await readWorkspaceGit(c)).head).toEqual({ commit: first, branch: 'main' });

      // A new commit writes a loose ref again, which wins over the stale packed line.
      git(dir, 'commit', '-q', '--allow-empty', '-m', 'second');
      const second = git(dir, 'rev-parse', 'HEAD');
      expect(await read(c, '.git/refs/heads/main')).toBe(second);
      expect((await read(c, '.git/packed-refs')).split('\n')).toContain(`${first} refs/heads/main`);
      expect((await readWorkspaceGit(c)).head).toEqual({ commit: second, branch: 'main' });

      // Detached and branch switches are seen at once (unlike GET /vcs, whose branch the real server caches).
      git(dir, 'checkout', '-q', '--detach');
      expect(await read(c, '.git/HEAD')).toBe(second);
      expect((await readWorkspaceGit(c)).head).toEqual({ commit: second, branch: null });
      git(dir, 'checkout', '-q', '-b', 'feature/x');
      expect(await read(c, '.git/HEAD')).toBe('ref: refs/heads/feature/x');
      expect(await read(c, '.git/refs/heads/feature/x')).toBe(second);
      expect((await readWorkspaceGit(c)).head).toEqual({ commit: second, branch: 'feature/x' });
    });

    it('dirty: /vcs/status lists modified, staged and untracked files, never ignored ones; [] when clean', async () => {
      const dir = repo({ 'README.md': '# repo\n', '.gitignore': 'ignored.txt\n' });
      const c = clientFor(ctx.target, dir);
      expect(await c.vcsStatus()).toEqual([]);
      writeFileSync(join(dir, 'ignored.txt'), 'not counted\n');
      expect(await c.vcsStatus()).toEqual([]);
      expect(await readWorkspaceGit(c)).toMatchObject({ dirty: false, changedCount: 0, changedFiles: [] });

      writeFileSync(join(dir, 'new.txt'), 'untracked\n');
      expect(await c.vcsStatus()).toEqual([{ file: 'new.txt', additions: 1, deletions: 0, status: 'added' }]);
      writeFileSync(join(dir, 'README.md'), '# changed\n');
      git(dir, 'add', 'README.md'); // staged only: the working tree equals the index
      expect(await c.vcsStatus()).toEqual([
        { file: 'new.txt', additions: 1, deletions: 0, status: 'added' },
        { file: 'README.md', additions: 1, deletions: 1, status: 'modified' },
      ]);
      expect(await readWorkspaceGit(c)).toMatchObject({
        dirty: true,
        changedCount: 2,
        changedFiles: ['README.md', 'new.txt'],
      });

      // Committing makes it clean again.
      git(dir, 'add', '-A');
      git(dir, 'commit', '-q', '-m', 'more');
      expect(await c.vcsStatus()).toEqual([]);
    });

    it('no .git/HEAD to read: no repository, a subdirectory of one, a linked worktree — /path tells them apart', async () => {
      // Not a repository: .git/HEAD reads "", /vcs/status is [] (not "clean"), /path's worktree is "/".
      const plain = join(root, 'plain');
      mkdirSync(plain);
      writeFileSync(join(plain, 'a.txt'), 'a\n');
      const p = clientFor(ctx.target, plain);
      expect(await p.readFile('.git/HEAD')).toEqual({ type: 'text', content: '' });
      expect(await p.vcsStatus()).toEqual([]);
      expect(await p.paths()).toMatchObject({ worktree: '/', directory: plain });
      expect(await readWorkspaceGit(p)).toMatchObject({ head: null, dirty: null, reason: 'not a git repository' });

      // A subdirectory of a repository: its .git is outside the directory (500), /path names the worktree,
      // and /vcs/status lists only changes under the directory, with paths relative to the worktree.
      const dir = repo({ 'README.md': '# repo\n' });
      mkdirSync(join(dir, 'pkg'));
      writeFileSync(join(dir, 'pkg', 'inside.txt'), 'in\n');
      writeFileSync(join(dir, 'outside.txt'), 'out\n');
      const sub = clientFor(ctx.target, join(dir, 'pkg'));
      await expect(sub.readFile('../.git/HEAD')).rejects.toBeInstanceOf(OpencodeServerError);
      await expect(sub.readFile(join(dir, '.git/HEAD'))).rejects.toBeInstanceOf(OpencodeServerError);
      expect(await sub.readFile('.git/HEAD')).toEqual({ type: 'text', content: '' });
      expect(await sub.paths()).toMatchObject({ worktree: dir, directory: join(dir, 'pkg') });
      expect(await sub.vcsStatus()).toEqual([{ file: 'pkg/inside.txt', additions: 1, deletions: 0, status: 'added' }]);
      const subGit = await readWorkspaceGit(sub);
      expect(subGit).toMatchObject({ head: null, dirty: true, changedFiles: ['pkg/inside.txt'] });
      expect(subGit.reason).toMatch(/subdirectory of the git worktree/);

      // A linked worktree: .git is a file pointing outside; .git/HEAD reads "", /path's worktree is the directory.
      const linked = join(root, 'linked');
      git(dir, 'worktree', 'add', '-q', linked, '-b', 'side');
      const w = clientFor(ctx.target, linked);
      expect(await read(w, '.git')).toMatch(/^gitdir: /);
      expect(await w.readFile('.git/HEAD')).toEqual({ type: 'text', content: '' });
      expect(await w.paths()).toMatchObject({ worktree: linked, directory: linked });
      expect(await w.vcsStatus()).toEqual([]);
      const linkedGit = await readWorkspaceGit(w);
      expect(linkedGit).toMatchObject({ head: null, dirty: false });
      expect(linkedGit.reason).toMatch(/linked worktree/);
    });
  });
}

// ---- runCommand: exit code and output, whatever the server's SHELL ----------------------------------

function describeShell(factory: ContractTargetFactory, shell: '/bin/sh'): void {
  describe(`runCommand on a server with SHELL=${shell}, without a password`, () => {
    const ctx = useServer(factory, { shell });
    describeShellCases(ctx, shell);
  });
}

function describeShellCases(ctx: Ctx, shell: string): void {
  describe(`runCommand (server SHELL=${shell})`, () => {
    let sessionId: string;
    beforeAll(async () => {
      sessionId = (await ctx.client.createSession({ title: `shell ${shell}` })).id;
    });

    it('exit 0 and non-zero, stdout and stderr merged, cwd is the session directory', async () => {
      expect(await ctx.client.runCommand(sessionId, 'echo hi')).toMatchObject({
        exitCode: 0,
        output: 'hi\n',
        timedOut: false,
      });
      expect(await ctx.client.runCommand(sessionId, 'echo out; echo err >&2; exit 7')).toMatchObject({
        exitCode: 7,
        output: 'out\nerr\n',
      });
      expect(await ctx.client.runCommand(sessionId, 'pwd')).toMatchObject({
        exitCode: 0,
        output: `${ctx.target.workspace}\n`,
      });
      expect((await ctx.client.runCommand(sessionId, 'false')).exitCode).toBe(1);
    });

    it('keeps $, quotes, backslashes and newlines intact', async () => {
      const command = [
        `X='a b'; echo "x=$X" 'single $X' "dq\\"q" back\\\\slash`,
        'false',
        'echo "E=$?"',
        'printf "%s|" $X',
      ].join('\n');
      expect(await ctx.client.runCommand(sessionId, command)).toMatchObject({
        exitCode: 0,
        output: 'x=a b single $X dq"q back\\slash\nE=1\na|b|',
      });
    });

    it('a busy session is an OpencodeConflictError; an aborted command has no exit code', async () => {
      const since = ctx.events.mark();
      const running = ctx.client.runCommand(sessionId, 'echo started; sleep 30', { timeoutMs: 30_000 });
      await ctx.events.waitFor(statusIs(sessionId, 'busy'), { since });
      const err = await rejectionOf(ctx.client.runCommand(sessionId, 'echo second'));
      expect(err).toBeInstanceOf(OpencodeConflictError);
      expect(err).toMatchObject({ status: 409, serverName: 'SessionBusyError' });
      await ctx.client.abort(sessionId);
      expect(await running).toMatchObject({ exitCode: null, timedOut: false, note: 'User aborted the command' });
    });

    it('a command past its timeout is aborted (and killed): timedOut with the output so far', async () => {
      const started = Date.now();
      const result = await ctx.client.runCommand(sessionId, 'echo begun; sleep 45; echo never', { timeoutMs: 1_500 });
      expect(result).toMatchObject({ exitCode: null, timedOut: true, output: 'begun\n' });
      expect(Date.now() - started).toBeLessThan(10_000);
      const probe = ctx.target.probes?.toolProcesses;
      if (probe) {
        await waitFor(
          async () => probe(),
          (cmds) => !cmds.some((c) => c.includes('sleep 45')),
          {
            timeoutMs: 10_000,
            what: 'the sleep to be killed',
          },
        );
      }
      expect(await ctx.client.runCommand(sessionId, 'echo again')).toMatchObject({ exitCode: 0, output: 'again\n' });
    });
  });
}

// ---- the event stream: reconnects, gaps, silence ----------------------------------------------------

function describeEventStream(factory: ContractTargetFactory): void {
  describe('event stream', () => {
    const ctx = useServer(factory, {});
    const quick = { initialBackoffMs: 100, maxBackoffMs: 500, connectTimeoutMs: 2_000 };

    it('silence longer than the threshold counts as a dead stream: reconnect with a gap, events flow again', async () => {
      const rec = await EventRecorder.start(ctx.client, undefined, { ...quick, silenceMs: 1_200 });
      try {
        const gap = await rec.waitForNotice((n) => n.type === 'gap', { timeoutMs: 15_000, what: 'gap' });
        expect(gap).toMatchObject({ type: 'gap', reason: 'silence' });
        const since = rec.mark();
        const s = await ctx.client.createSession({ title: 'after silence' });
        await rec.waitFor((e) => e.type === 'session.created' && e.properties.info.id === s.id, { since });
      } finally {
        await rec.close();
      }
    });

    it('server.instance.disposed ends the stream: immediate reconnect with a "disposed" gap', async () => {
      const rec = await EventRecorder.start(ctx.client, undefined, quick);
      try {
        // OpenCode 1.18.34 does not always deliver the event: in about 1 of 7 disposes a stream
        // silently moves on to the next instance instead (it keeps receiving events, with no gap).
        // So dispose until this stream sees one; the reconnect logic is what is under test.
        let disposed = false;
        for (let attempt = 0; attempt < 6 && !disposed; attempt++) {
          const since = rec.mark();
          const s0 = await ctx.client.createSession({ title: `before dispose ${attempt}` });
          await rec.waitFor((e) => e.type === 'session.created' && e.properties.info.id === s0.id, { since });
          expect(await ctx.client.disposeInstance()).toBe(true);
          disposed = await rec
            .waitFor((e) => e.type === 'server.instance.disposed', { since, timeoutMs: 1_500 })
            .then(() => true)
            .catch(() => false);
        }
        expect(disposed).toBe(true);
        const gap = await rec.waitForNotice((n) => n.type === 'gap', { what: 'gap' });
        expect(gap).toMatchObject({ reason: 'disposed' });
        const since = rec.mark();
        const s = await ctx.client.createSession({ title: 'after dispose' });
        await rec.waitFor((e) => e.type === 'session.created' && e.properties.info.id === s.id, { since });
      } finally {
        await rec.close();
      }
    });

    it('the server stops and comes back on the same port: the subscription reports the gap and resumes', async () => {
      const restartable = ctx.target.restartable;
      if (!restartable) return; // a target without restart support cannot show this
      const before = await ctx.client.createSession({ title: 'before restart' });
      const rec = await EventRecorder.start(ctx.client, undefined, quick);
      try {
        const mark = rec.notices.length;
        await restartable.stopServer();
        await rec.waitForNotice((n) => n.type === 'disconnected', { since: mark, what: 'disconnect' });
        await expect(ctx.client.health({ timeoutMs: 2_000 })).rejects.toBeInstanceOf(OpencodeUnreachableError);
        await restartable.startServer();
        const gap = await rec.waitForNotice((n) => n.type === 'gap', { since: mark, timeoutMs: 20_000, what: 'gap' });
        expect(gap).toMatchObject({ type: 'gap' });
        expect(['closed', 'error']).toContain((gap as { reason: string }).reason);
        expect((gap as { downMs: number }).downMs).toBeGreaterThan(0);

        const since = rec.mark();
        const s = await ctx.client.createSession({ title: 'after restart' });
        await rec.waitFor((e) => e.type === 'session.created' && e.properties.info.id === s.id, { since });
        expect((await ctx.client.getSession(before.id)).title).toBe('before restart');
      } finally {
        await rec.close();
      }
    });
  });
}
