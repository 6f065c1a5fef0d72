type WebhooksMethods = typeof import('@octokit/webhooks-methods');

/**
 * `@octokit/webhooks-methods` ships ES modules exported for `import` only, which this CommonJS build
 * cannot `require`: it is loaded with a real dynamic import (`Function` keeps the compiler from
 * turning it into `require`). Jest runs CommonJS in a VM without dynamic import; there its
 * moduleNameMapper points `require` at the same ESM file, which @swc/jest compiles.
 */
const nativeImport = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<WebhooksMethods>;
let loaded: Promise<WebhooksMethods> | undefined;

function methods(): Promise<WebhooksMethods> {
  if (process.env.JEST_WORKER_ID !== undefined)
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return Promise.resolve(require('@octokit/webhooks-methods') as WebhooksMethods);
  return (loaded ??= nativeImport('@octokit/webhooks-methods'));
}

/** True when `signature` (`sha256=<hex>`, as in X-Hub-Signature-256) is the HMAC of `payload` under `secret`. */
export async function verifySignature(
  secret: string,
  payload: string,
  signature: string | undefined,
): Promise<boolean> {
  if (!signature || !payload || !secret) return false;
  return (await methods()).verify(secret, payload, signature);
}

/** `sha256=<hex>` of `payload` under `secret` (tests and docs sign with the same function). */
export async function signPayload(secret: string, payload: string): Promise<string> {
  return (await methods()).sign(secret, payload);
}
