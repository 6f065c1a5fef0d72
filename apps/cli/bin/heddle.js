#!/usr/bin/env node
// `heddle` (package.json "bin"; `npx heddle` from a checkout). In a checkout it runs the TypeScript
// source through @swc-node/register, so it is never older than the code; where there is no source or
// no dev dependency (the image), the build: dist/apps/cli/src/main.js. HEDDLE_CLI_DIST=1 forces the build.
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS launcher (npx links a .js bin, not a .cjs one) */
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..', '..', '..');
const source = join(__dirname, '..', 'src', 'main.ts');
const built = join(root, 'dist', 'apps', 'cli', 'src', 'main.js');

function canCompile() {
  try {
    require.resolve('@swc-node/register');
    return true;
  } catch {
    return false;
  }
}

if (process.env.HEDDLE_CLI_DIST !== '1' && existsSync(source) && canCompile()) {
  // The tsconfig with the @heddle/* paths, whatever the working directory.
  process.env.SWC_NODE_PROJECT ??= join(root, 'tsconfig.json');
  require('@swc-node/register');
  require(source);
} else if (existsSync(built)) {
  require(built);
} else {
  process.stderr.write('heddle: no build found; run `npm run build` (or `npm install` for the dev launcher)\n');
  process.exit(4);
}
