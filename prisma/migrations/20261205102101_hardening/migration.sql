-- Hosts get an explicit allow-list of workspace roots. Hosts registered before it existed keep
-- working with "/" (every directory), and docs/security.md tells operators to narrow them.
ALTER TABLE "hosts" ADD COLUMN     "workspaceRoots" TEXT[];
UPDATE "hosts" SET "workspaceRoots" = ARRAY['/']::TEXT[];

-- Sink URLs are sealed at rest: `urlEnc` takes over from `url`, which processes seal at start.
ALTER TABLE "sinks" ADD COLUMN     "urlEnc" TEXT;

-- Command checks become a team policy and a scope of their own. Teams that exist keep what they
-- could do (the policy on), and owner tokens (those holding `admin`) get `checks:command`. New teams
-- start with the policy off.
UPDATE "teams" SET "settings" = jsonb_set("settings"::jsonb, '{allowCommandChecks}', 'true'::jsonb, true);
UPDATE "api_tokens" SET "scopes" = array_append("scopes", 'checks:command')
  WHERE 'admin' = ANY("scopes") AND NOT ('checks:command' = ANY("scopes"));
