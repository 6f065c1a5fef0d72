import { EventEmitter, once } from 'node:events';
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo, Socket } from 'node:net';

/**
 * A scripted, stateless OpenAI-compatible chat-completions server on loopback (opencode-offline.md §2).
 * Each reply is chosen from the request alone, by directives in the LAST user message:
 *
 * | request / directive            | reply                                                                 |
 * | ------------------------------ | --------------------------------------------------------------------- |
 * | no `tools` (OpenCode's title call) | text "Fake session title"                                         |
 * | last message is a tool result  | text "done", finish `stop`                                            |
 * | `FAIL`                         | HTTP 400, OpenAI-style error                                          |
 * | `HANG`                         | SSE headers, then silence until the client disconnects                |
 * | `NOTOOL`                       | text "done"                                                           |
 * | `CALL:<tool> {json}`           | exactly that tool call, e.g. `CALL:bash {"command":"ls","description":"x"}` |
 * | `SLEEPTOOL`                    | a `bash` tool call running `sleep 600`                                |
 * | `ASK` / `ASK:<json>`           | a `question` tool call; json = one question, an array, or `{questions}` |
 * | `FILE:<path>`                  | a `write` tool call for that path (default `DONE.md`)                 |
 * | anything else                  | a `write` tool call for `DONE.md`                                     |
 *
 * Modifiers, combinable with the above: `SLOW` / `SLOW:<ms>` delays the reply (default 1500 ms);
 * `TOKENS:<prompt>,<completion>[,<cached>[,<reasoning>]]` sets the usage chunk (default 120,12,0,0).
 */
