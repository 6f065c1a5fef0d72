import type { Agent, ConfigProviders } from '@heddle/opencode-client';

/**
 * What one OpenCode host offers a task, read from its `GET /config/providers` and `GET /agent`
 * (for one directory: project config can add providers and agents). Pure data; see HostCatalog
 * for reading and caching it.
 */
export interface HostCatalogSnapshot {
  /** The host's name, for messages. */
  host: string;
  /** Every model the host can run, as `provider/model` (the model part may hold slashes). */
  models: ReadonlySet<string>;
  /** Provider ids, sorted. */
  providers: readonly string[];
  /**
   * Agents a task may name, sorted: every agent the host lists except hidden ones (compaction,
   * summary, title: OpenCode's own helpers, left out of its "Available agents" too). Subagents are
   * kept: OpenCode 1.18.34 runs a prompt naming one (verified), only its UI offers primary ones.
   */
  agents: readonly string[];
}

/** Why a task's model or agent cannot run on a host. */
export interface CatalogRejection {
  field: 'model' | 'agent';
  reason: 'model.unknown' | 'agent.unknown';
  /** Names the unknown value and up to {@link MAX_LISTED} known ones. */
  message: string;
}

/** Known names a rejection lists at most. */
export const MAX_LISTED = 10;

/** The snapshot of a host from the two answers. */
export function catalogFrom(host: string, providers: ConfigProviders, agents: Agent[]): HostCatalogSnapshot {
  const models = new Set<string>();
  for (const provider of providers.providers) {
    for (const model of Object.keys(provider.models ?? {})) models.add(`${provider.id}/${model}`);
  }
  return {
    host,
    models,
    providers: [...new Set(providers.providers.map((p) => p.id))].sort(),
    agents: [...new Set(agents.filter((a) => !a.hidden).map((a) => a.name))].sort(),
  };
}

/**
 * The first of `model` (`provider/model`) and `agent` that the host does not offer, or null when
 * both are known (or not given). Checked at create when the task names its host, and at dispatch.
 */
export function unknownModelOrAgent(
  request: { model?: string | null; agent?: string | null },
  catalog: HostCatalogSnapshot,
): CatalogRejection | null {
  const { model, agent } = request;
  if (model !== undefined && model !== null && !catalog.models.has(model)) {
    const provider = model.slice(0, Math.max(0, model.indexOf('/')));
    // The same provider's models first: the likeliest meant.
    const known = [...catalog.models].sort(
      (a, b) => Number(!a.startsWith(`${provider}/`)) - Number(!b.startsWith(`${provider}/`)) || a.localeCompare(b),
    );
    const why = catalog.providers.includes(provider) ? '' : ` (it has no provider ${JSON.stringify(provider)})`;
    return {
      field: 'model',
      reason: 'model.unknown',
      message: `model ${JSON.stringify(model)} is unknown on host ${JSON.stringify(catalog.host)}${why}; known models: ${listed(known)}`,
    };
  }
  if (agent !== undefined && agent !== null && !catalog.agents.includes(agent)) {
    return {
      field: 'agent',
      reason: 'agent.unknown',
      message: `agent ${JSON.stringify(agent)} is unknown on host ${JSON.stringify(catalog.host)}; known agents: ${listed(catalog.agents)}`,
    };
  }
  return null;
}

function listed(names: readonly string[]): string {
  if (names.length === 0) return 'none';
  const shown = names.slice(0, MAX_LISTED).join(', ');
  return names.length > MAX_LISTED ? `${shown} and ${names.length - MAX_LISTED} more` : shown;
}
