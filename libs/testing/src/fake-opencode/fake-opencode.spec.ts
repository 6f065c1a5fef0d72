import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeOpencode, startFakeOpencode } from './fake-opencode';
import { stepsForPrompt } from './script';

// The fake is exercised over real HTTP with plain fetch, as a client of the real server would.

interface Stream {
  events: any[];
  /** Every raw frame, heartbeats included. */
  frames: any[];
  ended: Promise<void>;
  waitFor(match: (e: any) => boolean, timeoutMs?: number): Promise<any>;
  close(): void;
}

async function openStream(url: string, headers: Record<string, string> = {}): Promise<Stream> {
  const controller = new AbortController();
  const res = await fetch(url, { headers, signal: controller.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/event-stream');
  const frames: any[] = [];
  const events: any[] = [];
  const listeners = new Set<() => void>();
  const ended = (async () => {
    const reader = res.body!.getReader();
    let buf = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += Buffer.from(value).toString('utf8');
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          expect(frame.startsWith('data: ')).toBe(true);
          const parsed = JSON.parse(frame.slice(6));
          frames.push(parsed);
          const type = parsed.type ?? parsed.payload?.type;
          if (type !== 'server.heartbeat') events.push(parsed);
          for (const l of listeners) l();
        }
      }
    } catch {
      // aborted or reset
    } finally {
      for (const l of listeners) l();
    }
  })();
  return {
    events,
    frames,
    ended,
    close: () => controller.abort(),
    waitFor(match, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(match);
          if (found) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no matching frame; saw ${events.map((e) => e.type ?? e.payload?.type).join(', ')}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
  };
}

/** `expected` appears in `actual` in this order (other entries may sit between). */
function expectInOrder(actual: string[], expected: string[]): void {
  let i = 0;
  for (const a of actual) if (a === expected[i]) i++;
  expect({ matched: expected.slice(0, i), actual }).toEqual({ matched: expected, actual });
}

function client(fake: FakeOpencode) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(fake.baseUrl + path, {
      method,
      headers: {
        ...fake.authHeaders(),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: any;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, headers: res.headers, body: json, text };
  };
}

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as Error & { cause?: any },
  );

