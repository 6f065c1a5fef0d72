import { Injectable } from '@nestjs/common';
import { ApiToken, InjectTransactionHost, TxHost } from '@heddle/db';

export interface NewApiToken {
  name: string;
  prefix: string;
  secretHash: string;
  scopes: string[];
  expiresAt: Date | null;
  createdByTokenId: string | null;
  createdByUserId: string | null;
}

export type TokenWithTeam = ApiToken & { team: { name: string } };

@Injectable()
export class ApiTokensRepository {
  constructor(@InjectTransactionHost() private readonly txHost: TxHost) {}

  create(teamId: string, token: NewApiToken): Promise<ApiToken> {
    return this.txHost.tx.apiToken.create({ data: { teamId, ...token } });
  }

  /** Live tokens, newest first, `limit + 1` rows. */
  listActive(teamId: string, limit: number, beforeId?: string): Promise<ApiToken[]> {
    return this.txHost.tx.apiToken.findMany({
      where: { teamId, revokedAt: null, ...(beforeId ? { id: { lt: beforeId } } : {}) },
      orderBy: { id: 'desc' },
      take: limit + 1,
    });
  }

  /** Live tokens a person made in this team. */
  listActiveMadeBy(teamId: string, userId: string): Promise<ApiToken[]> {
    return this.txHost.tx.apiToken.findMany({ where: { teamId, createdByUserId: userId, revokedAt: null } });
  }

  findActive(teamId: string, id: string): Promise<ApiToken | null> {
    return this.txHost.tx.apiToken.findFirst({ where: { teamId, id, revokedAt: null } });
  }

  /** Returns false when no live token of this team has that id. */
  async revoke(teamId: string, id: string, at: Date): Promise<boolean> {
    const { count } = await this.txHost.tx.apiToken.updateMany({
      where: { teamId, id, revokedAt: null },
      data: { revokedAt: at },
    });
    return count === 1;
  }

  /** The one lookup that is not team-scoped: authentication, which is how the team is learned. */
  findByPrefixForAuth(prefix: string): Promise<TokenWithTeam | null> {
    return this.txHost.tx.apiToken.findUnique({ where: { prefix }, include: { team: { select: { name: true } } } });
  }

  async touch(teamId: string, id: string, at: Date): Promise<void> {
    await this.txHost.tx.apiToken.updateMany({ where: { teamId, id }, data: { lastUsedAt: at } });
  }
}
