// Permissions as the real server decides them: config rules, then the session's ruleset, then what
// an `always` reply approved for the project; an `ask` waits here until someone replies.
import { EventHub } from './event-hub';
import { HttpError } from './http';
import { newId } from './ids';
import { SessionRecord, wildcard } from './state';
import { Ask, PermissionAnswer, PermissionFields } from './turn';
import type { FakeOpencodeOptions, FakePermissionAction, FakePermissionRule } from './types';

interface PendingPermission {
  request: PermissionFields & { id: string; sessionID: string };
  directory: string;
  projectID: string;
  resolve: (answer: PermissionAnswer) => void;
  late: () => void;
  abandoned: boolean;
}

export class PermissionDesk {
  /** The config's rules (`permission` option) as a ruleset, in the order they were given. */
  readonly configRules: FakePermissionRule[] = [];
  private readonly pending = new Map<string, PendingPermission>();
  /** Patterns approved with `always`, per project (memory only, as on the real server). */
  private readonly approvals = new Map<string, { permission: string; pattern: string }[]>();

  constructor(
    config: FakeOpencodeOptions['permission'],
    private readonly hub: EventHub,
  ) {
    for (const [permission, value] of Object.entries(config ?? {})) {
      if (typeof value === 'string') this.configRules.push({ permission, pattern: '*', action: value });
      else
        for (const [pattern, action] of Object.entries(value)) this.configRules.push({ permission, pattern, action });
    }
  }

  /** The last matching rule wins per pattern; any `deny` denies, else any `ask` asks. */
  action(session: SessionRecord, permission: string, patterns: string[]): FakePermissionAction {
    const rules = [...this.configRules, ...(session.permission ?? [])];
    const approved = this.approvals.get(session.projectID) ?? [];
    let result: FakePermissionAction = 'allow';
    for (const pattern of patterns) {
      let action: FakePermissionAction = 'allow';
      for (const r of rules) if (wildcard(r.permission, permission) && wildcard(r.pattern, pattern)) action = r.action;
      if (action === 'ask' && approved.some((a) => a.permission === permission && wildcard(a.pattern, pattern))) {
        action = 'allow';
      }
      if (action === 'deny') return 'deny';
      if (action === 'ask') result = 'ask';
    }
    return result;
  }

  /** Emits `permission.asked`; `late` runs when a turn that stopped waiting is approved afterwards. */
  ask(session: SessionRecord, fields: PermissionFields, late: () => void): Ask<PermissionAnswer> {
    const request = { id: newId('per'), sessionID: session.id, ...fields };
    let resolveAnswer!: (answer: PermissionAnswer) => void;
    const promise = new Promise<PermissionAnswer>((r) => (resolveAnswer = r));
    const entry: PendingPermission = {
      request,
      directory: session.directory,
      projectID: session.projectID,
      resolve: resolveAnswer,
      late,
      abandoned: false,
    };
    this.pending.set(request.id, entry);
    this.hub.emit(session.directory, 'permission.asked', request);
    return { promise, abandon: () => (entry.abandoned = true) };
  }

  /** The pending requests of one directory (`GET /permission`). */
  listed(directory: string): PendingPermission['request'][] {
    return [...this.pending.values()].filter((p) => p.directory === directory).map((p) => p.request);
  }

  /** A reply for a request pending in `directory`; 404 `PermissionNotFoundError` otherwise. */
  reply(id: string, directory: string, reply: PermissionAnswer['reply'], message?: string): void {
    const entry = this.pending.get(id);
    if (!entry || entry.directory !== directory) {
      throw new HttpError(404, {
        _tag: 'PermissionNotFoundError',
        requestID: id,
        message: `Permission request not found: ${id}`,
      });
    }
    this.pending.delete(id);
    if (reply === 'always') {
      const list = this.approvals.get(entry.projectID) ?? [];
      for (const pattern of entry.request.always) list.push({ permission: entry.request.permission, pattern });
      this.approvals.set(entry.projectID, list);
    }
    this.hub.emit(entry.directory, 'permission.replied', { sessionID: entry.request.sessionID, requestID: id, reply });
    if (!entry.abandoned) entry.resolve({ reply, message });
    else if (reply !== 'reject') entry.late();
  }
}
