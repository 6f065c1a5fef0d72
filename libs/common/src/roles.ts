import { SCOPES, Scope, TEAM_SCOPES } from './scopes';

/** A person's role in a team (a membership), strongest first. */
export const ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** True when `a` is at least as strong as `b`. */
export function roleAtLeast(a: Role, b: Role): boolean {
  return ROLES.indexOf(a) <= ROLES.indexOf(b);
}

const VIEWER: readonly Scope[] = ['tasks:read', 'hosts:read', 'webhooks:read', 'events:read', 'members:read'];
const MEMBER: readonly Scope[] = [...VIEWER, 'tasks:write', 'permissions:write'];
const ADMIN: readonly Scope[] = [...MEMBER, 'hosts:write', 'webhooks:write', 'members:write', 'admin'];

/**
 * The one table from roles to scopes: what a person logged in with the session cookie holds in the
 * team they act in, and the most an API token they create may hold. `docs/auth.md` shows it
 * (`renderRolesTable`; a test keeps the two in step). `platform:admin` is never granted by a role.
 */
export const ROLE_SCOPES: Readonly<Record<Role, readonly Scope[]>> = {
  viewer: VIEWER,
  member: MEMBER,
  admin: ADMIN,
  // Every team scope, the ones only owners hold included: `members:owner` and `checks:command`.
  owner: TEAM_SCOPES,
};

/** The scopes of a role, in the order of SCOPES. */
export function scopesOfRole(role: Role): Scope[] {
  return SCOPES.filter((s) => ROLE_SCOPES[role].includes(s));
}

/** The roles → scopes table as Markdown (one row per scope, one column per role). */
export function renderRolesTable(): string {
  const rows = TEAM_SCOPES.map(
    (scope) => `| \`${scope}\` | ${ROLES.map((role) => (ROLE_SCOPES[role].includes(scope) ? '✓' : '')).join(' | ')} |`,
  );
  return [`| scope | ${ROLES.join(' | ')} |`, `|---|${ROLES.map(() => ':-:').join('|')}|`, ...rows].join('\n');
}
