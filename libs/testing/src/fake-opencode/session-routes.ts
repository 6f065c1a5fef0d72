// Routes over session records and their messages: status, create, list (per directory or across
// all), read, update, delete, children, messages (paged) and per-turn diffs.
import { relative, sep } from 'node:path';
import { HostParts } from './host-parts';
import { Context, HttpError, Reply, badRequestTag, isObject, isRuleset } from './http';
import { newHash, newId, newSlug } from './ids';
import { limitParam, payload } from './request-input';
import { Router } from './router';
import { SessionRecord, sessionInfo, zeroTokens } from './state';
import type { FakePermissionRule } from './types';
import { projectInfo } from './workspace';

export function sessionRoutes(r: Router, host: HostParts): void {
  // Before `/session/:sid`, which would take `status` for a session id.
  r.route('GET', '/session/status', (ctx) => ({ status: 200, body: host.sessions.busyIn(host.directory(ctx)) }));
  r.route('POST', '/session', (ctx) => createSession(host, ctx));
  r.route('GET', '/session', (ctx) => listSessions(host, ctx));
  r.route('GET', '/experimental/session', (ctx) => listGlobalSessions(host, ctx));
  r.route('GET', '/session/:sid', (ctx) => ({ status: 200, body: sessionInfo(host.sessions.require(ctx.params.sid)) }));
  r.route('PATCH', '/session/:sid', (ctx) => updateSession(host, ctx));
  r.route('DELETE', '/session/:sid', (ctx) => deleteSession(host, ctx));
  r.route('GET', '/session/:sid/children', (ctx) => {
    const s = host.sessions.require(ctx.params.sid);
    return {
      status: 200,
      body: [...host.sessions.byId.values()].filter((c) => c.parentID === s.id).map((c) => sessionInfo(c)),
    };
  });
  r.route('GET', '/session/:sid/todo', (ctx) => {
    host.sessions.require(ctx.params.sid);
    return { status: 200, body: [] };
  });
  r.route('GET', '/session/:sid/message', (ctx) => listMessages(host, ctx));
  r.route('GET', '/session/:sid/message/:mid', (ctx) => {
    const s = host.sessions.require(ctx.params.sid);
    const m = s.messages.find((x) => x.info.id === ctx.params.mid);
    if (!m) {
      throw new HttpError(404, { name: 'NotFoundError', data: { message: `Message not found: ${ctx.params.mid}` } });
    }
    return { status: 200, body: m };
  });
  r.route('GET', '/session/:sid/diff', (ctx) => {
    const s = host.sessions.require(ctx.params.sid);
    const m = ctx.query.messageID ? s.messages.find((x) => x.info.id === ctx.query.messageID) : undefined;
    return { status: 200, body: m && m.info.role === 'user' ? (m.info.summary?.diffs ?? []) : [] };
  });
}

async function createSession(host: HostParts, ctx: Context): Promise<Reply> {
  const body = payload(ctx);
  const { title, parentID, metadata, permission, agent, model } = body;
  if (
    (title !== undefined && typeof title !== 'string') ||
    (parentID !== undefined && (typeof parentID !== 'string' || !parentID.startsWith('ses'))) ||
    (metadata !== undefined && !isObject(metadata)) ||
    (permission !== undefined && !isRuleset(permission)) ||
    (agent !== undefined && typeof agent !== 'string') ||
    (model !== undefined && !(isObject(model) && typeof model.id === 'string' && typeof model.providerID === 'string'))
  ) {
    throw badRequestTag();
  }
  const directory = host.directory(ctx);
  const project = await projectInfo(directory);
  host.projects.set(directory, project.projectID);
  const now = Date.now();
  const s: SessionRecord = {
    id: newId('ses', true),
    slug: newSlug(),
    projectID: project.projectID,
    directory,
    worktree: project.worktree,
    path: relative(project.worktree, directory).split(sep).join('/'),
    parentID: parentID as string | undefined,
    cost: 0,
    tokens: zeroTokens(),
    title: (title as string | undefined) ?? `New session - ${new Date(now).toISOString()}`,
    defaultTitle: title === undefined,
    version: host.version,
    metadata: metadata as Record<string, unknown> | undefined,
    time: { created: now, updated: now },
    permission: permission as FakePermissionRule[] | undefined,
    messages: [],
    snapshot: newHash(),
  };
  host.sessions.byId.set(s.id, s);
  host.hub.emit(directory, 'session.created', { sessionID: s.id, info: sessionInfo(s) });
  host.hub.emit(directory, 'session.updated', { sessionID: s.id, info: sessionInfo(s) });
  return { status: 200, body: sessionInfo(s) };
}

