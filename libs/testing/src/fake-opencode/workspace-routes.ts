// Routes that read the real directory: file content and listings, name and text search, git.
import { HostParts } from './host-parts';
import { badRequest, expectString, got, requireField } from './http';
import { limitParam } from './request-input';
import { Router } from './router';
import { findFiles, findText, listFiles, readFileContent, vcsDiff, vcsInfo, vcsStatus } from './workspace';

export function workspaceRoutes(r: Router, host: HostParts): void {
  r.route('GET', '/file/content', async (ctx) => ({
    status: 200,
    body: await readFileContent(host.directory(ctx), expectString(ctx.query, 'path', 'Query', true)!),
  }));
  r.route('GET', '/file', async (ctx) => ({
    status: 200,
    body: await listFiles(host.directory(ctx), expectString(ctx.query, 'path', 'Query', true)!),
  }));
  r.route('GET', '/file/status', () => ({ status: 200, body: [] }));
  r.route('GET', '/find/file', async (ctx) => {
    const query = expectString(ctx.query, 'query', 'Query', true)!;
    const type = ctx.query.type;
    if (type !== undefined && type !== 'file' && type !== 'directory') {
      throw badRequest(`Expected "file" | "directory", got ${got(type)}\n  at ["type"]`, 'Query');
    }
    const limit = limitParam(ctx, true);
    return {
      status: 200,
      body: await findFiles(host.directory(ctx), query, {
        type,
        dirs: ctx.query.dirs === undefined ? undefined : ctx.query.dirs === 'true',
        limit,
      }),
    };
  });
  r.route('GET', '/find', async (ctx) => ({
    status: 200,
    body: await findText(host.directory(ctx), expectString(ctx.query, 'pattern', 'Query', true)!),
  }));
  r.route('GET', '/find/symbol', () => ({ status: 200, body: [] }));
  r.route('GET', '/vcs', async (ctx) => ({ status: 200, body: await vcsInfo(host.directory(ctx)) }));
  r.route('GET', '/vcs/status', async (ctx) => ({ status: 200, body: await vcsStatus(host.directory(ctx)) }));
  r.route('GET', '/vcs/diff', async (ctx) => {
    const mode = requireField(ctx.query, 'mode', 'Query');
    if (mode !== 'git' && mode !== 'branch') {
      throw badRequest(`Expected "git" | "branch", got ${got(mode)}\n  at ["mode"]`, 'Query');
    }
    const context = ctx.query.context === undefined ? undefined : Number(ctx.query.context);
    if (context !== undefined && (!Number.isInteger(context) || context < 0)) {
      throw badRequest(`Expected an integer, got ${got(context)}\n  at ["context"]`, 'Query');
    }
    return { status: 200, body: await vcsDiff(host.directory(ctx), context) };
  });
  r.route('GET', '/vcs/diff/raw', async (ctx) => {
    const files = await vcsDiff(host.directory(ctx));
    return { status: 200, raw: { contentType: 'text/x-diff', text: files.map((f) => f.patch ?? '').join('') } };
  });
}
