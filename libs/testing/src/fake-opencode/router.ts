// The fake host's route table: path patterns with `:params`, the handler's reply written out, and
// the real server's fallbacks (its web app's index.html for unknown routes, 500 for failures).
import { IncomingMessage, ServerResponse } from 'node:http';
import { Context, HTML, Handler, HttpError, Reply, unknownError } from './http';
import { WorkspaceError } from './workspace';

interface Route {
  method: string;
  re: RegExp;
  keys: string[];
  handler: Handler;
}

export class Router {
  private readonly routes: Route[] = [];

  /** `path` may hold `:name` segments (passed as `ctx.params.name`); a trailing slash also matches. */
  route(method: string, path: string, handler: Handler): void {
    const keys: string[] = [];
    const re = new RegExp(
      `^${path.replace(/:(\w+)/g, (_m, k: string) => {
        keys.push(k);
        return '([^/]+)';
      })}/?$`,
    );
    this.routes.push({ method, re, keys, handler });
  }

  /** Answers an authorised request whose body has been read (`text`). */
  async dispatch(req: IncomingMessage, res: ServerResponse, url: URL, text: string): Promise<void> {
    const method = req.method ?? 'GET';
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const m = route.re.exec(url.pathname);
      if (!m) continue;
      const params: Record<string, string> = {};
      route.keys.forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1])));
      const ctx: Context = { req, res, url, query: Object.fromEntries(url.searchParams), params, text };
      let reply: Reply | 'handled';
      try {
        reply = await route.handler(ctx);
      } catch (err) {
        if (err instanceof HttpError) reply = { status: err.status, body: err.body };
        else if (err instanceof WorkspaceError) reply = { status: 500, body: unknownError().body };
        else throw err;
      }
      if (reply === 'handled') return;
      if (reply.raw) {
        res.writeHead(reply.status, { 'content-type': reply.raw.contentType, ...reply.headers });
        res.end(reply.raw.text);
      } else sendJson(res, reply.status, reply.body, reply.headers);
      return;
    }
    // Any other route is the web app's index.html, with 200 (pitfall 1).
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(HTML);
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (status === 204) {
    res.writeHead(204, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
