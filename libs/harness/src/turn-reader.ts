import { Injectable } from '@nestjs/common';
import type { MessageWithParts, OpencodeClient } from '@heddle/opencode-client';
import { EMPTY_FOLD, TurnFold, TurnObservation, foldReplies, observationOf } from './turn-observation';

/** Messages a first read asks for per page (a whole turn, usually). */
const FIRST_PAGE = 50;
/** Messages a later read asks for per page: what came since the last look, usually. */
const NEXT_PAGE = 10;
/** Turns whose settled prefix a worker remembers (the oldest are forgotten first). */
const MAX_TURNS = 10_000;

/** A turn's settled prefix: messages that can no longer change (user messages, completed replies). */
interface Settled {
  /** The newest settled message's id (ids ascend in a session). */
  lastId: string;
  fold: TurnFold;
}

/**
 * Reads a turn's messages incrementally. A completed reply never changes again, so what a look has
 * folded up to the newest settled message is kept (per worker, in memory) and the next look asks
 * only for the messages after it — most looks read one short page instead of the whole turn, and fold
 * only the reply still running. A cold cache (another worker, a restart) reads the whole turn once.
 */
@Injectable()
export class TurnReader {
  private readonly settled = new Map<string, Settled>();

  async observe(client: OpencodeClient, sessionId: string, userMessageId: string): Promise<TurnObservation> {
    const key = `${sessionId}|${userMessageId}`;
    const known = this.settled.get(key);
    const since = known?.lastId ?? userMessageId;
    const read = await this.readBack(client, sessionId, since, known ? NEXT_PAGE : FIRST_PAGE);
    if (known && !read.messages.some((m) => m.info.id === known.lastId)) {
      // The settled message is gone (history rewritten on the host): start over from the prompt.
      this.settled.delete(key);
      return this.observe(client, sessionId, userMessageId);
    }
    const after = read.messages.filter((m) => m.info.id > since);
    const promptFound = known !== undefined || read.messages.some((m) => m.info.id === userMessageId);
    const base = known?.fold ?? EMPTY_FOLD;
    const observation = observationOf(foldReplies(base, after, userMessageId), promptFound);
    if (promptFound) this.remember(key, known, after, userMessageId);
    return observation;
  }

  /** Forgets a turn (it ended). */
  forget(sessionId: string, userMessageId: string): void {
    this.settled.delete(`${sessionId}|${userMessageId}`);
  }

  /** Pages back from the newest message until one at or before `since` (or the session's start). */
  private async readBack(
    client: OpencodeClient,
    sessionId: string,
    since: string,
    limit: number,
  ): Promise<{ messages: MessageWithParts[] }> {
    const collected: MessageWithParts[] = [];
    let before: string | undefined;
    for (;;) {
      const page = await client.listMessages(sessionId, { limit, ...(before ? { before } : {}) });
      collected.unshift(...page.messages);
      const reached = page.messages.some((m) => m.info.id <= since);
      if (reached || !page.nextCursor) return { messages: collected };
      before = page.nextCursor;
      limit = FIRST_PAGE;
    }
  }

  /** Extends the settled prefix over the messages after it that can no longer change. */
  private remember(key: string, known: Settled | undefined, after: MessageWithParts[], userMessageId: string): void {
    let settledCount = 0;
    while (settledCount < after.length && isSettled(after[settledCount]!)) settledCount++;
    if (settledCount === 0) return;
    const prefix = after.slice(0, settledCount);
    const next: Settled = {
      lastId: prefix.at(-1)!.info.id,
      fold: foldReplies(known?.fold ?? EMPTY_FOLD, prefix, userMessageId),
    };
    this.settled.delete(key); // re-inserted last: the map's order is the eviction order
    this.settled.set(key, next);
    if (this.settled.size > MAX_TURNS) this.settled.delete(this.settled.keys().next().value!);
  }
}

function isSettled(message: MessageWithParts): boolean {
  if (message.info.role !== 'assistant') return true;
  return (message.info as { time: { completed?: number } }).time.completed !== undefined;
}
