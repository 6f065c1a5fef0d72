import { Injectable } from '@nestjs/common';
import { AuditLog, InjectTransactionHost, Prisma, TxHost } from '@heddle/db';

export interface NewAuditEntry {
  actorTokenId: string | null;
  actor: string;
  action: string;
  targetType: string;
  targetId: string | null;
  details: Prisma.InputJsonValue;
  requestId: string | null;
}

@Injectable()
export class AuditRepository {
  constructor(@InjectTransactionHost() private readonly txHost: TxHost) {}

  async insert(teamId: string, entry: NewAuditEntry): Promise<void> {
    await this.txHost.tx.auditLog.create({ data: { teamId, ...entry } });
  }

  /** Newest first; `limit + 1` rows so the caller can tell whether another page exists. */
  list(teamId: string, limit: number, beforeId?: string): Promise<AuditLog[]> {
    return this.txHost.tx.auditLog.findMany({
      where: { teamId, ...(beforeId ? { id: { lt: beforeId } } : {}) },
      orderBy: { id: 'desc' },
      take: limit + 1,
    });
  }
}