describe('fake OpenCode host', () => {
  let fake: FakeOpencode;
  let call: ReturnType<typeof client>;

  beforeAll(async () => {
    fake = await startFakeOpencode({ cost: { input: 3, output: 15, cache_read: 0.3 }, extraWorkspaces: ['ws2'] });
    call = client(fake);
  });
  afterAll(() => fake.stop());
  afterEach(() => fake.clearScripts());

  const newSession = async (body: Record<string, unknown> = {}, directory?: string) =>
    (await call('POST', `/session${directory ? `?directory=${encodeURIComponent(directory)}` : ''}`, body)).body;
  const prompt = (sessionID: string, text: string, extra: Record<string, unknown> = {}) =>
    call('POST', `/session/${sessionID}/prompt_async`, { parts: [{ type: 'text', text }], agent: 'build', ...extra });
  const messages = async (sessionID: string) => (await call('GET', `/session/${sessionID}/message`)).body as any[];
  const assistants = async (sessionID: string) =>
    (await messages(sessionID)).filter((m) => m.info.role === 'assistant');

  describe('basics', () => {
    it('health, a git workspace with one commit, extra workspaces, unknown routes as HTML', async () => {
      expect((await call('GET', '/global/health')).body).toEqual({ healthy: true, version: '1.18.34' });
      expect(fake.baseUrl).toBe(`http://127.0.0.1:${fake.port}`);
      expect(readFileSync(join(fake.workspace, 'src/a.ts'), 'utf8')).toContain('// TODO: find me');
      expect(existsSync(join(fake.workspaces.ws2, 'ws2.txt'))).toBe(true);
      for (const [method, path] of [
        ['GET', '/nope'],
        ['POST', '/global/health'],
        ['GET', '/session/status/extra'],
      ]) {
        const res = await call(method, path);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('text/html');
        expect(res.text).toMatch(/^<!doctype html>/);
      }
    });

    it('error dialects: BadRequest tag, NamedError, NotFoundError, UnknownError with a ref', async () => {
      expect(await call('POST', '/session', '{bad')).toMatchObject({ status: 400, body: { _tag: 'BadRequest' } });
      expect(await call('POST', '/session', { title: 123 })).toMatchObject({
        status: 400,
        body: { _tag: 'BadRequest' },
      });
      expect(await call('GET', '/session/ses_nope')).toMatchObject({
        status: 404,
        body: { name: 'NotFoundError', data: { message: 'Session not found: ses_nope' } },
      });
      const bad = await call('GET', '/session/nope');
      expect(bad.status).toBe(500);
      expect(bad.body).toMatchObject({ name: 'UnknownError', data: { ref: expect.stringMatching(/^err_/) } });
      expect(await call('POST', '/permission/per_nope/reply', { reply: 'once' })).toMatchObject({
        status: 404,
        body: {
          _tag: 'PermissionNotFoundError',
          requestID: 'per_nope',
          message: 'Permission request not found: per_nope',
        },
      });
      expect(await call('POST', '/question/que_nope/reject')).toMatchObject({
        status: 404,
        body: { _tag: 'QuestionNotFoundError', requestID: 'que_nope' },
      });
      const s = await newSession();
      expect(await call('POST', `/session/${s.id}/message`, { parts: 'x' })).toMatchObject({
        status: 400,
        body: { name: 'BadRequest', data: { message: 'Expected array, got "x"\n  at ["parts"]', kind: 'Payload' } },
      });
      expect(await call('GET', '/vcs/diff')).toMatchObject({
        status: 400,
        body: { name: 'BadRequest', data: { kind: 'Query' } },
      });
    });

    it('sessions: create with ruleset and metadata, list per directory newest first, patch, archive, delete', async () => {
      const rules = [{ permission: 'edit', pattern: '*', action: 'ask' }];
      const a = await newSession({ title: 'alpha', permission: rules, metadata: { task: 't-1' } });
      expect(a).toMatchObject({
        id: expect.stringMatching(/^ses_/),
        title: 'alpha',
        directory: fake.workspace,
        path: '',
        projectID: expect.stringMatching(/^[0-9a-f]{40}$/),
        permission: rules,
        metadata: { task: 't-1' },
        version: '1.18.34',
      });
      const b = await newSession();
      expect(b.title).toMatch(/^New session - \d{4}-/);
      const other = await newSession({ title: 'elsewhere' }, fake.workspaces.ws2);
      const listed = (await call('GET', '/session')).body.map((s: any) => s.id);
      expect(listed.indexOf(b.id)).toBeLessThan(listed.indexOf(a.id));
      expect(listed).not.toContain(other.id);
      expect((await call('GET', `/session?directory=${fake.workspaces.ws2}`)).body.map((s: any) => s.id)).toEqual([
        other.id,
      ]);
      expect((await call('GET', '/session?limit=1')).body).toHaveLength(1);
      expect((await call('GET', '/session?search=alph')).body.map((s: any) => s.id)).toEqual([a.id]);

      expect((await call('PATCH', `/session/${a.id}`, { title: 'renamed' })).body.title).toBe('renamed');
      expect((await call('PATCH', `/session/${a.id}`, { time: { archived: 1234 } })).body.time.archived).toBe(1234);
      expect((await call('GET', '/session')).body.map((s: any) => s.id)).toContain(a.id);
      expect((await call('DELETE', `/session/${a.id}`)).body).toBe(true);
      expect((await call('DELETE', `/session/${a.id}`)).status).toBe(404);
      expect((await call('GET', `/session/${a.id}`)).status).toBe(404);
    });

    it('a directory that does not exist: sessions are accepted, prompts are empty, file routes fail', async () => {
      const ghost = '/nonexistent/heddle/fake';
      const s = await newSession({ title: 'ghost' }, ghost);
      expect(s).toMatchObject({ directory: ghost, projectID: 'global' });
      expect((await call('GET', `/file?path=.&directory=${ghost}`)).status).toBe(500);
      expect((await call('GET', `/file/content?path=a.txt&directory=${ghost}`)).body).toEqual({
        type: 'text',
        content: '',
      });
      const idle = fake.waitForIdle(s.id);
      expect((await prompt(s.id, 'hello')).status).toBe(204);
      await idle;
      const [, assistant] = await messages(s.id);
      expect(assistant.parts).toEqual([]);
      expect(assistant.info.finish).toBeUndefined();
      expect(assistant.info.error).toBeUndefined();
    });
  });

  describe('turns', () => {
    it('a keyword prompt: the real event order on /event, a file on disk, messages with tokens and cost', async () => {
      const stream = await openStream(`${fake.baseUrl}/event`);
      try {
        await stream.waitFor((e) => e.type === 'server.connected');
        const s = await newSession({ title: 'turn' });
        const text = 'FILE:notes/turn.md TOKENS:1200,120,200,50';
        expect((await prompt(s.id, text)).status).toBe(204);
        await stream.waitFor((e) => e.type === 'session.idle' && e.properties.sessionID === s.id);

        const types = stream.events
          .filter((e) => e.properties.sessionID === s.id || e.type.startsWith('file.'))
          .map((e) => {
            const p = e.properties;
            if (e.type === 'session.status') return `status ${p.status.type}`;
            if (e.type === 'message.updated') return `${p.info.role}${p.info.finish ? ` ${p.info.finish}` : ''}`;
            if (e.type === 'message.part.updated')
              return p.part.type === 'tool' ? `tool ${p.part.state.status}` : p.part.type;
            return e.type;
          });
        expectInOrder(types, [
          'user',
          'text',
          'status busy',
          'assistant',
          'step-start',
          'tool pending',
          'tool running',
          'file.edited',
          'tool completed',
          'step-finish',
          'assistant tool-calls',
          'patch',
          'status busy',
          'assistant',
          'step-start',
          'text',
          'message.part.delta',
          'step-finish',
          'assistant stop',
          'status idle',
          'session.idle',
          'session.updated',
        ]);
        expect(types.filter((t) => t === 'session.idle')).toHaveLength(1);

        expect(readFileSync(join(fake.workspace, 'notes/turn.md'), 'utf8')).toBe(
          '# Done\n\nWritten by the fake LLM.\n',
        );
        const [user, first, second] = await messages(s.id);
        expect(user.info).toMatchObject({
          role: 'user',
          agent: 'build',
          model: { providerID: 'fake', modelID: 'fake-model' },
        });
        expect(user.info.summary.diffs).toEqual([
          expect.objectContaining({ file: 'notes/turn.md', additions: 3, deletions: 0, status: 'added' }),
        ]);
        const tokens = { total: 1320, input: 1000, output: 70, reasoning: 50, cache: { read: 200, write: 0 } };
        for (const [m, finish] of [
          [first, 'tool-calls'],
          [second, 'stop'],
        ]) {
          expect(m.info).toMatchObject({ role: 'assistant', parentID: user.info.id, finish, tokens, mode: 'build' });
          expect(m.info.cost).toBeCloseTo(0.00486, 10);
          expect(m.parts.find((p: any) => p.type === 'step-finish')).toMatchObject({ reason: finish, tokens });
        }
        expect(first.parts.find((p: any) => p.type === 'tool')).toMatchObject({
          tool: 'write',
          callID: expect.stringMatching(/^call_/),
          state: {
            status: 'completed',
            input: { filePath: 'notes/turn.md' },
            output: 'Wrote file successfully.',
            title: 'notes/turn.md',
            metadata: { filepath: join(fake.workspace, 'notes/turn.md'), exists: false },
          },
        });
        expect(second.parts.find((p: any) => p.type === 'text').text).toBe('done');
        const session = (await call('GET', `/session/${s.id}`)).body;
        expect(session).toMatchObject({
          title: 'turn',
          agent: 'build',
          tokens: { input: 2000, output: 140, reasoning: 100, cache: { read: 400, write: 0 } },
        });
        expect(session.cost).toBeCloseTo(0.00972, 10);
        expect((await call('GET', `/session/${s.id}/diff?messageID=${user.info.id}`)).body).toEqual(
          user.info.summary.diffs,
        );
        expect((await call('GET', `/session/${s.id}/diff?messageID=${first.info.id}`)).body).toEqual([]);
        expect((await call('GET', '/session/status')).body).toEqual({});
      } finally {
        stream.close();
      }
    });

    it('a synchronous prompt returns the last assistant message; pages of messages with a cursor', async () => {
      const s = await newSession();
      const res = await call('POST', `/session/${s.id}/message`, { parts: [{ type: 'text', text: 'NOTOOL' }] });
      expect(res.status).toBe(200);
      expect(res.body.info).toMatchObject({ role: 'assistant', finish: 'stop' });
      expect(res.body.parts.map((p: any) => p.type)).toEqual(['step-start', 'text', 'step-finish']);
      expect((await call('GET', `/session/${s.id}`)).body.title).toBe('Fake session title');
      await call('POST', `/session/${s.id}/message`, { parts: [{ type: 'text', text: 'NOTOOL' }] });
      const all = (await messages(s.id)).map((m) => m.info.id);
      expect(all).toHaveLength(4);
      const first = await call('GET', `/session/${s.id}/message?limit=3`);
      expect(first.body.map((m: any) => m.info.id)).toEqual(all.slice(1));
      const cursor = first.headers.get('x-next-cursor')!;
      expect(first.headers.get('link')).toBe(
        `<${fake.baseUrl}/session/${s.id}/message?limit=3&before=${cursor}>; rel="next"`,
      );
      const second = await call('GET', `/session/${s.id}/message?limit=3&before=${cursor}`);
      expect(second.body.map((m: any) => m.info.id)).toEqual(all.slice(0, 1));
      expect(second.headers.get('x-next-cursor')).toBeNull();
      expect((await call('GET', `/session/${s.id}/message?before=garbage`)).status).toBe(400);
      expect((await call('GET', `/session/${s.id}/message/${all[1]}`)).body.info.id).toBe(all[1]);
      expect((await call('GET', `/session/${s.id}/message/msg_nope`)).status).toBe(404);
    });

    it('scripts: by text, by session, once, as a function; waits; explicit tokens and cost; a client-chosen message id', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      fake.script('make-it', [
        { type: 'write', path: 'scripted/x.txt', content: 'hello\n', tokens: { input: 10, output: 5 }, cost: 0.5 },
        { type: 'wait', until: gate },
        { type: 'text', text: 'all done' },
      ]);
      const s = await newSession();
      const busy = fake.waitForEvent((e) => e.type === 'file.edited');
      const messageID = 'msg_heddle_fake_0001';
      await prompt(s.id, 'please make-it', { messageID });
      await busy;
      expect((await call('GET', '/session/status')).body[s.id]).toEqual({ type: 'busy' });
      const idle = fake.waitForIdle(s.id);
      release();
      await idle;
      expect(readFileSync(join(fake.workspace, 'scripted/x.txt'), 'utf8')).toBe('hello\n');
      const [user, a1, a2] = await messages(s.id);
      expect(user.info.id).toBe(messageID);
      expect(a1.info).toMatchObject({ cost: 0.5, tokens: { input: 10, output: 5, reasoning: 0, total: 15 } });
      expect(a2.parts.find((p: any) => p.type === 'text').text).toBe('all done');

      const other = await newSession();
      fake.script({ sessionID: other.id }, [{ type: 'text', text: 'only here' }], { times: 1 });
      fake.script(
        (ctx) => ctx.text.startsWith('dyn:'),
        (ctx) => [{ type: 'text', text: `echo ${ctx.text.slice(4)}` }],
      );
      let done = fake.waitForIdle(other.id);
      await prompt(other.id, 'anything');
      await done;
      expect((await assistants(other.id)).at(-1).parts[1].text).toBe('only here');
      done = fake.waitForIdle(other.id);
      await prompt(other.id, 'dyn:42');
      await done;
      expect((await assistants(other.id)).at(-1).parts[1].text).toBe('echo 42');
      fake.setDefaultScript([{ type: 'text', text: 'default' }]);
      done = fake.waitForIdle(other.id);
      await prompt(other.id, 'anything');
      await done;
      expect((await assistants(other.id)).at(-1).parts[1].text).toBe('default');
    });

    it('FAIL: session.error APIError, idle twice, an assistant message with the error and no finish', async () => {
      const s = await newSession();
      const idle = fake.waitForIdle(s.id);
      const error = fake.waitForEvent((e) => e.type === 'session.error' && e.properties.sessionID === s.id);
      await prompt(s.id, 'FAIL');
      expect((await error).properties.error).toMatchObject({
        name: 'APIError',
        data: { message: 'fake LLM was told to FAIL', statusCode: 400, isRetryable: false },
      });
      await idle;
      const [last] = (await assistants(s.id)).slice(-1);
      expect(last.info.error.name).toBe('APIError');
      expect(last.info.finish).toBeUndefined();
      const idles = fake
        .events()
        .filter((e) => e.event.type === 'session.idle' && e.event.properties.sessionID === s.id);
      expect(idles).toHaveLength(2);
    });

    it('HANG until abort: busy in the status map, MessageAbortedError, and the session works again', async () => {
      const s = await newSession();
      const busy = fake.waitForEvent((e) => e.type === 'session.status' && e.properties.sessionID === s.id);
      await prompt(s.id, 'HANG');
      await busy;
      expect((await call('GET', '/session/status')).body[s.id]).toEqual({ type: 'busy' });
      expect((await call('GET', `/session/status?directory=${fake.workspaces.ws2}`)).body).toEqual({});
      const aborted = fake.waitForEvent((e) => e.type === 'session.error' && e.properties.sessionID === s.id);
      expect((await call('POST', `/session/${s.id}/abort`)).body).toBe(true);
      expect((await aborted).properties.error).toEqual({ name: 'MessageAbortedError', data: { message: 'Aborted' } });
      expect((await call('GET', '/session/status')).body).not.toHaveProperty(s.id);
      const [last] = (await assistants(s.id)).slice(-1);
      expect(last.info).toMatchObject({
        error: { name: 'MessageAbortedError' },
        time: { completed: expect.any(Number) },
      });
      expect(last.info.finish).toBeUndefined();

      const idle = fake.waitForIdle(s.id);
      await prompt(s.id, 'NOTOOL');
      await idle;
      expect((await assistants(s.id)).at(-1).info.finish).toBe('stop');
      // Abort of an idle (or unknown) session still answers true and emits idle.
      const spurious = fake.waitForIdle('ses_unknown000');
      expect((await call('POST', '/session/ses_unknown000/abort')).body).toBe(true);
      await spurious;
    });

    it('SLEEPTOOL hangs in the bash tool until abort; the part ends completed with the abort note', async () => {
      const s = await newSession();
      const running = fake.waitForEvent(
        (e) =>
          e.type === 'message.part.updated' &&
          e.properties.part.tool === 'bash' &&
          e.properties.part.state.status === 'running',
      );
      await prompt(s.id, 'SLEEPTOOL');
      await running;
      expect(fake.toolProcesses()).toEqual(['sleep 600']);
      await call('POST', `/session/${s.id}/abort`);
      expect(fake.toolProcesses()).toEqual([]);
      const [last] = (await assistants(s.id)).slice(-1);
      expect(last.info.error.name).toBe('MessageAbortedError');
      expect(last.parts.find((p: any) => p.type === 'tool').state).toMatchObject({
        status: 'completed',
        output: '(no output)\n\n<shell_metadata>\nUser aborted the command\n</shell_metadata>',
        metadata: { exit: null },
      });
    });

    it('a bash tool call runs for real: merged output and exit code', async () => {
      const s = await newSession();
      const idle = fake.waitForIdle(s.id);
      await prompt(s.id, 'CALL:bash {"command":"echo out; echo err >&2; exit 3","description":"run it"}');
      await idle;
      const tool = (await assistants(s.id))[0].parts.find((p: any) => p.type === 'tool');
      expect(tool.state).toMatchObject({
        status: 'completed',
        input: { command: 'echo out; echo err >&2; exit 3', description: 'run it' },
        title: 'echo out; echo err >&2; exit 3',
        metadata: { exit: 3, truncated: false },
      });
      expect(tool.state.output.split('\n').sort()).toEqual(['', 'err', 'out']);
    });

    it('retry: status retry with attempt and next, then the step completes', async () => {
      fake.script('flaky-model', [
        { type: 'retry', attempts: 2, intervalMs: 30 },
        { type: 'text', text: 'ok' },
      ]);
      const s = await newSession();
      const retry = fake.waitForEvent((e) => e.type === 'session.status' && e.properties.status.type === 'retry');
      const idle = fake.waitForIdle(s.id);
      await prompt(s.id, 'flaky-model');
      const status = (await retry).properties.status;
      expect(status).toMatchObject({
        type: 'retry',
        attempt: 1,
        message: expect.any(String),
        next: expect.any(Number),
      });
      await idle;
      const attempts = fake
        .events()
        .filter((e) => e.event.type === 'session.status' && e.event.properties.sessionID === s.id)
        .map((e) => e.event.properties.status.attempt)
        .filter(Boolean);
      expect(attempts).toEqual([1, 2]);
      expect((await assistants(s.id)).map((m) => m.info.finish)).toEqual(['stop']);
    });

    it('a prompt sent while busy joins the running loop: one idle ends both', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      fake.script('first', [
        { type: 'wait', until: gate },
        { type: 'text', text: 'first answer' },
      ]);
      fake.script('second', [{ type: 'text', text: 'second answer' }]);
      const s = await newSession();
      const busy = fake.waitForEvent((e) => e.type === 'session.status' && e.properties.sessionID === s.id);
      await prompt(s.id, 'first');
      await busy;
      await prompt(s.id, 'second');
      const idle = fake.waitForIdle(s.id);
      release();
      await idle;
      const all = await messages(s.id);
      // The first step's assistant message was created before the second prompt arrived.
      expect(all.map((m) => m.parts.find((p: any) => p.type === 'text')?.text)).toEqual([
        'first',
        'first answer',
        'second',
        'second answer',
      ]);
      expect(all[1].info.parentID).toBe(all[0].info.id);
      expect(all[3].info.parentID).toBe(all[2].info.id);
      expect(
        fake.events().filter((e) => e.event.type === 'session.idle' && e.event.properties.sessionID === s.id),
      ).toHaveLength(1);
    });
  });

  describe('permissions and questions', () => {
    const askEdit = [{ permission: 'edit', pattern: '*', action: 'ask' }];

    it('edit "ask": listed per directory, once writes the file, a second reply is 404', async () => {
      const s = await newSession({ permission: askEdit });
      const asked = fake.waitForEvent((e) => e.type === 'permission.asked' && e.properties.sessionID === s.id);
      await prompt(s.id, 'FILE:perm-once.md');
      const request = (await asked).properties;
      expect(request).toMatchObject({
        id: expect.stringMatching(/^per_/),
        permission: 'edit',
        patterns: ['perm-once.md'],
        always: ['*'],
        metadata: { filepath: join(fake.workspace, 'perm-once.md'), diff: expect.stringContaining('+# Done') },
        tool: { messageID: expect.stringMatching(/^msg_/), callID: expect.any(String) },
      });
      expect((await call('GET', '/permission')).body).toEqual([request]);
      expect((await call('GET', `/permission?directory=${fake.workspaces.ws2}`)).body).toEqual([]);
      expect(existsSync(join(fake.workspace, 'perm-once.md'))).toBe(false);
      expect((await call('GET', '/session/status')).body[s.id]).toEqual({ type: 'busy' });
      expect(
        (await call('POST', `/permission/${request.id}/reply?directory=${fake.workspaces.ws2}`, { reply: 'once' }))
          .status,
      ).toBe(404);
      expect((await call('POST', `/permission/${request.id}/reply`, { reply: 'yes' })).body).toEqual({
        name: 'BadRequest',
        data: { message: 'Expected "once" | "always" | "reject", got "yes"\n  at ["reply"]', kind: 'Payload' },
      });
      const idle = fake.waitForIdle(s.id);
      expect((await call('POST', `/permission/${request.id}/reply`, { reply: 'once' })).body).toBe(true);
      await idle;
      expect(readFileSync(join(fake.workspace, 'perm-once.md'), 'utf8')).toContain('# Done');
      expect((await call('POST', `/permission/${request.id}/reply`, { reply: 'once' })).status).toBe(404);
      const replied = fake.events().find((e) => e.event.type === 'permission.replied');
      expect(replied?.event.properties).toEqual({ sessionID: s.id, requestID: request.id, reply: 'once' });
    });

    it('reject ends the turn with a tool error; reject with a message lets the model continue', async () => {
      const s = await newSession({ permission: askEdit });
      let asked = fake.waitForEvent((e) => e.type === 'permission.asked' && e.properties.sessionID === s.id);
      let idle = fake.waitForIdle(s.id);
      await prompt(s.id, 'FILE:perm-reject.md');
      await call('POST', `/permission/${(await asked).properties.id}/reply`, { reply: 'reject' });
      await idle;
      let last = (await assistants(s.id)).at(-1);
      expect(last.info.finish).toBe('tool-calls');
      expect(last.parts.find((p: any) => p.type === 'tool').state).toMatchObject({
        status: 'error',
        error: 'The user rejected permission to use this specific tool call.',
      });
      expect(existsSync(join(fake.workspace, 'perm-reject.md'))).toBe(false);

      asked = fake.waitForEvent((e) => e.type === 'permission.asked' && e.properties.sessionID === s.id);
      idle = fake.waitForIdle(s.id);
      await prompt(s.id, 'FILE:perm-feedback.md');
      await call('POST', `/permission/${(await asked).properties.id}/reply`, { reply: 'reject', message: 'not there' });
      await idle;
      const turn = (await assistants(s.id)).slice(-2);
      expect(turn[0].parts.find((p: any) => p.type === 'tool').state.error).toBe(
        'The user rejected permission to use this specific tool call with the following feedback: not there',
      );
      expect(turn[1].info.finish).toBe('stop');
      last = turn[1];
      expect(last.parts.find((p: any) => p.type === 'text').text).toBe('done');
    });

    it('abort leaves the request pending, and approving it later still writes (as the real server does)', async () => {
      const s = await newSession({ permission: askEdit });
      const asked = fake.waitForEvent((e) => e.type === 'permission.asked' && e.properties.sessionID === s.id);
      await prompt(s.id, 'FILE:late.md');
      const id = (await asked).properties.id;
      await call('POST', `/session/${s.id}/abort`);
      const part = (await assistants(s.id)).at(-1).parts.find((p: any) => p.type === 'tool');
      expect(part.state).toMatchObject({ status: 'error', error: 'Tool execution aborted' });
      expect((await call('GET', '/permission')).body.map((p: any) => p.id)).toContain(id);
      await call('POST', `/permission/${id}/reply`, { reply: 'once' });
      expect(existsSync(join(fake.workspace, 'late.md'))).toBe(true);
    });

    it('"always" approves later requests of the same project; a config-level rule and a scripted ask work too', async () => {
      const s = await newSession({ permission: [{ permission: 'bash', pattern: '*', action: 'ask' }] });
      const asked = fake.waitForEvent((e) => e.type === 'permission.asked' && e.properties.sessionID === s.id);
      let idle = fake.waitForIdle(s.id);
      await prompt(s.id, 'CALL:bash {"command":"echo hi && exit 3","description":"x"}');
      const request = (await asked).properties;
      expect(request).toMatchObject({
        permission: 'bash',
        patterns: ['echo hi', 'exit 3'],
        always: ['echo *', 'exit *'],
        metadata: { command: 'echo hi && exit 3' },
      });
      await call('POST', `/permission/${request.id}/reply`, { reply: 'always' });
      await idle;
      idle = fake.waitForIdle(s.id);
      await prompt(s.id, 'CALL:bash {"command":"echo again","description":"x"}');
      await idle;
      expect((await assistants(s.id)).at(-2).parts.find((p: any) => p.type === 'tool').state.output).toBe('again\n');

      fake.script('forced', [{ type: 'write', path: 'forced.md', content: 'x', ask: true }]);
      const forced = fake.waitForEvent(
        (e) => e.type === 'permission.asked' && e.properties.patterns[0] === 'forced.md',
      );
      const t = await newSession();
      idle = fake.waitForIdle(t.id);
      await prompt(t.id, 'forced');
      await call('POST', `/permission/${(await forced).properties.id}/reply`, { reply: 'once' });
      await idle;
      expect(readFileSync(join(fake.workspace, 'forced.md'), 'utf8')).toBe('x');
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
          { label: 'S', description: 's' },
          { label: 'L', description: 'l' },
        ],
      },
    ];

    it('a question (ASK:<json>) is listed, a flat answer is 400, the answer reaches the tool output', async () => {
      const s = await newSession();
      const asked = fake.waitForEvent((e) => e.type === 'question.asked' && e.properties.sessionID === s.id);
      await prompt(s.id, `ASK:${JSON.stringify(questions)}`);
      const request = (await asked).properties;
      expect(request).toMatchObject({
        id: expect.stringMatching(/^que_/),
        questions,
        tool: { callID: expect.any(String) },
      });
      expect((await call('GET', '/question')).body).toEqual([request]);
      expect(await call('POST', `/question/${request.id}/reply`, { answers: ['Red'] })).toMatchObject({
        status: 400,
        body: { name: 'BadRequest', data: { message: 'Expected QuestionAnswer, got "Red"\n  at ["answers"][0]' } },
      });
      const idle = fake.waitForIdle(s.id);
      expect((await call('POST', `/question/${request.id}/reply`, { answers: [['Blue'], ['S', 'L']] })).body).toBe(
        true,
      );
      await idle;
      const [first, second] = await assistants(s.id);
      expect(first.parts.find((p: any) => p.type === 'tool').state).toMatchObject({
        status: 'completed',
        output:
          'User has answered your questions: "Which color?"="Blue", "Which sizes?"="S, L". You can now continue with the user\'s answers in mind.',
        title: 'Asked 2 questions',
        metadata: { answers: [['Blue'], ['S', 'L']] },
      });
      expect(second.info.finish).toBe('stop');
      expect((await call('GET', '/question')).body).toEqual([]);
    });

    it('a rejected question fails the tool and ends the turn', async () => {
      const s = await newSession();
      const asked = fake.waitForEvent((e) => e.type === 'question.asked' && e.properties.sessionID === s.id);
      const idle = fake.waitForIdle(s.id);
      await prompt(s.id, 'ASK');
      const id = (await asked).properties.id;
      expect((await call('POST', `/question/${id}/reject`)).body).toBe(true);
      await idle;
      const all = await assistants(s.id);
      expect(all).toHaveLength(1);
      expect(all[0].info.finish).toBe('tool-calls');
      expect(all[0].parts.find((p: any) => p.type === 'tool').state).toMatchObject({
        status: 'error',
        error: 'The user dismissed this question',
      });
      expect((await call('POST', `/question/${id}/reject`)).status).toBe(404);
    });
  });

  describe('shell, files and VCS', () => {
    it('shell runs `sh -c` in the session directory: merged output, no exit code; agent required', async () => {
      const s = await newSession();
      const res = await call('POST', `/session/${s.id}/shell`, {
        agent: 'build',
        command: 'X="a b"; echo "x=$X"; echo err >&2; pwd; false; echo "E=$?"; exit 7',
      });
      expect(res.status).toBe(200);
      expect(res.body.info).toMatchObject({ role: 'assistant', cost: 0, tokens: { input: 0, output: 0 } });
      expect(res.body.info.finish).toBeUndefined();
      const [part] = res.body.parts;
      expect(part).toMatchObject({ type: 'tool', tool: 'bash', state: { status: 'completed', title: '' } });
      expect(part.state.output.split('\n').sort()).toEqual(['', 'E=1', 'err', fake.workspace, 'x=a b'].sort());
      expect(part.state.metadata).toEqual({ output: part.state.output });
      const [user] = await messages(s.id);
      expect(user.parts[0]).toMatchObject({ text: 'The following tool was executed by the user', synthetic: true });
      expect(await call('POST', `/session/${s.id}/shell`, { command: 'echo' })).toMatchObject({
        status: 400,
        body: { name: 'BadRequest', data: { message: 'Missing key\n  at ["agent"]', kind: 'Payload' } },
      });
    });

    it('shell on a busy session is 409; abort kills the command and notes it', async () => {
      const s = await newSession();
      const started = fake.waitForEvent(
        (e) => e.type === 'message.part.updated' && e.properties.part.state?.metadata?.output === 'started\n',
      );
      const running = call('POST', `/session/${s.id}/shell`, { agent: 'build', command: 'echo started; sleep 30' });
      await started;
      expect(fake.toolProcesses()).toEqual(['sh -c echo started; sleep 30']);
      expect(await call('POST', `/session/${s.id}/shell`, { agent: 'build', command: 'echo second' })).toMatchObject({
        status: 409,
        body: { _tag: 'SessionBusyError', sessionID: s.id, message: `Session is busy: ${s.id}` },
      });
      await call('POST', `/session/${s.id}/abort`);
      const res = await running;
      expect(res.body.parts[0].state.output).toBe('started\n\n\n<metadata>\nUser aborted the command\n</metadata>');
      expect(fake.toolProcesses()).toEqual([]);
    });

    it('file routes read the real directory: trimmed content, "" for missing, 500 for escapes and directories', async () => {
      writeFileSync(join(fake.workspace, 'trim.txt'), '\n\n  lead\ntrail  \n\n\n');
      mkdirSync(join(fake.workspace, 'node_modules/pkg'), { recursive: true });
      writeFileSync(join(fake.workspace, 'node_modules/pkg/i.js'), '// TODO: ignored\n');
      writeFileSync(join(fake.workspace, '.gitignore'), 'node_modules\n');
      expect((await call('GET', '/file/content?path=trim.txt')).body).toEqual({ type: 'text', content: 'lead\ntrail' });
      expect((await call('GET', `/file/content?path=${join(fake.workspace, 'src/a.ts')}`)).body.content).toContain(
        'TODO',
      );
      expect((await call('GET', '/file/content?path=missing.txt')).body).toEqual({ type: 'text', content: '' });
      for (const path of ['../outside.txt', '/etc/hostname', 'src']) {
        expect((await call('GET', `/file/content?path=${path}`)).status).toBe(500);
      }
      const root = (await call('GET', '/file?path=')).body;
      expect(root.slice(0, 2).map((e: any) => e.type)).toEqual(['directory', 'directory']);
      expect(root).toEqual(
        expect.arrayContaining([
          { name: '.git', path: '.git/', absolute: join(fake.workspace, '.git'), type: 'directory', ignored: false },
          {
            name: 'node_modules',
            path: 'node_modules/',
            absolute: join(fake.workspace, 'node_modules'),
            type: 'directory',
            ignored: true,
          },
          {
            name: 'README.md',
            path: 'README.md',
            absolute: join(fake.workspace, 'README.md'),
            type: 'file',
            ignored: false,
          },
        ]),
      );
      expect((await call('GET', '/file?path=src')).body.map((e: any) => e.path)).toEqual(['src/a.ts']);
      expect((await call('GET', '/file?path=nope')).status).toBe(500);
      expect((await call('GET', '/find/file?query=a.ts')).body).toContain('src/a.ts');
      expect((await call('GET', '/find/file?query=src&type=directory')).body).toEqual(['src/']);
      expect((await call('GET', '/find/file?query=i.js')).body).toEqual([]);
      expect((await call('GET', '/find/file?query=.&limit=1')).body).toHaveLength(1);
      expect((await call('GET', `/find?pattern=${encodeURIComponent('TODO: f.nd')}`)).body).toEqual([
        {
          path: { text: 'src/a.ts' },
          lines: { text: '// TODO: find me\n' },
          line_number: 2,
          absolute_offset: 26,
          submatches: [{ match: { text: 'TODO: find' }, start: 3, end: 13 }],
        },
      ]);
    });

    it('VCS routes run git in the directory: branch, status with untracked files, per-file diffs', async () => {
      const ws2 = fake.workspaces.ws2;
      writeFileSync(join(ws2, 'README.md'), '# ws2\n\nchanged\n');
      writeFileSync(join(ws2, 'new.txt'), 'one\ntwo\n');
      const q = `directory=${encodeURIComponent(ws2)}`;
      expect((await call('GET', `/vcs?${q}`)).body).toEqual({ branch: 'main', default_branch: 'main' });
      expect((await call('GET', `/vcs/status?${q}`)).body).toEqual([
        { file: 'new.txt', additions: 2, deletions: 0, status: 'added' },
        { file: 'README.md', additions: 1, deletions: 1, status: 'modified' },
      ]);
      const diff = (await call('GET', `/vcs/diff?mode=git&${q}`)).body;
      expect(diff).toEqual([
        expect.objectContaining({ file: 'new.txt', status: 'added', additions: 2, deletions: 0 }),
        expect.objectContaining({ file: 'README.md', status: 'modified', additions: 1, deletions: 1 }),
      ]);
      expect(diff[0].patch).toMatch(
        /^diff --git a\/new.txt b\/new.txt\nnew file mode 100644\nindex 0000000\.\.[0-9a-f]{7}\n--- \/dev\/null\n\+\+\+ b\/new.txt\n@@ -0,0 \+1,2 @@\n\+one\n\+two\n$/,
      );
      expect(diff[1].patch).toContain('-A Heddle test workspace.\n+changed\n');
      expect((await call('GET', `/vcs/diff/raw?${q}`)).text).toContain('diff --git a/README.md b/README.md');
      expect((await call('GET', `/vcs?directory=/nonexistent/x`)).body).toEqual({ branch: null, default_branch: null });
    });
  });

  describe('recording and events', () => {
    it('records every request without the authorization header; clear() forgets them', async () => {
      fake.clear();
      await call(
        'POST',
        '/session?directory=/tmp/x',
        { title: 'rec' },
        { authorization: 'Basic secret', 'x-trace': 't1' },
      );
      await call('GET', '/nope?a=1');
      const [first, second] = fake.requests();
      expect(first).toMatchObject({
        method: 'POST',
        path: '/session',
        query: { directory: '/tmp/x' },
        body: { title: 'rec' },
        headers: expect.objectContaining({ 'x-trace': 't1', 'content-type': 'application/json' }),
      });
      expect(first.headers).not.toHaveProperty('authorization');
      expect(second).toMatchObject({ method: 'GET', path: '/nope', query: { a: '1' }, body: undefined });
      fake.clear();
      expect(fake.requests()).toEqual([]);
    });

    it('/global/event wraps events in {directory, project, payload}; emit() injects events', async () => {
      const global = await openStream(`${fake.baseUrl}/global/event`);
      const local = await openStream(`${fake.baseUrl}/event?directory=${encodeURIComponent(fake.workspaces.ws2)}`);
      try {
        expect(await global.waitFor(() => true)).toEqual({
          payload: { id: expect.stringMatching(/^evt_/), type: 'server.connected', properties: {} },
        });
        await local.waitFor((e) => e.type === 'server.connected');
        fake.emit('custom.event', { x: 1 }, fake.workspaces.ws2);
        const wrapped = await global.waitFor((e) => e.payload?.type === 'custom.event');
        expect(wrapped).toEqual({
          directory: fake.workspaces.ws2,
          project: expect.stringMatching(/^[0-9a-f]{40}$/),
          payload: { id: expect.stringMatching(/^evt_/), type: 'custom.event', properties: { x: 1 } },
        });
        expect(await local.waitFor((e) => e.type === 'custom.event')).toEqual(wrapped.payload);
      } finally {
        global.close();
        local.close();
      }
    });
  });
});

