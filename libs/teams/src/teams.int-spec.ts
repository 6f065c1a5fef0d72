// TeamsService against the real Postgres. Bootstrap needs an EMPTY teams table, while other test
// files create teams in heddle_test at the same time, so those tests run on a database of their own
// (created and migrated here, dropped afterwards).
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { ApiTokensService } from '@heddle/auth';
import { BadRequestError, SCOPES, TEAM_SCOPES } from '@heddle/common';
import { PrismaService } from '@heddle/db';
import { EventsWriter } from '@heddle/events';
import { TestApp, startProcess } from '@heddle/testing';
import { dropDatabase, migrate, withDatabase } from '../../../scripts/db-migrate-lib.mjs';
import { TEST_DATABASE_URL } from '../../../test/env';
import { FIRST_TEAM_NAME, TeamsService } from './index';

jest.setTimeout(120_000);

const root = path.resolve(__dirname, '../../..');

/** A token value as an operator would put in HEDDLE_BOOTSTRAP_TOKEN; the secret holds underscores. */
function operatorToken(): { token: string; prefix: string; secret: string } {
  const prefix = randomBytes(4).toString('hex');
  const secret = `op_${randomBytes(30).toString('base64url')}_x`;
  return { token: `hdl_${prefix}_${secret}`, prefix, secret };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('TeamsService.bootstrapFirstTeam (own empty database)', () => {
  const databaseUrl = withDatabase(TEST_DATABASE_URL, `heddle_bootstrap_${randomBytes(6).toString('hex')}`);
  let t: TestApp;
  let teams: TeamsService;
  let prisma: PrismaService;

  beforeAll(async () => {
    await migrate({ databaseUrl, root, quiet: true, log: () => {} });
    // HEDDLE_BOOTSTRAP_TOKEN explicitly unset: this app must not bootstrap at start.
    t = await TestApp.create({ env: { DATABASE_URL: databaseUrl, HEDDLE_BOOTSTRAP_TOKEN: '' } });
    teams = t.get(TeamsService);
    prisma = t.get(PrismaService);
  });

  afterAll(async () => {
    await t?.close();
    await dropDatabase(databaseUrl);
  });

  // Each test starts from an empty database (its own, so this touches no other test file's rows).
  beforeEach(async () => {
    await prisma.$executeRawUnsafe('TRUNCATE "teams" CASCADE');
  });

  it('runs on the database of its own', async () => {
    const [{ db }] = await prisma.$queryRaw<{ db: string }[]>`SELECT current_database() AS db`;
    expect(db).toMatch(/^heddle_bootstrap_[0-9a-f]{12}$/);
  });

  it('creates exactly one team when two calls race; the other answers undefined', async () => {
    // Different names, so only the advisory lock (not the unique name) can keep the second out.
    const results = await Promise.all([teams.bootstrapFirstTeam('first-a'), teams.bootstrapFirstTeam('first-b')]);

    const created = results.filter((r) => r !== undefined);
    expect(created).toHaveLength(1);
    expect(results.filter((r) => r === undefined)).toHaveLength(1);
    const rows = await prisma.team.findMany();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id).toBe(created[0]!.id);
    expect(await prisma.apiToken.count()).toBe(1);
  });

  it('gives the owner token every scope, platform:admin included', async () => {
    const created = (await teams.bootstrapFirstTeam(FIRST_TEAM_NAME))!;

    expect(created.name).toBe(FIRST_TEAM_NAME);
    expect(created.token).toMatch(/^hdl_[a-z0-9]{8}_[A-Za-z0-9_-]{43}$/);
    const [row] = await prisma.apiToken.findMany({ where: { teamId: created.id } });
    expect([...row!.scopes].sort()).toEqual([...SCOPES].sort());
    expect(row!.scopes).toContain('platform:admin');
    expect(row!.name).toBe('owner');
    expect(row!.createdByTokenId).toBeNull();

    const auth = await t.get(ApiTokensService).authenticate(created.token);
    expect(auth).toMatchObject({ teamId: created.id, teamName: FIRST_TEAM_NAME });
    expect([...auth.scopes].sort()).toEqual([...SCOPES].sort());
  });

  it('records the bootstrap like any team creation: audit rows and TEAM_CREATED', async () => {
    const created = (await teams.bootstrapFirstTeam(FIRST_TEAM_NAME))!;

    const audit = await prisma.auditLog.findMany({ where: { teamId: created.id }, orderBy: { id: 'asc' } });
    expect(audit.map((a) => [a.action, a.actor])).toEqual([
      ['token.create', 'system:bootstrap'],
      ['team.create', 'system:bootstrap'],
    ]);
    const events = await prisma.event.findMany({ where: { teamId: created.id } });
    expect(events.map((e) => [e.type, Number(e.seq)])).toEqual([['TEAM_CREATED', 1]]);
  });

  it('answers undefined on a later call and changes nothing', async () => {
    const first = await teams.bootstrapFirstTeam(FIRST_TEAM_NAME);
    expect(first).toBeDefined();

    expect(await teams.bootstrapFirstTeam('another')).toBeUndefined();
    expect(await teams.bootstrapFirstTeam(FIRST_TEAM_NAME, operatorToken().token)).toBeUndefined();
    expect(await prisma.team.count()).toBe(1);
    expect(await prisma.apiToken.count()).toBe(1);
  });

  it('answers undefined when any team exists, even one made by TeamsService.create', async () => {
    await teams.create({ system: 'test' }, 'made-first');
    expect(await teams.bootstrapFirstTeam(FIRST_TEAM_NAME)).toBeUndefined();
    expect((await prisma.team.findMany()).map((r) => r.name)).toEqual(['made-first']);
  });

  it('stores only the hash of a given token value', async () => {
    const given = operatorToken();

    const created = (await teams.bootstrapFirstTeam(FIRST_TEAM_NAME, given.token))!;

    expect(created.token).toBe(given.token);
    const rows = await prisma.$queryRaw<Array<Record<string, unknown>>>`SELECT * FROM "api_tokens"`;
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row.prefix).toBe(given.prefix);
    expect(row.secretHash).not.toBe(given.secret);
    expect(row.secretHash).toBe(sha256(given.secret));
    // neither the secret nor the whole token is in any column of the row or its audit entries
    const stored = JSON.stringify(rows) + JSON.stringify(await prisma.$queryRaw`SELECT * FROM "audit_logs"`);
    expect(stored).not.toContain(given.secret);
    expect(stored).not.toContain(given.token);

    expect((await t.get(ApiTokensService).authenticate(given.token)).teamId).toBe(created.id);
  });

  it('starts a team with no settings — command checks off — unless told otherwise', async () => {
    const plain = (await teams.bootstrapFirstTeam(FIRST_TEAM_NAME))!;
    expect((await prisma.team.findUniqueOrThrow({ where: { id: plain.id } })).settings).toEqual({});
    await prisma.$executeRawUnsafe('TRUNCATE "teams" CASCADE');

    const allowed = (await teams.bootstrapFirstTeam(FIRST_TEAM_NAME, undefined, { allowCommandChecks: true }))!;
    expect((await prisma.team.findUniqueOrThrow({ where: { id: allowed.id } })).settings).toEqual({
      allowCommandChecks: true,
    });
    const audit = await prisma.auditLog.findFirstOrThrow({ where: { teamId: allowed.id, action: 'team.create' } });
    expect(audit.details).toEqual({ name: FIRST_TEAM_NAME, settings: { allowCommandChecks: true } });
  });

  it('`npm run setup` (scripts/bootstrap-team.ts --allow-command-checks) turns command checks on and says so', async () => {
    const proc = startProcess(
      'node',
      ['-r', '@swc-node/register', 'scripts/bootstrap-team.ts', '--allow-command-checks'],
      {
        DATABASE_URL: databaseUrl,
        HEDDLE_BOOTSTRAP_TOKEN: '',
        HEDDLE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      },
    );
    expect((await proc.exited).code).toBe(0);
    expect(proc.output()).toContain(`Created team "${FIRST_TEAM_NAME}"`);
    expect(proc.output()).toContain('Command checks are ON for this team (settings.allowCommandChecks)');
    const [team] = await prisma.team.findMany();
    expect(team!.settings).toEqual({ allowCommandChecks: true });
  });

  it('refuses a malformed token value and leaves the database empty', async () => {
    await expect(teams.bootstrapFirstTeam(FIRST_TEAM_NAME, 'hdl_short_nope')).rejects.toBeInstanceOf(BadRequestError);
    expect(await prisma.team.count()).toBe(0);
    expect(await prisma.auditLog.count()).toBe(0);
  });

  it('with HEDDLE_BOOTSTRAP_TOKEN set, a start on an empty database creates team "default" whose token works', async () => {
    const given = operatorToken();

    const booted = await TestApp.create({ env: { DATABASE_URL: databaseUrl, HEDDLE_BOOTSTRAP_TOKEN: given.token } });
    try {
      const rows = await prisma.team.findMany();
      expect(rows.map((r) => r.name)).toEqual(['default']);
      // Command checks stay off for the HEDDLE_BOOTSTRAP_TOKEN team (docs/security.md).
      expect(rows[0]!.settings).toEqual({});

      const me = await booted.request('GET', '/api/me', { token: given.token });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ teamId: rows[0]!.id, teamName: 'default' });
      expect([...me.body.scopes].sort()).toEqual([...SCOPES].sort());

      // platform:admin reaches the operator's route
      const made = await booted.request('POST', '/api/teams', {
        token: given.token,
        body: { name: `made-by-operator-${randomBytes(3).toString('hex')}` },
      });
      expect(made.status).toBe(201);

      const wrong = await booted.request('GET', '/api/me', { token: operatorToken().token });
      expect(wrong.status).toBe(401);
    } finally {
      await booted.close();
    }

    // a restart with a team present creates nothing more
    const restarted = await TestApp.create({
      env: { DATABASE_URL: databaseUrl, HEDDLE_BOOTSTRAP_TOKEN: operatorToken().token },
    });
    await restarted.close();
    expect((await prisma.team.findMany({ where: { name: 'default' } })).length).toBe(1);
    expect(await prisma.team.count()).toBe(2);
  });
});

