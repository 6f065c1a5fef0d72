// Reading a request the way the real server does: its directory, its JSON body, and the query and
// body fields several routes share, with the real server's 400 answers.
import { resolve } from 'node:path';
import { Context, badRequest, badRequestTag, got, isObject } from './http';
import type { ModelRef } from './model-catalog';

/** `?directory=` or `x-opencode-directory`, resolved against the main workspace; default the workspace. */
export function requestDirectory(ctx: Context, workspace: string): string {
  const header = ctx.req.headers['x-opencode-directory'];
  const raw = ctx.query.directory ?? (typeof header === 'string' ? decodeURIComponent(header) : undefined);
  return raw ? resolve(workspace, raw) : workspace;
}

/** The JSON body (undefined when empty); malformed JSON is the `_tag` dialect of 400. */
function json(ctx: Context): unknown {
  if (ctx.text.trim() === '') return undefined;
  try {
    return JSON.parse(ctx.text);
  } catch {
    throw badRequestTag();
  }
}

/** The body as an object (`{}` when empty). */
export function payload(ctx: Context): Record<string, unknown> {
  const body = json(ctx) ?? {};
  if (!isObject(body)) throw badRequestTag();
  return body;
}

/** `?limit=`: a non-negative number (an integer where the route says so). */
export function limitParam(ctx: Context, integer: boolean): number | undefined {
  const raw = ctx.query.limit;
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw === '' || Number.isNaN(n) || (integer && !Number.isInteger(n)) || n < 0) {
    throw badRequest(`Expected ${integer ? 'an integer' : 'a number'}, got ${got(n)}\n  at ["limit"]`, 'Query');
  }
  return n;
}

/** The optional `model` of a prompt or shell body: `{providerID, modelID}`. */
export function modelField(body: Record<string, unknown>): ModelRef | undefined {
  const model = body.model;
  if (
    model !== undefined &&
    !(isObject(model) && typeof model.providerID === 'string' && typeof model.modelID === 'string')
  ) {
    throw badRequest(`Expected { providerID: string; modelID: string }, got ${got(model)}\n  at ["model"]`, 'Payload');
  }
  return model as ModelRef | undefined;
}
