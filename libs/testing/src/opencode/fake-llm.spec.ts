import { balancedJson, chooseReply, FAKE_TITLE, parseTokens, startFakeLlm } from './fake-llm';

const TOOLS = ['bash', 'write', 'question'];

describe('fake LLM script', () => {
  it('answers the title call (no tools) and a tool result with text', () => {
    expect(chooseReply([], 'user', 'FILE:x.md')).toEqual({ kind: 'text', text: FAKE_TITLE });
    expect(chooseReply(TOOLS, 'tool', 'HANG')).toEqual({ kind: 'text', text: 'done' });
  });

  it('maps the keywords', () => {
    expect(chooseReply(TOOLS, 'user', 'please FAIL')).toEqual({ kind: 'fail' });
    expect(chooseReply(TOOLS, 'user', 'HANG now')).toEqual({ kind: 'hang' });
    expect(chooseReply(TOOLS, 'user', 'NOTOOL TOKENS:1,2')).toEqual({ kind: 'text', text: 'done' });
    expect(chooseReply(TOOLS, 'user', 'SLEEPTOOL')).toMatchObject({
      kind: 'tool',
      name: 'bash',
      args: { command: 'sleep 600' },
    });
    expect(chooseReply(TOOLS, 'user', 'FILE:docs/a.md SLOW')).toMatchObject({
      kind: 'tool',
      name: 'write',
      args: { filePath: 'docs/a.md' },
    });
    expect(chooseReply(TOOLS, 'user', 'anything')).toMatchObject({
      kind: 'tool',
      name: 'write',
      args: { filePath: 'DONE.md' },
    });
  });

  it('CALL: takes exactly the JSON object after the tool name, braces and quotes inside strings included', () => {
    const text = 'CALL:bash {"command":"echo \\"}{\\" && exit 3","description":"x"} and then some';
    expect(chooseReply(TOOLS, 'user', text)).toEqual({
      kind: 'tool',
      name: 'bash',
      args: { command: 'echo "}{" && exit 3', description: 'x' },
    });
  });

  it('ASK: accepts one question, an array, or {questions}; bare ASK asks a default question', () => {
    const q = { question: 'Which?', header: 'H', options: [{ label: 'A', description: 'a' }] };
    for (const json of [JSON.stringify(q), JSON.stringify([q]), JSON.stringify({ questions: [q] })]) {
      expect(chooseReply(TOOLS, 'user', `ASK:${json}`)).toEqual({
        kind: 'tool',
        name: 'question',
        args: { questions: [q] },
      });
    }
    expect(chooseReply(TOOLS, 'user', 'ASK')).toMatchObject({
      name: 'question',
      args: { questions: [{ header: 'Color' }] },
    });
    expect(chooseReply(TOOLS, 'user', 'TASK: write it')).toMatchObject({ name: 'write' });
  });

  it('parses TOKENS and balanced JSON', () => {
    expect(parseTokens('TOKENS:1200,120,200,50')).toEqual({
      prompt: 1200,
      completion: 120,
      cached: 200,
      reasoning: 50,
    });
    expect(parseTokens('TOKENS:10,2')).toEqual({ prompt: 10, completion: 2, cached: 0, reasoning: 0 });
    expect(parseTokens('none')).toEqual({ prompt: 120, completion: 12, cached: 0, reasoning: 0 });
    expect(balancedJson('  [1,{"a":"]"}] tail', 0)).toBe('[1,{"a":"]"}]');
    expect(balancedJson('x {', 1)).toBeUndefined();
    expect(balancedJson('nothing', 0)).toBeUndefined();
  });
});

describe('fake LLM server', () => {
  it('streams a tool call with usage, logs requests, and holds HANG open until the client leaves', async () => {
    const llm = await startFakeLlm();
    try {
      const post = (text: string, signal?: AbortSignal) =>
        fetch(`${llm.baseUrl}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            model: 'fake-model',
            stream: true,
            messages: [{ role: 'user', content: [{ type: 'text', text }] }],
            tools: [{ type: 'function', function: { name: 'write' } }],
          }),
          signal,
        });
      const body = await (await post('FILE:a.md TOKENS:100,10,0,0')).text();
      const chunks = body
        .split('\n\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6));
      expect(chunks.at(-1)).toBe('[DONE]');
      const parsed = chunks.slice(0, -1).map((c) => JSON.parse(c));
      expect(parsed[0].choices[0].delta.tool_calls[0].function.name).toBe('write');
      expect(JSON.parse(parsed[1].choices[0].delta.tool_calls[0].function.arguments)).toMatchObject({
        filePath: 'a.md',
      });
      expect(parsed[2].choices[0].finish_reason).toBe('tool_calls');
      expect(parsed[3].usage).toMatchObject({ prompt_tokens: 100, completion_tokens: 10 });

      const controller = new AbortController();
      const hung = await post('HANG', controller.signal);
      expect(hung.status).toBe(200);
      await llm.waitForRequest((r) => r.reply === 'hang');
      expect(llm.openHangs()).toBe(1);
      controller.abort();
      await llm.waitForNoHangs(5_000);
      expect(llm.requests().map((r) => r.reply)).toEqual(['tool:write', 'hang']);
      expect(llm.requests()[1].closedAt).toBeGreaterThan(0);
    } finally {
      await llm.stop();
    }
  });
});
