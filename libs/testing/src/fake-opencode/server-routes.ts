// Routes about the server and its instances: health, event streams, paths, project, config, agents,
// providers and instance disposal.
import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { HostParts } from './host-parts';
import { unknownError } from './http';
import { Router } from './router';
import { projectInfo } from './workspace';

export function serverRoutes(r: Router, host: HostParts): void {
  r.route('GET', '/global/health', () => ({ status: 200, body: { healthy: true, version: host.version } }));
  r.route('GET', '/global/event', (ctx) => host.hub.subscribe(ctx.res, null));
  r.route('GET', '/event', (ctx) => host.hub.subscribe(ctx.res, host.directory(ctx)));
  r.route('GET', '/doc', () => ({
    status: 200,
    body: { openapi: '3.1.0', info: { title: 'opencode (fake)', version: '1.0.0' }, paths: {} },
  }));
  r.route('GET', '/path', async (ctx) => {
    // Like OpenCode: the directory's realpath (symlinks followed); a missing one as given (made
    // absolute and normalised); a path that is a file is a 500.
    const given = host.directory(ctx);
    const real = await fs.realpath(given).catch(() => undefined);
    if (real !== undefined && !(await fs.stat(real)).isDirectory()) throw unknownError();
    const dir = real ?? given;
    const home = homedir();
    return {
      status: 200,
      body: {
        home,
        state: join(home, '.local/state/opencode'),
        config: join(home, '.config/opencode'),
        worktree: (await projectInfo(dir)).worktree,
        directory: dir,
      },
    };
  });
  r.route('GET', '/project/current', async (ctx) => {
    const p = await projectInfo(host.directory(ctx));
    return {
      status: 200,
      body: {
        id: p.projectID,
        worktree: p.worktree,
        vcs: p.projectID === 'global' ? undefined : 'git',
        time: { created: 0 },
        sandboxes: [],
      },
    };
  });
  r.route('GET', '/config', () => {
    const { providerID, modelID } = host.catalog.defaultModel;
    return {
      status: 200,
      body: {
        model: `${providerID}/${modelID}`,
        small_model: `${providerID}/${modelID}`,
        permission: host.options.permission ?? {},
      },
    };
  });
  r.route('GET', '/agent', () => ({ status: 200, body: host.catalog.agents(host.permissions.configRules) }));
  r.route('GET', '/config/providers', () => ({ status: 200, body: host.catalog.providers() }));
  r.route('POST', '/instance/dispose', (ctx) => {
    host.disposeInstance(host.directory(ctx));
    return { status: 200, body: true };
  });
}
