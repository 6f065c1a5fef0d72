/** Every scope a token can hold. `platform:admin` is the operator's; all others are a team's. */
export const SCOPES = [
  'tasks:read',
  'tasks:write',
  'hosts:read',
  'hosts:write',
  'webhooks:read',
  'webhooks:write',
  'events:read',
  'permissions:write',
  /** Create tasks with `command` checks (also needs the team's `allowCommandChecks`). */
  'checks:command',
  /** List the team's members and pending invites (`GET /api/members`). */
  'members:read',
  /** Invite, change the role of and remove members other than owners. */
  'members:write',
  /** Make, demote or remove owners (invite as owner included); with `members:write`. */
  'members:owner',
  'admin',
  'platform:admin',
] as const;

export type Scope = (typeof SCOPES)[number];

/** What a team owner holds: everything but the operator's scope. */
export const TEAM_SCOPES: readonly Scope[] = SCOPES.filter((s) => s !== 'platform:admin');

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && (SCOPES as readonly string[]).includes(value);
}
