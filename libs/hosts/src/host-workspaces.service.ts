import { Injectable } from '@nestjs/common';
import { BadGatewayError, GatewayTimeoutError, NotFoundError, rootContaining } from '@heddle/common';
import { OpencodeError, OpencodeTimeoutError, Session } from '@heddle/opencode-client';
import { HostWorkspaceDto, HostWorkspacesDto } from './dto/host-workspaces.dto';
import { HostClients } from './host-clients';
import { HostsRepository } from './hosts.repository';

/** Sessions read per page, and pages at most (per archived/unarchived listing). */
const PAGE = 200;
const MAX_PAGES = 5;
const CALL_TIMEOUT_MS = 10_000;

/**
 * Recent workspaces on a host (OpenLoom's workspace picker): the directories of its sessions, read
 * across all directories with OpenCode's `GET /experimental/session` (archived ones too), deduped,
 * newest first, and only those under the host's workspace roots.
 */
@Injectable()
export class HostWorkspacesService {
  constructor(
    private readonly repository: HostsRepository,
    private readonly clients: HostClients,
  ) {}

  async list(teamId: string, hostId: string, limit = 20): Promise<HostWorkspacesDto> {
    const host = await this.repository.find(teamId, hostId);
    if (!host) throw new NotFoundError('host', hostId);
    const roots = host.workspaceRoots ?? [];
    const client = this.clients.forHost(host, roots[0] ?? '/', CALL_TIMEOUT_MS);
    const sessions: Session[] = [];
    try {
      for (const archived of [false, true]) {
        let cursor: string | undefined;
        for (let page = 0; page < MAX_PAGES; page++) {
          const got = await client.listAllSessions({ limit: PAGE, roots: true, archived, cursor });
          sessions.push(...got.sessions);
          if (!got.nextCursor || got.sessions.length === 0) break;
          cursor = got.nextCursor;
        }
      }
    } catch (err) {
      if (err instanceof OpencodeTimeoutError) {
        throw new GatewayTimeoutError('host/timeout', `host ${host.name} did not list its sessions in time`);
      }
      if (err instanceof OpencodeError) {
        throw new BadGatewayError('host/unavailable', `host ${host.name} could not list its sessions: ${err.message}`);
      }
      throw err;
    }
    const byDirectory = new Map<string, HostWorkspaceDto & { at: number }>();
    for (const s of sessions) {
      if (typeof s.directory !== 'string' || !rootContaining(s.directory, roots)) continue;
      const at = s.time?.updated ?? s.time?.created ?? 0;
      const seen = byDirectory.get(s.directory);
      if (!seen) {
        byDirectory.set(s.directory, {
          directory: s.directory,
          at,
          lastUsedAt: new Date(at).toISOString(),
          sessions: 1,
          ...(s.title ? { lastTitle: s.title } : {}),
        });
        continue;
      }
      seen.sessions++;
      if (at > seen.at) {
        Object.assign(seen, { at, lastUsedAt: new Date(at).toISOString(), lastTitle: s.title || undefined });
      }
    }
    const items = [...byDirectory.values()]
      .sort((a, b) => b.at - a.at || a.directory.localeCompare(b.directory))
      .slice(0, limit)
      .map(({ at: _at, ...item }) => item);
    return { items, sessionsRead: sessions.length };
  }
}
