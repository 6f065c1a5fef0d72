#!/usr/bin/env node
// `npm run helm -- <helm args>`: the pinned Helm (scripts/helm-lib.mjs) without installing one, e.g.
//   npm run helm -- lint --strict helm/heddle
//   npm run helm -- template heddle helm/heddle -f helm/heddle/ci/production-values.yaml
// Talks to a cluster only if you point KUBECONFIG at one.
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureHelm } from './helm-lib.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const binary = await ensureHelm(root);
const child = spawn(binary, process.argv.slice(2), { stdio: 'inherit' });
child.on('close', (code, signal) => {
  process.exitCode = code ?? (signal ? 1 : 0);
});
