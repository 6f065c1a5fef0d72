import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { AuditModule } from '@heddle/audit';
import { CredentialCheck } from '@heddle/common';
import { LimitsModule } from '@heddle/limits';
import { ApiTokensRepository } from './api-tokens.repository';
import { ApiTokensService } from './api-tokens.service';
import { BearerStrategy } from './bearer.strategy';
import { AuthController } from './people/auth.controller';
import { InvitesRepository } from './people/invites.repository';
import { LoginService } from './people/login.service';
import { MembershipsRepository } from './people/memberships.repository';
import { OidcClient } from './people/oidc.client';
import { SessionsRepository } from './people/sessions.repository';
import { SessionsService } from './people/sessions.service';
import { UsersRepository } from './people/users.repository';
import { TokenCredentialCheck } from './token-credential-check';
import { ScopesGuard } from './scopes.guard';
import { MeController, TokensController } from './tokens.controller';

/**
 * Tokens (issuing, verifying, revoking) and people (users, memberships, invites, sessions, OIDC
 * login). No routes (used by teams and by the API module). The only lib that touches the tables
 * api_tokens, users, memberships, invites and sessions.
 */
@Module({
  imports: [AuditModule],
  providers: [
    ApiTokensRepository,
    ApiTokensService,
    UsersRepository,
    MembershipsRepository,
    InvitesRepository,
    SessionsRepository,
    SessionsService,
    OidcClient,
    LoginService,
  ],
  exports: [ApiTokensService, SessionsService, LoginService, MembershipsRepository, InvitesRepository],
})
export class AuthModule {}

/**
 * The `CredentialCheck` port for the whole app (global): event streams (libs/platform) re-check
 * their token (or login cookie) with it and end when it is revoked or expires.
 */
@Global()
@Module({
  imports: [AuthModule],
  providers: [{ provide: CredentialCheck, useClass: TokenCredentialCheck }],
  exports: [CredentialCheck],
})
export class CredentialCheckModule {}

/**
 * The HTTP side: bearer and cookie authentication, rate limits and scopes on every route, the
 * token routes, /api/me, the login routes (/auth/*), and the credential re-check of open event
 * streams.
 */
@Module({
  imports: [AuthModule, PassportModule, LimitsModule, CredentialCheckModule],
  controllers: [TokensController, MeController, AuthController],
  providers: [BearerStrategy, { provide: APP_GUARD, useClass: ScopesGuard }],
})
export class AuthApiModule {}