function listSessions(host: HostParts, ctx: Context): Reply {
  const dir = host.directory(ctx);
  const limit = limitParam(ctx, false);
  const projectScope = ctx.query.scope === 'project';
  const projectID = host.projects.get(dir);
  let list = [...host.sessions.byId.values()].filter((s) =>
    projectScope
      ? s.projectID === projectID && (!ctx.query.path || s.path.startsWith(ctx.query.path))
      : s.directory === dir,
  );
  if (ctx.query.search) list = list.filter((s) => s.title.toLowerCase().includes(ctx.query.search.toLowerCase()));
  if (ctx.query.roots === 'true') list = list.filter((s) => !s.parentID);
  if (ctx.query.start) list = list.filter((s) => s.time.updated >= Number(ctx.query.start));
  list.sort((a, b) => b.time.updated - a.time.updated || (a.id < b.id ? -1 : 1));
  if (limit) list = list.slice(0, limit);
  return { status: 200, body: list.map((s) => sessionInfo(s)) };
}

/**
 * `GET /experimental/session`: every directory's sessions, most recently updated first, archived ones
 * hidden unless `archived=true`; `cursor` (a `time.updated`) pages, answered in `x-next-cursor`.
 */
function listGlobalSessions(host: HostParts, ctx: Context): Reply {
  const limit = limitParam(ctx, false);
  const archived = ctx.query.archived === 'true';
  let list = [...host.sessions.byId.values()].filter((s) => (s.time.archived !== undefined) === archived);
  if (ctx.query.roots === 'true') list = list.filter((s) => !s.parentID);
  if (ctx.query.search) list = list.filter((s) => s.title.toLowerCase().includes(ctx.query.search.toLowerCase()));
  if (ctx.query.cursor) list = list.filter((s) => s.time.updated < Number(ctx.query.cursor));
  list.sort((a, b) => b.time.updated - a.time.updated || (a.id < b.id ? -1 : 1));
  const page = limit ? list.slice(0, limit) : list;
  const headers: Record<string, string> = {};
  if (limit && list.length > limit) headers['x-next-cursor'] = String(page.at(-1)!.time.updated);
  return {
    status: 200,
    headers,
    body: page.map((s) => ({ ...sessionInfo(s), project: { id: s.projectID, worktree: s.directory } })),
  };
}

function updateSession(host: HostParts, ctx: Context): Reply {
  const s = host.sessions.require(ctx.params.sid);
  const body = payload(ctx);
  const { title, metadata, permission, time } = body;
  if (
    (title !== undefined && typeof title !== 'string') ||
    (metadata !== undefined && !isObject(metadata)) ||
    (permission !== undefined && !isRuleset(permission)) ||
    (time !== undefined && !isObject(time)) ||
    (isObject(time) && time.archived !== undefined && time.archived !== null && typeof time.archived !== 'number')
  ) {
    throw badRequestTag();
  }
  if (typeof title === 'string') {
    s.title = title;
    s.defaultTitle = false;
  }
  if (metadata !== undefined) s.metadata = metadata as Record<string, unknown>;
  if (permission !== undefined) s.permission = permission as FakePermissionRule[];
  if (isObject(time) && typeof time.archived === 'number') s.time.archived = time.archived;
  if (title !== undefined || metadata !== undefined || permission !== undefined) s.time.updated = Date.now();
  host.hub.emit(s.directory, 'session.updated', { sessionID: s.id, info: sessionInfo(s) });
  return { status: 200, body: sessionInfo(s) };
}

/** Deletes the session and, first, its children (recursively), each with `session.deleted`. */
function deleteSession(host: HostParts, ctx: Context): Reply {
  const s = host.sessions.require(ctx.params.sid);
  const remove = (victim: SessionRecord) => {
    for (const child of [...host.sessions.byId.values()]) if (child.parentID === victim.id) remove(child);
    host.sessions.byId.delete(victim.id);
    host.hub.emit(victim.directory, 'session.deleted', { sessionID: victim.id, info: sessionInfo(victim) });
  };
  remove(s);
  return { status: 200, body: true };
}

/** Oldest first; with `limit`, the newest `limit` and a cursor (`before`) to older ones. */
function listMessages(host: HostParts, ctx: Context): Reply {
  const s = host.sessions.require(ctx.params.sid);
  const limit = limitParam(ctx, true);
  let list = s.messages;
  if (ctx.query.before !== undefined) {
    let cursor: { id?: unknown };
    try {
      cursor = JSON.parse(Buffer.from(ctx.query.before, 'base64url').toString('utf8')) as { id?: unknown };
    } catch {
      throw badRequestTag();
    }
    if (!isObject(cursor) || typeof cursor.id !== 'string') throw badRequestTag();
    const before = cursor.id;
    list = list.filter((m) => (m.info.id as string) < before);
  }
  const headers: Record<string, string> = {};
  if (limit && list.length > limit) {
    list = list.slice(-limit);
    const first = list[0].info;
    const cursor = Buffer.from(JSON.stringify({ id: first.id, time: first.time.created })).toString('base64url');
    headers['x-next-cursor'] = cursor;
    headers.link = `<http://${ctx.req.headers.host ?? `127.0.0.1:${host.port()}`}/session/${s.id}/message?limit=${limit}&before=${cursor}>; rel="next"`;
    headers['access-control-expose-headers'] = 'Link, X-Next-Cursor';
  }
  return { status: 200, body: list, headers };
}
