# Heddle server image: ONE image, three commands (docs/deploy.md). The entrypoint never migrates.
#   api      node dist/apps/api/src/main.js       default CMD; HTTP on PORT (8080): /healthz, /readyz, /api, /docs
#   worker   node dist/apps/worker/src/main.js    consumers from WORKER_CONSUMERS; /healthz, /readyz on WORKER_HEALTH_PORT (8081)
#   migrate  node scripts/db-migrate.mjs          applies prisma/migrations; compose one-shot, Helm pre-install/pre-upgrade Job
#
#   docker build -t heddle:local .
#   docker run --rm -e DATABASE_URL=… -e REDIS_URL=… -e HEDDLE_ENCRYPTION_KEY=… heddle:local node scripts/db-migrate.mjs
#   docker run -p 8080:8080 -e DATABASE_URL=… -e REDIS_URL=… -e HEDDLE_ENCRYPTION_KEY=… heddle:local
#   docker run -e … -e WORKER_CONSUMERS=harness heddle:local node dist/apps/worker/src/main.js
#   docker build --target host -t heddle-host:local .   # optional: an OpenCode host (opencode serve + ripgrep + git)
#
# The server image carries no OpenCode binary and no ripgrep (optional dependencies are left out);
# only the `host` target adds them.
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS base
WORKDIR /app
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps \
    CHECKPOINT_DISABLE=1

# --- build: every dev dependency, the Prisma client, TypeScript compiled to dist/ (npm run build) ---
FROM base AS build
ENV NODE_ENV=development
COPY package.json package-lock.json ./
# --omit=optional: the build needs neither the OpenCode binary nor native accelerators.
RUN npm ci --omit=optional --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json prisma.config.ts ./
COPY prisma ./prisma
COPY scripts ./scripts
COPY apps ./apps
COPY libs ./libs
# prebuild runs `npm run generate` (the Prisma client into libs/db/src/generated) before `nest build`.
RUN npm run build

# --- production dependencies only: no TypeScript, no swc, no OpenCode ---
FROM base AS prod-deps
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund && npm cache clean --force

# --- the server (api | worker | migrate) ---
FROM base AS server
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*
# Files stay owned by root: the app only reads them (the Helm chart mounts the root filesystem read-only).
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json prisma.config.ts ./
COPY prisma ./prisma
COPY scripts/db-migrate.mjs scripts/db-migrate-lib.mjs scripts/prisma.mjs scripts/healthcheck.mjs ./scripts/
COPY scripts/schema-engine ./scripts/schema-engine
# The `node` user of the base image (uid 1000); the chart's securityContext runs as 1000 too.
USER node
EXPOSE 8080 8081
# The API's /healthz on PORT, or the worker's on WORKER_HEALTH_PORT: whichever this container serves.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["node", "scripts/healthcheck.mjs"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/apps/api/src/main.js"]

# --- optional OpenCode host: the server image plus the OpenCode binary (the version package.json pins), ripgrep and git ---
# (linux/amd64 only: the binary comes from the npm package opencode-linux-x64)
FROM base AS opencode
COPY package.json ./
RUN version="$(node -p "require('./package.json').optionalDependencies['opencode-linux-x64']")" \
    && npm install --no-save --no-package-lock --no-audit --no-fund --prefix /opencode "opencode-linux-x64@${version}"
FROM server AS host
USER root
RUN apt-get update \
    && apt-get install -y --no-install-recommends ripgrep git ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /workspaces && chown node:node /workspaces
COPY --from=opencode /opencode/node_modules/opencode-linux-x64/bin/opencode /usr/local/bin/opencode
USER node
WORKDIR /workspaces
EXPOSE 4096
# Register it in Heddle (POST /api/hosts) with the password in OPENCODE_SERVER_PASSWORD; on a compose
# network set HEDDLE_OUTBOUND_ALLOW to its service name so the SSRF guard lets Heddle reach it.
HEALTHCHECK NONE
CMD ["opencode", "serve", "--hostname", "0.0.0.0", "--port", "4096"]

# --- the default target (last stage): the server ---
FROM server AS runtime
