// The directories a fake host serves: the main workspace (given, or a fresh one in a temp root) and
// the extra named ones, each a git repository with one commit unless `git: false`.
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FakeOpencodeOptions } from './types';
import { createRepository, directoryExists, projectInfo, rememberProject } from './workspace';

export interface HostWorkspaces {
  /** Absolute path of the main workspace. */
  workspace: string;
  /** Extra workspaces by name. */
  workspaces: Record<string, string>;
  /** The temp directory holding the fresh workspaces (removed by stop()); undefined when none was made. */
  root: string | undefined;
  /** projectID of every workspace. */
  projects: Map<string, string>;
}

/** Makes (or checks) the workspaces; on failure nothing made is left behind. */
export async function prepareWorkspaces(options: FakeOpencodeOptions): Promise<HostWorkspaces> {
  const names = options.extraWorkspaces ?? [];
  const made: HostWorkspaces = { workspace: '', workspaces: {}, root: undefined, projects: new Map() };
  if (options.workspace) {
    made.workspace = resolve(options.workspace);
    if (!directoryExists(made.workspace)) throw new Error(`fake opencode: workspace ${made.workspace} does not exist`);
  }
  if (!options.workspace || names.length > 0) {
    made.root = await fs.realpath(await fs.mkdtemp(join(tmpdir(), 'heddle-fake-opencode-')));
  }
  try {
    if (!options.workspace) {
      made.workspace = join(made.root!, 'ws');
      await createWorkspace(made.workspace, options.files ?? defaultFiles('ws'), options);
    }
    for (const name of names) {
      if (!/^[\w.-]+$/.test(name) || name === 'ws') throw new Error(`fake opencode: bad workspace name ${name}`);
      made.workspaces[name] = join(made.root!, name);
      await createWorkspace(made.workspaces[name], defaultFiles(name), options);
    }
    for (const dir of [made.workspace, ...Object.values(made.workspaces)]) {
      made.projects.set(dir, (await projectInfo(dir)).projectID);
    }
    return made;
  } catch (err) {
    if (made.root) await fs.rm(made.root, { recursive: true, force: true });
    throw err;
  }
}

async function createWorkspace(
  dir: string,
  files: Record<string, string>,
  options: FakeOpencodeOptions,
): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  if (options.git === false) {
    for (const [path, content] of Object.entries(files)) {
      const abs = join(dir, path);
      await fs.mkdir(resolve(abs, '..'), { recursive: true });
      await fs.writeFile(abs, content);
    }
  } else {
    rememberProject(dir, await createRepository(dir, files, options.branch ?? 'main'));
  }
}

/** The layout of the real harness's workspaces (libs/testing/src/opencode/real-opencode.ts). */
function defaultFiles(name: string): Record<string, string> {
  return {
    'README.md': `# ${name}\n\nA Heddle test workspace.\n`,
    'src/a.ts': 'export const answer = 42;\n// TODO: find me\n',
    [`${name}.txt`]: `${name}\n`,
  };
}
