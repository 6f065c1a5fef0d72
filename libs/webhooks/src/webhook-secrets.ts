import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { SecretBox } from '@heddle/common';
import { AppConfig } from '@heddle/config';

/** Random bytes in a new signing secret (Standard Webhooks asks for 24 to 64). */
export const SECRET_BYTES = 24;

/** A new Standard Webhooks signing secret: `whsec_` and the base64 of random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(SECRET_BYTES).toString('base64')}`;
}

/** Webhook signing secrets at rest: sealed under HEDDLE_ENCRYPTION_KEY, bound to the owning team. */
@Injectable()
export class WebhookSecrets {
  private readonly box: SecretBox;

  constructor(config: AppConfig) {
    this.box = new SecretBox(config.encryptionKey);
  }

  seal(teamId: string, secret: string): string {
    return this.box.seal(secret, `webhook-secret:${teamId}`);
  }

  open(teamId: string, sealed: string): string {
    return this.box.open(sealed, `webhook-secret:${teamId}`);
  }
}
