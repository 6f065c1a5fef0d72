import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { SecretBox } from '@heddle/common';
import { AppConfig } from '@heddle/config';

/** A new hook secret (GitHub webhook secret, HMAC key or source token): `hks_` and 32 random bytes. */
export function newHookSecret(): string {
  return `hks_${randomBytes(32).toString('base64url')}`;
}

/** Constant-time comparison of a presented token with the stored one (hashed first: equal lengths). */
export function tokensEqual(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Hook source secrets at rest: sealed under HEDDLE_ENCRYPTION_KEY, bound to the source and its team. */
@Injectable()
export class HookSecrets {
  private readonly box: SecretBox;

  constructor(config: AppConfig) {
    this.box = new SecretBox(config.encryptionKey);
  }

  seal(teamId: string, sourceId: string, secret: string): string {
    return this.box.seal(secret, `hook-secret:${teamId}:${sourceId}`);
  }

  open(teamId: string, sourceId: string, sealed: string): string {
    return this.box.open(sealed, `hook-secret:${teamId}:${sourceId}`);
  }
}
