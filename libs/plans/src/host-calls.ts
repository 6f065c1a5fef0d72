import { BadGatewayError, BadRequestError, GatewayTimeoutError, normalisePath, rootContaining } from '@heddle/common';
import { OpencodeClient, OpencodeError, OpencodeServerError, OpencodeTimeoutError } from '@heddle/opencode-client';

interface HostLike {
  name: string;
  workspaceRoots: string[] | null;
}

/** An OpenCode failure as the answer to the caller: 504 when the host was too slow, else 502. */
export function hostFailure(host: { name: string }, err: unknown, doing: string): unknown {
  if (err instanceof OpencodeTimeoutError) {
    return new GatewayTimeoutError('plan/host_timeout', `host ${host.name} did not answer in time while ${doing}`);
  }
  if (err instanceof OpencodeError) {
    return new BadGatewayError('plan/host_error', `host ${host.name} failed while ${doing}: ${err.message}`);
  }
  return err;
}

/** Runs one call to the host, turning its failures into 502/504. */
export async function onHost<T>(host: { name: string }, doing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw hostFailure(host, err, doing);
  }
}

/**
 * The workspace as the host resolves it, when it lies under one of the host's workspace roots both as
 * written and resolved (symlinks followed; roots that are symlinks resolved too) and exists — the rule
 * the harness applies at dispatch (libs/harness workspace-roots.ts). Otherwise a 400 saying why.
 */
export async function confineWorkspace(client: OpencodeClient, host: HostLike, directory: string): Promise<string> {
  const roots = (host.workspaceRoots ?? []).map(normalisePath);
  const given = normalisePath(directory);
  const listed = `[${roots.join(', ')}]`;
  const outside = (detail: string) =>
    new BadRequestError('plan/workspace_outside_roots', detail, [{ field: 'workspace', errors: [detail] }]);
  if (!rootContaining(given, roots)) {
    throw outside(`workspace ${given} is outside the workspace roots of host ${host.name} ${listed}`);
  }
  const resolve = async (dir: string): Promise<string | undefined> => {
    try {
      return normalisePath((await client.paths({ directory: dir })).directory);
    } catch (err) {
      if (err instanceof OpencodeServerError) return undefined;
      throw err;
    }
  };
  const resolved = await onHost(host, 'resolving the workspace', () => resolve(given));
  const exists =
    resolved !== undefined && (await onHost(host, 'checking the workspace', () => client.directoryExists(resolved)));
  if (!exists || resolved === undefined) {
    const detail = `workspace ${given} does not exist on host ${host.name} (or is not a directory)`;
    throw new BadRequestError('plan/workspace_missing', detail, [{ field: 'workspace', errors: [detail] }]);
  }
  if (rootContaining(resolved, roots)) return resolved;
  const resolvedRoots = await onHost(host, 'resolving its workspace roots', () =>
    Promise.all(roots.map(async (root) => (await resolve(root)) ?? root)),
  );
  if (rootContaining(resolved, resolvedRoots)) return resolved;
  throw outside(
    `workspace ${given} resolves to ${resolved} on host ${host.name}, outside its workspace roots ${listed}`,
  );
}
