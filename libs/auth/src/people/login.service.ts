import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '@heddle/audit';
import { Clock, Role, SecretBox, isRole, roleAtLeast } from '@heddle/common';
import { AppConfig } from '@heddle/config';
import { Transactional, User } from '@heddle/db';
import { LOGIN_STATE_COOKIE, sameOriginReturnTo, serializeCookie } from '../session-cookie';
import { InvitesRepository } from './invites.repository';
import { MembershipsRepository } from './memberships.repository';
import { LoginChecks, LoginFailedError, OidcClient, OidcIdentity } from './oidc.client';
import { SessionsService } from './sessions.service';
import { UsersRepository } from './users.repository';

/** How long a login may take between /auth/login and /auth/callback. */
const LOGIN_STATE_SECONDS = 600;
const LOGIN_STATE_CONTEXT = 'heddle-login-state';
const LOGIN_ACTOR = { system: 'login' } as const;

interface PendingLogin extends LoginChecks {
  returnTo: string;
  /** Epoch ms after which the login is stale. */
  expires: number;
}

export interface LoginAnswer {
  /** Where to send the browser (303). */
  location: string;
  /** `Set-Cookie` values. */
  cookies: string[];
}

/**
 * The login flow around OidcClient: remember the checks of a login in a sealed, short-lived cookie,
 * redeem the callback, then — in one transaction — record the person, claim their invites, apply
 * OIDC_GROUP_ROLE_MAP and start a session.
 */
@Injectable()
export class LoginService {
  private readonly logger = new Logger('Login');
  private readonly box: SecretBox;

  constructor(
    private readonly oidc: OidcClient,
    private readonly sessions: SessionsService,
    private readonly users: UsersRepository,
    private readonly memberships: MembershipsRepository,
    private readonly invites: InvitesRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {
    this.box = new SecretBox(sessions.keys.loginState);
  }

  /** GET /auth/login: off (501) without OIDC_ISSUER_URL; `returnTo` must be on this server. */
  async start(returnTo: string | undefined): Promise<LoginAnswer> {
    const target =
      returnTo === undefined ? this.defaultReturnTo() : sameOriginReturnTo(returnTo, this.config.publicUrl);
    if (target === undefined) {
      throw new LoginFailedError(
        'auth/invalid_return_to',
        `returnTo must be a path on this server or a URL of ${new URL(this.config.publicUrl).origin} (HEDDLE_PUBLIC_URL)`,
      );
    }
    const { url, checks } = await this.oidc.startLogin();
    const pending: PendingLogin = {
      ...checks,
      returnTo: target,
      expires: this.clock.now().getTime() + LOGIN_STATE_SECONDS * 1000,
    };
    const sealed = this.box.seal(JSON.stringify(pending), LOGIN_STATE_CONTEXT);
    return {
      location: url,
      cookies: [
        serializeCookie(LOGIN_STATE_COOKIE, sealed, {
          maxAge: LOGIN_STATE_SECONDS,
          secure: this.sessions.secureCookies,
          path: '/auth',
        }),
      ],
    };
  }

  /**
   * GET /auth/callback: the state must be the one this browser's login started with; the code is
   * redeemed with its PKCE verifier and the ID token checked (OidcClient). Sets the login cookie
   * and sends the browser back where the login began.
   */
  async finish(query: Record<string, unknown>, loginCookie: string | undefined): Promise<LoginAnswer> {
    if (!this.oidc.enabled) await this.oidc.startLogin(); // throws the 501 that says how to turn login on
    const pending = this.openPending(loginCookie);
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      for (const v of Array.isArray(value) ? value : [value]) if (typeof v === 'string') params.append(key, v);
    }
    if (params.getAll('state').length !== 1 || params.get('state') !== pending.state) {
      throw new LoginFailedError(
        'auth/login_state_mismatch',
        "the login's state does not match the one this browser started with: start again at /auth/login",
      );
    }
    const callbackUrl = new URL(this.oidc.redirectUri);
    callbackUrl.search = params.toString();
    const identity = await this.oidc.finishLogin(callbackUrl, pending);
    const sessionCookie = await this.completeLogin(identity);
    return {
      location: pending.returnTo,
      cookies: [
        sessionCookie,
        serializeCookie(LOGIN_STATE_COOKIE, '', { maxAge: 0, secure: this.sessions.secureCookies, path: '/auth' }),
      ],
    };
  }

  /** The person, their invites and group roles, and a new session: all or nothing. */
  @Transactional()
  async completeLogin(identity: OidcIdentity): Promise<string> {
    const now = this.clock.now();
    const user = await this.users.upsertAtLogin(
      identity.issuer,
      identity.subject,
      { email: identity.email, name: identity.name },
      now,
    );
    await this.claimInvites(user, identity, now);
    await this.applyGroupRoles(user, identity.groups);
    return this.sessions.start(user.id);
  }

