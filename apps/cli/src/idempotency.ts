import { createHash } from 'node:crypto';

/**
 * The Idempotency-Key of a dispatch without `--idempotency-key`, from the CI run it is part of plus a
 * hash of what it asks for: a retried step (same run, attempt and job, same arguments) gets the same key,
 * so one task; two different dispatches in one job get two keys. Outside CI: none (every call is new).
 */
export function ciIdempotencyKey(env: NodeJS.ProcessEnv, request: unknown): string | undefined {
  let scope: string[] | undefined;
  if (env.GITHUB_RUN_ID) scope = ['gh', env.GITHUB_RUN_ID, env.GITHUB_RUN_ATTEMPT ?? '1', env.GITHUB_JOB ?? ''];
  else if (env.CI_PIPELINE_ID && env.CI_JOB_ID) scope = ['gl', env.CI_PIPELINE_ID, env.CI_JOB_ID];
  if (!scope) return undefined;
  const hash = createHash('sha256')
    .update(JSON.stringify([scope, canonical(request)]))
    .digest('hex')
    .slice(0, 32);
  const readable = scope.map((part) => part.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 40)).join('-');
  return `heddle-cli-${readable}-${hash}`;
}

/** JSON with sorted keys, so the same request hashes the same whatever the order of its flags. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
