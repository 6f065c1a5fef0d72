import { Injectable } from '@nestjs/common';
import { rootContaining } from '@heddle/common';
import { Host } from '@heddle/db';
import { HostsRepository } from './hosts.repository';

export type HostSelector = { hostId: string; labels?: undefined } | { hostId?: undefined; labels: string[] };

/**
 * `outsideRoots`: no enabled candidate's workspace roots can contain the workspace (as written), so
 * waiting for a host cannot help — the harness fails the task `workspace.outside_roots` at once.
 */
export type Selection = { ok: true; host: Host } | { ok: false; reason: string; outsideRoots?: boolean };

/**
 * Picks the host a task runs on: the named one, or among the team's enabled `online` hosts carrying
 * every label, with a free session slot and (given `workspace`) a workspace root that lexically
 * contains it, the least loaded (by share of its capacity in use, then fewest sessions, then oldest).
 * When none fits, says why in words a person can act on. A named host is not filtered by its roots:
 * the harness checks them at dispatch (on the resolved path) and fails the task with its own reason.
 */
@Injectable()
export class HostSelectionService {
  constructor(private readonly repository: HostsRepository) {}

  async select(teamId: string, selector: HostSelector, options: { workspace?: string } = {}): Promise<Selection> {
    if (selector.hostId !== undefined) {
      const host = await this.repository.find(teamId, selector.hostId);
      if (!host) return { ok: false, reason: `host ${selector.hostId} does not exist` };
      const unfit = unfitness(host);
      return unfit ? { ok: false, reason: `host ${host.name} ${unfit}` } : { ok: true, host };
    }
    const labels = [...new Set(selector.labels)];
    const candidates = await this.repository.candidates(teamId, labels);
    const wanted = labels.length ? `with labels [${labels.join(', ')}]` : '';
    if (candidates.length === 0) return { ok: false, reason: `no enabled host ${wanted}`.trim() };
    const { workspace } = options;
    const outside = (h: Host) => workspace !== undefined && !rootContaining(workspace, h.workspaceRoots ?? []);
    if (candidates.every(outside)) {
      const why = candidates.map((h) => `${h.name}: [${(h.workspaceRoots ?? []).join(', ')}]`).join('; ');
      return {
        ok: false,
        outsideRoots: true,
        reason: `no enabled host${wanted ? ` ${wanted}` : ''} has a workspace root containing ${workspace} (${why})`,
      };
    }
    const unfit = (h: Host) =>
      outside(h)
        ? `workspace ${workspace} is outside its roots [${(h.workspaceRoots ?? []).join(', ')}]`
        : unfitness(h);
    const fit = candidates.filter((h) => !unfit(h));
    if (fit.length === 0) {
      const why = candidates.map((h) => `${h.name}: ${unfit(h)}`).join('; ');
      return { ok: false, reason: `no ${wanted ? `host ${wanted}` : 'host'} is online with a free session (${why})` };
    }
    fit.sort(
      (a, b) =>
        a.activeSessions / a.maxSessions - b.activeSessions / b.maxSessions ||
        a.activeSessions - b.activeSessions ||
        a.id.localeCompare(b.id),
    );
    return { ok: true, host: fit[0]! };
  }
}

function unfitness(host: Host): string | undefined {
  if (!host.enabled) return 'is disabled';
  if (host.status !== 'online') return `is ${host.status}`;
  if (host.activeSessions >= host.maxSessions)
    return `is at capacity (${host.activeSessions}/${host.maxSessions} sessions)`;
  return undefined;
}
