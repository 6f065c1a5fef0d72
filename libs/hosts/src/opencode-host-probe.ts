import { Injectable } from '@nestjs/common';
import { OpencodeClient, OpencodeError } from '@heddle/opencode-client';
import { OutboundPolicy, createOutboundFetch } from '@heddle/outbound';
import { HostProbe, ProbeTarget } from './host-probe';
import type { ProbeOutcome } from './host-status';

/**
 * Probes with the OpenCode client's health call, over the outbound fetch, so the address connected
 * to passes the same policy the URL passed when it was saved (no DNS rebinding).
 */
@Injectable()
export class OpencodeHostProbe extends HostProbe {
  private readonly fetch: typeof fetch;

  constructor(policy: OutboundPolicy) {
    super();
    this.fetch = createOutboundFetch(policy);
  }

  async probe(target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
    const client = new OpencodeClient({
      baseUrl: target.baseUrl,
      auth:
        target.password !== null ? { username: target.username ?? undefined, password: target.password } : undefined,
      timeoutMs,
      fetch: this.fetch,
    });
    const started = performance.now();
    try {
      const health = await client.health();
      const latencyMs = Math.round(performance.now() - started);
      if (!health.healthy) return { ok: false, latencyMs, error: 'OpenCode reports itself unhealthy' };
      return { ok: true, latencyMs, version: health.version };
    } catch (err) {
      const latencyMs = Math.round(performance.now() - started);
      return {
        ok: false,
        latencyMs,
        error: err instanceof OpencodeError ? err.message : `probe failed: ${String(err)}`,
      };
    }
  }
}
