import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ENV_SCHEMA } from '@heddle/config';
import { REPO_ROOT } from '@heddle/testing';

// No Docker engine runs here, so the Dockerfile and compose file are checked statically: every
// file and variable they name must exist, so they cannot rot while nobody can run them.
const read = (file: string) => readFileSync(join(REPO_ROOT, file), 'utf8');
const knownVariables = new Set(Object.values(ENV_SCHEMA).map((v) => v.name));

describe('deployment files', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as {
    services: Record<
      string,
      { command?: string[]; environment?: Record<string, string>; build?: string; stop_grace_period?: string }
    >;
  };

  it('compose runs commands whose entry files exist and sets only known variables', () => {
    const heddleServices = Object.entries(compose.services).filter(([, s]) => s.build === '.');
    expect(heddleServices.map(([name]) => name).sort()).toEqual(['api', 'migrate', 'worker']);
    for (const [name, service] of heddleServices) {
      const files = (service.command ?? []).filter((arg) => /\.(ts|mjs)$/.test(arg));
      expect(files.length).toBeGreaterThan(0);
      for (const file of files)
        expect({ name, file, exists: existsSync(join(REPO_ROOT, file)) }).toEqual({ name, file, exists: true });
      for (const variable of Object.keys(service.environment ?? {})) {
        expect({ name, variable, known: knownVariables.has(variable) }).toEqual({ name, variable, known: true });
      }
    }
  });

  it('gives the api and the worker longer to stop than SHUTDOWN_TIMEOUT_MS, so SIGTERM drains before a SIGKILL', () => {
    const shutdownMs = Number(ENV_SCHEMA.shutdownTimeoutMs.default);
    for (const name of ['api', 'worker']) {
      const grace = /^(\d+)s$/.exec(compose.services[name]?.stop_grace_period ?? '');
      expect({ name, graceMs: grace ? Number(grace[1]) * 1000 : 0 }).toEqual({
        name,
        graceMs: expect.any(Number) as number,
      });
      expect(Number(grace![1]) * 1000).toBeGreaterThan(shutdownMs);
    }
  });

  it('the Dockerfile copies paths that exist and starts an entry file that exists', () => {
    const dockerfile = read('Dockerfile');
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
    expect(copied.length).toBeGreaterThan(0);
    for (const path of copied)
      expect({ path, exists: existsSync(join(REPO_ROOT, path)) }).toEqual({ path, exists: true });
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
    const entry = cmd.find((a) => a.endsWith('.ts'))!;
    expect(existsSync(join(REPO_ROOT, entry))).toBe(true);
  });
});
