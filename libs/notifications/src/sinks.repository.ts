import { Injectable } from '@nestjs/common';
import { ConflictError } from '@heddle/common';
import { Delivery, DeliveryAttempt, InjectTransactionHost, Prisma, Sink, TxHost, isUniqueViolation } from '@heddle/db';
import type { DeliveryStatus, SinkKind } from './sink-kinds';

export interface NewSink {
  name: string;
  kind: SinkKind;
  /** The URL sealed by SinkSecrets; the plain `url` column is never written any more. */
  urlEnc: string | null;
  filePrefix: string | null;
  /** A `github_comment` sink's token sealed by SinkSecrets. */
  tokenEnc: string | null;
  events: string[];
  enabled: boolean;
}

export interface SinkFilter {
  kind?: SinkKind;
  enabled?: boolean;
}

/** Sinks and their deliveries; every method takes the team first and puts it in every `where`. */
@Injectable()
export class SinksRepository {
  constructor(@InjectTransactionHost() private readonly txHost: TxHost) {}

  transaction<T>(fn: () => Promise<T>): Promise<T> {
    return this.txHost.withTransaction(fn);
  }

  create(teamId: string, sink: NewSink): Promise<Sink> {
    return this.txHost.tx.sink.create({ data: { teamId, ...sink } }).catch(nameTaken(sink.name));
  }

  list(teamId: string, filter: SinkFilter, limit: number, beforeId?: string): Promise<Sink[]> {
    return this.txHost.tx.sink.findMany({
      where: {
        teamId,
        ...(filter.kind ? { kind: filter.kind } : {}),
        ...(filter.enabled !== undefined ? { enabled: filter.enabled } : {}),
        ...(beforeId ? { id: { lt: beforeId } } : {}),
      },
      orderBy: { id: 'desc' },
      take: limit + 1,
    });
  }

  find(teamId: string, id: string): Promise<Sink | null> {
    return this.txHost.tx.sink.findFirst({ where: { teamId, id } });
  }

  /** Another file sink of the team writing with this prefix (their files would overwrite each other). */
  findFileSinkByPrefix(teamId: string, filePrefix: string, exceptId?: string): Promise<Sink | null> {
    return this.txHost.tx.sink.findFirst({
      where: { teamId, kind: 'file', filePrefix, ...(exceptId ? { id: { not: exceptId } } : {}) },
    });
  }

  /** Locks the sink row until the transaction ends, so health updates of one sink apply in turn. */
  async findForUpdate(teamId: string, id: string): Promise<Sink | null> {
    const rows = await this.txHost.tx.$queryRaw<{ id: string }[]>`
      SELECT "id" FROM "sinks" WHERE "id" = ${id}::uuid AND "teamId" = ${teamId}::uuid FOR UPDATE`;
    return rows.length ? this.find(teamId, id) : null;
  }

  async update(
    teamId: string,
    id: string,
    data: Prisma.SinkUpdateManyMutationInput,
    name?: string,
  ): Promise<Sink | null> {
    const { count } = await this.txHost.tx.sink.updateMany({ where: { teamId, id }, data }).catch(nameTaken(name));
    return count === 1 ? this.find(teamId, id) : null;
  }

  async delete(teamId: string, id: string): Promise<boolean> {
    const { count } = await this.txHost.tx.sink.deleteMany({ where: { teamId, id } });
    return count === 1;
  }

  /**
   * Locks up to `limit` sinks that still hold a plain URL (written before URLs were sealed), skipping
   * rows another process has locked: several replicas starting at once share the work. Across teams
   * (`teamIds` null) or the given ones: a start-up chore, not a request.
   */
  lockPlainUrls(
    teamIds: readonly string[] | null,
    limit: number,
  ): Promise<{ id: string; teamId: string; url: string }[]> {
    const inTeams = teamIds === null ? Prisma.empty : Prisma.sql`AND "teamId" = ANY(${[...teamIds]}::uuid[])`;
    return this.txHost.tx.$queryRaw<{ id: string; teamId: string; url: string }[]>`
      SELECT "id", "teamId", "url" FROM "sinks" WHERE "url" IS NOT NULL ${inTeams}
      ORDER BY "id" LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
  }

  /** Moves one plain URL into `urlEnc` (idempotent; `updatedAt` stays: nobody changed the sink). */
  async sealPlainUrl(teamId: string, id: string, urlEnc: string): Promise<boolean> {
    const count = await this.txHost.tx.$executeRaw`
      UPDATE "sinks" SET "urlEnc" = ${urlEnc}, "url" = NULL
      WHERE "id" = ${id}::uuid AND "teamId" = ${teamId}::uuid AND "url" IS NOT NULL`;
    return count === 1;
  }

  /** After a success: the sink is healthy again. */
  async clearFailing(teamId: string, id: string): Promise<void> {
    await this.txHost.tx.sink.updateMany({
      where: { teamId, id, failingSince: { not: null } },
      data: { failingSince: null },
    });
  }

  deliveries(
    teamId: string,
    sinkId: string,
    status: DeliveryStatus | undefined,
    limit: number,
    beforeId?: string,
  ): Promise<(Delivery & { attemptLog: DeliveryAttempt[] })[]> {
    return this.txHost.tx.delivery.findMany({
      where: { teamId, sinkId, ...(status ? { status } : {}), ...(beforeId ? { id: { lt: beforeId } } : {}) },
      include: { attemptLog: { orderBy: { number: 'asc' } } },
      orderBy: { id: 'desc' },
      take: limit + 1,
    });
  }

  /** Where a task came from, as its hook delivery recorded it (hook_deliveries is written by libs/hooks). */
  async originOfTask(teamId: string, taskId: string): Promise<unknown> {
    const row = await this.txHost.tx.hookDelivery.findFirst({
      where: { teamId, taskId, origin: { not: Prisma.DbNull } },
      select: { origin: true },
    });
    return row?.origin ?? null;
  }

  /**
   * The sink a delivery job is for, before the attempt is claimed (to take the sink's slot). The
   * worker's one read by delivery id alone: the job carries only ids, and the runner scopes the rest.
   */
  async sinkOfDelivery(deliveryId: string): Promise<string | null> {
    const row = await this.txHost.tx.delivery.findUnique({ where: { id: deliveryId }, select: { sinkId: true } });
    return row?.sinkId ?? null;
  }
}

function nameTaken(name: string | undefined) {
  return (err: unknown): never => {
    if (isUniqueViolation(err)) {
      throw new ConflictError('sink/name_taken', `a sink named "${name}" already exists in this team`, {
        fields: ['name'],
      });
    }
    throw err;
  };
}
