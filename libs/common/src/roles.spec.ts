import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROLES, ROLE_SCOPES, isRole, renderRolesTable, roleAtLeast, scopesOfRole } from './roles';
import { SCOPES, TEAM_SCOPES } from './scopes';

describe('roles → scopes', () => {
  it('each role holds everything the weaker ones do, and more', () => {
    for (let i = 0; i < ROLES.length - 1; i++) {
      const stronger = ROLE_SCOPES[ROLES[i]!];
      const weaker = ROLE_SCOPES[ROLES[i + 1]!];
      expect(weaker.every((s) => stronger.includes(s))).toBe(true);
      expect(stronger.length).toBeGreaterThan(weaker.length);
    }
  });

  it('never grants platform:admin; the owner holds every team scope', () => {
    for (const role of ROLES) expect(ROLE_SCOPES[role]).not.toContain('platform:admin');
    expect([...ROLE_SCOPES.owner].sort()).toEqual([...TEAM_SCOPES].sort());
  });

  it('gives viewers the read scopes only, members also task writes and permission answers', () => {
    expect(scopesOfRole('viewer')).toEqual([
      'tasks:read',
      'hosts:read',
      'webhooks:read',
      'events:read',
      'members:read',
    ]);
    expect(scopesOfRole('member').filter((s) => !ROLE_SCOPES.viewer.includes(s))).toEqual([
      'tasks:write',
      'permissions:write',
    ]);
  });

  it('keeps owner changes and command checks to owners', () => {
    expect(scopesOfRole('admin').filter((s) => !ROLE_SCOPES.member.includes(s))).toEqual([
      'hosts:write',
      'webhooks:write',
      'members:write',
      'admin',
    ]);
    expect(scopesOfRole('owner').filter((s) => !ROLE_SCOPES.admin.includes(s))).toEqual([
      'checks:command',
      'members:owner',
    ]);
  });

  it('lists scopes in the order of SCOPES', () => {
    for (const role of ROLES) {
      const scopes = scopesOfRole(role);
      expect(scopes).toEqual([...scopes].sort((a, b) => SCOPES.indexOf(a) - SCOPES.indexOf(b)));
    }
  });

  it('orders roles by strength', () => {
    expect(roleAtLeast('owner', 'admin')).toBe(true);
    expect(roleAtLeast('admin', 'admin')).toBe(true);
    expect(roleAtLeast('viewer', 'member')).toBe(false);
    expect(isRole('admin')).toBe(true);
    expect(isRole('root')).toBe(false);
  });

  it('is the table docs/auth.md shows (paste renderRolesTable() there when this fails)', () => {
    const doc = readFileSync(join(__dirname, '../../../docs/auth.md'), 'utf8');
    const lines = doc.split('\n');
    // Prettier aligns the columns, so compare cells, not text.
    const cells = (line: string) =>
      line
        .trim()
        .replace(/^\|/, '')
        .replace(/\|$/, '')
        .split('|')
        .map((c) => c.trim());
    const header = lines.find((l) => /^\|\s*scope\s*\|/.test(l));
    expect(header).toBeDefined();
    const roles = cells(header!).slice(1);
    expect(roles).toEqual([...ROLES]);
    const documented: Record<string, string[]> = Object.fromEntries(ROLES.map((r) => [r, []]));
    const scopes: string[] = [];
    for (const line of lines.slice(lines.indexOf(header!) + 2)) {
      if (!line.startsWith('|')) break;
      const [scope, ...marks] = cells(line);
      scopes.push(scope!.replace(/`/g, ''));
      marks.forEach((mark, i) => {
        if (mark === '✓') documented[roles[i]!]!.push(scope!.replace(/`/g, ''));
      });
    }
    expect(scopes).toEqual([...TEAM_SCOPES]);
    for (const role of ROLES) expect({ role, scopes: documented[role] }).toEqual({ role, scopes: scopesOfRole(role) });
    // The renderer makes the same table.
    expect(renderRolesTable().split('\n')).toHaveLength(TEAM_SCOPES.length + 2);
  });
});
