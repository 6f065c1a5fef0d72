// Session records: create, read, list (this directory's or every directory's), update, archive, delete.
import { ApiCaller, CallOptions } from './api-call';
import { ModelRef, toModelRef } from './model-ref';
import { hasId, isArray, isBoolean } from './response-checks';
import type { PermissionRuleset, Session } from './types';

export interface CreateSessionInput {
  title?: string;
  parentID?: string;
  /** Stored on the session; note that OpenCode does NOT apply it to later prompts (send it per prompt). */
  agent?: string;
  /** `provider/model` or `{providerID, modelID}`. */
  model?: string | ModelRef;
  metadata?: Record<string, unknown>;
  /** A per-session ruleset overriding the config, e.g. `[{permission:'edit', pattern:'*', action:'ask'}]`. */
  permission?: PermissionRuleset;
}

export interface UpdateSessionInput {
  title?: string;
  metadata?: Record<string, unknown>;
  permission?: PermissionRuleset;
  /** Epoch ms; archives the session (there is no clean un-archive). */
  archivedAt?: number;
}

export interface ListSessionsQuery {
  limit?: number;
  /** Matches the title. */
  search?: string;
  /** Hide child sessions. */
  roots?: boolean;
}

/** The query of `GET /experimental/session`. */
export interface ListAllSessionsQuery {
  limit?: number;
  cursor?: string;
  roots?: boolean;
  archived?: boolean;
  search?: string;
}

/** Query flags go on the wire as the strings `true` / `false`. */
const flag = (v?: boolean) => (v === undefined ? undefined : v ? 'true' : 'false');

export class SessionCalls {
  constructor(private readonly api: ApiCaller) {}

  async create(input: CreateSessionInput, opts?: CallOptions): Promise<Session> {
    const { model, ...rest } = input;
    const ref = model === undefined ? undefined : toModelRef(model);
    return this.api.call(
      'post',
      '/session',
      {
        // The create body names the model `{id, providerID}`, unlike prompts' `{providerID, modelID}`.
        body: { ...rest, ...(ref ? { model: { id: ref.modelID, providerID: ref.providerID } } : {}) },
        check: hasId,
        shape: 'Session',
      },
      opts,
    );
  }

  async get(sessionId: string, opts?: CallOptions): Promise<Session> {
    return this.api.call(
      'get',
      '/session/{sessionID}',
      { path: { sessionID: sessionId }, check: hasId, shape: 'Session' },
      opts,
    );
  }

  async list(query: ListSessionsQuery, opts?: CallOptions): Promise<Session[]> {
    return this.api.call(
      'get',
      '/session',
      {
        query: { limit: query.limit, search: query.search, roots: flag(query.roots) },
        check: isArray,
        shape: 'Session[]',
      },
      opts,
    );
  }

  async listAll(
    query: ListAllSessionsQuery,
    opts?: CallOptions,
  ): Promise<{ sessions: Session[]; nextCursor?: string }> {
    const { value, headers } = await this.api.send(
      'get',
      '/experimental/session',
      {
        query: {
          limit: query.limit,
          cursor: query.cursor === undefined ? undefined : Number(query.cursor),
          roots: flag(query.roots),
          archived: flag(query.archived),
          search: query.search,
        },
        check: isArray,
        shape: 'GlobalSession[]',
        // With `?directory=` 1.18.34 narrows the list to that directory's project: never send one.
        instance: false,
      },
      opts,
    );
    const nextCursor = headers.get('x-next-cursor') || undefined;
    return { sessions: value as Session[], ...(nextCursor ? { nextCursor } : {}) };
  }

  async update(sessionId: string, input: UpdateSessionInput, opts?: CallOptions): Promise<Session> {
    const { archivedAt, ...rest } = input;
    return this.api.call(
      'patch',
      '/session/{sessionID}',
      {
        path: { sessionID: sessionId },
        body: { ...rest, ...(archivedAt !== undefined ? { time: { archived: archivedAt } } : {}) },
        check: hasId,
        shape: 'Session',
      },
      opts,
    );
  }

  async delete(sessionId: string, opts?: CallOptions): Promise<boolean> {
    return this.api.call(
      'delete',
      '/session/{sessionID}',
      { path: { sessionID: sessionId }, check: isBoolean, shape: 'boolean' },
      opts,
    );
  }
}
