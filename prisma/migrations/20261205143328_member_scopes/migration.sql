-- Data only (no schema change): tokens made before the members scopes existed keep what they could do.
-- A token that manages its team (admin) also manages its members, and a token holding every team scope
-- of the previous release (an owner token) may also change owners.
UPDATE "api_tokens"
SET "scopes" = array_cat("scopes", ARRAY['members:read', 'members:write']::text[])
WHERE 'admin' = ANY("scopes") AND NOT ('members:write' = ANY("scopes"));

UPDATE "api_tokens"
SET "scopes" = array_append("scopes", 'members:owner')
WHERE "scopes" @> ARRAY['tasks:read', 'tasks:write', 'hosts:read', 'hosts:write', 'webhooks:read', 'webhooks:write', 'events:read', 'permissions:write', 'checks:command', 'admin']::text[]
  AND NOT ('members:owner' = ANY("scopes"));
