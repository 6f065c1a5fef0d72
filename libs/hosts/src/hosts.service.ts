import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { Queue } from 'bullmq';
import { AuditService } from '@heddle/audit';
import { Actor, AuthContext, Clock, NotFoundError, Page, decodeCursor, toPage } from '@heddle/common';
import { AppConfig } from '@heddle/config';
import { Host, Prisma, Transactional } from '@heddle/db';
import { EventsWriter } from '@heddle/events';
import { OutboundPolicy } from '@heddle/outbound';
import { HostProbePayload, JOBS, QUEUES } from '@heddle/queue';
import type { CreateHostDto, HostResponseDto, ListHostsQueryDto, ProbeResultDto, UpdateHostDto } from './dto/host.dto';
import { HostProbe } from './host-probe';
import { HostSecrets } from './host-secrets';
import { HealthPolicy, HostStatus, ProbeOutcome, nextStatus } from './host-status';
import { toHostResponse } from './host-view';
import { HostsRepository } from './hosts.repository';

@Injectable()
export class HostsService {
  private readonly logger = new Logger(HostsService.name);
  private readonly policy: HealthPolicy;

  constructor(
    private readonly repository: HostsRepository,
    private readonly secrets: HostSecrets,
    private readonly outbound: OutboundPolicy,
    private readonly probe: HostProbe,
    private readonly audit: AuditService,
    private readonly events: EventsWriter,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    @InjectQueue(QUEUES.hostHealth) private readonly healthQueue: Queue<HostProbePayload>,
  ) {
    this.policy = {
      degradedLatencyMs: config.hostDegradedLatencyMs,
      offlineAfterFailures: config.hostOfflineAfterFailures,
    };
  }

  async create(auth: AuthContext, dto: CreateHostDto): Promise<HostResponseDto> {
    await this.outbound.checkUrl(dto.baseUrl, 'baseUrl');
    const host = await this.insert(auth.teamId, auth, dto);
    this.probeSoon(host);
    return toHostResponse(host);
  }

  async list(teamId: string, query: ListHostsQueryDto): Promise<Page<HostResponseDto>> {
    const limit = query.limit!;
    const rows = await this.repository.list(teamId, query, limit, decodeCursor(query.cursor)?.id);
    return toPage(rows, limit, toHostResponse);
  }

  async get(teamId: string, id: string): Promise<HostResponseDto> {
    return toHostResponse(await this.mustFind(teamId, id));
  }

  async update(auth: AuthContext, id: string, dto: UpdateHostDto): Promise<HostResponseDto> {
    if (dto.baseUrl !== undefined) await this.outbound.checkUrl(dto.baseUrl, 'baseUrl');
    const host = await this.applyUpdate(auth.teamId, auth, id, dto);
    if (dto.baseUrl !== undefined || dto.password !== undefined || dto.username !== undefined || dto.enabled === true)
      this.probeSoon(host);
    return toHostResponse(host);
  }

  @Transactional()
  async delete(auth: AuthContext, id: string): Promise<void> {
    const host = await this.mustFind(auth.teamId, id);
    if (!(await this.repository.delete(auth.teamId, id))) throw new NotFoundError('host', id);
    await this.audit.record({
      teamId: auth.teamId,
      actor: auth,
      action: 'host.delete',
      targetType: 'host',
      targetId: id,
      details: { name: host.name },
    });
    await this.events.append(auth.teamId, { type: 'HOST_DELETED', hostId: id, data: { name: host.name } });
  }

  /**
   * Registers a host by name for the system (e.g. `npm run host:local`), or updates the one with that
   * name: its URL and password change on every start of a local server.
   */
  async upsertByName(teamId: string, actor: Actor, dto: CreateHostDto): Promise<HostResponseDto> {
    await this.outbound.checkUrl(dto.baseUrl, 'baseUrl');
    const host = await this.upsert(teamId, actor, dto);
    this.probeSoon(host);
    return toHostResponse(host);
  }

  @Transactional()
  private async upsert(teamId: string, actor: Actor, dto: CreateHostDto): Promise<Host> {
    const existing = await this.repository.findByName(teamId, dto.name);
    if (!existing) return this.insert(teamId, actor, dto);
    const { name: _name, ...changes } = dto;
    return this.applyUpdate(teamId, actor, existing.id, changes);
  }

  /** `POST /api/hosts/{id}/probe`: probe now, record it like a scheduled probe, answer the result. */
  async probeNow(teamId: string, id: string): Promise<ProbeResultDto> {
    const host = await this.mustFind(teamId, id);
    const outcome = await this.runProbe(host);
    const status =
      (await this.recordProbe(teamId, id, outcome, { evenIfDisabled: true })) ?? (host.status as HostStatus);
    return outcome.ok
      ? { status, version: outcome.version, latencyMs: outcome.latencyMs }
      : { status, version: host.version, latencyMs: outcome.latencyMs, error: outcome.error };
  }

  /** The `host.probe` job: probe one host and record the result; skipped when the host is gone or disabled. */
  async probeAndRecord(teamId: string, id: string): Promise<HostStatus | undefined> {
    const host = await this.repository.find(teamId, id);
    if (!host || !host.enabled) return undefined;
    return this.recordProbe(teamId, id, await this.runProbe(host));
  }

