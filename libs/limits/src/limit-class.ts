/**
 * What a request counts against:
 * - `read` / `write`: an authenticated request, against its token — reads are `GET`/`HEAD`/`OPTIONS`,
 *   writes everything else, each class with its own budget;
 * - `anonymous`: a route that takes no token (health probes excepted), against the client address;
 * - `auth_failure`: a request whose authentication failed, against the client address.
 */
export const LIMIT_CLASSES = ['read', 'write', 'anonymous', 'auth_failure'] as const;
export type LimitClass = (typeof LIMIT_CLASSES)[number];

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The class of an authenticated request. */
export function tokenClassOf(method: string): 'read' | 'write' {
  return SAFE_METHODS.has(method.toUpperCase()) ? 'read' : 'write';
}
