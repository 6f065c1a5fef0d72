import type { TestApp, TestTeam } from './test-app';

export interface RegisterHostBody {
  name?: string;
  baseUrl: string;
  /** Required by the API: the directories task workspaces must lie under (docs/security.md). */
  workspaceRoots: string[];
  password?: string;
  username?: string;
  labels?: string[];
  maxSessions?: number;
  enabled?: boolean;
}

/**
 * Registers a host for the team through `POST /api/hosts` (expects 201) and, unless `probe: false`,
 * probes it at once and expects it `online`. Answers the host's id.
 */
export async function registerHost(
  t: TestApp,
  team: TestTeam,
  body: RegisterHostBody,
  options: { probe?: boolean } = {},
): Promise<string> {
  const res = await t.request('POST', '/api/hosts', { token: team.token, body: { name: 'host', ...body } });
  if (res.status !== 201) throw new Error(`POST /api/hosts answered ${res.status}: ${JSON.stringify(res.body)}`);
  const id = res.body.id as string;
  if (options.probe !== false) {
    const probe = await t.request('POST', `/api/hosts/${id}/probe`, { token: team.token });
    if (probe.body?.status !== 'online') throw new Error(`host ${id} is not online: ${JSON.stringify(probe.body)}`);
  }
  return id;
}

/**
 * Sets the team's command-check policy (`settings.allowCommandChecks`) with its owner token, as an
 * admin would: `PATCH /api/team`. New teams start with it off.
 */
export async function setCommandChecks(t: TestApp, team: TestTeam, allowed: boolean): Promise<void> {
  const res = await t.request('PATCH', '/api/team', {
    token: team.token,
    body: { settings: { allowCommandChecks: allowed } },
  });
  if (res.status !== 200) throw new Error(`PATCH /api/team answered ${res.status}: ${JSON.stringify(res.body)}`);
}
