import { Injectable } from '@nestjs/common';
import { rootContaining } from '@heddle/common';
import { Host } from '@heddle/db';
import { WorkScope } from '@heddle/queue';
import { FairQueueRepository, SlotStanding } from './fair-queue.repository';
import { grantLockKeys, poolKey } from './host-pool';
import { HostsRepository } from './hosts.repository';

export type HostSelector = { hostId: string; labels?: undefined } | { hostId?: undefined; labels: string[] };

/**
 * `outsideRoots`: no enabled candidate's workspace roots can contain the workspace (as written), so
 * waiting for a host cannot help — the harness fails the task `workspace.outside_roots` at once.
 * `waitingFor` (fair dispatch only): why a task that has a fitting, online host must still wait — its
 * team is at `settings.maxRunningTasks` (`team_limit`), the free sessions go to tasks before it in the
 * fair order (`turn`), or every fitting host is busy (`capacity`). All end by themselves as other
 * tasks finish.
 */
export type WaitingFor = 'team_limit' | 'turn' | 'capacity';
export type Selection =
  { ok: true; host: Host } | { ok: false; reason: string; outsideRoots?: boolean; waitingFor?: WaitingFor };

export interface SelectOptions {
  /** The task's workspace: a candidate picked by labels must have a root containing it. */
  workspace?: string;
  /**
   * The task asking. Given, selection is **fair** (docs/harness.md, "Dispatch order"): capacity is
   * counted per OpenCode server (every registration of its base URL, any team), the team's
   * `settings.maxRunningTasks` applies, and a free session goes to this task only if no task before
   * it in the pool's fair order is waiting for one. Called inside a transaction, the decision holds
   * advisory locks on the team and the pools until that transaction ends — record the grant in it.
   */
  task?: { id: string };
  /**
   * A host that just lost this task (it stopped answering): not chosen again by labels until it has
   * answered a probe since `since` — the registry may not have noticed yet.
   */
  avoid?: { hostId: string; since: Date };
}

/**
 * Picks the host a task runs on: the named one, or among the team's enabled `online` hosts carrying
 * every label, with a free session slot and (given `workspace`) a workspace root that lexically
 * contains it, the least loaded (by share of its capacity in use, then fewest sessions, then oldest).
 * When none fits, says why in words a person can act on. A named host is not filtered by its roots:
 * the harness checks them at dispatch (on the resolved path) and fails the task with its own reason.
 */
@Injectable()
export class HostSelectionService {
  constructor(
    private readonly repository: HostsRepository,
    private readonly fairQueue: FairQueueRepository,
    private readonly scope: WorkScope,
  ) {}

