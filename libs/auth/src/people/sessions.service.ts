import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  AuthContext,
  BadRequestError,
  Clock,
  ForbiddenError,
  Role,
  SESSION_COOKIE,
  UnauthorizedError,
  isRole,
  scopesOfRole,
} from '@heddle/common';
import { AppConfig } from '@heddle/config';
import { MembershipsRepository } from './memberships.repository';
import { SessionForAuth, SessionsRepository } from './sessions.repository';
import {
  CookieKeys,
  SessionCookieSigner,
  deriveCookieKeys,
  safeEqual,
  serializeCookie,
  sha256,
} from '../session-cookie';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** What the guard passes along with a cookie: the parts of the request the checks need. */
export interface SessionRequest {
  method: string;
  /** `X-Heddle-Team`. */
  team?: string;
  /** `Origin`. */
  origin?: string;
  /** `X-CSRF-Token`. */
  csrfToken?: string;
}

export interface MembershipView {
  teamId: string;
  teamName: string;
  role: Role;
}

export interface SessionView {
  user: { id: string; subject: string; email: string | null; name: string | null };
  role: Role;
  memberships: MembershipView[];
  csrfToken: string;
  expiresAt: string;
}

/**
 * Browser sessions: the login cookie, its CSRF token, and the team a request acts in. Nothing is
 * cached: each cookie request reads the session, the person and their memberships in one query,
 * so logout, removal and role changes count from the next request.
 */
@Injectable()
export class SessionsService {
  readonly keys: CookieKeys;
  private readonly signer: SessionCookieSigner;
  private readonly publicOrigin: string;
  readonly secureCookies: boolean;

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly memberships: MembershipsRepository,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {
    this.keys = deriveCookieKeys(config.sessionSecret, config.encryptionKey);
    this.signer = new SessionCookieSigner(this.keys.session);
    const publicUrl = new URL(config.publicUrl);
    this.publicOrigin = publicUrl.origin;
    this.secureCookies = publicUrl.protocol === 'https:';
  }

  /** A new session of a person; runs in the caller's transaction. Answers the `Set-Cookie` value. */
  async start(userId: string): Promise<string> {
    const ttl = this.config.sessionTtlSeconds;
    const expiresAt = new Date(this.clock.now().getTime() + ttl * 1000);
    const id = randomUUID();
    const issued = this.signer.issue(id);
    await this.sessions.create(id, userId, issued.secretHash, expiresAt);
    return serializeCookie(SESSION_COOKIE, issued.value, { maxAge: ttl, secure: this.secureCookies });
  }

  /** The `Set-Cookie` value that removes the login cookie. */
  clearCookie(): string {
    return serializeCookie(SESSION_COOKIE, '', { maxAge: 0, secure: this.secureCookies });
  }

  /**
   * The caller behind a login cookie, acting in one team: the one `X-Heddle-Team` names, else their
   * only one. Writes (not GET/HEAD/OPTIONS) also need the CSRF token or this server's Origin.
   */
  async authenticate(cookie: string, request: SessionRequest): Promise<AuthContext> {
    const { session } = await this.load(cookie);
    this.checkCsrf(session.id, request);
    const memberships = session.user.memberships.filter((m) => isRole(m.role));
    const who = session.user.email ?? session.user.subject;
    if (memberships.length === 0) {
      throw new ForbiddenError(
        'auth/no_membership',
        `you (${who}) belong to no team on this server: ask an owner or admin of your team to invite you (POST /api/members), then log in again`,
      );
    }
    let membership = memberships[0]!;
    const named = request.team?.trim().toLowerCase();
    if (named) {
      const found = memberships.find((m) => m.teamId === named);
      if (!found) {
        throw new ForbiddenError(
          'auth/not_a_member',
          `you (${who}) are not a member of the team named in X-Heddle-Team (${named.slice(0, 64)})`,
        );
      }
      membership = found;
    } else if (memberships.length > 1) {
      throw new BadRequestError(
        'auth/team_required',
        `you belong to ${memberships.length} teams: name the one this request is for in the X-Heddle-Team header`,
        { teams: memberships.map((m) => ({ teamId: m.teamId, teamName: m.team.name, role: m.role })) },
      );
    }
    const role = membership.role as Role;
    return {
      teamId: membership.teamId,
      teamName: membership.team.name,
      tokenId: session.id,
      tokenPrefix: 'session',
      scopes: scopesOfRole(role),
      user: {
        id: session.user.id,
        subject: session.user.subject,
        email: session.user.email,
        name: session.user.name,
        role,
        sessionId: session.id,
      },
    };
  }

