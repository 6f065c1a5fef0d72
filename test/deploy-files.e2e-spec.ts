import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ENV_SCHEMA } from '@heddle/config';
import {
  builtFrom,
  contextCopies,
  dockerfileStages,
  dockerignored,
  dockerignorePatterns,
  imageCommands,
  inImage,
  readRepoFile,
  REPO_ROOT,
  stageChain,
} from '@heddle/testing';

// No Docker engine runs here, so the Dockerfile and compose file are checked statically: every
// file and variable they name must exist, and the image, compose and the Helm chart
// (test/helm-chart.e2e-spec.ts) must run the same three commands.
const knownVariables = new Set(Object.values(ENV_SCHEMA).map((v) => v.name));
const exists = (file: string) => existsSync(join(REPO_ROOT, file));

const dockerfile = readRepoFile('Dockerfile');
const stages = dockerfileStages(dockerfile);
const stage = (name: string) => stages.find((s) => s.name === name)!;
const commands = imageCommands(dockerfile);
const ignore = dockerignorePatterns();
const packageJson = JSON.parse(readRepoFile('package.json')) as {
  engines: { node: string };
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
};

interface ComposeService {
  image?: string;
  build?: unknown;
  pull_policy?: string;
  command?: string[];
  environment?: Record<string, string>;
  stop_grace_period?: string;
  restart?: string;
  healthcheck?: { test?: string[]; disable?: boolean };
}

