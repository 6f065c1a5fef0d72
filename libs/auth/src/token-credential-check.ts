import { Injectable } from '@nestjs/common';
import { CredentialCheck, UnauthorizedError } from '@heddle/common';
import { ApiTokensService } from './api-tokens.service';
import { SessionsService } from './people/sessions.service';

/**
 * `CredentialCheck` over the cached token verification: a warm token costs no query, a revocation
 * made here is seen at once and one made on another replica within TOKEN_CACHE_MS, an expiry at
 * the next check after the clock passes it. A login cookie (`Session <cookie>`) is checked against
 * its session row: logout, removal from a team and expiry end its streams.
 */
@Injectable()
export class TokenCredentialCheck extends CredentialCheck {
  constructor(
    private readonly tokens: ApiTokensService,
    private readonly sessions: SessionsService,
  ) {
    super();
  }

  async isStillValid(authorization: string): Promise<boolean> {
    const session = /^session\s+(\S+)\s*$/i.exec(authorization);
    if (session) return this.sessions.isStillValid(session[1]!);
    const match = /^bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) return false;
    try {
      await this.tokens.authenticate(match[1]!);
      return true;
    } catch (err) {
      if (err instanceof UnauthorizedError) return false;
      throw err;
    }
  }
}
