import { createParamDecorator, ExecutionContext, SetMetadata, applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension } from '@nestjs/swagger';
import type { Scope } from './scopes';

/** Who is calling: set by the bearer guard (libs/auth) on every authenticated request. */
export interface AuthContext {
  teamId: string;
  teamName: string;
  tokenId: string;
  tokenPrefix: string;
  scopes: readonly Scope[];
}

/** Who made a change, for the audit log: a token, or the system itself (setup, bootstrap). */
export type Actor = AuthContext | { system: string };

export function actorLabel(actor: Actor): string {
  return 'system' in actor ? `system:${actor.system}` : `token:${actor.tokenPrefix}`;
}

export const REQUIRED_SCOPES = 'heddle:required-scopes';

/**
 * Declares the scopes a route needs (all of them). With no argument the route needs a valid token
 * and nothing more. The global guard in libs/auth enforces it; routes without it are refused unless
 * marked @Public().
 */
export function RequireScopes(...scopes: Scope[]) {
  return applyDecorators(
    SetMetadata(REQUIRED_SCOPES, scopes),
    ApiBearerAuth('bearer'),
    ApiExtension('x-required-scopes', scopes),
  );
}

export const CurrentAuth = createParamDecorator((_data: unknown, ctx: ExecutionContext): AuthContext => {
  const request = ctx.switchToHttp().getRequest<{ user?: AuthContext }>();
  if (!request.user) throw new Error('CurrentAuth used on a route the bearer guard did not authenticate');
  return request.user;
});
