import { randomBytes } from 'node:crypto';
import { OpencodeIdPrefix, newOpencodeId } from '@heddle/opencode-client';

/** OpenCode's identifier scheme, as the real server mints ids (libs/opencode-client). */
export function newId(prefix: OpencodeIdPrefix, descending = false): string {
  return newOpencodeId(prefix, descending);
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
