import type { Host } from '@heddle/db';
import type { HostResponseDto } from './dto/host.dto';
import type { HostStatus } from './host-status';

/** The wire shape of a host: never the password, only whether one is set. */
export function toHostResponse(host: Host): HostResponseDto {
  return {
    id: host.id,
    name: host.name,
    baseUrl: host.baseUrl,
    username: host.username,
    hasPassword: host.passwordEnc !== null,
    labels: host.labels,
    // Hosts registered before roots existed were migrated to ["/"]; null never reaches the wire.
    workspaceRoots: host.workspaceRoots ?? [],
    maxSessions: host.maxSessions,
    enabled: host.enabled,
    status: host.status as HostStatus,
    version: host.version,
    lastProbeAt: host.lastProbeAt?.toISOString() ?? null,
    latencyMs: host.latencyMs,
    lastError: host.lastError,
    activeSessions: host.activeSessions,
    createdAt: host.createdAt.toISOString(),
    updatedAt: host.updatedAt.toISOString(),
  };
}
