// The sweep of login leftovers against the real Postgres: ended sessions and settled invites go once
// past their retention; live sessions, recent endings and pending invites stay.
import { randomUUID } from 'node:crypto';
import { Clock } from '@heddle/common';
import { PrismaService } from '@heddle/db';
import { TestApp } from '@heddle/testing';
import { InvitesRepository } from './invites.repository';
import { INVITE_RETENTION_MS, PeopleSweeper, SESSION_RETENTION_MS } from './people-sweeper';
import { SessionsRepository } from './sessions.repository';

jest.setTimeout(60_000);

const DAY = 24 * 3600_000;

describe('PeopleSweeper (Postgres)', () => {
  let t: TestApp;
  let prisma: PrismaService;

  beforeAll(async () => {
    t = await TestApp.create();
    prisma = t.get(PrismaService);
  });
  afterAll(() => t.close());

  it('deletes sessions and invites past their retention, and nothing else', async () => {
    const now = Date.now();
    const at = (ms: number) => new Date(now + ms);
    const team = await t.createTeam('sweep');
    const user = await prisma.user.create({ data: { issuer: 'https://idp.test', subject: randomUUID() } });
    const session = (expiresAt: Date, revokedAt: Date | null = null) =>
      prisma.session.create({ data: { userId: user.id, secretHash: randomUUID(), expiresAt, revokedAt } });
    const gone = [
      await session(at(-SESSION_RETENTION_MS - DAY)),
      await session(at(30 * DAY), at(-SESSION_RETENTION_MS - 1000)),
    ];
    const kept = [await session(at(-DAY)), await session(at(30 * DAY)), await session(at(30 * DAY), at(-DAY))];

    const invite = (data: { claimedAt?: Date; expiresAt?: Date }) =>
      prisma.invite.create({
        data: { teamId: team.teamId, email: `${randomUUID()}@example.com`, role: 'member', invitedBy: 'test', ...data },
      });
    const invitesGone = [
      await invite({ claimedAt: at(-INVITE_RETENTION_MS - DAY) }),
      await invite({ expiresAt: at(-INVITE_RETENTION_MS - DAY) }),
    ];
    const invitesKept = [
      await invite({ claimedAt: at(-DAY) }),
      await invite({ expiresAt: at(-DAY) }),
      await invite({}),
      await invite({ expiresAt: at(DAY) }),
    ];

    const clock = { now: () => new Date(now) } as Clock;
    const sweeper = new PeopleSweeper(t.get(SessionsRepository), t.get(InvitesRepository), clock);
    const swept = await sweeper.sweep();
    expect(swept.sessions).toBeGreaterThanOrEqual(2);
    expect(swept.invites).toBeGreaterThanOrEqual(2);

    const sessionsLeft = await prisma.session.findMany({ where: { userId: user.id }, select: { id: true } });
    expect(sessionsLeft.map((s) => s.id).sort()).toEqual(kept.map((s) => s.id).sort());
    expect(gone.every((s) => !sessionsLeft.some((l) => l.id === s.id))).toBe(true);
    const invitesLeft = await prisma.invite.findMany({ where: { teamId: team.teamId }, select: { id: true } });
    expect(invitesLeft.map((i) => i.id).sort()).toEqual(invitesKept.map((i) => i.id).sort());
    expect(invitesGone.every((i) => !invitesLeft.some((l) => l.id === i.id))).toBe(true);

    // A second sweep finds nothing of these left to delete.
    await sweeper.sweep();
    expect(await prisma.session.count({ where: { userId: user.id } })).toBe(kept.length);
  });
});
