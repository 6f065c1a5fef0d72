import { dirname } from 'node:path';
import { FakeOpencode, FakeOpencodeOptions, startFakeOpencode } from './fake-opencode';
import { registerHost } from './hosts';
import type { TestApp, TestTeam } from './test-app';

export interface FakeHostOptions {
  /** The host's name in Heddle (default `fake`). */
  name?: string;
  labels?: string[];
  /** Options of the fake server itself (its workspace, models, permission config…). */
  fake?: FakeOpencodeOptions;
}

/**
 * The fake OpenCode hosts of one test file: each started for a team and registered (roots: the
 * folder holding its workspace, probed online), all stopped by `stopAll()` in `afterAll`.
 */
export class FakeHosts {
  private readonly started: FakeOpencode[] = [];

  constructor(private readonly app: () => TestApp) {}

  /** A fake server (not registered anywhere). */
  async start(options: FakeOpencodeOptions = {}): Promise<FakeOpencode> {
    const fake = await startFakeOpencode(options);
    this.started.push(fake);
    return fake;
  }

  /** A fake server registered as a host of the team. */
  async forTeam(team: TestTeam, options: FakeHostOptions = {}): Promise<{ fake: FakeOpencode; hostId: string }> {
    const fake = await this.start(options.fake);
    return { fake, hostId: await this.register(team, fake, options) };
  }

  /** Registers a running fake server as a host of the team (another registration of the same server, say). */
  register(team: TestTeam, fake: FakeOpencode, options: Omit<FakeHostOptions, 'fake'> = {}): Promise<string> {
    return registerHost(this.app(), team, {
      name: options.name ?? 'fake',
      baseUrl: fake.baseUrl,
      workspaceRoots: [dirname(fake.workspace)],
      ...(options.labels ? { labels: options.labels } : {}),
    });
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.started.splice(0).map((f) => f.stop()));
  }
}
