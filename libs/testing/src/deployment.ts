import { existsSync, readFileSync } from 'node:fs';
import { basename, join, posix } from 'node:path';
import { parseConfigFileTextToJson } from 'typescript';
import { REPO_ROOT } from './processes';

/**
 * Readers for the deployment files (Dockerfile, .dockerignore, tsconfig.build.json), shared by the
 * static tests of the image, compose and the Helm chart: no Docker engine or cluster runs here, so
 * these files are kept honest by checking that what they name exists and agrees.
 */

export type ImageCommandName = 'api' | 'worker' | 'migrate';

export interface DockerInstruction {
  keyword: string;
  /** Everything after the keyword, continuation lines joined. */
  args: string;
}

export interface DockerStage {
  name: string;
  from: string;
  instructions: DockerInstruction[];
}

export function readRepoFile(file: string): string {
  return readFileSync(join(REPO_ROOT, file), 'utf8');
}

/** The Dockerfile's stages, in order, with their instructions (comments dropped, `\` lines joined). */
export function dockerfileStages(dockerfile = readRepoFile('Dockerfile')): DockerStage[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of dockerfile.split('\n')) {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) continue;
    if (pending && line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push(`${pending}${line}`.trim());
    pending = '';
  }
  const args = new Map<string, string>();
  const stages: DockerStage[] = [];
  for (const line of logical) {
    const [, keyword = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const upper = keyword.toUpperCase();
    if (upper === 'ARG' && stages.length === 0) {
      const [name, value = ''] = rest.split('=');
      args.set(name!, value);
      continue;
    }
    if (upper === 'FROM') {
      const [, image = '', name = ''] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest) ?? [];
      const from = image.replace(/^\$\{(\w+)\}$/, (_, arg: string) => args.get(arg) ?? image);
      stages.push({ name, from, instructions: [] });
      continue;
    }
    stages.at(-1)?.instructions.push({ keyword: upper, args: rest });
  }
  return stages;
}

/** A stage and every stage it is built FROM, nearest first. */
export function stageChain(stages: DockerStage[], name: string): DockerStage[] {
  const chain: DockerStage[] = [];
  let current = stages.find((s) => s.name === name);
  while (current) {
    chain.push(current);
    const parent = current.from;
    current = stages.find((s) => s.name === parent);
  }
  return chain;
}

/**
 * The image's documented commands, from the Dockerfile's header comment:
 * `#   api      node dist/apps/api/src/main.js   …`. The compose file, the Helm chart and the
 * Dockerfile's own CMD must run exactly these.
 */
export function imageCommands(dockerfile = readRepoFile('Dockerfile')): Record<ImageCommandName, string[]> {
  const commands: Partial<Record<ImageCommandName, string[]>> = {};
  for (const [, name, command] of dockerfile.matchAll(/^#\s+(api|worker|migrate)\s+(node \S+)/gm)) {
    commands[name as ImageCommandName] ??= command!.split(/\s+/);
  }
  return commands as Record<ImageCommandName, string[]>;
}

/** Paths a stage copies from the build context (`COPY src… dest`, without --from). */
export function contextCopies(stage: DockerStage): { sources: string[]; destination: string }[] {
  return stage.instructions
    .filter((i) => i.keyword === 'COPY' && !/--from=/.test(i.args))
    .map((i) => {
      const parts = i.args.split(/\s+/).filter((p) => !p.startsWith('--'));
      return { sources: parts.slice(0, -1), destination: parts.at(-1)! };
    });
}

/**
 * The paths (relative to WORKDIR /app) a stage and its parents put into the image: context copies
 * and `COPY --from=<stage> /app/<path> …`. Directories are listed as themselves.
 */
export function imagePaths(stages: DockerStage[], name: string): string[] {
  const paths: string[] = [];
  const rel = (p: string) => posix.normalize(p.replace(/^\/app\//, '').replace(/^\.\//, '')).replace(/\/$/, '');
  for (const stage of stageChain(stages, name)) {
    for (const { args } of stage.instructions.filter((i) => i.keyword === 'COPY')) {
      const parts = args.split(/\s+/).filter((p) => !p.startsWith('--'));
      const destination = parts.at(-1)!;
      const sources = parts.slice(0, -1);
      for (const source of sources) {
        const target =
          destination.endsWith('/') && (sources.length > 1 || !/\/$/.test(source))
            ? posix.join(destination, basename(source))
            : destination;
        paths.push(rel(target));
      }
    }
  }
  return paths.filter((p) => p !== '.' && !p.startsWith('/'));
}

/** Whether `path` (relative to /app) is in the image built up to `stage`. */
export function inImage(stages: DockerStage[], stage: string, path: string): boolean {
  return imagePaths(stages, stage).some((p) => path === p || path.startsWith(`${p}/`));
}

/** `.dockerignore` patterns (comments and blanks dropped). */
export function dockerignorePatterns(text = readRepoFile('.dockerignore')): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

/** Whether .dockerignore keeps `path` (or a directory above it) out of the build context. */
export function dockerignored(patterns: string[], path: string): boolean {
  const glob = (part: string) =>
    part
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]');
  // `**/` matches any number of directories; `*` and `?` stay within one path segment.
  const toRegExp = (pattern: string) =>
    new RegExp(
      `^${pattern
        .replace(/^\/+|\/+$/g, '')
        .split('**/')
        .map(glob)
        .join('(?:.*/)?')}(?:/.*)?$`,
    );
  let ignored = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    if (toRegExp(negated ? pattern.slice(1) : pattern).test(path)) ignored = !negated;
  }
  return ignored;
}

/**
 * Where `npm run build` puts a TypeScript file: tsconfig.build.json compiles its `include` (minus
 * `exclude`) with rootDir "." into outDir. Resolves `dist/apps/api/src/main.js` to its source
 * `apps/api/src/main.ts` when that file exists and is compiled; otherwise undefined.
 */
export function builtFrom(outputPath: string): string | undefined {
  const tsconfig = parseConfigFileTextToJson('tsconfig.build.json', readRepoFile('tsconfig.build.json')).config as {
    compilerOptions: { outDir: string; rootDir: string };
    include: string[];
    exclude: string[];
  };
  const outDir = tsconfig.compilerOptions.outDir.replace(/^\.\//, '').replace(/\/$/, '');
  if (tsconfig.compilerOptions.rootDir !== '.' || !outputPath.startsWith(`${outDir}/`)) return undefined;
  const source = outputPath.slice(outDir.length + 1).replace(/\.js$/, '.ts');
  const included = tsconfig.include.some((dir) => source.startsWith(`${dir}/`));
  const excluded = dockerignored(
    tsconfig.exclude.map((e) => e.replace(/^\*\*\//, '**/')),
    source,
  );
  return included && !excluded && existsSync(join(REPO_ROOT, source)) ? source : undefined;
}