describe('TeamsService.create (heddle_test)', () => {
  let t: TestApp;
  let teams: TeamsService;
  let prisma: PrismaService;

  beforeAll(async () => {
    t = await TestApp.create();
    teams = t.get(TeamsService);
    prisma = t.get(PrismaService);
  });
  afterAll(() => t.close());

  const uniqueName = (label: string) => `${label}-${randomBytes(6).toString('hex')}`;

  it('writes TEAM_CREATED and a team.create audit row in the same transaction as the team', async () => {
    const name = uniqueName('create');

    const created = await teams.create({ system: 'test' }, name);

    const events = await prisma.event.findMany({ where: { teamId: created.id } });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'TEAM_CREATED', seq: 1n, data: { name } });
    const audit = await prisma.auditLog.findMany({ where: { teamId: created.id, action: 'team.create' } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor: 'system:test',
      targetType: 'team',
      targetId: created.id,
      details: { name },
    });

    // xmin is the id of the transaction that wrote the row version: one id for all four rows
    const xmins = await prisma.$queryRaw<{ source: string; xmin: string }[]>`
      SELECT 'team' AS source, xmin::text FROM "teams" WHERE "id" = ${created.id}::uuid
      UNION ALL SELECT 'token', xmin::text FROM "api_tokens" WHERE "teamId" = ${created.id}::uuid
      UNION ALL SELECT 'audit', xmin::text FROM "audit_logs" WHERE "teamId" = ${created.id}::uuid
      UNION ALL SELECT 'event', xmin::text FROM "events" WHERE "teamId" = ${created.id}::uuid`;
    expect(xmins.map((x) => x.source).sort()).toEqual(['audit', 'audit', 'event', 'team', 'token']);
    expect(new Set(xmins.map((x) => x.xmin)).size).toBe(1);
  });

  it('gives the owner every team scope but not platform:admin', async () => {
    const created = await teams.create({ system: 'test' }, uniqueName('scopes'));
    const [row] = await prisma.apiToken.findMany({ where: { teamId: created.id } });
    expect([...row!.scopes].sort()).toEqual([...TEAM_SCOPES].sort());
    expect(row!.scopes).not.toContain('platform:admin');
  });

  it('commits nothing when appending the event fails', async () => {
    const name = uniqueName('rollback');
    const append = jest.spyOn(t.get(EventsWriter), 'append').mockRejectedValueOnce(new Error('event log unavailable'));
    try {
      await expect(teams.create({ system: 'test' }, name)).rejects.toThrow('event log unavailable');
    } finally {
      append.mockRestore();
    }

    expect(await prisma.team.findUnique({ where: { name } })).toBeNull();
    const orphans = await prisma.auditLog.count({ where: { action: 'team.create', details: { equals: { name } } } });
    expect(orphans).toBe(0);
  });

  it('refuses a taken name with a conflict and leaves the first team alone', async () => {
    const name = uniqueName('dup');
    const first = await teams.create({ system: 'test' }, name);

    await expect(teams.create({ system: 'test' }, name)).rejects.toMatchObject({
      code: 'team/name_taken',
      statusCode: 409,
    });

    expect(await prisma.team.count({ where: { name } })).toBe(1);
    expect(await prisma.event.count({ where: { teamId: first.id } })).toBe(1);
  });
});
