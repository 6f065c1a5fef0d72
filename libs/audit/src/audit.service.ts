import { Injectable } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { Actor, Page, actorLabel, actorTokenId, decodeCursor, toPage } from '@heddle/common';
import { Prisma } from '@heddle/db';
import { AuditRepository } from './audit.repository';

export interface AuditEntryInput {
  teamId: string;
  actor: Actor;
  /** `<resource>.<verb>`, e.g. `token.create`. */
  action: string;
  targetType: string;
  targetId?: string | null;
  details?: Prisma.InputJsonObject;
}

export interface AuditEntryView {
  id: string;
  actor: string;
  actorTokenId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  details: unknown;
  requestId: string | null;
  createdAt: string;
}

/**
 * Records who changed what. Call it inside the mutation's transaction, so a change and its audit
 * row commit or roll back together.
 */
@Injectable()
export class AuditService {
  constructor(
    private readonly repository: AuditRepository,
    private readonly cls: ClsService,
  ) {}

  async record(input: AuditEntryInput): Promise<void> {
    await this.repository.insert(input.teamId, {
      actorTokenId: actorTokenId(input.actor),
      actor: actorLabel(input.actor),
      action: input.action,
      targetType: input.targetType,
      targetId: input.targetId ?? null,
      details: input.details ?? {},
      requestId: this.cls.isActive() ? (this.cls.getId() ?? null) : null,
    });
  }

  async list(teamId: string, limit: number, cursor?: string): Promise<Page<AuditEntryView>> {
    const rows = await this.repository.list(teamId, limit, decodeCursor(cursor)?.id);
    return toPage(rows, limit, (row) => ({
      id: row.id,
      actor: row.actor,
      actorTokenId: row.actorTokenId,
      action: row.action,
      targetType: row.targetType,
      targetId: row.targetId,
      details: row.details,
      requestId: row.requestId,
      createdAt: row.createdAt.toISOString(),
    }));
  }
}
