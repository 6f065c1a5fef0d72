// HTTP plumbing of the fake host: the real server's two error dialects, payload checks, route types.
import { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { FakePermissionRule } from './types';

/** What the real server answers for any route it doesn't know: its web app's index.html, with 200. */
export const HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>OpenCode</title>
  </head>
  <body>
    <div id="root"></div>
  </body>
</html>
`;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

export function unknownError(): HttpError {
  return new HttpError(500, {
    name: 'UnknownError',
    data: {
      message: 'Unexpected server error. Check server logs for details.',
      ref: `err_${randomBytes(4).toString('hex')}`,
    },
  });
}

export const badRequestTag = () => new HttpError(400, { _tag: 'BadRequest' });

/** The NamedError dialect of schema violations (`{"name":"BadRequest","data":{"message","kind"}}`). */
export function badRequest(message: string, kind: 'Payload' | 'Query' | 'Params'): HttpError {
  return new HttpError(400, { name: 'BadRequest', data: { message, kind } });
}

export const got = (v: unknown) => (typeof v === 'number' && Number.isNaN(v) ? 'NaN' : JSON.stringify(v));

export function requireField(obj: Record<string, unknown>, key: string, kind: 'Payload' | 'Query'): unknown {
  if (obj[key] === undefined) throw badRequest(`Missing key\n  at ["${key}"]`, kind);
  return obj[key];
}

export function expectString(
  obj: Record<string, unknown>,
  key: string,
  kind: 'Payload' | 'Query',
  required = false,
): string | undefined {
  const v = required ? requireField(obj, key, kind) : obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw badRequest(`Expected string, got ${got(v)}\n  at ["${key}"]`, kind);
  return v;
}

export const isObject = (v: unknown): v is Record<string, any> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function isRuleset(v: unknown): v is FakePermissionRule[] {
  return (
    Array.isArray(v) &&
    v.every(
      (r) =>
        isObject(r) &&
        typeof r.permission === 'string' &&
        typeof r.pattern === 'string' &&
        ['allow', 'ask', 'deny'].includes(r.action as string),
    )
  );
}

export interface Context {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  query: Record<string, string>;
  params: Record<string, string>;
  text: string;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Sent as is with this content type. */
  raw?: { contentType: string; text: string };
}

export type Handler = (ctx: Context) => Promise<Reply | 'handled'> | Reply | 'handled';
