import { Injectable } from '@nestjs/common';
import { AppConfig } from '@heddle/config';
import { Host } from '@heddle/db';
import { OpencodeClient } from '@heddle/opencode-client';
import { OutboundPolicy, createOutboundFetch } from '@heddle/outbound';
import { HostSecrets } from './host-secrets';

/**
 * OpenCode clients for registered hosts, over the outbound fetch (the address connected to passes
 * the same policy the URL passed when it was saved). One client per host version and call timeout:
 * a host edited (new URL or password) gets a new one. The harness, the permission answers and the
 * task validation at create all reach hosts through here.
 */
@Injectable()
export class HostClients {
  private readonly fetch: typeof fetch;
  private readonly clients = new Map<string, { key: string; client: OpencodeClient }>();

  constructor(
    policy: OutboundPolicy,
    private readonly secrets: HostSecrets,
    private readonly config: AppConfig,
  ) {
    this.fetch = createOutboundFetch(policy);
  }

  /**
   * A client for the host, bound to a workspace directory. `maxTimeoutMs` caps each call below
   * HARNESS_CALL_TIMEOUT_MS, for callers that answer a request (or hold a row lock) meanwhile.
   */
  forHost(host: Host, directory: string, maxTimeoutMs?: number): OpencodeClient {
    const timeoutMs = Math.min(this.config.harnessCallTimeoutMs, maxTimeoutMs ?? Infinity);
    const key = `${host.baseUrl}|${host.username ?? ''}|${host.passwordEnc ?? ''}|${timeoutMs}`;
    const id = `${host.id}|${timeoutMs}`;
    let entry = this.clients.get(id);
    if (!entry || entry.key !== key) {
      const password = host.passwordEnc ? this.secrets.open(host.teamId, host.passwordEnc) : undefined;
      entry = {
        key,
        client: new OpencodeClient({
          baseUrl: host.baseUrl,
          auth: password !== undefined ? { username: host.username ?? undefined, password } : undefined,
          timeoutMs,
          host: host.name,
          fetch: this.fetch,
        }),
      };
      this.clients.set(id, entry);
    }
    return entry.client.withDirectory(directory);
  }
}
