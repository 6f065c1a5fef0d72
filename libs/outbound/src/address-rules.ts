import { BlockList, isIP } from 'node:net';

/**
 * Where outbound calls (to OpenCode hosts, webhooks, sinks) may go.
 * - `never`: link-local and cloud metadata endpoints, unspecified, multicast and broadcast — no
 *   operator setting opens these (they are how SSRF reaches credentials).
 * - `private`: loopback and private ranges — only when HEDDLE_OUTBOUND_ALLOW covers them.
 * - `public`: everything else.
 */
export type AddressClass = 'never' | 'private' | 'public';

const never = new BlockList();
never.addSubnet('0.0.0.0', 8, 'ipv4'); // "this network", incl. 0.0.0.0
never.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local; 169.254.169.254 is AWS/GCP/Azure metadata
never.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud metadata
never.addSubnet('224.0.0.0', 4, 'ipv4'); // multicast
never.addSubnet('240.0.0.0', 4, 'ipv4'); // reserved, incl. broadcast
never.addAddress('::', 'ipv6');
never.addSubnet('fe80::', 10, 'ipv6'); // link-local
never.addAddress('fd00:ec2::254', 'ipv6'); // AWS IPv6 metadata
never.addSubnet('ff00::', 8, 'ipv6'); // multicast

const privateRanges = new BlockList();
privateRanges.addSubnet('127.0.0.0', 8, 'ipv4');
privateRanges.addSubnet('10.0.0.0', 8, 'ipv4');
privateRanges.addSubnet('172.16.0.0', 12, 'ipv4');
privateRanges.addSubnet('192.168.0.0', 16, 'ipv4');
privateRanges.addSubnet('100.64.0.0', 10, 'ipv4'); // carrier-grade NAT
privateRanges.addSubnet('198.18.0.0', 15, 'ipv4'); // benchmarking
privateRanges.addAddress('::1', 'ipv6');
privateRanges.addSubnet('fc00::', 7, 'ipv6'); // unique local

/** Hostnames that name a metadata service whatever they resolve to. */
const NEVER_HOSTNAMES = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
]);

/** `::ffff:10.0.0.1` is 10.0.0.1: judge IPv4-mapped IPv6 addresses as the IPv4 they carry. */
export function normaliseAddress(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1]!, family: 'ipv4' };
  return { address, family: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

export function classifyAddress(raw: string): AddressClass {
  const { address, family } = normaliseAddress(raw);
  if (never.check(address, family)) return 'never';
  if (privateRanges.check(address, family)) return 'private';
  return 'public';
}

export function isNeverHostname(hostname: string): boolean {
  return NEVER_HOSTNAMES.has(hostname.toLowerCase().replace(/\.$/, ''));
}
