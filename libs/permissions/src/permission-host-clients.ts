import { Injectable } from '@nestjs/common';
import { AppConfig } from '@heddle/config';
import { Host } from '@heddle/db';
import { HostSecrets } from '@heddle/hosts';
import { OpencodeClient } from '@heddle/opencode-client';
import { OutboundPolicy, createOutboundFetch } from '@heddle/outbound';

/**
 * A reply is forwarded while its row is locked (one answer at a time), inside a transaction whose
 * own timeout is 15 s: the host gets at most this long.
 */
export const HOST_CALL_TIMEOUT_MS = 10_000;

/**
 * OpenCode clients for a team's hosts, for listing and answering requests — over the outbound fetch,
 * so the address connected to passes the same policy as the URL did when it was saved. One client
 * per host version (a new URL or password gets a new one). The harness has its own; the API
 * process, which answers requests, has no harness.
 */
@Injectable()
export class PermissionHostClients {
  private readonly fetch: typeof fetch;
  private readonly clients = new Map<string, { key: string; client: OpencodeClient }>();

  constructor(
    policy: OutboundPolicy,
    private readonly secrets: HostSecrets,
    private readonly config: AppConfig,
  ) {
    this.fetch = createOutboundFetch(policy);
  }

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
          timeoutMs: Math.min(this.config.harnessCallTimeoutMs, HOST_CALL_TIMEOUT_MS),
          host: host.name,
          fetch: this.fetch,
        }),
      };
      this.clients.set(host.id, entry);
    }
    return entry.client.withDirectory(directory);
  }
}