export interface FakeLlm {
  /** e.g. `http://127.0.0.1:41234/v1`, the provider `baseURL`. */
  readonly baseUrl: string;
  readonly port: number;
  /** Every chat-completions call so far, oldest first. */
  requests(): FakeLlmRequest[];
  /** Resolves with the first request (already logged or future) that matches. */
  waitForRequest(match: (r: FakeLlmRequest) => boolean, timeoutMs?: number): Promise<FakeLlmRequest>;
  /** Calls whose client is still connected (HANG replies waiting for their disconnect). */
  openHangs(): number;
  /** Resolves once no HANG reply is held open any more. */
  waitForNoHangs(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface FakeLlmRequest {
  seq: number;
  at: number;
  model: string;
  stream: boolean;
  /** Tool names offered to the model ([] for the title call). */
  tools: string[];
  /** Role of the last message (`tool` after a tool result). */
  lastRole: string;
  /** Text of the last user message. */
  userText: string;
  /** What the fake answered: `title`, `text`, `tool:<name>`, `hang`, `fail`. */
  reply: string;
  /** For HANG: set when the client disconnected. */
  closedAt?: number;
}

export interface FakeLlmOptions {
  /** Fixed port (default: any free one). */
  port?: number;
  /** Delay for `SLOW` without a value. */
  slowMs?: number;
}

interface ChatMessage {
  role: string;
  content?: unknown;
}

interface ChatRequest {
  model?: string;
  stream?: boolean;
  messages?: ChatMessage[];
  tools?: { function?: { name?: string } }[];
}

interface Usage {
  prompt: number;
  completion: number;
  cached: number;
  reasoning: number;
}

type Reply =
  { kind: 'text'; text: string } | { kind: 'tool'; name: string; args: unknown } | { kind: 'hang' } | { kind: 'fail' };

export const FAKE_TITLE = 'Fake session title';
export const FAKE_DONE_CONTENT = '# Done\n\nWritten by the fake LLM.\n';

export async function startFakeLlm(options: FakeLlmOptions = {}): Promise<FakeLlm> {
  const log: FakeLlmRequest[] = [];
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  const hangs = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  let seq = 0;
  let callSeq = 0;

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: String(err) } }));
      } else res.destroy();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'GET' && req.url === '/requests') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(log));
      return;
    }
    if (req.method === 'GET' && req.url?.endsWith('/models')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [{ id: 'fake-model', object: 'model', owned_by: 'fake' }] }));
      return;
    }
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}` } }));
      return;
    }
    const body = JSON.parse(await readBody(req)) as ChatRequest;
    const messages = body.messages ?? [];
    const tools = (body.tools ?? []).map((t) => t.function?.name ?? '').filter(Boolean);
    const lastRole = messages.at(-1)?.role ?? '';
    const userText = textOf([...messages].reverse().find((m) => m.role === 'user')?.content);
    const reply = chooseReply(tools, lastRole, userText);
    const entry: FakeLlmRequest = {
      seq: ++seq,
      at: Date.now(),
      model: body.model ?? '',
      stream: body.stream === true,
      tools,
      lastRole,
      userText,
      reply:
        reply.kind === 'tool'
          ? `tool:${reply.name}`
          : reply.kind === 'text' && tools.length === 0
            ? 'title'
            : reply.kind,
    };
    log.push(entry);
    emitter.emit('request', entry);

    const slow = /\bSLOW(?::(\d+))?/.exec(userText);
    if (slow && tools.length > 0 && lastRole !== 'tool') await delay(Number(slow[1] ?? options.slowMs ?? 1500));

    if (reply.kind === 'fail') {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: { message: 'fake LLM was told to FAIL', type: 'invalid_request_error', code: 'fake_fail' },
        }),
      );
      return;
    }
    if (reply.kind === 'hang') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.flushHeaders();
      hangs.add(res);
      res.once('close', () => {
        hangs.delete(res);
        entry.closedAt = Date.now();
        emitter.emit('hang-closed');
      });
      return;
    }
    const usage = parseTokens(userText);
    const id = `chatcmpl-fake-${entry.seq}`;
    const chunks = replyChunks(reply, body.model ?? 'fake-model', id, `call_fake_${++callSeq}`, usage);
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(nonStreamReply(reply, body.model ?? 'fake-model', id, `call_fake_${callSeq}`, usage)));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    for (const c of chunks) res.write(`data: ${JSON.stringify(c)}\n\n`);
    res.end('data: [DONE]\n\n');
  }

  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    port,
    requests: () => log.map((r) => ({ ...r })),
    waitForRequest(match, timeoutMs = 15_000) {
      const found = log.find(match);
      if (found) return Promise.resolve({ ...found });
      return new Promise<FakeLlmRequest>((resolve, reject) => {
        const onRequest = (r: FakeLlmRequest) => {
          if (!match(r)) return;
          clearTimeout(timer);
          emitter.off('request', onRequest);
          resolve({ ...r });
        };
        const timer = setTimeout(() => {
          emitter.off('request', onRequest);
          reject(new Error(`fake LLM: no matching request within ${timeoutMs} ms; saw ${summary(log)}`));
        }, timeoutMs);
        emitter.on('request', onRequest);
      });
    },
    openHangs: () => hangs.size,
    waitForNoHangs(timeoutMs = 10_000) {
      if (hangs.size === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const onClosed = () => {
          if (hangs.size > 0) return;
          clearTimeout(timer);
          emitter.off('hang-closed', onClosed);
          resolve();
        };
        const timer = setTimeout(() => {
          emitter.off('hang-closed', onClosed);
          reject(new Error(`fake LLM: ${hangs.size} HANG call(s) still open after ${timeoutMs} ms`));
        }, timeoutMs);
        emitter.on('hang-closed', onClosed);
      });
    },
    async stop() {
      for (const res of hangs) res.destroy();
      for (const s of sockets) s.destroy();
      server.close();
      if (server.listening) await once(server, 'close');
    },
  };
}

/** Picks the reply from the request alone (exported for unit tests). */
export function chooseReply(tools: string[], lastRole: string, userText: string): Reply {
  if (tools.length === 0) return { kind: 'text', text: FAKE_TITLE };
  if (lastRole === 'tool') return { kind: 'text', text: 'done' };
  if (/\bFAIL\b/.test(userText)) return { kind: 'fail' };
  if (/\bHANG\b/.test(userText)) return { kind: 'hang' };
  if (/\bNOTOOL\b/.test(userText)) return { kind: 'text', text: 'done' };
  // SAY:<text to the end of the line>, `\n` for a line break: a reply of exactly that text, no tool.
  const say = /\bSAY:(.*)$/m.exec(userText);
  if (say) return { kind: 'text', text: say[1]!.trim().replace(/\\n/g, '\n') };
  const call = /\bCALL:([\w.-]+)\s*/.exec(userText);
  if (call) {
    const json = balancedJson(userText, call.index + call[0].length);
    return { kind: 'tool', name: call[1], args: json === undefined ? {} : JSON.parse(json) };
  }
  if (/\bSLEEPTOOL\b/.test(userText)) {
    return { kind: 'tool', name: 'bash', args: { command: 'sleep 600', description: 'Sleep for a long time' } };
  }
  const ask = /\bASK(?::|\b)/.exec(userText);
  if (ask) {
    const json = ask[0].endsWith(':') ? balancedJson(userText, ask.index + ask[0].length) : undefined;
    return { kind: 'tool', name: 'question', args: { questions: questionsOf(json) } };
  }
  const file = /\bFILE:(\S+)/.exec(userText);
  return { kind: 'tool', name: 'write', args: { filePath: file?.[1] ?? 'DONE.md', content: FAKE_DONE_CONTENT } };
}

function questionsOf(json: string | undefined): unknown[] {
  const fallback = {
    question: 'Which color?',
    header: 'Color',
    options: [
      { label: 'Red', description: 'warm' },
      { label: 'Blue', description: 'cold' },
    ],
  };
  if (json === undefined) return [fallback];
  const parsed = JSON.parse(json) as unknown;
  if (Array.isArray(parsed)) return parsed;
  if (parsed && typeof parsed === 'object' && Array.isArray((parsed as { questions?: unknown }).questions)) {
    return (parsed as { questions: unknown[] }).questions;
  }
  return [parsed];
}

/** The JSON object or array starting at `from` (after optional spaces), or undefined. */
export function balancedJson(text: string, from: number): string | undefined {
  let i = from;
  while (i < text.length && /\s/.test(text[i])) i++;
  if (text[i] !== '{' && text[i] !== '[') return undefined;
  const start = i;
  let depth = 0;
  let inString = false;
  for (; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') {
      depth--;
      if (depth === 0) return text.slice(start, i + 1);
    }
  }
  return undefined;
}

export function parseTokens(userText: string): Usage {
  const m = /\bTOKENS:(\d+),(\d+)(?:,(\d+))?(?:,(\d+))?/.exec(userText);
  if (!m) return { prompt: 120, completion: 12, cached: 0, reasoning: 0 };
  return { prompt: Number(m[1]), completion: Number(m[2]), cached: Number(m[3] ?? 0), reasoning: Number(m[4] ?? 0) };
}

function usageJson(u: Usage) {
  return {
    prompt_tokens: u.prompt,
    completion_tokens: u.completion,
    total_tokens: u.prompt + u.completion,
    prompt_tokens_details: { cached_tokens: u.cached },
    completion_tokens_details: { reasoning_tokens: u.reasoning },
  };
}

function replyChunks(reply: Reply, model: string, id: string, callId: string, usage: Usage): unknown[] {
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta: unknown, finish: string | null) => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  const out: unknown[] = [];
  if (reply.kind === 'text') {
    out.push(chunk({ role: 'assistant', content: '' }, null));
    out.push(chunk({ content: reply.text }, null));
    out.push(chunk({}, 'stop'));
  } else if (reply.kind === 'tool') {
    out.push(
      chunk(
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ index: 0, id: callId, type: 'function', function: { name: reply.name, arguments: '' } }],
        },
        null,
      ),
    );
    out.push(chunk({ tool_calls: [{ index: 0, function: { arguments: JSON.stringify(reply.args) } }] }, null));
    out.push(chunk({}, 'tool_calls'));
  }
  out.push({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: usageJson(usage) });
  return out;
}

function nonStreamReply(reply: Reply, model: string, id: string, callId: string, usage: Usage): unknown {
  const message =
    reply.kind === 'tool'
      ? {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: callId, type: 'function', function: { name: reply.name, arguments: JSON.stringify(reply.args) } },
          ],
        }
      : { role: 'assistant', content: reply.kind === 'text' ? reply.text : '' };
  return {
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message, finish_reason: reply.kind === 'tool' ? 'tool_calls' : 'stop' }],
    usage: usageJson(usage),
  };
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p) => (p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string' ? p.text : ''))
      .join('\n');
  }
  return '';
}

function summary(log: FakeLlmRequest[]): string {
  return JSON.stringify(log.map((r) => ({ reply: r.reply, lastRole: r.lastRole, text: r.userText.slice(0, 80) })));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
