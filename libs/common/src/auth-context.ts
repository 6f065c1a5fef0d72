import { createParamDecorator, ExecutionContext, SetMetadata, applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiExtension } from '@nestjs/swagger';
import type { Role } from './roles';
import type { Scope } from './scopes';

/** The person behind a request made with the login cookie (libs/auth sessions). */
export interface AuthUser {
  id: string;
  subject: string;
  email: string | null;
  name: string | null;
  /** Their role in the team the request acts in (`teamId`). */
  role: Role;
  sessionId: string;
}

/** Who is calling: set by the global guard (libs/auth) on every authenticated request. */
export interface AuthContext {
  teamId: string;
  teamName: string;
  /**
   * The credential's id: the API token's, or the browser session's when `user` is set. Rate limits
   * and event-stream caps count per credential.
   */
  tokenId: string;
  /** The token's public prefix; `session` for the login cookie. */
  tokenPrefix: string;
  scopes: readonly Scope[];
  /** Set when a person calls with the login cookie: the scopes are then their role's. */
  user?: AuthUser;
}

/** Who made a change, for the audit log: a token, a person, or the system itself (setup, bootstrap). */
export type Actor = AuthContext | { system: string };

export function actorLabel(actor: Actor): string {
  if ('system' in actor) return `system:${actor.system}`;
  if (actor.user) return `user:${actor.user.email ?? actor.user.subject}`;
  return `token:${actor.tokenPrefix}`;
}

/** Who holds a caller's scopes, for 403 messages: the token, or the person's role. */
export function scopeHolder(auth: AuthContext): string {
  return auth.user ? `your role in this team (${auth.user.role})` : 'this token';
}

/** The API token behind a change, if a token made it (null for the system and for people). */
export function actorTokenId(actor: Actor): string | null {
  return 'system' in actor || actor.user ? null : actor.tokenId;
}

/** The person behind a change, if a person made it with the login cookie. */
export function actorUserId(actor: Actor): string | null {
  return 'system' in actor ? null : (actor.user?.id ?? null);
}

/** The name of the login cookie, also the name of its OpenAPI security scheme's parameter. */
export const SESSION_COOKIE = 'heddle_session';

export const REQUIRED_SCOPES = 'heddle:required-scopes';

/**
 * Declares the scopes a route needs (all of them). With no argument the route needs a valid token
 * (or login cookie) and nothing more. The global guard in libs/auth enforces it; routes without it
 * are refused unless marked @Public().
 */
export function RequireScopes(...scopes: Scope[]) {
  return applyDecorators(
    SetMetadata(REQUIRED_SCOPES, scopes),
    ApiBearerAuth('bearer'),
    ApiCookieAuth('session'),
    ApiExtension('x-required-scopes', scopes),
  );
}

export const CurrentAuth = createParamDecorator((_data: unknown, ctx: ExecutionContext): AuthContext => {
  const request = ctx.switchToHttp().getRequest<{ user?: AuthContext }>();
  if (!request.user) throw new Error('CurrentAuth used on a route the auth guard did not authenticate');
  return request.user;
});
