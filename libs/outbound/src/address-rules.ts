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
privateRanges.addSubnet('64:ff9b:1::', 48, 'ipv6'); // local-use NAT64 (RFC 8215): the operator's own translator

/** Hostnames that name a metadata service whatever they resolve to. */
const NEVER_HOSTNAMES = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
]);

/** The eight 16-bit groups of an IPv6 address (a trailing dotted quad and a `%zone` allowed), or null. */
function hextets(address: string): number[] | null {
  let text = address
    .replace(/^\[|\]$/g, '')
    .replace(/%.*$/, '')
    .toLowerCase();
  if (isIP(text) !== 6) return null;
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups =
    tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.length === 8 ? groups.map((g) => parseInt(g, 16)) : null;
}

/** The IPv4 address in 32 bits starting at bit `offset` of the 128 (RFC 6052 skips bits 64-71). */
function ipv4At(groups: number[], offset: number): string {
  const bytes = groups.flatMap((g) => [g >> 8, g & 0xff]);
  const picked: number[] = [];
  for (let bit = offset; picked.length < 4; bit += 8) if (bit !== 64) picked.push(bytes[bit / 8]!);
  return picked.join('.');
}

const startsWith = (groups: number[], prefix: number[]) => prefix.every((g, i) => groups[i] === g);

/**
 * The IPv4 addresses an IPv6 address carries, by the forms that reach an IPv4 host:
 * - `::ffff:a.b.c.d` (IPv4-mapped) and `::ffff:0:a.b.c.d` (IPv4-translated, SIIT);
 * - `::a.b.c.d` (IPv4-compatible, deprecated; `::1` is loopback, not 0.0.0.1);
 * - `64:ff9b::a.b.c.d` (NAT64 well-known prefix, RFC 6052);
 * - `2002:aabb:ccdd::/48` (6to4, RFC 3056);
 * - `64:ff9b:1::/48` (local-use NAT64, RFC 8215): the IPv4 sits where the operator's prefix length
 *   (48, 56, 64 or 96) puts it, which we cannot know, so every candidate;
 * - `2001::/32` (Teredo, RFC 4380): the server's IPv4 and the client's (stored inverted).
 * `exact` is true when the form names one IPv4 address unambiguously.
 */
export function embeddedIpv4(address: string): { addresses: string[]; exact: boolean } {
  const groups = hextets(address);
  if (!groups) return { addresses: [], exact: false };
  const zeros = (n: number) => groups.slice(0, n).every((g) => g === 0);
  if (zeros(5) && groups[5] === 0xffff) return { addresses: [ipv4At(groups, 96)], exact: true };
  if (zeros(4) && groups[4] === 0xffff && groups[5] === 0) return { addresses: [ipv4At(groups, 96)], exact: true };
  if (zeros(6)) {
    const isLoopback = groups[6] === 0 && groups[7] === 1;
    return isLoopback ? { addresses: [], exact: false } : { addresses: [ipv4At(groups, 96)], exact: true };
  }
  if (startsWith(groups, [0x64, 0xff9b, 0, 0, 0, 0])) return { addresses: [ipv4At(groups, 96)], exact: true };
  if (groups[0] === 0x2002) return { addresses: [ipv4At(groups, 16)], exact: true };
  if (startsWith(groups, [0x64, 0xff9b, 1])) {
    return { addresses: [48, 56, 64, 96].map((prefix) => ipv4At(groups, prefix)), exact: false };
  }
  if (startsWith(groups, [0x2001, 0])) {
    const client = groups.map((g, i) => (i >= 6 ? g ^ 0xffff : g));
    return { addresses: [ipv4At(groups, 32), ipv4At(client, 96)], exact: false };
  }
  return { addresses: [], exact: false };
}

/**
 * The address an allow-list entry is compared with: an IPv6 form that names exactly one IPv4
 * address (`::ffff:10.0.0.1`, `64:ff9b::a00:1`, `2002:a00:1::1`) is that IPv4 address.
 */
export function normaliseAddress(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  if (family === 'ipv6') {
    const embedded = embeddedIpv4(address);
    if (embedded.exact) return { address: embedded.addresses[0]!, family: 'ipv4' };
  }
  return { address, family };
}

const STRICTNESS: Record<AddressClass, number> = { public: 0, private: 1, never: 2 };
const stricter = (a: AddressClass, b: AddressClass): AddressClass => (STRICTNESS[b] > STRICTNESS[a] ? b : a);

function classifyOne(address: string, family: 'ipv4' | 'ipv6'): AddressClass {
  if (never.check(address, family)) return 'never';
  if (privateRanges.check(address, family)) return 'private';
  return 'public';
}

/**
 * An IPv6 address that carries IPv4 addresses (see `embeddedIpv4`) is classed by the strictest of
 * itself and what it carries, so `[64:ff9b::a9fe:a9fe]` or `[2002:a9fe:a9fe::1]` is the metadata
 * address it reaches. Local-use NAT64 is at least `private`: it translates into the operator's own
 * network.
 */
export function classifyAddress(raw: string): AddressClass {
  const family = isIP(raw) === 6 ? 'ipv6' : 'ipv4';
  let kind = classifyOne(raw, family);
  if (family === 'ipv6') {
    const embedded = embeddedIpv4(raw);
    for (const v4 of embedded.addresses) {
      // A guessed layout that reads 0.x.x.x ("this network", never a destination) is not the one in use.
      if (!embedded.exact && v4.startsWith('0.')) continue;
      kind = stricter(kind, classifyOne(v4, 'ipv4'));
    }
  }
  return kind;
}

export function isNeverHostname(hostname: string): boolean {
  return NEVER_HOSTNAMES.has(hostname.toLowerCase().replace(/\.$/, ''));
}
