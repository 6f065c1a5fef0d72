import { Injectable } from '@nestjs/common';
import { CredentialCheck, UnauthorizedError } from '@heddle/common';
import { ApiTokensService } from './api-tokens.service';

/**
 * `CredentialCheck` over the cached token verification: a warm token costs no query, a revocation
 * made here is seen at once and one made on another replica within TOKEN_CACHE_MS, an expiry at
 * the next check after the clock passes it.
 */
@Injectable()
export class TokenCredentialCheck extends CredentialCheck {
  constructor(private readonly tokens: ApiTokensService) {
    super();
  }

  async isStillValid(authorization: string): Promise<boolean> {
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