  /**
   * Invites addressed to the person's subject, or to their email unless the provider says it is
   * unverified (`email_verified: false`). A membership they already have keeps the stronger role.
   */
  private async claimInvites(user: User, identity: OidcIdentity, now: Date): Promise<void> {
    const email = identity.emailVerified === false ? null : identity.email;
    const invites = await this.invites.findClaimable({ subject: identity.subject, email }, now);
    for (const invite of invites) {
      if (!isRole(invite.role)) continue;
      await this.memberships.lockTeam(invite.teamId);
      if (!(await this.invites.markClaimed(invite.teamId, invite.id, user.id, now))) continue;
      const existing = await this.memberships.findByUser(invite.teamId, user.id);
      let membershipId: string;
      if (!existing) {
        membershipId = (await this.memberships.create(invite.teamId, user.id, invite.role, 'invite')).id;
      } else {
        membershipId = existing.id;
        if (isRole(existing.role) && !roleAtLeast(existing.role, invite.role)) {
          await this.memberships.setRole(invite.teamId, existing.id, invite.role, 'invite');
        }
      }
      await this.audit.record({
        teamId: invite.teamId,
        actor: LOGIN_ACTOR,
        action: 'member.join',
        targetType: 'member',
        targetId: membershipId,
        details: { userId: user.id, email: user.email, subject: user.subject, role: invite.role, inviteId: invite.id },
      });
    }
  }

  /**
   * OIDC_GROUP_ROLE_MAP, for each team it names: the strongest role the person's groups map to. It
   * manages only memberships it made (source `group`): those follow the groups at every login and
   * go when no group maps any more (never the team's last owner). Memberships from invites, or
   * changed through the API, are left to people.
   */
  private async applyGroupRoles(user: User, groups: readonly string[]): Promise<void> {
    const map = this.config.oidcGroupRoleMap;
    if (map.length === 0) return;
    const teamIds = await this.memberships.teamsByRef([...new Set(map.map((m) => m.team))]);
    const desired = new Map<string, Role | undefined>();
    for (const entry of map) {
      const teamId = teamIds.get(entry.team);
      if (!teamId) {
        this.logger.warn(`OIDC_GROUP_ROLE_MAP names team "${entry.team}", which does not exist: entry ignored`);
        continue;
      }
      if (!desired.has(teamId)) desired.set(teamId, undefined);
      if (!groups.includes(entry.group)) continue;
      const current = desired.get(teamId);
      if (!current || roleAtLeast(entry.role, current)) desired.set(teamId, entry.role);
    }
    for (const [teamId, role] of desired) {
      await this.memberships.lockTeam(teamId);
      const existing = await this.memberships.findByUser(teamId, user.id);
      const record = (action: string, details: Record<string, string | null>) =>
        this.audit.record({
          teamId,
          actor: LOGIN_ACTOR,
          action,
          targetType: 'member',
          targetId: existing?.id ?? details.membershipId ?? null,
          details: { userId: user.id, email: user.email, subject: user.subject, source: 'group', ...details },
        });
      if (role && !existing) {
        const created = await this.memberships.create(teamId, user.id, role, 'group');
        await record('member.join', { membershipId: created.id, role });
      } else if (existing?.source !== 'group') {
        continue;
      } else if (role && existing.role !== role) {
        if (existing.role === 'owner' && (await this.memberships.countOwners(teamId)) <= 1) continue;
        await this.memberships.setRole(teamId, existing.id, role);
        await record('member.update', { from: existing.role, role });
      } else if (!role) {
        if (existing.role === 'owner' && (await this.memberships.countOwners(teamId)) <= 1) continue;
        await this.memberships.delete(teamId, existing.id);
        await record('member.remove', { role: existing.role });
      }
    }
  }

  private openPending(cookie: string | undefined): PendingLogin {
    const stale = () =>
      new LoginFailedError(
        'auth/login_expired',
        'no login in progress in this browser (or it took longer than 10 minutes): start again at /auth/login',
      );
    if (!cookie) throw stale();
    let pending: PendingLogin;
    try {
      pending = JSON.parse(this.box.open(cookie, LOGIN_STATE_CONTEXT)) as PendingLogin;
    } catch {
      throw stale();
    }
    if (typeof pending.expires !== 'number' || pending.expires <= this.clock.now().getTime()) throw stale();
    return pending;
  }

  private defaultReturnTo(): string {
    return this.config.docsEnabled ? '/docs' : '/api/me';
  }
}
