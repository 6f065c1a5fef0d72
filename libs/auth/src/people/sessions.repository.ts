import { Injectable } from '@nestjs/common';
import { InjectTransactionHost, Membership, Session, TxHost, User } from '@heddle/db';

export type SessionForAuth = Session & {
  user: User & { memberships: Array<Membership & { team: { name: string } }> };
};

/** The only file that touches `sessions` (browser logins; not team-owned). */
@Injectable()
export class SessionsRepository {
  constructor(@InjectTransactionHost() private readonly txHost: TxHost) {}

  create(id: string, userId: string, secretHash: string, expiresAt: Date): Promise<Session> {
    return this.txHost.tx.session.create({ data: { id, userId, secretHash, expiresAt } });
  }

  find(id: string): Promise<Session | null> {
    return this.txHost.tx.session.findUnique({ where: { id } });
  }

  /**
   * A session with its person and every membership (team names included), in one query: the guard
   * reads it on each cookie request, so a role change or a removal counts from the next request.
   */
  findForAuth(id: string): Promise<SessionForAuth | null> {
    return this.txHost.tx.session.findUnique({
      where: { id },
      include: {
        user: {
          include: { memberships: { include: { team: { select: { name: true } } }, orderBy: { createdAt: 'asc' } } },
        },
      },
    });
  }

  async revoke(id: string, at: Date): Promise<boolean> {
    const { count } = await this.txHost.tx.session.updateMany({
      where: { id, revokedAt: null },
      data: { revokedAt: at },
    });
    return count === 1;
  }

  /** Ends every live session of a person (removed from a team). */
  async revokeAllOf(userId: string, at: Date): Promise<number> {
    const { count } = await this.txHost.tx.session.updateMany({
      where: { userId, revokedAt: null, expiresAt: { gt: at } },
      data: { revokedAt: at },
    });
    return count;
  }

  /** Sessions that ended (expired or revoked) before `cutoff`: a bounded batch, for the sweep. */
  async deleteEndedBefore(cutoff: Date, limit: number): Promise<number> {
    return this.txHost.tx.$executeRaw`
      DELETE FROM "sessions" WHERE "id" IN (
        SELECT "id" FROM "sessions" WHERE "expiresAt" < ${cutoff} OR "revokedAt" < ${cutoff} LIMIT ${limit})`;
  }
}