describe('the image (Dockerfile, .dockerignore)', () => {
  it('documents the api, worker and migrate commands, each starting a file the image has', () => {
    expect(Object.keys(commands).sort()).toEqual(['api', 'migrate', 'worker']);
    for (const [name, command] of Object.entries(commands)) {
      expect({ name, runner: command[0] }).toEqual({ name, runner: 'node' });
      const file = command[1]!;
      // dist/… comes from `npm run build`: its source must be compiled (tsconfig.build.json);
      // anything else is copied from the context as is.
      const source = file.startsWith('dist/') ? builtFrom(file) : file;
      expect({ name, file, source: source && exists(source) }).toEqual({ name, file, source: true });
      expect({ name, file, inImage: inImage(stages, 'runtime', file) }).toEqual({ name, file, inImage: true });
    }
  });

  it('carries what the migrate command needs: its imports, the schema engine stand-in, the migrations', () => {
    // prisma.mjs hands the Prisma CLI the stand-in engine by path (PRISMA_SCHEMA_ENGINE_BINARY).
    const queue = [commands.migrate[1]!, 'scripts/schema-engine/schema-engine.mjs'];
    const seen = new Set<string>();
    while (queue.length) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      expect({ file, inImage: inImage(stages, 'runtime', file) }).toEqual({ file, inImage: true });
      for (const [, relative] of readRepoFile(file).matchAll(/from '(\.\.?\/[^']+)'/g))
        queue.push(join(file, '..', relative!));
    }
    expect([...seen]).toEqual(
      expect.arrayContaining([
        'scripts/db-migrate-lib.mjs',
        'scripts/prisma.mjs',
        'scripts/schema-engine/postgres.mjs',
      ]),
    );
    for (const path of ['prisma/schema.prisma', 'prisma/migrations', 'prisma.config.ts'])
      expect({ path, inImage: inImage(stages, 'runtime', path) }).toEqual({ path, inImage: true });
  });

  it('builds in a stage with every dev dependency and runs a runtime stage of production dependencies only', () => {
    expect(stages.map((s) => s.name)).toEqual(
      expect.arrayContaining(['base', 'build', 'prod-deps', 'server', 'host', 'runtime']),
    );
    // The last stage is what `docker build .` produces: the server, not the OpenCode host.
    expect(stages.at(-1)!.name).toBe('runtime');
    expect(stageChain(stages, 'runtime').map((s) => s.name)).toEqual(['runtime', 'server', 'base']);
    expect(stage('base').from).toBe('node:22-bookworm-slim');

    const runs = (name: string) =>
      stage(name)
        .instructions.filter((i) => i.keyword === 'RUN')
        .map((i) => i.args);
    // The build stage installs dev dependencies (npm ci without --omit=dev, NODE_ENV not production)…
    expect(runs('build').some((r) => /npm ci\b/.test(r) && !/--omit=dev/.test(r))).toBe(true);
    expect(stage('build').instructions).toContainEqual({ keyword: 'ENV', args: 'NODE_ENV=development' });
    // …and compiles (prebuild generates the Prisma client first).
    expect(runs('build')).toContain('npm run build');
    expect(packageJson.scripts.prebuild).toMatch(/npm run --silent generate/);
    expect(packageJson.scripts.build).toMatch(/^nest build --path tsconfig\.build\.json$/);
    expect(packageJson.scripts.typecheck).toMatch(/tsc -p tsconfig\.json --noEmit/);

    // Production dependencies only, without optional ones (the OpenCode binary is one).
    expect(runs('prod-deps').some((r) => /npm ci --omit=dev --omit=optional/.test(r))).toBe(true);
    expect(Object.keys(packageJson.optionalDependencies ?? {})).toContain('opencode-linux-x64');
    // Nothing compiles TypeScript at run time: swc and TypeScript are dev dependencies only.
    for (const dev of ['@swc-node/register', '@swc/core', 'typescript', '@nestjs/cli']) {
      expect({ dev, inDependencies: dev in packageJson.dependencies }).toEqual({ dev, inDependencies: false });
      expect(packageJson.devDependencies[dev]).toBeDefined();
    }
    // Node 20.19 still runs the sources for local development.
    expect(packageJson.engines.node).toBe('>=20.19');
  });

  it('runs the server as a non-root user with the api command, a health check and no OpenCode or ripgrep', () => {
    const server = stageChain(stages, 'runtime').flatMap((s) => s.instructions);
    const last = (keyword: string) => server.find((i) => i.keyword === keyword)?.args;
    expect(last('USER')).toBe('node');
    expect(JSON.parse(last('CMD')!)).toEqual(commands.api);
    expect(JSON.parse(last('ENTRYPOINT')!)).toEqual(['/usr/bin/tini', '--']);
    expect(server.map((i) => i.args).join('\n')).not.toMatch(/swc-node|ripgrep|opencode/);
    // Compiled JavaScript only: no TypeScript sources of the apps or libs (the Prisma CLI reads its
    // own prisma.config.ts when migrating).
    for (const source of ['apps', 'libs', 'tsconfig.json'])
      expect({ source, inImage: inImage(stages, 'runtime', source) }).toEqual({ source, inImage: false });

    const healthcheck = last('HEALTHCHECK')!;
    const script = /"(scripts\/healthcheck\.mjs)"/.exec(healthcheck)?.[1];
    expect(script).toBeDefined();
    expect(inImage(stages, 'runtime', script!)).toBe(true);
    // The check probes the API's PORT and the worker's WORKER_HEALTH_PORT, with the schema's defaults.
    const check = readRepoFile(script!);
    expect(check).toContain(`process.env.PORT || '${ENV_SCHEMA.port.default}'`);
    expect(check).toContain(`process.env.WORKER_HEALTH_PORT || '${ENV_SCHEMA.workerHealthPort.default}'`);
    expect(check).toContain('/healthz');
    expect(last('EXPOSE')!.split(/\s+/)).toEqual([ENV_SCHEMA.port.default, ENV_SCHEMA.workerHealthPort.default]);
  });

  it('adds OpenCode and ripgrep only in the host target', () => {
    const host = stage('host');
    expect(host.from).toBe('server');
    const text = host.instructions.map((i) => i.args).join('\n');
    expect(text).toMatch(/ripgrep/);
    expect(text).toMatch(/\/usr\/local\/bin\/opencode/);
    expect(JSON.parse(host.instructions.find((i) => i.keyword === 'CMD')!.args)[0]).toBe('opencode');
  });

  it('copies paths that exist and that .dockerignore lets into the context', () => {
    const copied = stages.flatMap((s) => contextCopies(s).flatMap((c) => c.sources));
    expect(copied.length).toBeGreaterThan(0);
    for (const path of copied) {
      expect({ path, exists: exists(path), ignored: dockerignored(ignore, path) }).toEqual({
        path,
        exists: true,
        ignored: false,
      });
    }
    // What the build compiles reaches the build stage.
    for (const dir of ['apps', 'libs', 'prisma', 'scripts']) {
      expect(contextCopies(stage('build')).flatMap((c) => c.sources)).toContain(dir);
    }
  });

  it('.dockerignore keeps dependencies, build output, secrets, git and test output out of the context', () => {
    for (const path of [
      'node_modules',
      'node_modules/.cache/heddle-helm/2.2.2/helm',
      'dist',
      'dist/apps/api/src/main.js',
      '.env',
      '.env.production',
      '.git',
      '.tmp',
      'coverage',
      'libs/db/src/generated',
      'libs/tasks/src/tasks.service.spec.ts',
      'test',
      'api.log',
    ]) {
      expect({ path, ignored: dockerignored(ignore, path) }).toEqual({ path, ignored: true });
    }
    for (const path of ['apps/api/src/main.ts', 'libs/tasks/src/tasks.service.ts', 'prisma/schema.prisma']) {
      expect({ path, ignored: dockerignored(ignore, path) }).toEqual({ path, ignored: false });
    }
  });
});

