import { Injectable } from '@nestjs/common';
import { AuditService } from '@heddle/audit';
import {
  ApiTokensService,
  InvitesRepository,
  MembershipWithUser,
  MembershipsRepository,
  SessionsService,
} from '@heddle/auth';
import {
  AuthContext,
  BadRequestError,
  Clock,
  ConflictError,
  ForbiddenScopeError,
  NotFoundError,
  Page,
  Role,
  actorLabel,
  actorUserId,
  decodeCursor,
  isRole,
  roleAtLeast,
  scopeHolder,
  scopesOfRole,
  toPage,
} from '@heddle/common';
import { Invite, Transactional } from '@heddle/db';
import type { InviteMemberDto, MemberResponseDto, UpdateMemberDto } from './dto/member.dto';

/**
 * A team's people: members (memberships) and pending invites, one list. Owners and admins invite,
 * change roles and remove; only a caller holding `members:owner` (owners) touches owners; the last
 * owner stays. Every change is serialised per team (MembershipsRepository.lockTeam) and audited.
 */
@Injectable()
export class MembersService {
  constructor(
    private readonly memberships: MembershipsRepository,
    private readonly invites: InvitesRepository,
    private readonly tokens: ApiTokensService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** Members and pending invites together, newest first (ids are time-ordered across both). */
  async list(teamId: string, limit: number, cursor?: string): Promise<Page<MemberResponseDto>> {
    const before = decodeCursor(cursor)?.id;
    const [members, invites] = await Promise.all([
      this.memberships.list(teamId, limit, before),
      this.invites.listPending(teamId, limit, before),
    ]);
    const now = this.clock.now();
    const rows = [
      ...members.map((m) => ({ id: m.id, view: () => memberView(m) })),
      ...invites.map((i) => ({ id: i.id, view: () => inviteView(i, now) })),
    ].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    return toPage(rows.slice(0, limit + 1), limit, (r) => r.view());
  }

  @Transactional()
  async invite(auth: AuthContext, dto: InviteMemberDto): Promise<MemberResponseDto> {
    const email = dto.email?.trim().toLowerCase();
    const subject = dto.subject;
    if ((email === undefined) === (subject === undefined)) {
      throw new BadRequestError('member/invite_target', 'give exactly one of email or subject', [
        { field: email === undefined ? 'email' : 'subject', errors: ['give exactly one of email or subject'] },
      ]);
    }
    if (dto.role === 'owner') this.requireOwnerScope(auth);
    const now = this.clock.now();
    if (dto.expiresAt && dto.expiresAt.getTime() <= now.getTime()) {
      throw new BadRequestError('member/expiry_in_past', 'expiresAt must be in the future', [
        { field: 'expiresAt', errors: ['expiresAt must be in the future'] },
      ]);
    }
    await this.memberships.lockTeam(auth.teamId);
    const who = { email, subject };
    if (await this.memberships.findMember(auth.teamId, who)) {
      throw new ConflictError('member/already_member', `${email ?? subject} is already a member of this team`);
    }
    if (await this.invites.findLiveFor(auth.teamId, who, now)) {
      throw new ConflictError(
        'member/already_invited',
        `${email ?? subject} is already invited to this team: change that invite's role, or remove it first`,
      );
    }
    const invite = await this.invites.create(auth.teamId, {
      email: email ?? null,
      subject: subject ?? null,
      role: dto.role,
      invitedBy: actorLabel(auth),
      invitedByUserId: actorUserId(auth),
      expiresAt: dto.expiresAt ?? null,
    });
    await this.audit.record({
      teamId: auth.teamId,
      actor: auth,
      action: 'member.invite',
      targetType: 'member',
      targetId: invite.id,
      details: { email: invite.email, subject: invite.subject, role: invite.role },
    });
    return inviteView(invite, now);
  }

  @Transactional()
  async update(auth: AuthContext, id: string, dto: UpdateMemberDto): Promise<MemberResponseDto> {
    await this.memberships.lockTeam(auth.teamId);
    const member = await this.memberships.find(auth.teamId, id);
    if (member) {
      const from = member.role as Role;
      if (from === 'owner' || dto.role === 'owner') this.requireOwnerScope(auth);
      if (from === 'owner' && dto.role !== 'owner') await this.keepAnOwner(auth.teamId, 'demote');
      // A person's change: the group mapping leaves this membership alone from now on.
      await this.memberships.setRole(auth.teamId, id, dto.role, 'invite');
      if (isRole(from) && !roleAtLeast(dto.role, from)) {
        await this.tokens.revokeMadeBy(auth.teamId, member.userId, auth, 'member.role_changed', scopesOfRole(dto.role));
      }
      await this.audit.record({
        teamId: auth.teamId,
        actor: auth,
        action: 'member.update',
        targetType: 'member',
        targetId: id,
        details: { userId: member.userId, email: member.user.email, from, role: dto.role },
      });
      return memberView({ ...member, role: dto.role, source: 'invite' });
    }
    const invite = await this.invites.findPending(auth.teamId, id);
    if (!invite) throw new NotFoundError('member', id);
    if (invite.role === 'owner' || dto.role === 'owner') this.requireOwnerScope(auth);
    await this.invites.setRole(auth.teamId, id, dto.role);
    await this.audit.record({
      teamId: auth.teamId,
      actor: auth,
      action: 'member.invite_update',
      targetType: 'member',
      targetId: id,
      details: { email: invite.email, subject: invite.subject, from: invite.role, role: dto.role },
    });
    return inviteView({ ...invite, role: dto.role }, this.clock.now());
  }

  /**
   * Removes a member — their API tokens in this team are revoked and their logins end — or
   * withdraws a pending invite.
   */
  @Transactional()
  async remove(auth: AuthContext, id: string): Promise<void> {
    await this.memberships.lockTeam(auth.teamId);
    const member = await this.memberships.find(auth.teamId, id);
    if (member) {
      if (member.role === 'owner') {
        this.requireOwnerScope(auth);
        await this.keepAnOwner(auth.teamId, 'remove');
      }
      if (!(await this.memberships.delete(auth.teamId, id))) throw new NotFoundError('member', id);
      await this.tokens.revokeMadeBy(auth.teamId, member.userId, auth, 'member.removed');
      await this.sessions.revokeAllOf(member.userId);
      await this.audit.record({
        teamId: auth.teamId,
        actor: auth,
        action: 'member.remove',
        targetType: 'member',
        targetId: id,
        details: { userId: member.userId, email: member.user.email, role: member.role },
      });
      return;
    }
    const invite = await this.invites.findPending(auth.teamId, id);
    if (!invite) throw new NotFoundError('member', id);
    if (invite.role === 'owner') this.requireOwnerScope(auth);
    if (!(await this.invites.delete(auth.teamId, id))) throw new NotFoundError('member', id);
    await this.audit.record({
      teamId: auth.teamId,
      actor: auth,
      action: 'member.invite_revoke',
      targetType: 'member',
      targetId: id,
      details: { email: invite.email, subject: invite.subject, role: invite.role },
    });
  }

  private requireOwnerScope(auth: AuthContext): void {
    if (!auth.scopes.includes('members:owner')) throw new ForbiddenScopeError(['members:owner'], scopeHolder(auth));
  }

  /** The team must keep at least one owner (called with the team's member lock held). */
  private async keepAnOwner(teamId: string, action: 'demote' | 'remove'): Promise<void> {
    if ((await this.memberships.countOwners(teamId)) <= 1) {
      throw new ConflictError(
        'member/last_owner',
        `cannot ${action} the last owner of the team: make another member owner first`,
      );
    }
  }
}

function memberView(m: MembershipWithUser): MemberResponseDto {
  return {
    id: m.id,
    status: 'active',
    role: m.role as Role,
    userId: m.userId,
    email: m.user.email,
    subject: m.user.subject,
    name: m.user.name,
    source: m.source === 'group' ? 'group' : 'invite',
    invitedBy: null,
    expiresAt: null,
    lastLoginAt: m.user.lastLoginAt?.toISOString() ?? null,
    createdAt: m.createdAt.toISOString(),
  };
}

function inviteView(i: Invite, now: Date): MemberResponseDto {
  return {
    id: i.id,
    status: i.expiresAt && i.expiresAt.getTime() <= now.getTime() ? 'expired' : 'invited',
    role: i.role as Role,
    userId: null,
    email: i.email,
    subject: i.subject,
    name: null,
    source: null,
    invitedBy: i.invitedBy,
    expiresAt: i.expiresAt?.toISOString() ?? null,
    lastLoginAt: null,
    createdAt: i.createdAt.toISOString(),
  };
}
