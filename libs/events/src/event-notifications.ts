import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Client } from 'pg';
import { AppConfig } from '@heddle/config';

/**
 * The Postgres channel announcing committed events; the payload is the team id.
 * `EventsRepository.insert` notifies inside the event's transaction, and Postgres delivers a
 * notification only when (and if) that transaction commits.
 */
export const EVENTS_CHANNEL = 'heddle_events';

/** Subscribers of every team's events, kept under a key no team id can take. */
const ALL_TEAMS = '*';
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 10_000;

/**
 * One `LISTEN heddle_events` connection per process, fanned out to the subscribers of each team
 * (event streams), instead of a connection per stream. Connects on the first subscription and
 * reconnects with backoff when the connection drops; after a reconnect it wakes every subscriber,
 * since what committed in between was announced to nobody.
 *
 * A notification is only a hint to look: subscribers read Postgres themselves and also poll, so a
 * lost notification (or a listener that is down) delays delivery but never loses an event.
 */
@Injectable()
export class EventNotifications implements OnModuleDestroy {
  private readonly logger = new Logger(EventNotifications.name);
  private readonly subscribers = new Map<string, Set<() => void>>();
  /** The connection being opened or listening. */
  private client?: Client;
  private listening = false;
  private reconnectTimer?: NodeJS.Timeout;
  private failures = 0;
  private closed = false;

  constructor(private readonly config: AppConfig) {}

  /** Calls `wake` whenever the team may have committed new events. Returns the unsubscribe function. */
  subscribe(teamId: string, wake: () => void): () => void {
    let team = this.subscribers.get(teamId);
    if (!team) this.subscribers.set(teamId, (team = new Set()));
    const entry = () => wake(); // its own identity, so one function may subscribe twice
    team.add(entry);
    this.ensureListening();
    return () => {
      team.delete(entry);
      if (team.size === 0 && this.subscribers.get(teamId) === team) this.subscribers.delete(teamId);
    };
  }

  /** Calls `wake` whenever any team may have committed new events (the outbox relay). */
  subscribeAll(wake: () => void): () => void {
    return this.subscribe(ALL_TEAMS, wake);
  }

  /** Subscriptions open now: of one team, or of all. For tests and diagnostics. */
  subscriberCount(teamId?: string): number {
    if (teamId !== undefined) return this.subscribers.get(teamId)?.size ?? 0;
    let count = 0;
    for (const team of this.subscribers.values()) count += team.size;
    return count;
  }

  /** Whether the LISTEN connection is up right now. */
  get isListening(): boolean {
    return this.listening;
  }

  /** The Postgres backend pid of the LISTEN connection while it is up (for tests and diagnostics). */
  get listenerPid(): number | undefined {
    return this.listening
      ? ((this.client as { processID?: number | null } | undefined)?.processID ?? undefined)
      : undefined;
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    this.listening = false;
    await client?.end().catch(() => undefined);
  }

  private ensureListening(): void {
    if (this.closed || this.client || this.reconnectTimer) return;
    void this.connect();
  }

  private async connect(): Promise<void> {
    const client = new Client({
      connectionString: this.config.databaseUrl,
      application_name: 'heddle-event-notifications',
      keepAlive: true,
    });
    this.client = client;
    client.on('notification', (n) => {
      if (n.channel === EVENTS_CHANNEL && n.payload) this.wake(n.payload);
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    } catch (err) {
      this.lost(client, err);
      return;
    }
    if (this.client !== client) return; // closed (or lost) while connecting
    this.listening = true;
    if (this.failures > 0) this.logger.log('listening for event notifications again');
    this.failures = 0;
    this.wakeAll();
  }

  private lost(client: Client, err?: unknown): void {
    if (this.client !== client) return; // an old connection, or one closed on purpose
    this.client = undefined;
    this.listening = false;
    void client.end().catch(() => undefined);
    if (this.closed) return;
    this.failures++;
    const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** (this.failures - 1));
    this.logger.warn(
      `event notifications lost (${err instanceof Error ? err.message : 'connection ended'}); ` +
        `streams fall back to polling; reconnecting in ${delay} ms`,
    );
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.subscribers.size > 0) this.ensureListening();
    }, delay);
    this.reconnectTimer.unref();
  }

  private wake(teamId: string): void {
    for (const wake of this.subscribers.get(teamId) ?? []) wake();
    for (const wake of this.subscribers.get(ALL_TEAMS) ?? []) wake();
  }

  private wakeAll(): void {
    for (const team of this.subscribers.values()) for (const wake of team) wake();
  }
}