describe('docker-compose.yml', () => {
  const compose = parse(readRepoFile('docker-compose.yml'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };
  const heddle = ['api', 'migrate', 'worker'] as const;

  it('builds the one named image once and runs it as api, worker and migrate with the image commands', () => {
    const built = Object.entries(compose.services).filter(([, s]) => s.build !== undefined);
    expect(built.map(([name]) => name)).toEqual(['migrate']);
    expect(built[0]![1].build).toBe('.');
    expect(built[0]![1].pull_policy).toBe('build');
    for (const name of heddle) {
      const service = compose.services[name]!;
      expect({ name, image: service.image }).toEqual({ name, image: 'heddle:local' });
      if (name !== 'migrate') expect({ name, pull: service.pull_policy }).toEqual({ name, pull: 'never' });
      expect({ name, command: service.command }).toEqual({ name, command: commands[name] });
    }
  });

  it('sets only known variables, and documents HEDDLE_OUTBOUND_ALLOW for OpenCode hosts on its network', () => {
    for (const name of heddle) {
      for (const variable of Object.keys(compose.services[name]!.environment ?? {})) {
        expect({ name, variable, known: knownVariables.has(variable) }).toEqual({ name, variable, known: true });
      }
      expect(compose.services[name]!.environment).toHaveProperty('HEDDLE_OUTBOUND_ALLOW');
    }
    expect(readRepoFile('docker-compose.yml')).toMatch(/^#.*HEDDLE_OUTBOUND_ALLOW=opencode/m);
  });

  it('restarts long-running services and health-checks the api on PORT and the worker on WORKER_HEALTH_PORT', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      expect({ name, restart: service.restart }).toEqual({
        name,
        restart: name === 'migrate' ? 'on-failure' : 'unless-stopped',
      });
    }
    const probe = (name: string) => (compose.services[name]!.healthcheck?.test ?? []).join(' ');
    const port = (name: string, variable: string, fallback: string) =>
      compose.services[name]!.environment?.[variable] ?? fallback;
    expect(probe('api')).toContain(`127.0.0.1:${port('api', 'PORT', ENV_SCHEMA.port.default)}/readyz`);
    expect(probe('worker')).toContain(
      `127.0.0.1:${port('worker', 'WORKER_HEALTH_PORT', ENV_SCHEMA.workerHealthPort.default)}/readyz`,
    );
    expect(compose.services.migrate!.healthcheck?.disable).toBe(true);
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
});