  /**
   * Applies a probe outcome under the host's row lock, and writes HOST_ONLINE / HOST_OFFLINE in the
   * same transaction as the status change.
   */
  @Transactional()
  async recordProbe(
    teamId: string,
    id: string,
    outcome: ProbeOutcome,
    options: { evenIfDisabled?: boolean } = {},
  ): Promise<HostStatus | undefined> {
    const host = await this.repository.findForUpdate(teamId, id);
    if (!host || (!host.enabled && !options.evenIfDisabled)) return undefined;
    const change = nextStatus(host.status as HostStatus, host.consecutiveFailures, outcome, this.policy);
    await this.repository.recordProbe(teamId, id, {
      status: change.status,
      consecutiveFailures: change.consecutiveFailures,
      latencyMs: outcome.latencyMs,
      lastError: outcome.ok ? null : outcome.error,
      lastProbeAt: this.clock.now(),
      ...(outcome.ok ? { version: outcome.version } : {}),
    });
    if (change.event) {
      await this.events.append(teamId, {
        type: change.event,
        hostId: id,
        data: {
          name: host.name,
          status: change.status,
          previousStatus: host.status,
          ...(outcome.ok
            ? { version: outcome.version, latencyMs: outcome.latencyMs }
            : { error: outcome.error, failures: change.consecutiveFailures }),
        },
      });
    }
    return change.status;
  }

  @Transactional()
  private async insert(teamId: string, actor: Actor, dto: CreateHostDto): Promise<Host> {
    const host = await this.repository.create(teamId, {
      name: dto.name,
      baseUrl: dto.baseUrl,
      username: dto.username ?? null,
      passwordEnc: dto.password !== undefined ? this.secrets.seal(teamId, dto.password) : null,
      labels: [...new Set(dto.labels ?? [])],
      workspaceRoots: [...new Set(dto.workspaceRoots)],
      maxSessions: dto.maxSessions ?? 4,
      enabled: dto.enabled ?? true,
    });
    const summary = {
      name: host.name,
      baseUrl: host.baseUrl,
      labels: host.labels,
      workspaceRoots: host.workspaceRoots,
      maxSessions: host.maxSessions,
      enabled: host.enabled,
    };
    await this.audit.record({
      teamId,
      actor,
      action: 'host.create',
      targetType: 'host',
      targetId: host.id,
      details: summary,
    });
    await this.events.append(teamId, { type: 'HOST_REGISTERED', hostId: host.id, data: summary });
    return host;
  }

  @Transactional()
  private async applyUpdate(teamId: string, actor: Actor, id: string, dto: UpdateHostDto): Promise<Host> {
    await this.mustFind(teamId, id);
    const data: Prisma.HostUpdateManyMutationInput = {
      ...(dto.name !== undefined ? { name: dto.name } : {}),
      ...(dto.baseUrl !== undefined ? { baseUrl: dto.baseUrl } : {}),
      ...(dto.username !== undefined ? { username: dto.username } : {}),
      ...(dto.password !== undefined
        ? { passwordEnc: dto.password === null ? null : this.secrets.seal(teamId, dto.password) }
        : {}),
      ...(dto.labels !== undefined ? { labels: [...new Set(dto.labels)] } : {}),
      ...(dto.workspaceRoots !== undefined ? { workspaceRoots: [...new Set(dto.workspaceRoots)] } : {}),
      ...(dto.maxSessions !== undefined ? { maxSessions: dto.maxSessions } : {}),
      ...(dto.enabled !== undefined ? { enabled: dto.enabled } : {}),
    };
    const host = await this.repository.update(teamId, id, data, dto.name);
    if (!host) throw new NotFoundError('host', id);
    // What changed, never the password itself.
    const changes = {
      ...dto,
      ...(dto.workspaceRoots !== undefined ? { workspaceRoots: [...new Set(dto.workspaceRoots)] } : {}),
      ...(dto.password !== undefined ? { password: dto.password === null ? 'removed' : 'changed' } : {}),
    };
    await this.audit.record({
      teamId,
      actor,
      action: 'host.update',
      targetType: 'host',
      targetId: id,
      details: changes,
    });
    await this.events.append(teamId, { type: 'HOST_UPDATED', hostId: id, data: { name: host.name, changes } });
    return host;
  }

  private async mustFind(teamId: string, id: string): Promise<Host> {
    const host = await this.repository.find(teamId, id);
    if (!host) throw new NotFoundError('host', id);
    return host;
  }

  private runProbe(host: Host): Promise<ProbeOutcome> {
    let password: string | null = null;
    if (host.passwordEnc) {
      try {
        password = this.secrets.open(host.teamId, host.passwordEnc);
      } catch {
        return Promise.resolve({
          ok: false,
          latencyMs: 0,
          error: 'stored password cannot be decrypted (was HEDDLE_ENCRYPTION_KEY changed?)',
        });
      }
    }
    return this.probe.probe(
      { baseUrl: host.baseUrl, username: host.username, password },
      this.config.hostProbeTimeoutMs,
    );
  }

  /** A new or changed host is probed right away rather than at the next sweep; best effort. */
  private probeSoon(host: Host): void {
    if (!host.enabled) return;
    this.healthQueue
      .add(
        JOBS.hostProbe,
        { teamId: host.teamId, hostId: host.id },
        { jobId: `probe_${host.id}_changed_${host.updatedAt.getTime()}` },
      )
      .catch((err: unknown) => this.logger.warn(`could not enqueue a probe of host ${host.id}: ${String(err)}`));
  }
}
