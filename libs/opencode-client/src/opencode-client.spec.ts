import { OpencodeClient } from './opencode-client';
import {
  OpencodeBadResponseError,
  OpencodeConflictError,
  OpencodeError,
  OpencodeTimeoutError,
  OpencodeUnreachableError,
} from './errors';
import { FetchLike } from './http';

interface Call {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: unknown;
}

/** A fetch that records calls and answers from a route table. */
function fakeFetch(answer: (call: Call) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fetchImpl: FetchLike = async (input, init) => {
    const call: Call = {
      url: new URL(String(input)),
      method: init?.method ?? 'GET',
      headers: (init?.headers ?? {}) as Record<string, string>,
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
    };
    calls.push(call);
    return answer(call);
  };
  return { calls, fetchImpl };
}

const json = (value: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json', ...headers } });

describe('OpencodeClient (against a scripted fetch)', () => {
  it('sends directory on instance routes only, encodes path params and adds basic auth', async () => {
    const f = fakeFetch((c) =>
      c.url.pathname === '/global/health' ? json({ healthy: true, version: '1.18.34' }) : json({ id: 'ses_1' }),
    );
    const client = new OpencodeClient({
      baseUrl: 'http://127.0.0.1:4096/',
      directory: '/srv/ws',
      auth: { password: 's3cret' },
      fetch: f.fetchImpl,
    });
    await client.health();
    await client.getSession('ses_a/b');
    await client.getSession('ses_1', { directory: '/srv/ws2' });
    expect(f.calls.map((c) => `${c.method} ${c.url.pathname}${c.url.search}`)).toEqual([
      'GET /global/health',
      'GET /session/ses_a%2Fb?directory=%2Fsrv%2Fws',
      'GET /session/ses_1?directory=%2Fsrv%2Fws2',
    ]);
    expect(f.calls[0].headers.authorization).toBe(`Basic ${Buffer.from('opencode:s3cret').toString('base64')}`);
  });

  it('moves credentials out of the base URL and never puts the password in an error', async () => {
    const f = fakeFetch(() => new Response('', { status: 401 }));
    const client = new OpencodeClient({ baseUrl: 'http://heddle:hunter2@box:4096', fetch: f.fetchImpl });
    expect(client.baseUrl).toBe('http://box:4096');
    const err = await client.health().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpencodeError);
    expect(f.calls[0].url.username).toBe('');
    expect(f.calls[0].headers.authorization).toBe(`Basic ${Buffer.from('heddle:hunter2').toString('base64')}`);
    expect(JSON.stringify({ m: (err as Error).message, s: (err as Error).stack, e: err })).not.toMatch(/hunter2/);
  });

  it('builds prompt bodies: text first, model parsed from provider/model, agent and messageID kept', async () => {
    const f = fakeFetch(() => new Response(null, { status: 204 }));
    const client = new OpencodeClient({ baseUrl: 'http://box', fetch: f.fetchImpl });
    await client.promptAsync('ses_1', {
      text: 'hello',
      parts: [{ type: 'text', text: 'more' }],
      model: 'openrouter/anthropic/claude',
      agent: 'build',
      messageID: 'msg_heddle_1',
    });
    expect(f.calls[0].body).toEqual({
      parts: [
        { type: 'text', text: 'hello' },
        { type: 'text', text: 'more' },
      ],
      model: { providerID: 'openrouter', modelID: 'anthropic/claude' },
      agent: 'build',
      messageID: 'msg_heddle_1',
    });
    await expect(client.promptAsync('ses_1', {})).rejects.toThrow(/text or parts/);
  });

  it('creates sessions with the session-level model shape {id, providerID}', async () => {
    const f = fakeFetch(() => json({ id: 'ses_1' }));
    const client = new OpencodeClient({ baseUrl: 'http://box', fetch: f.fetchImpl });
    await client.createSession({
      title: 't',
      model: 'fake/fake-model',
      permission: [{ permission: 'edit', pattern: '*', action: 'ask' }],
    });
    expect(f.calls[0].body).toEqual({
      title: 't',
      model: { id: 'fake-model', providerID: 'fake' },
      permission: [{ permission: 'edit', pattern: '*', action: 'ask' }],
    });
  });

  it('reads X-Next-Cursor for message paging and absent statuses as idle', async () => {
    const f = fakeFetch((c) =>
      c.url.pathname === '/session/status'
        ? json({ ses_busy: { type: 'busy' } })
        : json(
            [{ info: { id: 'msg_1' }, parts: [] }],
            200,
            c.url.searchParams.get('before') ? {} : { 'x-next-cursor': 'CUR' },
          ),
    );
    const client = new OpencodeClient({ baseUrl: 'http://box', fetch: f.fetchImpl });
    expect(await client.listMessages('ses_1', { limit: 1 })).toMatchObject({ nextCursor: 'CUR' });
    const last = await client.listMessages('ses_1', { limit: 1, before: 'CUR' });
    expect(last.nextCursor).toBeUndefined();
    expect(f.calls[1].url.search).toBe('?limit=1&before=CUR');
    expect(await client.sessionStatus('ses_busy')).toEqual({ type: 'busy' });
    expect(await client.sessionStatus('ses_other')).toEqual({ type: 'idle' });
  });

  it('reads /config/providers and /agent for the directory, and rejects other shapes', async () => {
    const providers = {
      providers: [{ id: 'fake', name: 'Fake LLM', models: { 'fake-model': { id: 'fake-model', providerID: 'fake' } } }],
      default: { fake: 'fake-model' },
    };
    const agents = [
      { name: 'build', mode: 'primary', native: true, permission: [], options: {} },
      { name: 'title', mode: 'primary', native: true, hidden: true, permission: [], options: {} },
    ];
    const f = fakeFetch((c) => (c.url.pathname === '/agent' ? json(agents) : json(providers)));
    const client = new OpencodeClient({ baseUrl: 'http://box', directory: '/srv/ws', fetch: f.fetchImpl });
    expect(await client.configProviders()).toEqual(providers);
    expect(await client.agents({ directory: '/srv/ws2' })).toEqual(agents);
    expect(f.calls.map((c) => `${c.method} ${c.url.pathname}${c.url.search}`)).toEqual([
      'GET /config/providers?directory=%2Fsrv%2Fws',
      'GET /agent?directory=%2Fsrv%2Fws2',
    ]);

    for (const body of [{ providers: [{ id: 'x' }], default: {} }, { providers: {} }, []]) {
      const bad = new OpencodeClient({ baseUrl: 'http://box', fetch: fakeFetch(() => json(body)).fetchImpl });
      await expect(bad.configProviders()).rejects.toBeInstanceOf(OpencodeBadResponseError);
    }
    for (const body of [{ build: {} }, [{ mode: 'primary' }]]) {
      const bad = new OpencodeClient({ baseUrl: 'http://box', fetch: fakeFetch(() => json(body)).fetchImpl });
      await expect(bad.agents()).rejects.toBeInstanceOf(OpencodeBadResponseError);
    }
  });

  it('rejects a body of the wrong shape', async () => {
    const f = fakeFetch(() => json({ not: 'a list' }));
    const client = new OpencodeClient({ baseUrl: 'http://box', fetch: f.fetchImpl });
    await expect(client.listSessions()).rejects.toBeInstanceOf(OpencodeBadResponseError);
  });

  it('stat() lists the parent; 500 (missing parent or outside) means absent', async () => {
    const f = fakeFetch((c) => {
      const path = c.url.searchParams.get('path');
      if (c.url.searchParams.get('directory') !== '/w') {
        return json({ name: 'UnknownError', data: { message: 'Unexpected server error.', ref: 'err_0' } }, 500);
      }
      if (path === 'src')
        return json([{ name: 'a.ts', path: 'src/a.ts', absolute: '/w/src/a.ts', type: 'file', ignored: false }]);
      if (path === '.')
        return json([{ name: 'src', path: 'src/', absolute: '/w/src', type: 'directory', ignored: false }]);
      return json({ name: 'UnknownError', data: { message: 'Unexpected server error.', ref: 'err_1' } }, 500);
    });
    const client = new OpencodeClient({ baseUrl: 'http://box', directory: '/w', fetch: f.fetchImpl });
    expect(await client.fileExists('src/a.ts')).toBe(true);
    expect(await client.fileExists('./src/')).toBe(true);
    expect(await client.fileExists('src/b.ts')).toBe(false);
    expect(await client.fileExists('nope/x')).toBe(false);
    expect(await client.directoryExists()).toBe(true);
    expect(await client.directoryExists('/missing')).toBe(false);
    expect(f.calls.at(-1)!.url.search).toBe('?path=.&directory=%2Fmissing');
    await expect(client.stat('.')).rejects.toThrow(TypeError);
  });

  it('times out a call that does not answer', async () => {
    const f = fakeFetch(
      (c) =>
        new Promise<Response>(() => {
          void c;
        }),
    );
    const fetchImpl: FetchLike = (input, init) =>
      new Promise((_, reject) => {
        void f.fetchImpl(input, init);
        init?.signal?.addEventListener('abort', () =>
          reject(Object.assign(new Error('aborted'), { name: 'AbortError' })),
        );
      });
    const client = new OpencodeClient({ baseUrl: 'http://box', timeoutMs: 30, fetch: fetchImpl });
    const err = await client.health().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpencodeTimeoutError);
    expect(err).toMatchObject({ timeoutMs: 30, route: 'GET /global/health' });
    const slow = await client.health({ timeoutMs: 5 }).catch((e: unknown) => e);
    expect(slow).toMatchObject({ timeoutMs: 5 });
  });

  it('maps a refused connection to OpencodeUnreachableError', async () => {
    const client = new OpencodeClient({
      baseUrl: 'http://box',
      fetch: async () => {
        throw new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) });
      },
    });
    await expect(client.health()).rejects.toBeInstanceOf(OpencodeUnreachableError);
  });

  describe('runCommand', () => {
    function shellAnswer(output: (command: string) => string) {
      return fakeFetch((c) => {
        if (c.url.pathname.endsWith('/abort')) return json(true);
        const command = (c.body as { command: string }).command;
        return json({
          info: { id: 'msg_a', role: 'assistant' },
          parts: [
            { type: 'tool', tool: 'bash', state: { status: 'completed', output: output(command), metadata: {} } },
          ],
        });
      });
    }
    const markerOf = (serverCommand: string) => {
      const wrapper = Buffer.from(serverCommand.split(' ')[1], 'base64').toString('utf8');
      return /'(__HEDDLE_EXIT_[0-9a-f]+)'/.exec(wrapper)![1];
    };

    it('parses the exit code and strips the marker', async () => {
      const f = shellAnswer((cmd) => `hello\n\n${markerOf(cmd)}=4\n`);
      const client = new OpencodeClient({ baseUrl: 'http://box', directory: '/w', fetch: f.fetchImpl });
      expect(await client.runCommand('ses_1', 'echo hello; exit 4')).toEqual({
        exitCode: 4,
        output: 'hello\n',
        timedOut: false,
        messageID: 'msg_a',
      });
      expect(f.calls[0].body).toMatchObject({ agent: 'build' });
      expect((f.calls[0].body as { command: string }).command).toMatch(/^echo [A-Za-z0-9+/=]+ \| base64 -d \| sh$/);
    });

    it('passes 409 busy through as OpencodeConflictError', async () => {
      const f = fakeFetch(() =>
        json({ _tag: 'SessionBusyError', sessionID: 'ses_1', message: 'Session is busy: ses_1' }, 409),
      );
      const client = new OpencodeClient({ baseUrl: 'http://box', fetch: f.fetchImpl });
      await expect(client.runCommand('ses_1', 'true')).rejects.toBeInstanceOf(OpencodeConflictError);
    });

    it('aborts the session on timeout and reports timedOut with the partial output', async () => {
      let release!: () => void;
      const aborted = new Promise<void>((r) => (release = r));
      const f = fakeFetch(async (c) => {
        if (c.url.pathname.endsWith('/abort')) {
          release();
          return json(true);
        }
        await aborted;
        return json({
          info: { id: 'msg_a' },
          parts: [
            {
              type: 'tool',
              state: { status: 'completed', output: 'start\n\n\n<metadata>\nUser aborted the command\n</metadata>' },
            },
          ],
        });
      });
      const client = new OpencodeClient({ baseUrl: 'http://box', directory: '/w', fetch: f.fetchImpl });
      const result = await client.runCommand('ses_1', 'echo start; sleep 60', { timeoutMs: 20 });
      expect(result).toEqual({
        exitCode: null,
        output: 'start\n',
        timedOut: true,
        note: 'User aborted the command',
        messageID: 'msg_a',
      });
      expect(f.calls.map((c) => c.url.pathname)).toEqual(['/session/ses_1/shell', '/session/ses_1/abort']);
    });
  });
});
