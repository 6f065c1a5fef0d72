import { Injectable } from '@nestjs/common';
import { ConflictError, LOADED } from '@heddle/common';
import { Host, InjectTransactionHost, Prisma, TxHost, isUniqueViolation } from '@heddle/db';
import type { HostStatus } from './host-status';

export interface NewHost {
  name: string;
  baseUrl: string;
  username: string | null;
  passwordEnc: string | null;
  labels: string[];
  workspaceRoots: string[];
  maxSessions: number;
  enabled: boolean;
}

export interface HostFilter {
  status?: HostStatus;
  label?: string;
  enabled?: boolean;
}

export interface ProbeRecord {
  status: HostStatus;
  consecutiveFailures: number;
  version?: string;
  latencyMs: number;
  lastError: string | null;
  lastProbeAt: Date;
}

@Injectable()
export class HostsRepository {
  constructor(@InjectTransactionHost() private readonly txHost: TxHost) {}

  /**
   * Recounts the sessions a team's tasks hold on one of its hosts (a count, not a counter: it cannot
   * drift). Called by the harness whenever a task takes or gives back a session.
   */
  async refreshLoad(teamId: string, hostId: string): Promise<void> {
    await this.txHost.tx.$executeRaw`
      UPDATE "hosts" SET "activeSessions" = (
        SELECT count(*) FROM "tasks"
        WHERE "teamId" = ${teamId}::uuid AND "hostId" = ${hostId}::uuid AND "status" = ANY(${[...LOADED]})
      ) WHERE "id" = ${hostId}::uuid AND "teamId" = ${teamId}::uuid`;
  }

  create(teamId: string, host: NewHost): Promise<Host> {
    return this.txHost.tx.host.create({ data: { teamId, ...host } }).catch(nameTaken(host.name));
  }

  list(teamId: string, filter: HostFilter, limit: number, beforeId?: string): Promise<Host[]> {
    return this.txHost.tx.host.findMany({
      where: {
        teamId,
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.label ? { labels: { has: filter.label } } : {}),
        ...(filter.enabled !== undefined ? { enabled: filter.enabled } : {}),
        ...(beforeId ? { id: { lt: beforeId } } : {}),
      },
      orderBy: { id: 'desc' },
      take: limit + 1,
    });
  }

  find(teamId: string, id: string): Promise<Host | null> {
    return this.txHost.tx.host.findFirst({ where: { teamId, id } });
  }

  findByName(teamId: string, name: string): Promise<Host | null> {
    return this.txHost.tx.host.findFirst({ where: { teamId, name } });
  }

  /** Locks the host row until the transaction ends, so concurrent probes of one host apply in turn. */
  async findForUpdate(teamId: string, id: string): Promise<Host | null> {
    const rows = await this.txHost.tx.$queryRaw<{ id: string }[]>`
      SELECT "id" FROM "hosts" WHERE "id" = ${id}::uuid AND "teamId" = ${teamId}::uuid FOR UPDATE`;
    return rows.length ? this.find(teamId, id) : null;
  }

  async update(
    teamId: string,
    id: string,
    data: Prisma.HostUpdateManyMutationInput,
    name?: string,
  ): Promise<Host | null> {
    const { count } = await this.txHost.tx.host.updateMany({ where: { teamId, id }, data }).catch(nameTaken(name));
    return count === 1 ? this.find(teamId, id) : null;
  }

  async recordProbe(teamId: string, id: string, probe: ProbeRecord): Promise<void> {
    await this.txHost.tx.host.updateMany({
      where: { teamId, id },
      data: {
        status: probe.status,
        consecutiveFailures: probe.consecutiveFailures,
        latencyMs: probe.latencyMs,
        lastError: probe.lastError,
        lastProbeAt: probe.lastProbeAt,
        ...(probe.version !== undefined ? { version: probe.version } : {}),
      },
    });
  }

  async delete(teamId: string, id: string): Promise<boolean> {
    const { count } = await this.txHost.tx.host.deleteMany({ where: { teamId, id } });
    return count === 1;
  }

  /** Enabled hosts of a team that carry every label, for selection. */
  candidates(teamId: string, labels: string[]): Promise<Host[]> {
    return this.txHost.tx.host.findMany({
      where: { teamId, enabled: true, ...(labels.length ? { labels: { hasEvery: labels } } : {}) },
      orderBy: { id: 'asc' },
    });
  }

  /**
   * The health sweep's view: every enabled host of every team, a page at a time (the one
   * cross-team read, done by the worker for all tenants).
   */
  enabledPage(
    afterId: string | undefined,
    limit: number,
    teamIds: readonly string[] | null = null,
  ): Promise<{ id: string; teamId: string }[]> {
    return this.txHost.tx.host.findMany({
      where: {
        enabled: true,
        ...(afterId ? { id: { gt: afterId } } : {}),
        ...(teamIds === null ? {} : { teamId: { in: [...teamIds] } }),
      },
      select: { id: true, teamId: true },
      orderBy: { id: 'asc' },
      take: limit,
    });
  }
}

function nameTaken(name: string | undefined) {
  return (err: unknown): never => {
    if (isUniqueViolation(err)) {
      throw new ConflictError('host/name_taken', `a host named "${name}" already exists in this team`, {
        fields: ['name'],
      });
    }
    throw err;
  };
}
