import { Injectable } from '@nestjs/common';
import { SecretBox } from '@heddle/common';
import { AppConfig } from '@heddle/config';

/** Host passwords at rest: sealed under HEDDLE_ENCRYPTION_KEY, bound to the owning team. */
@Injectable()
export class HostSecrets {
  private readonly box: SecretBox;

  constructor(config: AppConfig) {
    this.box = new SecretBox(config.encryptionKey);
  }

  seal(teamId: string, password: string): string {
    return this.box.seal(password, `host-password:${teamId}`);
  }

  open(teamId: string, sealed: string): string {
    return this.box.open(sealed, `host-password:${teamId}`);
  }
}
