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
  /**
   * When the newest progress the marker counts happened, by the host's clock (ms): a reply created or
   * completed, a part finished. Null without replies. The stale clock starts here, not at the look.
   */
  progressAt: number | null;
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

/** When a finished part finished (ms), if the host says. */
function finishedAt(part: Part): number | undefined {
  switch (part.type) {
    case 'tool':
      // Hosts (and older versions) may leave the time out: then the reply's own times count.
      return part.state.status === 'completed' || part.state.status === 'error'
        ? (part.state.time as { end?: number } | undefined)?.end
        : undefined;
    case 'text':
    case 'reasoning':
      return part.time?.end;
    default:
      return undefined;
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

/**
 * What a run of a turn's replies adds up to — the part of an observation that can be carried over:
 * a look folds only the messages it has not folded before (TurnReader), since a completed reply
 * never changes again.
 */
export interface TurnFold {
  replies: number;
  completedReplies: number;
  finishedParts: number;
  tokens: TokenUse;
  costUsd: number;
  progressAt: number | null;
  /** The newest texts and tools (at most KEEP_TEXTS / KEEP_TOOLS). */
  texts: string[];
  tools: string[];
  /** Sorted, without repeats. */
  changed: string[];
  /** The newest reply so far: its error, whether it completed, its text. */
  last: { error: TurnObservation['error']; completed: boolean; text: string } | null;
}

export const EMPTY_FOLD: TurnFold = {
  replies: 0,
  completedReplies: 0,
  finishedParts: 0,
  tokens: { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 },
  costUsd: 0,
  progressAt: null,
  texts: [],
  tools: [],
  changed: [],
  last: null,
};

/** Folds more messages (oldest first, after those already folded) into a turn's fold: only the replies to `userMessageId` count. */
export function foldReplies(fold: TurnFold, messages: readonly MessageWithParts[], userMessageId: string): TurnFold {
  const replies = messages.filter(isAssistant).filter((m) => m.info.parentID === userMessageId);
  if (replies.length === 0) return fold;
  const tokens = { ...fold.tokens };
  let { costUsd, finishedParts, completedReplies, progressAt } = fold;
  const saw = (at: number | undefined) => {
    if (typeof at === 'number' && Number.isFinite(at) && (progressAt === null || at > progressAt)) progressAt = at;
  };
  const texts = [...fold.texts];
  const tools = [...fold.tools];
  const changed = new Set(fold.changed);
  for (const reply of replies) {
    const t = reply.info.tokens;
    tokens.input += t?.input ?? 0;
    tokens.output += t?.output ?? 0;
    tokens.reasoning += t?.reasoning ?? 0;
    tokens.cacheRead += t?.cache?.read ?? 0;
    tokens.cacheWrite += t?.cache?.write ?? 0;
    costUsd += reply.info.cost ?? 0;
    if (reply.info.time.completed !== undefined) completedReplies++;
    saw(reply.info.time.created);
    saw(reply.info.time.completed);
    for (const part of reply.parts) {
      if (partFinished(part)) {
        finishedParts++;
        saw(finishedAt(part));
      }
      if (part.type === 'text' && part.text.trim() && !part.synthetic) texts.push(clip(part.text));
      if (part.type === 'tool') tools.push(part.tool);
      if (part.type === 'patch') for (const file of part.files) changed.add(file);
    }
  }
  const newest = replies.at(-1)!;
  return {
    replies: fold.replies + replies.length,
    completedReplies,
    finishedParts,
    tokens,
    costUsd,
    progressAt,
    texts: texts.slice(-KEEP_TEXTS),
    tools: tools.slice(-KEEP_TOOLS),
    changed: [...changed].sort(),
    last: {
      error: errorOf(newest.info),
      completed: newest.info.time.completed !== undefined,
      text: newest.parts
        .filter((p) => p.type === 'text')
        .map((p) => (p.type === 'text' ? p.text : ''))
        .join('\n'),
    },
  };
}

/** The observation a fold makes, `promptFound` saying whether Heddle's prompt is in the session. */
export function observationOf(fold: TurnFold, promptFound: boolean): TurnObservation {
  const lastText = fold.last ? fold.last.text : null;
  return {
    promptFound,
    replies: fold.replies,
    tokens: { ...fold.tokens },
    costUsd: fold.costUsd,
    error: fold.last?.error ?? null,
    lastReplyCompleted: fold.last?.completed ?? false,
    lastText,
    claimedComplete: claimsComplete(lastText),
    activity: { texts: [...fold.texts], tools: [...fold.tools] },
    changedFiles: [...fold.changed],
    progressMarker: `${fold.replies}:${fold.completedReplies}:${fold.finishedParts}`,
    progressAt: fold.progressAt,
  };
}

/** Reads one turn (Heddle's prompt `userMessageId` and its replies) out of a session's messages. */
export function observeTurn(messages: readonly MessageWithParts[], userMessageId: string): TurnObservation {
  return observationOf(
    foldReplies(EMPTY_FOLD, messages, userMessageId),
    messages.some((m) => m.info.id === userMessageId),
  );
}

export const totalTokens = (t: TokenUse): number => t.input + t.output + t.reasoning;
