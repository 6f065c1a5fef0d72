// Environment variables: people logging in (OIDC, group-to-role mapping, login sessions).
import { EnvValueError, EnvVar, integer, longSecret, url } from './env-parsers';

/** The roles of a membership (the same list as ROLES in libs/common, which config cannot import). */
export const MEMBER_ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

/** One entry of OIDC_GROUP_ROLE_MAP: members of `group` get `role` in `team` (a name or id). */
export interface GroupRoleMapping {
  group: string;
  /** A team name or id; `default` (the first team's name) when the entry names none. */
  team: string;
  role: MemberRole;
}

/** `<group>=<role>` or `<group>=<team name or id>:<role>`, comma-separated. */
function groupRoleMap(raw: string): GroupRoleMapping[] {
  const result: GroupRoleMapping[] = [];
  const bad: string[] = [];
  for (const entry of raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const eq = entry.indexOf('=');
    const group = eq > 0 ? entry.slice(0, eq).trim() : '';
    const target = eq > 0 ? entry.slice(eq + 1).trim() : '';
    const colon = target.lastIndexOf(':');
    const team = colon >= 0 ? target.slice(0, colon).trim() : 'default';
    const role = colon >= 0 ? target.slice(colon + 1).trim() : target;
    if (!group || !team || !(MEMBER_ROLES as readonly string[]).includes(role)) {
      bad.push(entry);
      continue;
    }
    result.push({ group, team, role: role as MemberRole });
  }
  if (bad.length) {
    throw new EnvValueError(
      `has entries that are not <group>=<role> or <group>=<team>:<role> with a role of ${MEMBER_ROLES.join(', ')}: ${bad.join(', ')}`,
    );
  }
  return result;
}

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

/** An OIDC issuer: https, or http on a loopback address (a local provider in tests or development). */
function issuerUrl(raw: string): string {
  url(['https:', 'http:'])(raw);
  const parsed = new URL(raw);
  if (parsed.protocol === 'http:' && !LOOPBACK_HOSTS.includes(parsed.hostname)) {
    throw new EnvValueError(
      `must use https: (plain http is accepted only for a provider on a loopback address, got ${parsed.host})`,
    );
  }
  return raw.replace(/\/+$/, '');
}

/** OpenID Connect login, team roles from IdP groups, and the login session. */
export const AUTH_ENV = {
  oidcIssuerUrl: {
    name: 'OIDC_ISSUER_URL',
    description:
      "OpenID Connect issuer people log in with (discovery at `<issuer>/.well-known/openid-configuration`), e.g. `https://keycloak.example.com/realms/heddle`, `https://accounts.google.com`, `https://login.microsoftonline.com/<tenant>/v2.0`. Register `<HEDDLE_PUBLIC_URL>/auth/callback` as the client's redirect URI. Unset: login is off (`/auth/login` answers 501) and only API tokens work. https only (http for a loopback provider). See docs/auth.md.",
    parse: issuerUrl,
  },
  oidcClientId: {
    name: 'OIDC_CLIENT_ID',
    description: 'Client id of Heddle at the OIDC provider (required with OIDC_ISSUER_URL).',
    parse: (raw: string): string => {
      if (!/^\S{1,255}$/.test(raw)) throw new EnvValueError('must be 1-255 characters without spaces');
      return raw;
    },
  },
  oidcClientSecret: {
    name: 'OIDC_CLIENT_SECRET',
    description:
      'Client secret of a confidential client (sent with `client_secret_post`). Unset: a public client (PKCE only).',
    secret: true,
    parse: (raw: string): string => {
      if (!/^\S{1,1024}$/.test(raw)) throw new EnvValueError('must be 1-1024 characters without spaces');
      return raw;
    },
  },
  oidcScopes: {
    name: 'OIDC_SCOPES',
    description:
      'Scopes asked of the provider at login, space-separated; must include `openid`. Add the scope that releases the groups claim when OIDC_GROUP_ROLE_MAP is used, if your provider needs one.',
    default: 'openid email profile',
    parse: (raw: string): string => {
      const scopes = raw.split(/\s+/).filter(Boolean);
      if (!scopes.includes('openid')) throw new EnvValueError(`must include openid (got "${raw}")`);
      return scopes.join(' ');
    },
  },
  oidcGroupsClaim: {
    name: 'OIDC_GROUPS_CLAIM',
    description:
      'Claim (ID token, else userinfo) holding the list of groups OIDC_GROUP_ROLE_MAP matches, e.g. `groups` (Keycloak with a group mapper, Entra) or `roles`.',
    default: 'groups',
    parse: (raw: string): string => {
      if (!/^[A-Za-z0-9_:./-]{1,200}$/.test(raw))
        throw new EnvValueError('must be a claim name (letters, digits, _ : . / -)');
      return raw;
    },
  },
  oidcGroupRoleMap: {
    name: 'OIDC_GROUP_ROLE_MAP',
    description:
      'Team roles from IdP groups, kept in step at each login: comma-separated `<group>=<role>` (in the team named `default`, the first team) or `<group>=<team name or id>:<role>`, e.g. `heddle-admins=admin,heddle-devs=platform:member`. A person gets the strongest role their groups map to; a membership that came from a group goes when they leave every mapped group. Empty: memberships come from invites only.',
    default: '',
    parse: groupRoleMap,
  },
  sessionSecret: {
    name: 'SESSION_SECRET',
    description:
      'Key that signs the login cookie and derives CSRF tokens (HMAC-SHA256), at least 32 characters. Unset: derived from HEDDLE_ENCRYPTION_KEY (HKDF), so it changes when that key does. Changing it logs every person out.',
    secret: true,
    parse: longSecret(32),
  },
  sessionTtlSeconds: {
    name: 'SESSION_TTL_SECONDS',
    description:
      'How long a login lasts (the session row and the cookie expire together); logout, and removal from a team, end it sooner.',
    default: '43200',
    parse: integer(300, 30 * 24 * 3600),
  },
} satisfies Record<string, EnvVar<unknown>>;
