/**
 * Architecture rules (CONVENTIONS "Import rules"), checked by `npm run lint:deps` in CI:
 * apps use libs only through their index.ts and never each other; libs never import apps
 * (except libs/testing, which boots the real API for tests); a lib reaches another lib only
 * through its index.ts; no cycles between modules.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Cycles fail the build (they are what forwardRef papers over).',
      from: { pathNot: '^libs/db/src/generated/' },
      to: { circular: true, pathNot: '^libs/db/src/generated/' },
    },
    {
      name: 'apps-use-lib-index-only',
      severity: 'error',
      from: { path: '^apps/' },
      to: { path: '^libs/', pathNot: '^libs/[^/]+/src/index\\.ts$' },
    },
    {
      name: 'apps-independent',
      severity: 'error',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/', pathNot: '^apps/$1/' },
    },
    {
      name: 'libs-never-import-apps',
      severity: 'error',
      from: { path: '^libs/', pathNot: '^libs/testing/' },
      to: { path: '^apps/' },
    },
    {
      name: 'lib-internals-are-private',
      severity: 'error',
      comment: 'Another lib is reached through its index.ts only.',
      from: { path: '^libs/([^/]+)/' },
      to: { path: '^libs/', pathNot: ['^libs/$1/', '^libs/[^/]+/src/index\\.ts$'] },
    },
    {
      name: 'foundation-stands-alone',
      severity: 'error',
      comment: 'config and common are the foundation: each imports no other @heddle lib.',
      from: { path: '^libs/(config|common)/' },
      to: { path: '^libs/', pathNot: '^libs/$1/' },
    },
    {
      name: 'opencode-client-stands-alone',
      severity: 'error',
      comment: 'The OpenCode client knows HTTP, not our database or queues: it imports only common.',
      from: { path: '^libs/opencode-client/', pathNot: '\\.(int-|e2e-)?spec\\.ts$' },
      to: {
        path: ['^libs/(?!opencode-client/|common/)', '^node_modules/(@prisma|prisma|bullmq|ioredis|@nestjs/bullmq)/'],
      },
    },
    {
      name: 'sdk-stands-alone',
      severity: 'error',
      comment:
        'The SDK is for use outside the repository: HTTP and its generated types only — no other @heddle lib, no Nest, no Prisma, no queues.',
      from: { path: '^libs/sdk/', pathNot: '\\.(int-|e2e-)?spec\\.ts$' },
      to: {
        path: [
          '^libs/(?!sdk/)',
          '^node_modules/(@nestjs|@prisma|prisma|bullmq|ioredis|class-validator|class-transformer)/',
        ],
      },
    },
    {
      name: 'cli-uses-the-sdk',
      severity: 'error',
      comment: 'The heddle CLI talks to the server only through @heddle/sdk (no Nest, no database).',
      from: { path: '^apps/cli/' },
      to: { path: ['^libs/(?!sdk/)', '^node_modules/(@nestjs|@prisma|prisma|bullmq|ioredis)/'] },
    },
    {
      name: 'testing-only-in-tests',
      severity: 'error',
      from: { path: '^(apps|libs)/', pathNot: ['^libs/testing/', '\\.(int-|e2e-)?spec\\.ts$'] },
      to: { path: '^libs/testing/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^libs/db/src/generated/', '^node_modules/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
