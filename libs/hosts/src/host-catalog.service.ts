import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '@heddle/common';
import { Host } from '@heddle/db';
import { OpencodeError } from '@heddle/opencode-client';
import { HostCatalogSnapshot, catalogFrom } from './host-catalog';
import { HostClients } from './host-clients';

/** How long one read of a host's models and agents is reused (per host version and directory). */
export const CATALOG_TTL_MS = 30_000;
/**
 * The longest a read waits for the host: its two calls run side by side, each capped at this. The
 * first request for a directory starts OpenCode's instance for it: 1.18.34 took 1–3 s then (a few ms
 * after).
 */
export const CATALOG_TIMEOUT_MS = 5_000;
/** Reads kept at most (the oldest go first); expired ones are dropped on every miss. */
const MAX_ENTRIES = 1_000;

interface Entry {
  expiresAt: number;
  snapshot: Promise<HostCatalogSnapshot | null>;
}

/**
 * The models and agents a host offers (`GET /config/providers`, `GET /agent`), for validating a
 * task's `model` and `agent` against it with {@link unknownModelOrAgent}: at create when the task
 * names its host, at dispatch otherwise.
 *
 *     const catalog = await hostCatalog.of(host, task.workspace);
 *     const unknown = catalog && unknownModelOrAgent(task, catalog); // null catalog: host unreadable now
 */
@Injectable()
export class HostCatalog {
  private readonly logger = new Logger(HostCatalog.name);
  private readonly cache = new Map<string, Entry>();

  constructor(
    private readonly clients: HostClients,
    private readonly clock: Clock,
  ) {}

  /**
   * The host's catalog for `directory` (default its first workspace root; project config in a
   * workspace can add providers and agents), or null when the host cannot be read within
   * CATALOG_TIMEOUT_MS: down, slow, refusing the password or answering something else. Never throws.
   * Reused for CATALOG_TTL_MS while the host row is unchanged (`updatedAt`); concurrent callers
   * share one read; a null is not kept, so the next caller asks again.
   */
  of(host: Host, directory?: string): Promise<HostCatalogSnapshot | null> {
    const dir = directory ?? host.workspaceRoots[0] ?? '/';
    const key = `${host.id}|${host.updatedAt.getTime()}|${dir}`;
    const now = this.clock.now().getTime();
    const hit = this.cache.get(key);
    if (hit && hit.expiresAt > now) return hit.snapshot;
    this.prune(now);
    const entry: Entry = { expiresAt: now + CATALOG_TTL_MS, snapshot: this.read(host, dir) };
    this.cache.set(key, entry);
    void entry.snapshot.then((snapshot) => {
      if (snapshot === null && this.cache.get(key) === entry) this.cache.delete(key);
    });
    return entry.snapshot;
  }

  private async read(host: Host, directory: string): Promise<HostCatalogSnapshot | null> {
    try {
      const client = this.clients.forHost(host, directory, CATALOG_TIMEOUT_MS);
      const [providers, agents] = await Promise.all([client.configProviders(), client.agents()]);
      return catalogFrom(host.name, providers, agents);
    } catch (err) {
      if (err instanceof OpencodeError) {
        this.logger.warn(`cannot read the models and agents of host ${host.id}: ${err.message}`);
      } else {
        this.logger.error(`reading the models and agents of host ${host.id} failed`, err as Error);
      }
      return null;
    }
  }

  private prune(now: number): void {
    for (const [key, entry] of this.cache) if (entry.expiresAt <= now) this.cache.delete(key);
    for (const key of this.cache.keys()) {
      if (this.cache.size < MAX_ENTRIES) break;
      this.cache.delete(key);
    }
  }
}
