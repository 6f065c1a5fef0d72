import { Injectable } from '@nestjs/common';
import { SecretBox } from '@heddle/common';
import { AppConfig } from '@heddle/config';
import type { Sink } from '@heddle/db';

/**
 * Sink URLs (and `github_comment` tokens) at rest. Incoming-webhook URLs (Slack, Discord) and many JSON endpoints carry their
 * credential in the path or query, so the whole URL is a secret: sealed under
 * HEDDLE_ENCRYPTION_KEY into `sinks."urlEnc"`, bound to the owning team (a value copied onto another
 * team's row does not open), as host passwords and webhook secrets are.
 */
@Injectable()
export class SinkSecrets {
  private readonly box: SecretBox;

  constructor(config: AppConfig) {
    this.box = new SecretBox(config.encryptionKey);
  }

  seal(teamId: string, url: string): string {
    return this.box.seal(url, `sink-url:${teamId}`);
  }

  /** A `github_comment` sink's GitHub token, sealed like URLs under its own purpose. */
  sealToken(teamId: string, token: string): string {
    return this.box.seal(token, `sink-token:${teamId}`);
  }

  tokenOf(sink: Pick<Sink, 'teamId' | 'tokenEnc'>): string | null {
    return sink.tokenEnc === null ? null : this.box.open(sink.tokenEnc, `sink-token:${sink.teamId}`);
  }

  /** The sink's URL in clear, for sending and for redacted answers; null for file sinks. */
  urlOf(sink: Pick<Sink, 'teamId' | 'urlEnc'>): string | null {
    return sink.urlEnc === null ? null : this.box.open(sink.urlEnc, `sink-url:${sink.teamId}`);
  }
}
