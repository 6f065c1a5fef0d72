import { randomBytes } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const MASK = 0xffffffffffffn;
let lastMs = 0;
let counter = 0;

function randomBase62(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += BASE62[bytes[i] % 62];
  return out;
}

/**
 * OpenCode's identifier scheme: `<prefix>_` + 12 hex digits of (ms × 4096 + counter), masked to 48 bits,
 * + 14 random base62 characters. Messages, parts, permissions and events ascend (sorting by id is
 * chronological); sessions descend (bitwise NOT), so the newest session sorts first. Verified against
 * ids minted by OpenCode 1.18.34 (`msg_208653bfa001…`, `ses_df79ac436ffe…`).
 */
export function newId(prefix: 'ses' | 'msg' | 'prt' | 'per' | 'que' | 'evt', descending = false): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    counter = 0;
  }
  counter++;
  let n = BigInt(now) * 0x1000n + BigInt(counter);
  if (descending) n = ~n;
  return `${prefix}_${(n & MASK).toString(16).padStart(12, '0')}${randomBase62(14)}`;
}

/** The shell route's tool callID looks like a ULID (26 Crockford base32 characters). */
export function newUlidLike(): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  const bytes = randomBytes(26);
  let out = '';
  for (let i = 0; i < 26; i++) out += alphabet[bytes[i] % 32];
  return out;
}

const ADJECTIVES = [
  'brave',
  'calm',
  'crisp',
  'eager',
  'gentle',
  'hidden',
  'kind',
  'lucky',
  'misty',
  'quiet',
  'silent',
  'sunny',
  'swift',
  'witty',
];
const NOUNS = [
  'cabin',
  'comet',
  'forest',
  'garden',
  'harbor',
  'island',
  'lagoon',
  'meadow',
  'moon',
  'orchard',
  'river',
  'valley',
];

/** `adjective-noun`, like OpenCode's session slugs (`hidden-harbor`). */
export function newSlug(): string {
  const b = randomBytes(2);
  return `${ADJECTIVES[b[0] % ADJECTIVES.length]}-${NOUNS[b[1] % NOUNS.length]}`;
}

/** A 40-hex snapshot/tree hash stand-in. */
export function newHash(): string {
  return randomBytes(20).toString('hex');
}