describe('fake OpenCode host: auth', () => {
  let fake: FakeOpencode;
  beforeAll(async () => {
    fake = await startFakeOpencode({ password: 'pw-1', username: 'heddle', git: false });
  });
  afterAll(() => fake.stop());

  it('401 with the Basic challenge on every route; Basic or ?auth_token= with the configured user pass', async () => {
    for (const path of ['/global/health', '/event', '/nope', '/session']) {
      const res = await fetch(fake.baseUrl + path);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="Secure Area"');
      expect(await res.text()).toBe('');
    }
    const basic = (user: string, pw: string) => ({
      authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`,
    });
    expect((await fetch(`${fake.baseUrl}/global/health`, { headers: basic('opencode', 'pw-1') })).status).toBe(401);
    expect((await fetch(`${fake.baseUrl}/global/health`, { headers: basic('heddle', 'wrong') })).status).toBe(401);
    expect((await fetch(`${fake.baseUrl}/global/health`, { headers: { authorization: 'Bearer pw-1' } })).status).toBe(
      401,
    );
    expect((await fetch(`${fake.baseUrl}/global/health`, { headers: basic('heddle', 'pw-1') })).status).toBe(200);
    expect((await fetch(`${fake.baseUrl}/global/health`, { headers: fake.authHeaders() })).status).toBe(200);
    const token = Buffer.from('heddle:pw-1').toString('base64');
    expect((await fetch(`${fake.baseUrl}/global/health?auth_token=${token}`)).status).toBe(200);
    const preflight = await fetch(`${fake.baseUrl}/session`, { method: 'OPTIONS' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET, HEAD, PUT, PATCH, POST, DELETE');
  });
});

describe('fake OpenCode host: models option', () => {
  it('/config/providers lists the given models by provider, with per-provider defaults; prompts may name only them', async () => {
    const fake = await startFakeOpencode({
      git: false,
      models: ['fake/fake-model', 'acme/big', 'acme/small', 'openrouter/anthropic/claude'],
      defaultModel: { providerID: 'acme', modelID: 'small' },
      cost: { input: 3, output: 15 },
    });
    try {
      const call = client(fake);
      const { body } = await call('GET', '/config/providers');
      expect(body.providers.map((p: any) => [p.id, Object.keys(p.models)])).toEqual([
        ['fake', ['fake-model']],
        ['acme', ['big', 'small']],
        ['openrouter', ['anthropic/claude']],
      ]);
      expect(body.default).toEqual({ fake: 'fake-model', acme: 'small', openrouter: 'anthropic/claude' });
      expect(body.providers[1].models.big).toMatchObject({
        id: 'big',
        providerID: 'acme',
        cost: { input: 3, output: 15, cache: { read: 0, write: 0 } },
        limit: { context: expect.any(Number), output: expect.any(Number) },
      });

      const session = (await call('POST', '/session', {})).body;
      const ask = (modelID: string) =>
        call('POST', `/session/${session.id}/message`, {
          parts: [{ type: 'text', text: 'NOTOOL' }],
          agent: 'build',
          model: { providerID: 'acme', modelID },
        });
      expect((await ask('big')).status).toBe(200);
      expect((await ask('huge')).status).toBe(500);
    } finally {
      await fake.stop();
    }
  });

  it("with models 'any' only the default model is listed", async () => {
    const fake = await startFakeOpencode({ git: false, models: 'any' });
    try {
      const { body } = await client(fake)('GET', '/config/providers');
      expect(body).toMatchObject({
        providers: [{ id: 'fake', models: { 'fake-model': {} } }],
        default: { fake: 'fake-model' },
      });
    } finally {
      await fake.stop();
    }
  });
});

describe('fake OpenCode host: switches', () => {
  let fake: FakeOpencode;
  beforeEach(async () => {
    fake = await startFakeOpencode({ git: false, heartbeatMs: 50 });
  });
  afterEach(() => fake.stop());

  const health = () => fetch(`${fake.baseUrl}/global/health`).then((r) => r.status);

  it('unreachable: connections are refused and open streams end; back on the same port with the state kept', async () => {
    const stream = await openStream(`${fake.baseUrl}/event`);
    const session = (await (await fetch(`${fake.baseUrl}/session`, { method: 'POST' })).json()) as any;
    const port = fake.port;
    await fake.setUnreachable(true);
    await stream.ended;
    const err = await errorOf(health());
    expect(err?.cause?.code).toBe('ECONNREFUSED');
    await fake.setUnreachable(false);
    expect(fake.port).toBe(port);
    expect(await health()).toBe(200);
    expect((await fetch(`${fake.baseUrl}/session/${session.id}`)).status).toBe(200);
    // Calls that are not awaited still apply in order.
    void fake.setUnreachable(true);
    await fake.setUnreachable(false);
    expect(await health()).toBe(200);
  });

  it('flaky: every Nth request is reset or answers 500; slow adds latency', async () => {
    fake.setFlaky({ every: 2 });
    expect(await health()).toBe(200);
    expect((await errorOf(health()))?.message).toBe('fetch failed');
    expect(await health()).toBe(200);
    fake.setFlaky({ every: 3, mode: '500' });
    const statuses = [await health(), await health(), await health()];
    expect(statuses).toEqual([200, 200, 500]);
    fake.setFlaky(null);
    fake.setSlow(150);
    const started = Date.now();
    expect(await health()).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('silentEvents: heartbeats and events stop (the stream stays open), then resume', async () => {
    const stream = await openStream(`${fake.baseUrl}/event`);
    try {
      const heartbeats = () => stream.frames.filter((f) => f.type === 'server.heartbeat').length;
      await fake.waitForEvent(() => false, 120).catch(() => undefined); // a few heartbeat periods
      expect(heartbeats()).toBeGreaterThan(0);
      fake.setSilentEvents(true);
      const before = stream.frames.length;
      fake.emit('lost.event', {});
      await new Promise((resolve) => setTimeout(resolve, 200)); // silence can only be shown by waiting
      expect(stream.frames.length).toBe(before);
      expect(fake.events().map((e) => e.event.type)).toContain('lost.event');
      fake.setSilentEvents(false);
      const seen = stream.frames.length;
      fake.emit('after.silence', {});
      await stream.waitFor((e) => e.type === 'after.silence');
      expect(stream.frames.slice(seen).some((f) => f.type === 'lost.event')).toBe(false);
    } finally {
      stream.close();
    }
  });

  it('disposeInstance emits server.instance.disposed and ends that directory stream only', async () => {
    const main = await openStream(`${fake.baseUrl}/event`);
    const other = await openStream(`${fake.baseUrl}/event?directory=/tmp/other-instance`);
    try {
      const res = await fetch(`${fake.baseUrl}/instance/dispose`, { method: 'POST' });
      expect(await res.json()).toBe(true);
      await main.ended;
      expect(main.events.at(-1)).toMatchObject({
        type: 'server.instance.disposed',
        properties: { directory: fake.workspace },
      });
      fake.disposeInstance('/tmp/other-instance');
      await other.ended;
      expect(other.events.at(-1)).toMatchObject({ properties: { directory: '/tmp/other-instance' } });
    } finally {
      main.close();
      other.close();
    }
  });

  it('many instances are cheap to run side by side', async () => {
    const started = Date.now();
    const many = await Promise.all(Array.from({ length: 40 }, () => startFakeOpencode({ git: false })));
    try {
      expect(new Set(many.map((f) => f.port)).size).toBe(40);
      const answers = await Promise.all(
        many.map((f) => fetch(`${f.baseUrl}/global/health`).then((r) => r.json() as Promise<any>)),
      );
      expect(answers.every((a) => a.healthy)).toBe(true);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await Promise.all(many.map((f) => f.stop()));
    }
  });
});

describe('keyword prompts (as the scripted fake LLM reads them)', () => {
  it('maps every keyword to steps', () => {
    expect(stepsForPrompt('HANG')).toEqual([{ type: 'hang' }]);
    expect(stepsForPrompt('FAIL and HANG')[0]).toMatchObject({ type: 'fail', statusCode: 400 });
    expect(stepsForPrompt('NOTOOL TOKENS:100,10,20,5')).toEqual([
      { type: 'text', text: 'done', tokens: { input: 80, output: 5, reasoning: 5, cache: { read: 20, write: 0 } } },
    ]);
    expect(stepsForPrompt('SLEEPTOOL')).toEqual([
      expect.objectContaining({ type: 'bash', command: 'sleep 600', hang: true }),
    ]);
    expect(stepsForPrompt('CALL:bash {"command":"ls","description":"x"}')).toEqual([
      expect.objectContaining({ type: 'bash', command: 'ls', description: 'x' }),
    ]);
    expect(stepsForPrompt('FILE:a/b.md SLOW:20')).toEqual([
      expect.objectContaining({
        type: 'write',
        path: 'a/b.md',
        content: '# Done\n\nWritten by the fake LLM.\n',
        delayMs: 20,
      }),
    ]);
    expect(stepsForPrompt('anything')).toEqual([expect.objectContaining({ type: 'write', path: 'DONE.md' })]);
    expect(stepsForPrompt('ASK')).toEqual([
      expect.objectContaining({ type: 'question', questions: [expect.objectContaining({ question: 'Which color?' })] }),
    ]);
  });
});
