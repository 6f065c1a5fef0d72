#!/usr/bin/env node
// A stand-in for Prisma's native `schema-engine` binary, for machines that cannot download it
// (this one, air-gapped installs). Point PRISMA_SCHEMA_ENGINE_BINARY at this file and every
// `prisma migrate …` / `db …` command works unchanged: the work is done by the same engine
// compiled to WebAssembly (@prisma/schema-engine-wasm), talking to Postgres through
// @prisma/adapter-pg. Only Postgres is supported. See docs/migrations.md.
//
// The CLI runs the binary in three ways, all mirrored here:
//   schema-engine --version
//   schema-engine --datasource '<json>' cli can-connect-to-database|create-database|drop-database
//   schema-engine [--datamodels FILE]… [--datasource '<json>']   (JSON-RPC server on stdin/stdout)
// and reads JSON log lines ({ level, fields: { message, error_code }, target }) on stderr.
import { canConnect, createDatabase, dropDatabase, userFacingError } from './postgres.mjs';
import { serve } from './rpc-server.mjs';
import { engineVersion } from './wasm-engine.mjs';

const logLine = (level, fields, target = 'schema_engine::logger') =>
  process.stderr.write(`${JSON.stringify({ timestamp: new Date().toISOString(), level, fields, target })}\n`);

function parseArgs(argv) {
  const opts = { datamodelPaths: [], datasource: undefined, command: undefined, version: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s) : [arg, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '-V':
      case '--version':
        opts.version = true;
        break;
      case '-h':
      case '--help':
        opts.help = true;
        break;
      case '-d':
      case '--datamodels':
        opts.datamodelPaths.push(value());
        break;
      case '--datasource':
        opts.datasource = JSON.parse(value());
        break;
      case '--enabled-preview-features':
      case '--extension-types':
        value(); // Postgres extension types and preview features are not needed by this project
        break;
      case 'cli':
        opts.command = argv[++i];
        break;
      default:
        throw new Error(`unexpected argument: ${arg}`);
    }
  }
  return opts;
}

// `cli <command>`: one-shot commands. The CLI parses stderr line by line as JSON and skips the first
// line (the native engine's "Starting schema engine CLI"), so that line must always be written.
async function runCliCommand(command, datasource) {
  logLine(
    'INFO',
    { message: 'Starting schema engine CLI (wasm stand-in)', git_hash: engineVersion() },
    'schema_engine',
  );
  const url = datasource?.url;
  const commands = {
    'can-connect-to-database': async () => (await canConnect(url), 'Connection successful'),
    'create-database': async () => `Database '${await createDatabase(url)}' was successfully created.`,
    'drop-database': async () => (await dropDatabase(url), 'The database was successfully dropped.'),
  };
  if (!commands[command]) {
    logLine('ERROR', { is_panic: false, error_code: '', message: `Unknown cli command: ${command}` });
    return 1;
  }
  if (!url) {
    logLine('ERROR', { is_panic: false, error_code: '', message: 'The datasource URL is missing (--datasource).' });
    return 1;
  }
  try {
    logLine('INFO', { message: await commands[command]() }, 'schema_engine::commands');
    return 0;
  } catch (err) {
    logLine('ERROR', { is_panic: false, ...userFacingError(err, url) });
    return 1;
  }
}

try {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.version) {
    process.stdout.write(`schema-engine-cli ${engineVersion()}\n`);
  } else if (opts.help) {
    process.stdout.write(
      'schema-engine (wasm stand-in)\n\nUSAGE:\n  schema-engine [--datamodels FILE]... [--datasource JSON] [cli <can-connect-to-database|create-database|drop-database>]\n\nWithout `cli`, serves JSON-RPC 2.0 on stdin/stdout.\n',
    );
  } else if (opts.command) {
    process.exitCode = await runCliCommand(opts.command, opts.datasource);
  } else {
    if (!opts.datasource?.url) throw new Error('The datasource URL is missing (--datasource).');
    serve({ datasource: opts.datasource, datamodelPaths: opts.datamodelPaths });
  }
} catch (err) {
  logLine('ERROR', { is_panic: false, error_code: '', message: String(err?.message ?? err) });
  process.exitCode = 1;
}
