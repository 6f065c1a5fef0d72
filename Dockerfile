# One image, three commands: the API, the worker, and the migration job (Helm runs it as a Job;
# the container entrypoint never migrates).
#   docker build -t heddle .
#   docker run heddle                                            # API on :8080
#   docker run heddle node -r @swc-node/register apps/worker/src/main.ts   # worker, health on :8081
#   docker run heddle node scripts/db-migrate.mjs               # apply migrations
FROM node:20-bookworm-slim AS base
WORKDIR /app
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps

FROM base AS deps
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM base AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends ripgrep tini && rm -rf /var/lib/apt/lists/*
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json prisma.config.ts ./
COPY prisma ./prisma
COPY scripts ./scripts
COPY apps ./apps
COPY libs ./libs
RUN node scripts/prisma.mjs generate && chown -R node:node /app
USER node
EXPOSE 8080 8081
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "-r", "@swc-node/register", "apps/api/src/main.ts"]
