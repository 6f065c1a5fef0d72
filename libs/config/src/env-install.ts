// Environment variables: what makes one installation itself (first token, key, outbound reach, public URL).
import { BlockList, isIP } from 'node:net';
import { EnvValueError, EnvVar, url } from './env-parsers';

export const API_TOKEN_PATTERN = /^hdl_[a-z0-9]{8}_[A-Za-z0-9_-]{32,128}$/;

function encryptionKey(raw: string): Buffer {
  const key = Buffer.from(raw, 'base64');
  if (key.length !== 32 || key.toString('base64').replace(/=+$/, '') !== raw.trim().replace(/=+$/, '')) {
    throw new EnvValueError(
      'must be 32 random bytes in base64 (e.g. `node -e "console.log(crypto.randomBytes(32).toString(\'base64\'))"`)',
    );
  }
  return key;
}

function bootstrapToken(raw: string): string {
  if (!API_TOKEN_PATTERN.test(raw)) {
    throw new EnvValueError(
      'must look like hdl_<8 lowercase letters or digits>_<32-128 characters of A-Z a-z 0-9 _ ->',
    );
  }
  return raw;
}

/** One outbound-allow entry: a CIDR, a single IP, or a hostname (optionally `*.` wildcard). */
export interface OutboundAllow {
  blockList: BlockList;
  hostnames: string[];
  entries: string[];
}

function outboundAllow(raw: string): OutboundAllow {
  const result: OutboundAllow = { blockList: new BlockList(), hostnames: [], entries: [] };
  const bad: string[] = [];
  for (const entry of raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const [address, bits, ...extra] = entry.split('/');
    const family = isIP(address ?? '');
    if (family && extra.length > 0) {
      bad.push(entry); // `10.0.0.0/8/9`
      continue;
    }
    if (family) {
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (bits === undefined) {
        result.blockList.addAddress(address!, type);
      } else {
        const prefix = Number(bits);
        if (!/^\d+$/.test(bits) || prefix > (family === 4 ? 32 : 128)) {
          bad.push(entry);
          continue;
        }
        result.blockList.addSubnet(address!, prefix, type);
      }
    } else if (
      /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(entry) &&
      // A numeric last label is a malformed IP (`10.0.0.256`, `010.0.0.1`), never a hostname.
      !/(^|\.)\d+$/.test(entry)
    ) {
      result.hostnames.push(entry.toLowerCase());
    } else {
      bad.push(entry);
      continue;
    }
    result.entries.push(entry);
  }
  if (bad.length) throw new EnvValueError(`has entries that are neither CIDR, IP nor hostname: ${bad.join(', ')}`);
  return result;
}

/** The first owner token, the key for secrets at rest, the private addresses calls may reach, and the public URL. */
export const INSTALL_ENV = {
  bootstrapToken: {
    name: 'HEDDLE_BOOTSTRAP_TOKEN',
    description:
      'When set and no team exists, the first start creates the first team with this value as its owner token (every scope, `platform:admin` included). Stored hashed.',
    secret: true,
    parse: bootstrapToken,
  },
  encryptionKey: {
    name: 'HEDDLE_ENCRYPTION_KEY',
    description:
      'Key for secrets at rest (AES-256-GCM): 32 random bytes, base64. `npm run setup` writes one into `.env`; in production set it from a secret store.',
    required: true,
    secret: true,
    parse: encryptionKey,
  },
  outboundAllow: {
    name: 'HEDDLE_OUTBOUND_ALLOW',
    description:
      'Comma-separated CIDRs, IPs or hostnames (`*.example.internal` allowed) that outbound calls to hosts, webhooks and sinks may reach although they are private or loopback. Metadata and link-local addresses are never allowed.',
    default: '',
    parse: outboundAllow,
  },
  publicUrl: {
    name: 'HEDDLE_PUBLIC_URL',
    description:
      'URL where people reach this server; used for links in notifications. Default `http://localhost:<PORT>`.',
    parse: url(['http:', 'https:']),
  },
} satisfies Record<string, EnvVar<unknown>>;
