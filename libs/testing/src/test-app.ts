import { randomBytes, randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { ApiTokensService } from '@heddle/auth';
import { Clock, Scope, TEAM_SCOPES } from '@heddle/common';
import { AppConfig, loadConfig } from '@heddle/config';
import { configureApp, createHttpAdapter } from '@heddle/platform';
import { WorkScope } from '@heddle/queue';
import { TeamsService } from '@heddle/teams';
// libs/testing is the one lib allowed to import an app: tests must exercise the real API module.
import { ApiModule } from '../../../apps/api/src/api.module';
import { MutableClock } from './mutable-clock';

export interface TestAppOptions {
  /** Extra environment variables, as an operator would set them. */
  env?: Record<string, string>;
  /** Run the worker consumers in the same process, as `npm start` does. */
  withWorkers?: boolean;
  /**
   * Teams (made by another app) this app's background work covers from its start — including the
   * start-up chores, such as sealing sink URLs written in clear. See TestRelayScope.
   */
  relayTeams?: readonly string[];
}

export interface TestResponse<T = any> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | number | undefined>;
}

export interface TestTeam {
  teamId: string;
  name: string;
  /** Owner token: every team scope. */
  token: string;
}

/**
 * The real API module behind the real configureApp(), answering through Fastify's inject (no
 * port). Each app gets its own BullMQ prefix, so parallel test files never share queues.
 */
export class TestApp {
  private constructor(
    readonly app: NestFastifyApplication,
    readonly config: AppConfig,
    readonly clock: MutableClock,
    private readonly relayScope: TestRelayScope,
  ) {}

  static async create(options: TestAppOptions = {}): Promise<TestApp> {
    const config = loadConfig({
      ...process.env,
      HEDDLE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      QUEUE_PREFIX: `test-${randomUUID().slice(0, 8)}`,
      ...options.env,
    });
    const clock = new MutableClock();
    const scope = new TestRelayScope();
    for (const teamId of options.relayTeams ?? []) scope.add(teamId);
    const moduleRef = await Test.createTestingModule({
      imports: [ApiModule.forRoot(config, { withWorkers: options.withWorkers ?? false })],
    })
      .overrideProvider(Clock)
      .useValue(clock)
      .overrideProvider(WorkScope)
      .useValue(scope)
      .compile();
    const app = moduleRef.createNestApplication<NestFastifyApplication>(createHttpAdapter(config), { logger: false });
    await configureApp(app, { swagger: true, version: 'test' });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    return new TestApp(app, config, clock, scope);
  }

  async close(): Promise<void> {
    await this.app.close();
  }

  get<T>(type: abstract new (...args: any[]) => T): T {
    return this.app.get(type as never, { strict: false }) as T;
  }

  /** A new team (unique name) and its owner token, made through the real service. */
  async createTeam(prefix = 'team'): Promise<TestTeam> {
    const name = `${prefix}-${randomUUID().slice(0, 12)}`;
    const created = await this.get(TeamsService).create({ system: 'test' }, name);
    this.relayScope.add(created.id);
    return { teamId: created.id, name, token: created.token };
  }

  /** Lets this app's background work see a team made otherwise than by createTeam (see TestRelayScope). */
  relayTeam(teamId: string): void {
    this.relayScope.add(teamId);
  }

  /** A token of the given team holding exactly these scopes. */
  async createToken(team: TestTeam, scopes: readonly Scope[], expiresAt?: Date): Promise<string> {
    const issued = await this.get(ApiTokensService).issue(
      team.teamId,
      { name: `test-${scopes.join('+') || 'none'}`, scopes, expiresAt },
      { system: 'test' },
    );
    return issued.token;
  }

  request<T = any>(
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    url: string,
    options: {
      token?: string;
      body?: unknown;
      rawBody?: string;
      headers?: Record<string, string>;
      /**
       * The route may answer an endless `text/event-stream`: request it over a real socket and, when
       * it does, return status and headers (body '') and close the stream.
       */
      eventStream?: boolean;
    } = {},
  ): Promise<TestResponse<T>> {
    if (options.eventStream) return this.requestStream<T>(method, url, options);
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let payload: string | undefined;
    if (options.rawBody !== undefined) {
      payload = options.rawBody;
      headers['content-type'] ??= 'application/json';
    } else if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    return this.app
      .getHttpAdapter()
      .getInstance()
      .inject({ method, url, headers, payload })
      .then((res): TestResponse<T> => ({
        status: res.statusCode,
        body: (res.headers['content-type']?.toString().includes('json') ? res.json() : res.body) as T,
        headers: res.headers,
      }));
  }

  /**
   * `http://127.0.0.1:<port>` of this app on a real socket (listening from the first call): for what
   * inject cannot show, such as Node's own HTTP parser or an endless stream.
   */
  async baseUrl(): Promise<string> {
    const server = this.app.getHttpServer() as import('node:http').Server;
    if (!server.listening) await this.app.listen(0, '127.0.0.1');
    const { port } = server.address() as import('node:net').AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  private async requestStream<T>(
    method: string,
    url: string,
    options: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<TestResponse<T>> {
    const base = await this.baseUrl();
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const controller = new AbortController();
    const res = await fetch(`${base}${url}`, {
      method,
      headers,
      body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
      signal: controller.signal,
    });
    const contentType = res.headers.get('content-type') ?? '';
    const responseHeaders = Object.fromEntries(res.headers.entries());
    if (contentType.includes('text/event-stream')) {
      controller.abort();
      return { status: res.status, body: '' as T, headers: responseHeaders };
    }
    const text = await res.text();
    return {
      status: res.status,
      body: (contentType.includes('json') ? JSON.parse(text) : text) as T,
      headers: responseHeaders,
    };
  }
}

export { TEAM_SCOPES };

/**
 * This app's background work (harness sweep and host streams, host health sweeps, outbox relay and
 * delivery sweep) sees only the teams it created (createTeam): test files share one database, and
 * another file's workers — with another encryption key and queue prefix — would otherwise step this
 * file's tasks, probe its hosts or relay its events. Teams made through the API (POST /api/teams)
 * can be added with `TestApp.relayTeam`.
 */
class TestRelayScope extends WorkScope {
  private readonly ids = new Set<string>();

  add(teamId: string): void {
    this.ids.add(teamId);
  }

  override teamIds(): readonly string[] {
    return [...this.ids];
  }
}
