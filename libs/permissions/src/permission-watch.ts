import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '@heddle/config';
import type { OpencodeEvent } from '@heddle/opencode-client';
import { WorkScope } from '@heddle/queue';
import { PermissionIngest, WatchedPlace } from './permission-ingest';
import { PermissionsRepository } from './permissions.repository';

/** OpenCode events this lib records. */
export const PERMISSION_EVENT_TYPES: ReadonlySet<string> = new Set([
  'permission.asked',
  'permission.replied',
  'question.asked',
  'question.replied',
  'question.rejected',
]);

/** Places listed at once, at most (each is two calls to its host). */
const MAX_PARALLEL_LISTINGS = 8;
/** Places with pending requests but no watching task, looked at per round. */
const PENDING_PLACES_LIMIT = 500;

const placeKey = (p: { teamId: string; hostId: string; directory: string }) => `${p.teamId}|${p.hostId}|${p.directory}`;

/**
 * The worker side of permissions and questions, driven by the harness's host event watcher: it
 * hands over each permission/question event of the streams it follows (`onEvent`), says when a
 * stream connected or reconnected (`resync`: events may have been missed) and which places it follows
 * (`track`, on each of its refreshes). On its own timer (PERMISSIONS_RECONCILE_MS) every followed
 * place, and every place that still has pending rows, is listed on its host (`GET /permission`,
 * `GET /question`): a dropped stream, a silent one or a restart loses no request, and requests
 * gone from the host are marked expired. The work of one place runs in order (an `asked` is recorded
 * before its `replied`); places run side by side.
 */
@Injectable()
export class PermissionWatch implements OnModuleDestroy {
  private readonly logger = new Logger(PermissionWatch.name);
  private places = new Map<string, WatchedPlace>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly lastListed = new Map<string, number>();
  private readonly failing = new Set<string>();
  /** Places whose listing is queued and not started yet: another one would add nothing. */
  private readonly queuedListings = new Set<string>();
  private timer?: NodeJS.Timeout;
  private sweeping = false;
  private closed = false;
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly stopping = new AbortController();

  constructor(
    private readonly ingest: PermissionIngest,
    private readonly repository: PermissionsRepository,
    private readonly scope: WorkScope,
    private readonly config: AppConfig,
  ) {}

  /** The places the watcher follows now (listed when their stream connects). Starts the timer on first use. */
  track(places: readonly WatchedPlace[]): void {
    if (this.closed) return;
    if (!this.timer) {
      this.timer = setInterval(() => void this.sweep(), this.config.permissionsReconcileMs);
      this.timer.unref();
    }
    this.places = new Map(places.map((p) => [placeKey(p), p] as const));
  }

  /** A stream of the place connected (or reconnected): what was asked before, or while it was down, is listed now. */
  resync(place: WatchedPlace): void {
    if (!this.closed) this.list(placeKey(place), place);
  }

  /** One event of the place's stream; others than permission and question events are ignored. */
  onEvent(place: WatchedPlace, event: OpencodeEvent): void {
    if (this.closed || !PERMISSION_EVENT_TYPES.has(event.type)) return;
    const key = placeKey(place);
    switch (event.type) {
      case 'permission.asked':
        this.enqueue(key, () => this.ingest.permissionAsked(place, event.properties).then(() => undefined));
        break;
      case 'permission.replied':
        this.enqueue(key, () =>
          this.ingest.permissionReplied(place, event.properties.requestID, event.properties.reply),
        );
        break;
      case 'question.asked':
        this.enqueue(key, () => this.ingest.questionAsked(place, event.properties).then(() => undefined));
        break;
      case 'question.replied':
        this.enqueue(key, () =>
          this.ingest.questionAnswered(place, event.properties.requestID, event.properties.answers),
        );
        break;
      case 'question.rejected':
        this.enqueue(key, () => this.ingest.questionAnswered(place, event.properties.requestID, null));
        break;
    }
  }

  /**
   * Listings in flight are cut (a slow host would otherwise hold the shutdown for its whole timeout,
   * past the harness's hand-back of its tasks); they are idempotent and the next worker lists again.
   */
  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.stopping.abort(new Error('the worker is shutting down'));
    for (const wake of this.waiting.splice(0)) wake();
    await Promise.all([...this.chains.values()]);
  }

  /** One round: every followed place, then the places that only have pending rows left. */
  async sweep(): Promise<void> {
    if (this.sweeping || this.closed) return;
    this.sweeping = true;
    try {
      const due = Date.now() - this.config.permissionsReconcileMs / 2;
      for (const [key, place] of this.places) {
        if ((this.lastListed.get(key) ?? 0) <= due) this.list(key, place);
      }
      const pending = await this.repository.pendingPlaces(this.scope.teamIds(), PENDING_PLACES_LIMIT);
      for (const p of pending) {
        const key = placeKey(p);
        if (this.places.has(key) || (this.lastListed.get(key) ?? 0) > due) continue;
        const host = await this.repository.host(p.teamId, p.hostId);
        if (host) this.list(key, { ...p, host, sessions: new Map() });
      }
      for (const key of this.lastListed.keys()) {
        if (!this.places.has(key) && (this.lastListed.get(key) ?? 0) < due - 10 * this.config.permissionsReconcileMs) {
          this.lastListed.delete(key);
        }
      }
    } catch (err) {
      this.logger.warn(`could not look for pending permission requests: ${String(err)}`);
    } finally {
      this.sweeping = false;
    }
  }

  private list(key: string, place: WatchedPlace): void {
    this.lastListed.set(key, Date.now());
    if (this.queuedListings.has(key)) return;
    this.queuedListings.add(key);
    this.enqueue(key, async () => {
      this.queuedListings.delete(key);
      if (this.closed) return;
      await this.slot();
      try {
        if (this.closed) return;
        await this.ingest.reconcile(place, undefined, this.stopping.signal);
        if (this.failing.delete(key))
          this.logger.log(`listing requests of ${place.host.name} ${place.directory} works again`);
      } catch (err) {
        if (this.closed) return; // cut by the shutdown
        // Logged once per outage of the place; the next round tries again.
        if (!this.failing.has(key)) {
          this.failing.add(key);
          this.logger.warn(`could not list requests of ${place.host.name} ${place.directory}: ${String(err)}`);
        }
      } finally {
        this.release();
      }
    });
  }

  private enqueue(key: string, work: () => Promise<void>): void {
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous
      .then(work)
      .catch((err: unknown) => this.logger.warn(`permission ingestion failed (${key}): ${String(err)}`))
      .finally(() => {
        if (this.chains.get(key) === next) this.chains.delete(key);
      });
    this.chains.set(key, next);
  }

  private async slot(): Promise<void> {
    if (this.running < MAX_PARALLEL_LISTINGS) {
      this.running++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
  }

  private release(): void {
    this.running--;
    this.waiting.shift()?.();
  }
}