  async select(teamId: string, selector: HostSelector, options: SelectOptions = {}): Promise<Selection> {
    if (options.task) return this.selectFair(teamId, options.task.id, selector, options.workspace, options.avoid);
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

  /**
   * The fair path: the same candidates and reasons as above, but a registration's free sessions are
   * those of its server (every team's), the team limit applies, and of the candidates with a free
   * session only those on whose pool this task's turn has come are taken. Queries: the candidates,
   * the locks (inside a transaction only) and one for the standing.
   */
  private async selectFair(
    teamId: string,
    taskId: string,
    selector: HostSelector,
    workspace: string | undefined,
    avoid?: SelectOptions['avoid'],
  ): Promise<Selection> {
    let candidates: Host[];
    let wanted = '';
    const why = new Map<string, string>();
    if (selector.hostId !== undefined) {
      const host = await this.repository.find(teamId, selector.hostId);
      if (!host) return { ok: false, reason: `host ${selector.hostId} does not exist` };
      const unusable = unavailability(host);
      if (unusable) return { ok: false, reason: `host ${host.name} ${unusable}` };
      candidates = [host];
    } else {
      const labels = [...new Set(selector.labels)];
      candidates = await this.repository.candidates(teamId, labels);
      wanted = labels.length ? `with labels [${labels.join(', ')}]` : '';
      if (candidates.length === 0) return { ok: false, reason: `no enabled host ${wanted}`.trim() };
      const outside = (h: Host) => workspace !== undefined && !rootContaining(workspace, h.workspaceRoots ?? []);
      if (candidates.every(outside)) {
        const roots = candidates.map((h) => `${h.name}: [${(h.workspaceRoots ?? []).join(', ')}]`).join('; ');
        return {
          ok: false,
          outsideRoots: true,
          reason: `no enabled host${wanted ? ` ${wanted}` : ''} has a workspace root containing ${workspace} (${roots})`,
        };
      }
      for (const h of candidates) {
        const unusable = outside(h)
          ? `workspace ${workspace} is outside its roots [${(h.workspaceRoots ?? []).join(', ')}]`
          : avoid && h.id === avoid.hostId && !answeredSince(h, avoid.since)
            ? 'lost this task (it stopped answering) and has not answered a probe since'
            : unavailability(h);
        if (unusable) why.set(h.id, unusable);
      }
    }
    const usable = candidates.filter((h) => !why.has(h.id));
    const named = selector.hostId !== undefined;
    const refuse = (waitingFor?: WaitingFor): Selection => {
      const reason = named
        ? `host ${candidates[0]!.name} ${why.get(candidates[0]!.id)}`
        : `no ${wanted ? `host ${wanted}` : 'host'} is online with a free session (${candidates
            .map((h) => `${h.name}: ${why.get(h.id)}`)
            .join('; ')})`;
      return { ok: false, reason, ...(waitingFor ? { waitingFor } : {}) };
    };
    if (usable.length === 0) return refuse();

    const pools = usable.map((h) => poolKey(h.baseUrl));
    await this.fairQueue.lock(grantLockKeys(teamId, pools));
    const { slots, team } = await this.fairQueue.standing(
      teamId,
      taskId,
      { hostIds: usable.map((h) => h.id), pools, maxFree: Math.max(...usable.map((h) => h.maxSessions)) },
      this.scope.teamIds(),
    );
    if (team.limit !== null && team.running >= team.limit) {
      const s = team.limit === 1 ? '' : 's';
      return {
        ok: false,
        waitingFor: 'team_limit',
        reason: `the team is at its limit of ${team.limit} running task${s} (settings.maxRunningTasks: ${team.running} running); it waits until one of them finishes`,
      };
    }
    const allowance = team.limit === null ? Infinity : team.limit - team.running;
    const standing = new Map(slots.map((s) => [s.hostId, s] as const));
    const open: { host: Host; slot: SlotStanding }[] = [];
    let turn = false;
    let siblings = false;
    let full = false;
    for (const host of usable) {
      const slot = standing.get(host.id);
      if (!slot) {
        why.set(host.id, 'is not available');
        continue;
      }
      const free = slot.cap - slot.load;
      if (free <= 0) {
        full = true;
        why.set(host.id, `is at capacity (${slot.load}/${slot.cap} sessions)`);
      } else if (slot.before >= allowance) {
        siblings = true;
        why.set(
          host.id,
          `has a free session, but older tasks of the team take what settings.maxRunningTasks (${team.limit}) still allows`,
        );
      } else if (slot.ahead >= free) {
        turn = true;
        const sessions = free === 1 ? '1 free session, which' : `${free} free sessions, which`;
        why.set(host.id, `has ${sessions} tasks queued before this one take first (fair order across teams)`);
      } else {
        open.push({ host, slot });
      }
    }
    if (open.length === 0) return refuse(turn ? 'turn' : siblings ? 'team_limit' : full ? 'capacity' : undefined);
    open.sort(
      (a, b) =>
        a.slot.load / a.slot.cap - b.slot.load / b.slot.cap ||
        a.slot.load - b.slot.load ||
        a.host.id.localeCompare(b.host.id),
    );
    return { ok: true, host: open[0]!.host };
  }
}

function unfitness(host: Host): string | undefined {
  const unusable = unavailability(host);
  if (unusable) return unusable;
  if (host.activeSessions >= host.maxSessions)
    return `is at capacity (${host.activeSessions}/${host.maxSessions} sessions)`;
  return undefined;
}

function unavailability(host: Host): string | undefined {
  if (!host.enabled) return 'is disabled';
  if (host.status !== 'online') return `is ${host.status}`;
  return undefined;
}

/** The host answered a probe after `since` (it is back). */
function answeredSince(host: Host, since: Date): boolean {
  return host.status === 'online' && host.lastProbeAt !== null && host.lastProbeAt > since;
}
