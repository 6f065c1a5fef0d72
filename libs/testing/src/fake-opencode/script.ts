import { FAKE_DONE_CONTENT, chooseReply, parseTokens } from '../opencode/fake-llm';
import type { FakeQuestion, FakeStep, FakeTokensInput } from './types';

/** What keyword prompts write: the same content as the scripted fake LLM behind the real server. */
export const DEFAULT_FILE_CONTENT = FAKE_DONE_CONTENT;

export interface KeywordOptions {
  /** Overrides what `FILE:`/default prompts write. */
  fileContent?: string;
  /** Delay of `SLOW` without a value (the fake LLM's default is 1500 ms). */
  slowMs?: number;
}

/** A tool call the model makes (`CALL:<tool> {json}`, `ASK`, …) translated into a scripted step. */
export function stepForToolCall(tool: string, input: Record<string, unknown>): FakeStep {
  const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v));
  switch (tool) {
    case 'bash':
      return {
        type: 'bash',
        command: str(input.command),
        description: typeof input.description === 'string' ? input.description : undefined,
      };
    case 'write':
      return { type: 'write', path: str(input.filePath), content: str(input.content) };
    case 'read':
      return { type: 'read', path: str(input.filePath) };
    case 'question':
      return { type: 'question', questions: (Array.isArray(input.questions) ? input.questions : []) as FakeQuestion[] };
    default:
      return { type: 'tool', tool, input, output: '' };
  }
}

/**
 * What the project's scripted fake LLM (libs/testing/src/opencode/fake-llm.ts, which drives the real
 * `opencode serve` in tests) makes of a prompt, as steps of this fake: its own `chooseReply` decides
 * (`FAIL`, `HANG`, `NOTOOL`, `CALL:<tool> {json}`, `SLEEPTOOL`, `ASK`/`ASK:<json>`, `FILE:<path>`, else a
 * write of `DONE.md`), `TOKENS:<prompt>,<completion>[,<cached>[,<reasoning>]]` sets every step's usage
 * (mapped as OpenCode maps a usage chunk) and `SLOW`/`SLOW:<ms>` delays the first model reply. After a
 * tool the model answers "done". `SLEEPTOOL`'s `sleep 600` is simulated (no process; abort ends it).
 */
export function stepsForPrompt(text: string, options: KeywordOptions = {}): FakeStep[] {
  const usage = parseTokens(text);
  const tokens: FakeTokensInput | undefined = /\bTOKENS:/.test(text)
    ? {
        input: usage.prompt - usage.cached,
        output: usage.completion - usage.reasoning,
        reasoning: usage.reasoning,
        cache: { read: usage.cached, write: 0 },
      }
    : undefined;
  const slow = /\bSLOW(?::(\d+))?/.exec(text);
  const delayMs = slow ? Number(slow[1] ?? options.slowMs ?? 1500) : undefined;
  const reply = chooseReply(['bash', 'write', 'read', 'question'], 'user', text);
  switch (reply.kind) {
    case 'fail':
      return [
        ...(delayMs ? [{ type: 'wait' as const, ms: delayMs }] : []),
        { type: 'fail', message: 'fake LLM was told to FAIL', statusCode: 400, isRetryable: false },
      ];
    case 'hang':
      return [{ type: 'hang' }];
    case 'text':
      return [{ type: 'text', text: reply.text, tokens, delayMs }];
    case 'tool': {
      const args = (reply.args ?? {}) as Record<string, unknown>;
      let step = stepForToolCall(reply.name, args);
      if (step.type === 'write' && options.fileContent !== undefined && args.content === FAKE_DONE_CONTENT) {
        step = { ...step, content: options.fileContent };
      }
      if (step.type === 'bash' && /\bSLEEPTOOL\b/.test(text) && step.command === 'sleep 600') {
        step = { ...step, hang: true };
      }
      return [{ ...step, tokens, delayMs } as FakeStep];
    }
  }
}
