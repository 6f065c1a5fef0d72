import { Injectable } from '@nestjs/common';
import type { Role } from '@heddle/common';
import { InjectTransactionHost, Membership, TxHost, User } from '@heddle/db';

export type MembershipWithUser = Membership & { user: User };

export type MembershipSource = 'invite' | 'group';

/** The only file that touches `memberships`. Every method but the login ones takes the team first. */
@Injectable()
export class MembershipsRepository {
  constructor(@InjectTransactionHost() private readonly txHost: TxHost) {}

  /**
   * Serialises changes to a team's memberships until the transaction ends, so two requests cannot
   * each demote one of the last two owners.
   */
  async lockTeam(teamId: string): Promise<void> {
    await this.txHost.tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('heddle:members:' || ${teamId}))`;
  }

  /** Newest first, `limit + 1` rows. */
  list(teamId: string, limit: number, beforeId?: string): Promise<MembershipWithUser[]> {
    return this.txHost.tx.membership.findMany({
      where: { teamId, ...(beforeId ? { id: { lt: beforeId } } : {}) },
      include: { user: true },
      orderBy: { id: 'desc' },
      take: limit + 1,
    });
  }

  find(teamId: string, id: string): Promise<MembershipWithUser | null> {
    return this.txHost.tx.membership.findFirst({ where: { teamId, id }, include: { user: true } });
  }

  findByUser(teamId: string, userId: string): Promise<Membership | null> {
    return this.txHost.tx.membership.findFirst({ where: { teamId, userId } });
  }

  /** Whether someone with this subject or (lowercased) email is already a member. */
  findMember(teamId: string, who: { subject?: string; email?: string }): Promise<Membership | null> {
    const matches = [
      ...(who.subject ? [{ user: { subject: who.subject } }] : []),
      ...(who.email ? [{ user: { email: who.email } }] : []),
    ];
    if (matches.length === 0) return Promise.resolve(null);
    return this.txHost.tx.membership.findFirst({ where: { teamId, OR: matches } });
  }

  create(teamId: string, userId: string, role: Role, source: MembershipSource): Promise<Membership> {
    return this.txHost.tx.membership.create({ data: { teamId, userId, role, source } });
  }

  async setRole(teamId: string, id: string, role: Role, source?: MembershipSource): Promise<boolean> {
    const { count } = await this.txHost.tx.membership.updateMany({
      where: { teamId, id },
      data: { role, ...(source ? { source } : {}) },
    });
    return count === 1;
  }

  async delete(teamId: string, id: string): Promise<boolean> {
    const { count } = await this.txHost.tx.membership.deleteMany({ where: { teamId, id } });
    return count === 1;
  }

  countOwners(teamId: string): Promise<number> {
    return this.txHost.tx.membership.count({ where: { teamId, role: 'owner' } });
  }

  /** The teams of a person (their own view, e.g. GET /api/me), oldest membership first. */
  listOfUser(userId: string): Promise<Array<Membership & { team: { name: string } }>> {
    return this.txHost.tx.membership.findMany({
      where: { userId },
      include: { team: { select: { name: true } } },
      orderBy: { createdAt: 'asc' },
    });
  }

  /** Team ids for the names or ids OIDC_GROUP_ROLE_MAP names (unknown ones are left out). */
  async teamsByRef(refs: readonly string[]): Promise<Map<string, string>> {
    if (refs.length === 0) return new Map();
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
    const ids = refs.filter((r) => uuid.test(r)).map((r) => r.toLowerCase());
    const teams = await this.txHost.tx.team.findMany({
      where: { OR: [{ name: { in: [...refs] } }, ...(ids.length ? [{ id: { in: ids } }] : [])] },
      select: { id: true, name: true },
    });
    const byRef = new Map<string, string>();
    for (const ref of refs) {
      const team = teams.find((t) => t.name === ref || t.id === ref.toLowerCase());
      if (team) byRef.set(ref, team.id);
    }
    return byRef;
  }
}
