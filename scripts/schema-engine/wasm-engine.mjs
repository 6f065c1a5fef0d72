// Loads Prisma's schema engine compiled to WebAssembly (@prisma/schema-engine-wasm) and connects it
// to Postgres through a driver adapter (@prisma/adapter-pg).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import * as bindings from '@prisma/schema-engine-wasm/schema_engine_bg';
import { createAdapterFactory } from './postgres.mjs';

const require = createRequire(import.meta.url);

// The package's own entry does `import * as wasm from "./schema_engine_bg.wasm"`, which Node 20 only
// loads behind --experimental-wasm-modules; instantiating the module by hand avoids the flag.
let instantiated = false;
function instantiate() {
  if (instantiated) return;
  const wasmPath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg').replace(/\.js$/, '.wasm');
  const module = new WebAssembly.Module(readFileSync(wasmPath));
  const instance = new WebAssembly.Instance(module, { './schema_engine_bg.js': bindings });
  bindings.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start();
  instantiated = true;
}

/** The panic hook inside the wasm engine reports the Rust panic message here. */
export const panics = { message: undefined };
globalThis.PRISMA_WASM_PANIC_REGISTRY = {
  set_message(message) {
    panics.message = message;
  },
};

/**
 * The git hash of the engine build, which is what `schema-engine --version` reports. The package
 * version ends with it (8.1.0-2.<hash>); reading it avoids compiling the wasm for one-shot commands.
 */
export function engineVersion() {
  const bgPath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
  return JSON.parse(readFileSync(join(dirname(bgPath), 'package.json'), 'utf8'))
    .version.split('.')
    .pop();
}

/**
 * Starts a wasm engine on the given datasource ({ url, shadowDatabaseUrl }). `log` receives the
 * engine's tracing events as JSON strings, the same format the native engine writes to stderr.
 * Resolves to { engine, dispose }.
 */
export async function startEngine({ datasource, datamodels, log }) {
  instantiate();
  const factory = createAdapterFactory(datasource);
  let engine;
  try {
    engine = await bindings.SchemaEngine.new({ datamodels }, log, bindMigrationAwareSqlAdapterFactory(factory));
  } catch (err) {
    await factory.disposeAll();
    throw err;
  }
  return {
    engine,
    async dispose() {
      engine.free();
      await factory.disposeAll();
    },
  };
}
