// A session's turns: prompting (async or waiting for the answer), busy/idle status, the messages a
// turn leaves behind, and aborting it.
import { ApiCaller, CallOptions } from './api-call';
import { ModelRef, toModelRef } from './model-ref';
import { isArray, isBoolean, isMessage, isObject } from './response-checks';
import type { AssistantMessage, Message, MessageWithParts, OperationBody, PartInput, SessionStatus } from './types';

export interface PromptInput {
  /** One text part; combined with `parts` when both are given (text first). */
  text?: string;
  parts?: PartInput[];
  /** `provider/model` or `{providerID, modelID}`; send it on every prompt. */
  model?: string | ModelRef;
  /** Send it on every prompt: the session-level agent is not applied. */
  agent?: string;
  /** A client-chosen user message id (`msg_…`); re-using one appends to that message and starts no turn. */
  messageID?: string;
  system?: string;
  tools?: Record<string, boolean>;
  noReply?: boolean;
  variant?: string;
}

export interface MessagePage {
  /** Oldest first. */
  messages: MessageWithParts[];
  /** Pass as `before` for the next (older) page; absent on the last page. */
  nextCursor?: string;
}

/** Deadline of the synchronous prompt when neither the call nor the client names one. */
const DEFAULT_PROMPT_TIMEOUT_MS = 300_000;

export class PromptCalls {
  constructor(
    private readonly api: ApiCaller,
    /** The client's `promptTimeoutMs` option. */
    private readonly promptTimeoutMs: number | undefined,
  ) {}

  async promptAsync(sessionId: string, input: PromptInput, opts?: CallOptions): Promise<void> {
    await this.api.call(
      'post',
      '/session/{sessionID}/prompt_async',
      { path: { sessionID: sessionId }, body: promptBody(input), expect: 'empty' },
      opts,
    );
  }

  async prompt(sessionId: string, input: PromptInput, opts?: CallOptions): Promise<MessageWithParts<AssistantMessage>> {
    return this.api.call(
      'post',
      '/session/{sessionID}/message',
      { path: { sessionID: sessionId }, body: promptBody(input), check: isMessage, shape: '{info, parts}' },
      { ...opts, timeoutMs: opts?.timeoutMs ?? this.promptTimeoutMs ?? DEFAULT_PROMPT_TIMEOUT_MS },
    );
  }

  /** Only busy (or retrying) sessions are listed: absent from the map means idle. */
  async statuses(opts?: CallOptions): Promise<Record<string, SessionStatus>> {
    return this.api.call('get', '/session/status', { check: isObject, shape: 'map of SessionStatus' }, opts);
  }

  async listMessages(
    sessionId: string,
    query: { limit?: number; before?: string },
    opts?: CallOptions,
  ): Promise<MessagePage> {
    const { value, headers } = await this.api.send(
      'get',
      '/session/{sessionID}/message',
      { path: { sessionID: sessionId }, query, check: isArray, shape: '{info, parts}[]' },
      opts,
    );
    const nextCursor = headers.get('x-next-cursor') || undefined;
    return { messages: value as MessageWithParts[], ...(nextCursor ? { nextCursor } : {}) };
  }

  async getMessage(sessionId: string, messageId: string, opts?: CallOptions): Promise<MessageWithParts<Message>> {
    return this.api.call(
      'get',
      '/session/{sessionID}/message/{messageID}',
      { path: { sessionID: sessionId, messageID: messageId }, check: isMessage, shape: '{info, parts}' },
      opts,
    );
  }

  async abort(sessionId: string, opts?: CallOptions): Promise<boolean> {
    return this.api.call(
      'post',
      '/session/{sessionID}/abort',
      { path: { sessionID: sessionId }, check: isBoolean, shape: 'boolean' },
      opts,
    );
  }
}

/** The body of both prompt routes: `text` becomes the first part, the model goes as `{providerID, modelID}`. */
function promptBody(input: PromptInput): OperationBody<'/session/{sessionID}/prompt_async', 'post'> {
  const parts: PartInput[] = [];
  if (input.text !== undefined) parts.push({ type: 'text', text: input.text });
  if (input.parts) parts.push(...input.parts);
  if (parts.length === 0) throw new TypeError('a prompt needs text or parts');
  const { text: _text, parts: _parts, model, ...rest } = input;
  return { ...rest, parts, ...(model !== undefined ? { model: toModelRef(model) } : {}) };
}
