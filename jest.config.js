// Three tiers (CONVENTIONS C14): unit specs beside the code, integration specs per lib against the
// real Postgres and Redis, and e2e specs through the real app. Nest 12 and a few of its helpers are
// ESM-only; @swc/jest turns them into CommonJS, so they must not be ignored by the transform.
const esmOnly = [
  '@nestjs',
  'cookie',
  'content-disposition',
  'nestjs-cls',
  '@nestjs-cls',
  // OIDC: the relying party (openid-client) and, in tests, a real provider (oidc-provider).
  'openid-client',
  'oauth4webapi',
  'jose',
  'oidc-provider',
  // Inbound hooks: GitHub signatures (exported for `import` only; mapped below so `require` finds it).
  '@octokit',
];

const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];

// Every lib under libs/ is `@heddle/<name>` (tsconfig paths say the same for tsc).
const libs = require('node:fs').readdirSync(require('node:path').join(__dirname, 'libs'));

const base = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj)s$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  moduleNameMapper: {
    ...Object.fromEntries(libs.map((l) => [`^@heddle/${l}$`, `<rootDir>/libs/${l}/src/index.ts`])),
    '^@octokit/webhooks-methods$': '<rootDir>/node_modules/@octokit/webhooks-methods/dist-node/index.js',
  },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  setupFiles: ['<rootDir>/test/env.ts'],
};

module.exports = {
  // Most int and e2e suites wait on timers, processes and sockets rather than compute: two workers on
  // this two-core machine kind halve the wall time (about 15 → 9 minutes) with the suites unchanged.
  maxWorkers: 2,
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,scripts}/**/*.spec.ts'] },
    {
      ...base,
      displayName: 'int',
      testMatch: ['<rootDir>/{apps,libs,scripts}/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      setupFilesAfterEnv: ['<rootDir>/test/slow-hooks.ts'],
    },
    {
      ...base,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      setupFilesAfterEnv: ['<rootDir>/test/slow-hooks.ts'],
    },
  ],
};
