import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { AuditModule } from '@heddle/audit';
import { ApiTokensRepository } from './api-tokens.repository';
import { ApiTokensService } from './api-tokens.service';
import { BearerStrategy } from './bearer.strategy';
import { ScopesGuard } from './scopes.guard';
import { MeController, TokensController } from './tokens.controller';

/** Tokens: issuing, verifying, revoking. No routes (used by teams and by the API module). */
@Module({
  imports: [AuditModule],
  providers: [ApiTokensRepository, ApiTokensService],
  exports: [ApiTokensService],
})
export class AuthModule {}

/** The HTTP side: bearer authentication and scopes on every route, and the token routes. */
@Module({
  imports: [AuthModule, PassportModule],
  controllers: [TokensController, MeController],
  providers: [BearerStrategy, { provide: APP_GUARD, useClass: ScopesGuard }],
})
export class AuthApiModule {}
