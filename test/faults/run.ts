// npm run test:faults [-- --size ci|full] [--only 1,3,7]
//
// The fault suite (docs/testing.md): its own Heddle installation (database heddle_faults, a
// redis-server on a free port, the API and the worker as child processes, the fake OpenCode host
// and webhook receivers in this process), eight scenarios that each break something on purpose,
// and one table with a row per scenario. Exits 1 when any row finds a loss, a duplicate, a 5xx or
// another failed expectation (listed under the table), 2 when the suite could not run.
//
// Env: FAULTS_SIZE (ci), FAULTS_ONLY, FAULTS_DATABASE_URL (postgresql://postgres@127.0.0.1:5432/heddle_faults;
// dropped every run, so its name must end in "_faults"), FAULTS_LOG_LEVEL of the Heddle processes (warn),
// FAULTS_LOG_DIR (.tmp/faults: one log per process).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@heddle/testing';
import { Cluster, DEFAULT_DATABASE_URL } from './cluster';
import { checkEventSeqs } from './invariants';
import { Row, passed, renderProblems, renderTable } from './report';
import { Findings, SIZES, Scenario, Size } from './scenario';
import { killWorker } from './s1-kill-worker';
import { realOpencode } from './s2-real-opencode';
import { redisRestart } from './s3-redis-restart';
import { receiverOutage } from './s4-receiver-outage';
import { killApi } from './s5-kill-api';
import { sigtermWorker } from './s6-sigterm-worker';
import { badRequests } from './s7-bad-requests';
import { crossTenant } from './s8-cross-tenant';

const SCENARIOS: Scenario[] = [
  killWorker,
  realOpencode,
  redisRestart,
  receiverOutage,
  killApi,
  sigtermWorker,
  badRequests,
  crossTenant,
];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0) return process.argv[i + 1];
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

function log(message: string): void {
  process.stderr.write(`[faults ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function main(): Promise<number> {
  const size = (arg('size') ?? process.env.FAULTS_SIZE ?? 'ci') as Size;
  if (!(size in SIZES)) throw new Error(`--size must be ci or full (got ${size})`);
  const only = (arg('only') ?? process.env.FAULTS_ONLY ?? '').split(',').filter(Boolean).map(Number);
  const selected = SCENARIOS.filter((s) => only.length === 0 || only.includes(s.id));
  const sizes = SIZES[size];
  const started = Date.now();
  const cluster = await Cluster.start(
    {
      databaseUrl: process.env.FAULTS_DATABASE_URL ?? DEFAULT_DATABASE_URL,
      logDir: process.env.FAULTS_LOG_DIR ?? join(REPO_ROOT, '.tmp', 'faults'),
      logLevel: process.env.FAULTS_LOG_LEVEL ?? 'warn',
    },
    log,
  );
  const stop = () => {
    log('interrupted: stopping the cluster');
    void cluster.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  const rows: Row[] = [];
  try {
    for (const scenario of selected) {
      log(`— ${scenario.id}. ${scenario.title}`);
      const t0 = Date.now();
      try {
        await cluster.ensureUp();
        const result = await scenario.run({
          cluster,
          size,
          sizes,
          log: (m) => log(`  ${scenario.id}: ${m}`),
        });
        rows.push({ id: scenario.id, title: scenario.title, ms: Date.now() - t0, ...result });
      } catch (err) {
        const e = err as Error;
        log(`  ${scenario.id}: crashed: ${e.stack ?? e.message}`);
        rows.push({
          id: scenario.id,
          title: scenario.title,
          ms: Date.now() - t0,
          counts: {},
          lost: 0,
          dup: 0,
          http5xx: 0,
          problems: [],
          crashed: e.message.slice(0, 2000),
        });
      }
      const row = rows.at(-1)!;
      log(`  ${scenario.id}: ${passed(row) ? 'pass' : 'FAIL'} in ${(row.ms / 1000).toFixed(1)} s`);
    }
    // Whatever the scenarios did, every team's log is still gap-free.
    const global = new Findings();
    await checkEventSeqs(cluster, 'all', global);
    process.stdout.write(`\n${renderTable(size, sizes, rows, Date.now() - started)}\n`);
    const problems = renderProblems(rows);
    if (problems) process.stdout.write(`\nFailures:${problems}\n`);
    if (global.problems.length > 0) process.stdout.write(`\nEvent log of all teams: ${global.problems.join('\n')}\n`);
    for (const note of Cluster.notes) process.stdout.write(`\nNote: ${note}\n`);
    const reportFile = join(cluster.options.logDir, 'report.json');
    writeFileSync(
      reportFile,
      JSON.stringify({ size, sizes, totalMs: Date.now() - started, rows, global: global.problems }, null, 2),
    );
    process.stdout.write(`\nDetails: ${reportFile} (process logs beside it)\n`);
    const ok = rows.every(passed) && global.problems.length === 0;
    return ok ? 0 : 1;
  } finally {
    await cluster.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`the suite could not run: ${(err as Error).stack ?? String(err)}`);
    process.exit(2);
  },
);
