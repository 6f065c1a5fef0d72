import { Agent, fetch as undiciFetch } from 'undici';
import { isIP } from 'node:net';
import { OutboundPolicy, OutboundRefusedError } from './outbound-policy';

export interface OutboundFetchOptions {
  /** Connection timeout; request timeouts belong to the caller (AbortSignal). */
  connectTimeoutMs?: number;
}

/**
 * A fetch for outbound calls: every connection goes through the policy's lookup (so the address
 * connected to is the one checked — no DNS rebinding) and redirects are never followed.
 */
export function createOutboundFetch(policy: OutboundPolicy, options: OutboundFetchOptions = {}): typeof fetch {
  const dispatcher = new Agent({
    connect: { lookup: policy.lookup, timeout: options.connectTimeoutMs ?? 5_000 },
  });
  return (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    // net.connect skips the lookup for IP literals, so those are checked here.
    const hostname = new URL(input instanceof Request ? input.url : String(input)).hostname.replace(/^\[|\]$/g, '');
    if (isIP(hostname)) {
      const refusal = policy.refusal(hostname, hostname);
      if (refusal) throw new TypeError('fetch failed', { cause: new OutboundRefusedError(refusal) });
    }
    return undiciFetch(input as never, { ...(init as object), redirect: 'manual', dispatcher } as never);
  }) as unknown as typeof fetch;
}
