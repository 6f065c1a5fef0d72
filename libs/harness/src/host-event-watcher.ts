import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { EventSubscription, OpencodeEvent } from '@heddle/opencode-client';
import { HostClients } from '@heddle/hosts';
import { PermissionWatch, WatchedPlace } from '@heddle/permissions';
import { TaskWaker, WorkScope } from '@heddle/queue';
import { HarnessRepository } from './harness.repository';

const REFRESH_MS = 3000;
const WATCH_LIMIT = 5000;
/** A refresh asked for by watchSoon waits this long, so a burst of new sessions shares it. */
const SOON_MS = 20;
/** Events of one session within this window wake its task once. */
const DEBOUNCE_MS = 150;

/** Event types after which a task's state may have moved: worth a look now rather than at the next poll. */
const WAKING = new Set([
  'session.status',
  'session.idle',
  'session.error',
  'message.updated',
  'permission.asked',
  'permission.replied',
  'question.asked',
  'question.replied',
  'question.rejected',
]);

/**
 * Follows the event stream of every (host, workspace) that has a task with a session, and wakes
 * the task when its session reports something, so the harness reacts in milliseconds instead of
 * at the next poll. Only a hint: the poll (HARNESS_POLL_MS) still looks at every running task, so
 * a silent, dropped or gapped stream loses no transition; after a gap every task of the stream is
 * woken to re-read its state.
 */
@Injectable()
export class HostEventWatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(HostEventWatcher.name);
  /** key `hostId|directory` → subscription, the sessions it reports for, and its place for PermissionWatch. */
  private readonly streams = new Map<
    string,
    { subscription: EventSubscription; sessions: Map<string, string>; place: WatchedPlace }
  >();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private timer?: NodeJS.Timeout;
  private soon?: NodeJS.Timeout;
  private refreshing = false;
  private again = false;
  private closed = false;

  constructor(
    private readonly repo: HarnessRepository,
    private readonly clients: HostClients,
    private readonly waker: TaskWaker,
    private readonly scope: WorkScope,
    private readonly permissions: PermissionWatch,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
    this.timer.unref();
    void this.refresh();
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.soon);
    for (const t of this.pending.values()) clearTimeout(t);
    await Promise.all([...this.streams.values()].map((s) => s.subscription.close()));
    this.streams.clear();
  }

  /**
   * A task just got a session: follow it now rather than at the next refresh, so what it asks
   * (permissions, questions) is recorded before a look could take the wait for a stall. Calls
   * within a few milliseconds share one refresh.
   */
  watchSoon(): void {
    if (this.soon || this.closed) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      void this.refresh();
    }, SOON_MS);
    this.soon.unref();
  }

  /** Opens streams for newly watched (host, workspace) pairs and closes those no task needs. */
  async refresh(): Promise<void> {
    if (this.closed) return;
    if (this.refreshing) {
      this.again = true; // a session appeared while this pass read the list
      return;
    }
    this.refreshing = true;
    try {
      const watched = await this.repo.watchedWithHosts(WATCH_LIMIT, this.scope.teamIds());
      const wanted = new Map<string, { host: (typeof watched)[number]['host']; sessions: Map<string, string> }>();
      for (const t of watched) {
        const key = `${t.host.id}|${t.workspace}|${t.host.updatedAt.getTime()}`;
        let entry = wanted.get(key);
        if (!entry) wanted.set(key, (entry = { host: t.host, sessions: new Map() }));
        entry.sessions.set(t.sessionId, t.id);
      }
      for (const [key, stream] of this.streams) {
        if (!wanted.has(key)) {
          this.streams.delete(key);
          void stream.subscription.close();
        }
      }
      for (const [key, want] of wanted) {
        const existing = this.streams.get(key);
        if (existing) {
          existing.sessions.clear();
          for (const [s, t] of want.sessions) existing.sessions.set(s, t);
          continue;
        }
        if (this.closed) return;
        const directory = key.split('|')[1]!;
        const sessions = new Map(want.sessions);
        // Its permission requests and questions are recorded, and listed on every (re)connect, by libs/permissions.
        const place: WatchedPlace = {
          teamId: want.host.teamId,
          hostId: want.host.id,
          host: want.host,
          directory,
          sessions,
        };
        const client = this.clients.forHost(want.host, directory);
        const subscription = client.subscribe(directory, (notice) => {
          if (notice.type === 'event') {
            this.onEvent(place.teamId, sessions, notice.event);
            this.permissions.onEvent(place, notice.event);
          } else if (notice.type === 'gap') {
            for (const taskId of sessions.values()) this.wake(place.teamId, taskId);
          } else if (notice.type === 'connected') {
            this.permissions.resync(place); // what was asked before (or while down) is listed now
          }
        });
        this.streams.set(key, { subscription, sessions, place });
      }
      this.permissions.track([...this.streams.values()].map((s) => s.place));
    } catch (err) {
      this.logger.warn(`could not refresh host event streams: ${String(err)}`);
    } finally {
      this.refreshing = false;
    }
    if (this.again) {
      this.again = false;
      void this.refresh();
    }
  }

  private onEvent(teamId: string, sessions: Map<string, string>, event: OpencodeEvent): void {
    if (!WAKING.has(event.type)) return;
    const props = event.properties as {
      sessionID?: string;
      info?: { sessionID?: string; time?: { completed?: number } };
    };
    if (event.type === 'message.updated' && props.info?.time?.completed === undefined) return;
    const sessionId = props.sessionID ?? props.info?.sessionID;
    const taskId = sessionId ? sessions.get(sessionId) : undefined;
    if (taskId) this.wake(teamId, taskId);
  }

  private wake(teamId: string, taskId: string): void {
    if (this.pending.has(taskId) || this.closed) return;
    const timer = setTimeout(() => {
      this.pending.delete(taskId);
      void this.waker.wake(teamId, taskId);
    }, DEBOUNCE_MS);
    timer.unref();
    this.pending.set(taskId, timer);
  }

  /**
   * This process follows the session's events now (its stream is open and knows the session): the
   * task is woken when the session reports something, so polling it is only the fallback.
   */
  follows(hostId: string, directory: string, sessionId: string): boolean {
    for (const [key, stream] of this.streams) {
      if (!key.startsWith(`${hostId}|${directory}|`)) continue;
      if (stream.subscription.state() === 'open' && stream.sessions.has(sessionId)) return true;
    }
    return false;
  }

  /** Streams open now (for tests and diagnostics). */
  get openStreams(): number {
    return this.streams.size;
  }
}
