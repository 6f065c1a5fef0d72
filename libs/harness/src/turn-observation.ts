import type { AssistantMessage, MessageWithParts, Part } from '@heddle/opencode-client';
import { claimsComplete } from '@heddle/checks';

export interface TokenUse {
  input: number;
  output: number;
  reasoning: number;
  cacheRead: number;
  cacheWrite: number;
}

/** Recent activity for events and turn records: assistant texts and tool names, never tool output. */
export interface Activity {
  texts: string[];
  tools: string[];
}

/** What a turn looks like from its messages: only the assistant replies to Heddle's own prompt count. */
export interface TurnObservation {
  /** Heddle's user message is in the session. */
  promptFound: boolean;
  /** Assistant messages answering it. */
  replies: number;
  tokens: TokenUse;
  costUsd: number;
  /** The newest reply failed: its error, with `aborted` for MessageAbortedError. */
  error: { name: string; message: string; aborted: boolean } | null;
  /** The newest reply has completed (it has `time.completed`). */
  lastReplyCompleted: boolean;
  /** Text of the newest reply. */
  lastText: string | null;
  /** A line `TASK COMPLETE` in the newest reply. Recorded; never completes a task by itself. */
  claimedComplete: boolean;
  activity: Activity;
  /** Files the turn changed (OpenCode `patch` parts), as the host reports them. */
  changedFiles: string[];
  /**
   * Changes whenever a reply completes or a part finishes: the same marker on two busy
   * observations means nothing visible happened in between (stale-busy).
   */
  progressMarker: string;
}

const EXCERPT = 280;
const KEEP_TEXTS = 3;
const KEEP_TOOLS = 10;

const isAssistant = (m: MessageWithParts): m is MessageWithParts<AssistantMessage> => m.info.role === 'assistant';

function partFinished(part: Part): boolean {
  switch (part.type) {
    case 'tool':
      return part.state.status === 'completed' || part.state.status === 'error';
    case 'text':
    case 'reasoning':
      return part.time?.end !== undefined;
    case 'step-finish':
    case 'patch':
      return true;
    default:
      return false;
  }
}

function clip(text: string): string {
  const flat = text.trim();
  return flat.length > EXCERPT ? `${flat.slice(0, EXCERPT - 1)}…` : flat;
}

function errorOf(info: AssistantMessage): TurnObservation['error'] {
  const error = info.error as { name?: string; data?: { message?: unknown } } | undefined;
  if (!error) return null;
  const name = error.name ?? 'UnknownError';
  const message = typeof error.data?.message === 'string' ? error.data.message : name;
  return { name, message, aborted: name === 'MessageAbortedError' };
}

/** Reads one turn (Heddle's prompt `userMessageId` and its replies) out of a session's messages. */
export function observeTurn(messages: readonly MessageWithParts[], userMessageId: string): TurnObservation {
  const replies = messages.filter(isAssistant).filter((m) => m.info.parentID === userMessageId);
  const tokens: TokenUse = { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 };
  let costUsd = 0;
  let finishedParts = 0;
  let completedReplies = 0;
  const texts: string[] = [];
  const tools: string[] = [];
  const changed = new Set<string>();
  for (const reply of replies) {
    const t = reply.info.tokens;
    tokens.input += t?.input ?? 0;
    tokens.output += t?.output ?? 0;
    tokens.reasoning += t?.reasoning ?? 0;
    tokens.cacheRead += t?.cache?.read ?? 0;
    tokens.cacheWrite += t?.cache?.write ?? 0;
    costUsd += reply.info.cost ?? 0;
    if (reply.info.time.completed !== undefined) completedReplies++;
    for (const part of reply.parts) {
      if (partFinished(part)) finishedParts++;
      if (part.type === 'text' && part.text.trim() && !part.synthetic) texts.push(clip(part.text));
      if (part.type === 'tool') tools.push(part.tool);
      if (part.type === 'patch') for (const file of part.files) changed.add(file);
    }
  }
  const last = replies.at(-1);
  const lastText = last
    ? last.parts
        .filter((p) => p.type === 'text')
        .map((p) => (p.type === 'text' ? p.text : ''))
        .join('\n')
    : null;
  return {
    promptFound: messages.some((m) => m.info.id === userMessageId),
    replies: replies.length,
    tokens,
    costUsd,
    error: last ? errorOf(last.info) : null,
    lastReplyCompleted: last?.info.time.completed !== undefined,
    lastText,
    claimedComplete: claimsComplete(lastText),
    activity: { texts: texts.slice(-KEEP_TEXTS), tools: tools.slice(-KEEP_TOOLS) },
    changedFiles: [...changed].sort(),
    progressMarker: `${replies.length}:${completedReplies}:${finishedParts}`,
  };
}

export const totalTokens = (t: TokenUse): number => t.input + t.output + t.reasoning;
