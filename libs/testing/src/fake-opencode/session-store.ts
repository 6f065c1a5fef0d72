// The sessions of the fake host (all directories) and which of them are busy: `GET /session/status`
// lists only those, and every change is a `session.status` event.
import { EventHub } from './event-hub';
import { HttpError, unknownError } from './http';
import { BusyStatus, MessageRecord, SessionRecord } from './state';

export class SessionStore {
  readonly byId = new Map<string, SessionRecord>();
  private readonly statuses = new Map<string, { directory: string; status: BusyStatus }>();

  constructor(private readonly hub: EventHub) {}

  /** A `ses…` id that exists (404 NotFoundError), or 500 for an id without the prefix, as observed. */
  require(id: string): SessionRecord {
    if (!id.startsWith('ses')) throw unknownError();
    const s = this.byId.get(id);
    if (!s) throw new HttpError(404, { name: 'NotFoundError', data: { message: `Session not found: ${id}` } });
    return s;
  }

  setStatus(session: SessionRecord, status: BusyStatus | { type: 'idle' }): void {
    if (status.type === 'idle') this.statuses.delete(session.id);
    else this.statuses.set(session.id, { directory: session.directory, status });
    this.hub.emit(session.directory, 'session.status', { sessionID: session.id, status });
  }

  /** The non-idle sessions of one directory, by id. */
  busyIn(directory: string): Record<string, BusyStatus> {
    const out: Record<string, BusyStatus> = {};
    for (const [id, entry] of this.statuses) if (entry.directory === directory) out[id] = entry.status;
    return out;
  }
}

export function lastAssistant(s: SessionRecord): MessageRecord | undefined {
  for (let i = s.messages.length - 1; i >= 0; i--) if (s.messages[i].info.role === 'assistant') return s.messages[i];
  return undefined;
}
