import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { isIP, LookupFunction } from 'node:net';
import { promisify } from 'node:util';
import { DomainError } from '@heddle/common';
import { classifyAddress, isNeverHostname, normaliseAddress } from './address-rules';

/** Operator exceptions (HEDDLE_OUTBOUND_ALLOW), as parsed by libs/config. */
export interface OutboundAllowList {
  blockList: { check(address: string, family?: 'ipv4' | 'ipv6'): boolean };
  hostnames: string[];
}

/** An outbound URL or address refused by policy. 400 when it came from a request body. */
export class OutboundRefusedError extends DomainError {
  readonly statusCode = 400;
  constructor(reason: string, field?: string) {
    super('outbound/refused', reason, field ? [{ field, errors: [reason] }] : undefined);
  }
}

export interface CheckedUrl {
  url: URL;
  /** What the hostname resolved to when checked (the connect-time lookup checks again). */
  addresses: string[];
}

const lookupAll = promisify(dnsLookup) as (hostname: string, options: { all: true }) => Promise<LookupAddress[]>;

/**
 * The one outbound URL policy (hosts, webhooks, sinks): http(s) only, no credentials in the URL,
 * every resolved address allowed. Checked when a URL is saved and again at connect time through
 * `lookup`, so a name that later resolves elsewhere (DNS rebinding) is refused where it matters.
 */
export class OutboundPolicy {
  constructor(
    private readonly allow: OutboundAllowList,
    private readonly resolve: (hostname: string) => Promise<string[]> = async (h) =>
      (await lookupAll(h, { all: true })).map((a) => a.address),
  ) {}

  async checkUrl(raw: string, field?: string): Promise<CheckedUrl> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new OutboundRefusedError(`"${raw}" is not a URL`, field);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new OutboundRefusedError(`only http and https URLs are allowed (got ${url.protocol})`, field);
    }
    if (url.username || url.password) {
      throw new OutboundRefusedError(
        'credentials do not belong in the URL; use the username and password fields',
        field,
      );
    }
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    if (isNeverHostname(hostname))
      throw new OutboundRefusedError(`${hostname} is a cloud metadata service and is never allowed`, field);
    const addresses = await this.addressesOf(hostname, field);
    for (const address of addresses) {
      const refusal = this.refusal(hostname, address);
      if (refusal) throw new OutboundRefusedError(refusal, field);
    }
    return { url, addresses };
  }

  /**
   * A `net.connect`-compatible lookup that refuses disallowed addresses: give it to the HTTP agent
   * of every outbound call so the checked address is the one connected to.
   */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all === true;
    dnsLookup(hostname, { ...(typeof options === 'object' ? options : {}), all: true }, (err, results) => {
      if (err) return callback(err, all ? [] : '', 4);
      const list = results as LookupAddress[];
      for (const entry of list) {
        const refusal = this.refusal(hostname, entry.address);
        if (refusal)
          return callback(
            Object.assign(new OutboundRefusedError(refusal), {
              code: 'EOUTBOUNDREFUSED',
            }) as unknown as NodeJS.ErrnoException,
            all ? [] : '',
            4,
          );
      }
      if (all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      const first = list[0]!;
      callback(null, first.address, first.family);
    });
  };

  /** Why this address may not be reached from this hostname, or undefined when it may. */
  refusal(hostname: string, address: string): string | undefined {
    if (isNeverHostname(hostname)) return `${hostname} is a cloud metadata service and is never allowed`;
    const kind = classifyAddress(address);
    if (kind === 'never')
      return `${hostname} resolves to ${address}, a link-local or metadata address, which is never allowed`;
    if (kind === 'private' && !this.allowed(hostname, address)) {
      return `${hostname} resolves to ${address}, a private or loopback address; an operator can allow it with HEDDLE_OUTBOUND_ALLOW`;
    }
    return undefined;
  }

  private allowed(hostname: string, address: string): boolean {
    const { address: normal, family } = normaliseAddress(address);
    if (this.allow.blockList.check(normal, family)) return true;
    const host = hostname.toLowerCase();
    return this.allow.hostnames.some((entry) =>
      entry.startsWith('*.') ? host.endsWith(entry.slice(1)) : host === entry,
    );
  }

  private async addressesOf(hostname: string, field?: string): Promise<string[]> {
    if (isIP(hostname)) return [hostname];
    try {
      const addresses = await this.resolve(hostname);
      if (addresses.length === 0) throw new Error('no addresses');
      return addresses;
    } catch {
      throw new OutboundRefusedError(`${hostname} does not resolve`, field);
    }
  }
}
