import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { API_TOKEN_PATTERN } from '@heddle/config';

const PREFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export interface ParsedToken {
  prefix: string;
  secret: string;
}

/** A new token `hdl_<8 lowercase alphanumerics>_<43 base64url chars>` (256 bits of secret). */
export function generateToken(): ParsedToken & { token: string } {
  const prefix = Array.from({ length: 8 }, () => PREFIX_ALPHABET[randomInt(PREFIX_ALPHABET.length)]).join('');
  const secret = randomBytes(32).toString('base64url');
  return { prefix, secret, token: `hdl_${prefix}_${secret}` };
}

export function parseToken(token: string): ParsedToken | undefined {
  if (!API_TOKEN_PATTERN.test(token)) return undefined;
  // The prefix has a fixed length, so the secret may itself contain underscores.
  return { prefix: token.slice(4, 12), secret: token.slice(13) };
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function secretMatches(secret: string, expectedHash: string): boolean {
  const actual = Buffer.from(hashSecret(secret), 'hex');
  const expected = Buffer.from(expectedHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
