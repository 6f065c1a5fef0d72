import { Injectable } from '@nestjs/common';
import type { Role } from '@heddle/common';
import { InjectTransactionHost, Invite, TxHost } from '@heddle/db';

export interface NewInvite {
  email: string | null;
  subject: string | null;
  role: Role;
  invitedBy: string;
  invitedByUserId: string | null;
  expiresAt: Date | null;
}

/** The only file that touches `invites`. Every method but the login one takes the team first. */
@Injectable()
export class InvitesRepository {
  constructor(@InjectTransactionHost() private readonly txHost: TxHost) {}

  create(teamId: string, invite: NewInvite): Promise<Invite> {
    return this.txHost.tx.invite.create({ data: { teamId, ...invite } });
  }

  /** Unclaimed invites (expired ones included), newest first, `limit + 1` rows. */
  listPending(teamId: string, limit: number, beforeId?: string): Promise<Invite[]> {
    return this.txHost.tx.invite.findMany({
      where: { teamId, claimedAt: null, ...(beforeId ? { id: { lt: beforeId } } : {}) },
      orderBy: { id: 'desc' },
      take: limit + 1,
    });
  }

  findPending(teamId: string, id: string): Promise<Invite | null> {
    return this.txHost.tx.invite.findFirst({ where: { teamId, id, claimedAt: null } });
  }

  /** A live (unclaimed, unexpired) invite of the same person to this team. */
  findLiveFor(teamId: string, who: { email?: string; subject?: string }, now: Date): Promise<Invite | null> {
    const matches = [...(who.subject ? [{ subject: who.subject }] : []), ...(who.email ? [{ email: who.email }] : [])];
    if (matches.length === 0) return Promise.resolve(null);
    return this.txHost.tx.invite.findFirst({
      where: { teamId, claimedAt: null, OR: matches, AND: [{ OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] }] },
    });
  }

  async setRole(teamId: string, id: string, role: Role): Promise<boolean> {
    const { count } = await this.txHost.tx.invite.updateMany({
      where: { teamId, id, claimedAt: null },
      data: { role },
    });
    return count === 1;
  }

  async delete(teamId: string, id: string): Promise<boolean> {
    const { count } = await this.txHost.tx.invite.deleteMany({ where: { teamId, id, claimedAt: null } });
    return count === 1;
  }

  /**
   * The invites a person logging in may claim, across teams (login is how their teams are learned):
   * unclaimed, unexpired, addressed to their subject or (when the IdP vouches for it) their email.
   */
  findClaimable(who: { subject: string; email: string | null }, now: Date): Promise<Invite[]> {
    return this.txHost.tx.invite.findMany({
      where: {
        claimedAt: null,
        OR: [{ subject: who.subject }, ...(who.email ? [{ email: who.email }] : [])],
        AND: [{ OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] }],
      },
      orderBy: { id: 'asc' },
    });
  }

  async markClaimed(teamId: string, id: string, userId: string, at: Date): Promise<boolean> {
    const { count } = await this.txHost.tx.invite.updateMany({
      where: { teamId, id, claimedAt: null },
      data: { claimedAt: at, claimedByUserId: userId },
    });
    return count === 1;
  }

  /**
   * Invites claimed, or expired unclaimed, before `cutoff` (across teams: the sweep's chore). A
   * bounded batch; the claim itself stays in the audit log.
   */
  async deleteSettledBefore(cutoff: Date, limit: number): Promise<number> {
    return this.txHost.tx.$executeRaw`
      DELETE FROM "invites" WHERE "id" IN (
        SELECT "id" FROM "invites"
        WHERE "claimedAt" < ${cutoff} OR ("claimedAt" IS NULL AND "expiresAt" < ${cutoff}) LIMIT ${limit})`;
  }
}
