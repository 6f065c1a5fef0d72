import { normalisePath, rootContaining } from '@heddle/common';
import { OpencodeClient, OpencodeServerError } from '@heddle/opencode-client';

export type WorkspaceRootsVerdict =
  | { ok: true; resolved: string }
  /** The host could not resolve the path because nothing (or a file) is there. */
  | { ok: false; missing: true }
  | { ok: false; missing?: false; detail: string };

/**
 * Whether `directory` lies under one of the host's workspace roots (docs/security.md):
 *
 * 1. As written (`asWritten`, for a task's workspace): the normalised path must lie under a root as
 *    registered. This needs no call to the host, so a workspace such as `/etc` is refused before
 *    anything is asked of the host about it — the same lexical rule host selection and task creation
 *    apply.
 * 2. As the host resolves it: `GET /path?directory=…` answers the realpath (symlinks followed; a
 *    missing directory comes back as given). The resolved path must lie under a root as registered
 *    or, for roots that are themselves symlinks, under a root as the host resolves it (asked only when
 *    needed, one call per root).
 *
 * Throws the client's errors when the host does not answer (the caller treats that as host trouble).
 */
export async function checkWorkspaceRoots(
  client: OpencodeClient,
  host: { name: string; workspaceRoots: string[] | null },
  directory: string,
  options: { asWritten?: boolean; what?: string } = {},
): Promise<WorkspaceRootsVerdict> {
  const roots = (host.workspaceRoots ?? []).map(normalisePath);
  const what = options.what ?? 'workspace';
  const given = normalisePath(directory);
  const listed = `[${roots.join(', ')}]`;
  if (options.asWritten !== false && !rootContaining(given, roots)) {
    return { ok: false, detail: `${what} ${given} is outside the workspace roots of host ${host.name} ${listed}` };
  }
  let resolved: string;
  try {
    resolved = normalisePath((await client.paths({ directory })).directory);
  } catch (err) {
    // OpenCode answers 500 for a path that is a file; a missing directory it answers as given.
    if (err instanceof OpencodeServerError && !(await client.directoryExists(directory))) {
      return { ok: false, missing: true };
    }
    throw err;
  }
  if (rootContaining(resolved, roots)) return { ok: true, resolved };
  const resolvedRoots = await Promise.all(
    roots.map(async (root) => {
      try {
        return normalisePath((await client.paths({ directory: root })).directory);
      } catch (err) {
        if (err instanceof OpencodeServerError) return root;
        throw err;
      }
    }),
  );
  if (rootContaining(resolved, resolvedRoots)) return { ok: true, resolved };
  const differ = resolvedRoots.some((r, i) => r !== roots[i]);
  return {
    ok: false,
    detail:
      `${what} ${given} resolves to ${resolved} on host ${host.name}, outside its workspace roots ${listed}` +
      (differ ? ` (resolved: [${resolvedRoots.join(', ')}])` : ''),
  };
}
