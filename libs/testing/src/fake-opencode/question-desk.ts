// Questions a turn asks (the `question` tool): pending until answered or rejected, per directory.
import { EventHub } from './event-hub';
import { HttpError } from './http';
import { newId } from './ids';
import { SessionRecord } from './state';
import { Ask } from './turn';
import type { FakeQuestion } from './types';

interface PendingQuestion {
  request: { id: string; sessionID: string; questions: FakeQuestion[]; tool: { messageID: string; callID: string } };
  directory: string;
  resolve: (answers: string[][] | null) => void;
  abandoned: boolean;
}

export class QuestionDesk {
  private readonly pending = new Map<string, PendingQuestion>();

  constructor(private readonly hub: EventHub) {}

  /** Emits `question.asked`; the answer is null when the question is rejected. */
  ask(
    session: SessionRecord,
    questions: FakeQuestion[],
    tool: { messageID: string; callID: string },
  ): Ask<string[][] | null> {
    const request = { id: newId('que'), sessionID: session.id, questions, tool };
    let resolveAnswer!: (answers: string[][] | null) => void;
    const promise = new Promise<string[][] | null>((r) => (resolveAnswer = r));
    const entry: PendingQuestion = { request, directory: session.directory, resolve: resolveAnswer, abandoned: false };
    this.pending.set(request.id, entry);
    this.hub.emit(session.directory, 'question.asked', request);
    return { promise, abandon: () => (entry.abandoned = true) };
  }

  /** The pending questions of one directory (`GET /question`). */
  listed(directory: string): PendingQuestion['request'][] {
    return [...this.pending.values()].filter((q) => q.directory === directory).map((q) => q.request);
  }

  answer(id: string, directory: string, answers: string[][]): void {
    const entry = this.take(id, directory);
    this.hub.emit(entry.directory, 'question.replied', {
      sessionID: entry.request.sessionID,
      requestID: id,
      answers,
    });
    if (!entry.abandoned) entry.resolve(answers);
  }

  reject(id: string, directory: string): void {
    const entry = this.take(id, directory);
    this.hub.emit(entry.directory, 'question.rejected', { sessionID: entry.request.sessionID, requestID: id });
    if (!entry.abandoned) entry.resolve(null);
  }

  /** Removes a question pending in `directory`; 404 `QuestionNotFoundError` otherwise. */
  private take(id: string, directory: string): PendingQuestion {
    const entry = this.pending.get(id);
    if (!entry || entry.directory !== directory) {
      throw new HttpError(404, {
        _tag: 'QuestionNotFoundError',
        requestID: id,
        message: `Question request not found: ${id}`,
      });
    }
    this.pending.delete(id);
    return entry;
  }
}
