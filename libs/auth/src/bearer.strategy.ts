import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-http-bearer';
import type { AuthContext } from '@heddle/common';
import { ApiTokensService } from './api-tokens.service';

@Injectable()
export class BearerStrategy extends PassportStrategy(Strategy, 'bearer') {
  constructor(private readonly tokens: ApiTokensService) {
    super();
  }

  /** Throws a 401 domain error naming why (unknown, revoked, expired); passport passes it on. */
  validate(token: string): Promise<AuthContext> {
    return this.tokens.authenticate(token);
  }
}
