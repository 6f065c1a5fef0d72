// The JSON-RPC 2.0 server half of the schema engine: the Prisma CLI writes one request per line on
// stdin, reads one response per line on stdout, and reads JSON log lines on stderr. Requests are
// served one at a time because the wasm engine is a single mutable object.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createDatabase, userFacingError } from './postgres.mjs';
import { panics, startEngine } from './wasm-engine.mjs';

// The message the wasm engine fails with when evaluateDataLoss/createMigration miss its cache of
// "schema after the migrations" (trap 3): unlike devDiagnostic it has no shadow-database factory.
const CACHE_MISS = /shadow DB must be provided through an external factory/i;

export function serve({ datasource, datamodelPaths }) {
  const writeLine = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
  const log = (line) => process.stderr.write(`${String(line).replace(/\n$/, '')}\n`);

  let started; // the engine starts on first use, so that a connection error becomes a JSON-RPC error
  const engine = async () => {
    started ??= startEngine({
      datasource,
      datamodels: datamodelPaths.length ? datamodelPaths.map((p) => [p, readFileSync(p, 'utf8')]) : undefined,
      log,
    });
    try {
      return (await started).engine;
    } catch (err) {
      started = undefined;
      throw err;
    }
  };

  // Requests the engine sends to the CLI (only `print`), answered by the CLI on stdin.
  const pendingPrints = new Map();
  let printId = 0;
  const print = (content) =>
    new Promise((resolve) => {
      const id = `print-${++printId}`;
      pendingPrints.set(id, resolve);
      writeLine({ jsonrpc: '2.0', id, method: 'print', params: { content: content.replace(/\n$/, '') } });
    });

  const retryAfterDevDiagnostic = async (method, params) => {
    const e = await engine();
    try {
      return await e[method](params);
    } catch (err) {
      if (!CACHE_MISS.test(err?.message ?? '')) throw err;
      log(
        JSON.stringify({
          level: 'INFO',
          fields: { message: `${method}: cache miss, running devDiagnostic and retrying` },
          target: 'schema_engine_stand_in',
        }),
      );
      await e.devDiagnostic({ migrationsList: params.migrationsList, filters: params.filters });
      return e[method](params);
    }
  };

  const methods = {
    applyMigrations: async (p) => (await engine()).applyMigrations(p),
    // The wasm engine only works inside an existing database, so it has no createDatabase: use pg.
    createDatabase: async (p) => ({
      databaseName: await createDatabase(p?.datasource?.tag === 'ConnectionString' ? p.datasource.url : datasource.url),
    }),
    createMigration: (p) => retryAfterDevDiagnostic('createMigration', p),
    dbExecute: async (p) => (await (await engine()).dbExecute(p)) ?? {},
    debugPanic: async () => (await engine()).debugPanic(),
    devDiagnostic: async (p) => (await engine()).devDiagnostic(p),
    diagnoseMigrationHistory: async (p) => (await engine()).diagnoseMigrationHistory(p),
    // Trap 4: the wasm engine returns the diff as `stdout`; the native engine prints it through a
    // `print` request to the CLI instead, which is the only path the CLI writes to its stdout.
    diff: async (p) => {
      const result = await (await engine()).diff(p);
      if (result.stdout) await print(result.stdout);
      return { ...result, stdout: null };
    },
    ensureConnectionValidity: async (p) => (await engine()).ensureConnectionValidity(p),
    evaluateDataLoss: (p) => retryAfterDevDiagnostic('evaluateDataLoss', p),
    getDatabaseVersion: async (p) => (await engine()).version(p),
    introspect: async (p) => (await engine()).introspect(p),
    introspectSql: async (p) => (await engine()).introspectSql(p),
    markMigrationApplied: async (p) => (await engine()).markMigrationApplied(p),
    markMigrationRolledBack: async (p) => (await engine()).markMigrationRolledBack(p),
    reset: async (p) => (await (await engine()).reset(p)) ?? {},
    schemaPush: async (p) => (await engine()).schemaPush(p),
  };

  const errorResponse = (id, err) => {
    // A Rust panic surfaces as `RuntimeError: unreachable`; the hook recorded the real message.
    if (err instanceof WebAssembly.RuntimeError) {
      const message = panics.message ?? String(err);
      log(JSON.stringify({ level: 'ERROR', fields: { is_panic: true, message }, target: 'schema_engine::logger' }));
      return { jsonrpc: '2.0', id, error: { code: 4466, message, data: { is_panic: true, message, backtrace: '' } } };
    }
    const { error_code, message } = userFacingError(err, datasource.url);
    return {
      jsonrpc: '2.0',
      id,
      error: {
        code: 4466,
        message: 'An error happened. Check the data field for details.',
        data: { is_panic: false, message, meta: null, error_code: error_code || undefined },
      },
    };
  };

  let queue = Promise.resolve();
  const handle = async (request) => {
    const { id, method, params } = request;
    const fn = Object.hasOwn(methods, method) ? methods[method] : undefined;
    if (!fn) {
      writeLine({ jsonrpc: '2.0', id, error: { code: -32601, message: `Method not found: ${method}` } });
      return;
    }
    try {
      const result = await fn(params);
      writeLine({ jsonrpc: '2.0', id, result: result ?? null });
    } catch (err) {
      writeLine(errorResponse(id, err));
      if (err instanceof WebAssembly.RuntimeError) await shutdown(101); // the engine is unusable now
    }
  };

  let shuttingDown;
  const shutdown = (code = 0) =>
    (shuttingDown ??= (async () => {
      const e = await started?.catch(() => undefined);
      await e?.dispose().catch(() => {});
      process.exit(code);
    })());

  createInterface({ input: process.stdin, crlfDelay: Infinity })
    .on('line', (line) => {
      if (!line.trim()) return;
      let message;
      try {
        message = JSON.parse(line);
      } catch {
        writeLine({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
        return;
      }
      if (message.method === undefined && pendingPrints.has(message.id)) {
        pendingPrints.get(message.id)();
        pendingPrints.delete(message.id);
        return;
      }
      queue = queue.then(() => handle(message));
    })
    // The CLI ends stdin and, on Unix, sends SIGTERM right away: finish the work in hand, then close
    // the pools and drop any temporary shadow database before exiting.
    .on('close', () => queue.then(() => shutdown(0)));
  process.on('SIGTERM', () => queue.then(() => shutdown(0)));
  process.on('SIGINT', () => queue.then(() => shutdown(130)));
}
