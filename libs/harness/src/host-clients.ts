import { Injectable } from '@nestjs/common';
import { AppConfig } from '@heddle/config';
import { Host } from '@heddle/db';
import { HostSecrets } from '@heddle/hosts';
import { OpencodeClient } from '@heddle/opencode-client';
import { OutboundPolicy, createOutboundFetch } from '@heddle/outbound';

/**
 * OpenCode clients for registered hosts, over the outbound fetch (the address connected to passes
 * the same policy the URL passed when it was saved). One client per host version: a host edited
 * (new URL or password) gets a new one.
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

  /** A client for the host, bound to a workspace directory. */
  forHost(host: Host, directory: string): OpencodeClient {
    const key = `${host.baseUrl}|${host.username ?? ''}|${host.passwordEnc ?? ''}`;
    let entry = this.clients.get(host.id);
    if (!entry || entry.key !== key) {
      const password = host.passwordEnc ? this.secrets.open(host.teamId, host.passwordEnc) : undefined;
      entry = {
        key,
        client: new OpencodeClient({
          baseUrl: host.baseUrl,
          auth: password !== undefined ? { username: host.username ?? undefined, password } : undefined,
          timeoutMs: this.config.harnessCallTimeoutMs,
          fetch: this.fetch,
        }),
      };
      this.clients.set(host.id, entry);
    }
    return entry.client.withDirectory(directory);
  }
}
