import { Host } from '@heddle/db';
import { OpencodeClient } from '@heddle/opencode-client';
import { FakeOpencode, MutableClock, startFakeOpencode } from '@heddle/testing';
import { CATALOG_TIMEOUT_MS, CATALOG_TTL_MS, HostCatalog } from './host-catalog.service';
import type { HostClients } from './host-clients';

// HostCatalog over a real (fake) OpenCode host. HostClients is replaced by a stand-in that builds a
// plain client, so no database or secrets are involved; it records the cap each read asked for.

describe('HostCatalog', () => {
  let fake: FakeOpencode;
  let clock: MutableClock;
  let catalog: HostCatalog;
  let caps: (number | undefined)[];
  /** The per-call deadline the stand-in really applies (the slow case shortens it). */
  let deadlineMs: number;

  beforeAll(async () => {
    fake = await startFakeOpencode({ git: false, models: ['fake/fake-model', 'acme/big'] });
  });
  afterAll(() => fake.stop());

  beforeEach(async () => {
    await fake.setUnreachable(false);
    fake.setSlow(0);
    fake.clear();
    clock = new MutableClock();
    caps = [];
    deadlineMs = CATALOG_TIMEOUT_MS;
    const clients = {
      forHost: (host: Host, directory: string, maxTimeoutMs?: number) => {
        caps.push(maxTimeoutMs);
        return new OpencodeClient({ baseUrl: host.baseUrl, directory, timeoutMs: deadlineMs, host: host.name });
      },
    } as unknown as HostClients;
    catalog = new HostCatalog(clients, clock);
  });

  const host = (overrides: Partial<Host> = {}): Host =>
    ({
      id: '0195f3c2-9a00-7000-8000-00000000c001',
      teamId: '0195f3c2-9a00-7000-8000-00000000c0aa',
      name: 'box-1',
      baseUrl: fake.baseUrl,
      workspaceRoots: ['/srv/repos'],
      updatedAt: new Date('2026-01-01T00:00:00Z'),
      ...overrides,
    }) as Host;
  const reads = () => fake.requests().filter((r) => r.path === '/config/providers' || r.path === '/agent').length;

  it('reads both routes for the directory, bounded, and reuses the answer for 30 s', async () => {
    const first = await catalog.of(host(), '/srv/repos/api');
    expect(first).toMatchObject({
      host: 'box-1',
      providers: ['acme', 'fake'],
      agents: ['build', 'explore', 'general', 'plan'],
    });
    expect([...first!.models].sort()).toEqual(['acme/big', 'fake/fake-model']);
    expect(caps).toEqual([CATALOG_TIMEOUT_MS]);
    expect(
      fake
        .requests()
        .map((r) => [r.path, r.query.directory])
        .sort(),
    ).toEqual([
      ['/agent', '/srv/repos/api'],
      ['/config/providers', '/srv/repos/api'],
    ]);

    expect(await catalog.of(host(), '/srv/repos/api')).toBe(first);
    clock.advance(CATALOG_TTL_MS - 1_000); // the clock also runs by itself
    expect(await catalog.of(host(), '/srv/repos/api')).toBe(first);
    expect(reads()).toBe(2);
    clock.advance(1_000);
    expect(await catalog.of(host(), '/srv/repos/api')).not.toBe(first);
    expect(reads()).toBe(4);
  });

  it('reads again for an edited host, another directory; defaults to the first workspace root', async () => {
    await catalog.of(host());
    expect(fake.requests().map((r) => r.query.directory)).toEqual(['/srv/repos', '/srv/repos']);
    await catalog.of(host({ updatedAt: new Date('2026-01-01T00:00:01Z') }));
    await catalog.of(host(), '/srv/repos/other');
    expect(reads()).toBe(6);
  });

  it('shares one read between concurrent callers', async () => {
    const [a, b] = await Promise.all([catalog.of(host()), catalog.of(host())]);
    expect(a).toBe(b);
    expect(reads()).toBe(2);
  });

  it('answers null for a host that is down, and does not keep the null', async () => {
    await fake.setUnreachable(true);
    expect(await catalog.of(host())).toBeNull();
    await fake.setUnreachable(false);
    expect(await catalog.of(host())).not.toBeNull();
  });

  it('answers null for a host slower than the deadline', async () => {
    deadlineMs = 100;
    fake.setSlow(1_000);
    const started = Date.now();
    expect(await catalog.of(host())).toBeNull();
    expect(Date.now() - started).toBeLessThan(900);
  });
});
