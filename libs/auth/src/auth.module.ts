import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { AuditModule } from '@heddle/audit';
import { CredentialCheck } from '@heddle/common';
import { LimitsModule } from '@heddle/limits';
import { ApiTokensRepository } from './api-tokens.repository';
import { ApiTokensService } from './api-tokens.service';
import { BearerStrategy } from './bearer.strategy';
import { TokenCredentialCheck } from './token-credential-check';
import { ScopesGuard } from './scopes.guard';
import { MeController, TokensController } from './tokens.controller';

/** Tokens: issuing, verifying, revoking. No routes (used by teams and by the API module). */
@Module({
  imports: [AuditModule],
  providers: [ApiTokensRepository, ApiTokensService],
  exports: [ApiTokensService],
})
export class AuthModule {}

/**
 * The `CredentialCheck` port for the whole app (global): event streams (libs/platform) re-check
 * their token with it and end when it is revoked or expires.
 */
@Global()
@Module({
  imports: [AuthModule],
  providers: [{ provide: CredentialCheck, useClass: TokenCredentialCheck }],
  exports: [CredentialCheck],
})
export class CredentialCheckModule {}

/**
 * The HTTP side: bearer authentication, rate limits and scopes on every route, the token routes,
 * and the credential re-check of open event streams.
 */
@Module({
  imports: [AuthModule, PassportModule, LimitsModule, CredentialCheckModule],
  controllers: [TokensController, MeController],
  providers: [BearerStrategy, { provide: APP_GUARD, useClass: ScopesGuard }],
})
export class AuthApiModule {}
