import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Authenticator } from 'passport';
import {
  AuthContext,
  ForbiddenScopeError,
  IS_PUBLIC,
  REQUIRED_SCOPES,
  SESSION_COOKIE,
  Scope,
  UnauthorizedError,
  parseCookies,
  scopeHolder,
} from '@heddle/common';
import { RequestLimiter } from '@heddle/limits';
import { BearerStrategy } from './bearer.strategy';
import { SessionsService } from './people/sessions.service';
import { CSRF_HEADER, TEAM_HEADER } from './session-cookie';

interface GuardedRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  user?: AuthContext;
}

const header = (request: GuardedRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
};

/**
 * The global guard: every route needs a valid bearer token (or login cookie) and the scopes its
 * @RequireScopes names, unless it is @Public(). Default-deny, so a route that forgot its decorator
 * is closed.
 *
 * A request without an `Authorization` header but with the login cookie is a person's: the
 * session decides who, their membership the team (`X-Heddle-Team` among several) and their role
 * the scopes; writes are CSRF-checked (SessionsService). A bearer token wins when both are sent.
 *
 * It authenticates through its own passport Authenticator holding this app's BearerStrategy, not
 * through the process-wide `passport` singleton that `AuthGuard('bearer')` uses: there, the last
 * app to start in a process registers "bearer" for all of them, so a second app in the same
 * process (the e2e tests run two replicas side by side) would answer every app's requests with its
 * own token cache and clock.
 *
 * It also applies the request rate limits (`RequestLimiter`, libs/limits) where each belongs: a
 * route without a token by client address, a failed authentication by client address (so a flood
 * of bad tokens turns into 429s), and an authenticated request by its token id, after
 * authentication and before the scope check.
 */
@Injectable()
export class ScopesGuard implements CanActivate {
  private readonly passport = new Authenticator();

  constructor(
    private readonly reflector: Reflector,
    strategy: BearerStrategy,
    private readonly limiter: RequestLimiter,
    private readonly sessions: SessionsService,
  ) {
    this.passport.use('bearer', strategy);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) {
      await this.limiter.limitAnonymous(context);
      return true;
    }
    const required = this.reflector.getAllAndOverride<Scope[] | undefined>(REQUIRED_SCOPES, targets);
    if (required === undefined) {
      throw new Error(
        `route ${context.getClass().name}.${context.getHandler().name} declares neither @RequireScopes nor @Public`,
      );
    }
    const http = context.switchToHttp();
    const request = http.getRequest<GuardedRequest>();
    let auth: AuthContext;
    try {
      const cookie = parseCookies(header(request, 'cookie')).get(SESSION_COOKIE);
      auth =
        request.headers.authorization === undefined && cookie !== undefined
          ? await this.sessions.authenticate(cookie, {
              method: request.method,
              team: header(request, TEAM_HEADER),
              origin: header(request, 'origin'),
              csrfToken: header(request, CSRF_HEADER),
            })
          : await this.authenticate(request, http.getResponse());
    } catch (err) {
      if (err instanceof UnauthorizedError) await this.limiter.limitFailedAuthentication(context);
      throw err;
    }
    request.user = auth;
    await this.limiter.limitToken(context);
    const missing = required.filter((s) => !auth.scopes.includes(s));
    if (missing.length > 0) throw new ForbiddenScopeError(missing, scopeHolder(auth));
    return true;
  }

  /** Runs the bearer strategy; its 401 domain errors (unknown, revoked, expired) pass through as thrown. */
  private authenticate(request: unknown, response: unknown): Promise<AuthContext> {
    return new Promise<AuthContext>((resolve, reject) => {
      const middleware = this.passport.authenticate(
        'bearer',
        { session: false },
        (err: unknown, user: AuthContext | false) => {
          if (err) reject(err instanceof Error ? err : new Error(String(err)));
          else if (!user) reject(new UnauthorizedError());
          else resolve(user);
        },
      ) as (req: unknown, res: unknown, next: (err?: unknown) => void) => void;
      middleware(request, response, (err?: unknown) => reject(err instanceof Error ? err : new UnauthorizedError()));
    });
  }
}