  /** Whether a login cookie would still be accepted (open event streams re-check it). */
  async isStillValid(cookie: string): Promise<boolean> {
    try {
      await this.load(cookie);
      return true;
    } catch (err) {
      if (err instanceof UnauthorizedError) return false;
      throw err;
    }
  }

  /** What GET /api/me shows a person: who they are, their teams, and the CSRF token for writes. */
  async view(auth: AuthContext): Promise<SessionView> {
    const user = auth.user!;
    const memberships = await this.memberships.listOfUser(user.id);
    const session = await this.sessions.find(user.sessionId);
    return {
      user: { id: user.id, subject: user.subject, email: user.email, name: user.name },
      role: user.role,
      memberships: memberships
        .filter((m) => isRole(m.role))
        .map((m) => ({ teamId: m.teamId, teamName: m.team.name, role: m.role as Role })),
      csrfToken: this.signer.csrfToken(user.sessionId),
      expiresAt: (session?.expiresAt ?? this.clock.now()).toISOString(),
    };
  }

  /**
   * Logout: revokes the cookie's session when it is still good (a write, so CSRF-checked) and
   * answers the `Set-Cookie` that removes it. Without a good cookie there is nothing to end.
   */
  async logout(cookie: string | undefined, request: SessionRequest): Promise<string> {
    const parsed = this.signer.verify(cookie);
    if (parsed) {
      const row = await this.sessions.findForAuth(parsed.sessionId);
      if (row && safeEqual(sha256(parsed.secret), row.secretHash) && !row.revokedAt) {
        this.checkCsrf(row.id, request);
        await this.sessions.revoke(row.id, this.clock.now());
      }
    }
    return this.clearCookie();
  }

  /** Ends every session of a person (removed from a team); runs in the caller's transaction. */
  revokeAllOf(userId: string): Promise<number> {
    return this.sessions.revokeAllOf(userId, this.clock.now());
  }

  private async load(cookie: string): Promise<{ session: SessionForAuth }> {
    const parsed = this.signer.verify(cookie);
    if (!parsed) {
      throw new UnauthorizedError('the login cookie is not valid: log in again at /auth/login', 'auth/invalid_session');
    }
    const session = await this.sessions.findForAuth(parsed.sessionId);
    if (!session || !safeEqual(sha256(parsed.secret), session.secretHash)) {
      throw new UnauthorizedError('the login cookie is not valid: log in again at /auth/login', 'auth/invalid_session');
    }
    if (session.revokedAt) {
      throw new UnauthorizedError(
        'this login has ended (logged out or removed): log in again at /auth/login',
        'auth/session_revoked',
      );
    }
    if (session.expiresAt.getTime() <= this.clock.now().getTime()) {
      throw new UnauthorizedError('this login has expired: log in again at /auth/login', 'auth/session_expired');
    }
    return { session };
  }

  /**
   * CSRF: a cookie-authenticated write must show it comes from a page of this server, by the
   * `X-CSRF-Token` header (GET /api/me gives it; another site cannot read it) or by an `Origin`
   * header equal to HEDDLE_PUBLIC_URL's (browsers send it on cross-origin and same-origin writes).
   */
  private checkCsrf(sessionId: string, request: SessionRequest): void {
    if (SAFE_METHODS.has(request.method.toUpperCase())) return;
    if (this.signer.csrfMatches(sessionId, request.csrfToken)) return;
    if (request.origin !== undefined && request.origin === this.publicOrigin) return;
    const why =
      request.origin !== undefined
        ? `its Origin ${request.origin.slice(0, 100)} is not this server's (${this.publicOrigin}, HEDDLE_PUBLIC_URL)`
        : 'it carries neither the X-CSRF-Token header (csrfToken of GET /api/me) nor an Origin header';
    throw new ForbiddenError('auth/csrf_failed', `a write with the login cookie was refused: ${why}`);
  }
}
