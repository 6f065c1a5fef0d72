// Postgres plumbing for the schema-engine stand-in: the driver-adapter factory the wasm engine
// talks through, plus the few server-level commands (create/drop database, can-connect) that the
// wasm engine does not implement but the Prisma CLI asks for.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { DriverAdapterError, isDriverAdapterError } from '@prisma/driver-adapter-utils';

/** Parses a postgres:// URL; `schema` is a Prisma-only parameter, so it is split off for the adapter. */
export function parseUrl(url) {
  const u = new URL(url);
  const schema = u.searchParams.get('schema') ?? undefined;
  u.searchParams.delete('schema');
  return {
    url: u.toString(),
    schema,
    database: decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres',
    location: u.searchParams.get('host') ? `unix:${u.searchParams.get('host')}` : `${u.hostname}:${u.port || 5432}`,
    user: decodeURIComponent(u.username),
  };
}

/** The same server and credentials, another database. */
export function withDatabase(url, database) {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

const quoteIdent = (name) => `"${name.replaceAll('"', '""')}"`;

// Trap 1: the engine's catalog queries return Postgres "char" columns (oid 18, e.g. pg_class.relkind).
// adapter-pg 7.10.1 has no column type for them and throws, so we report them as text (oid 25).
// pg already parsed the values as strings; only the type the adapter sees changes.
const CHAR_OID = 18;
const TEXT_OID = 25;
function charAsText(result) {
  for (const field of result?.fields ?? []) if (field.dataTypeID === CHAR_OID) field.dataTypeID = TEXT_OID;
  return result;
}
class CharAsTextClient extends pg.Client {
  query(config, values, callback) {
    if (typeof values === 'function') [values, callback] = [undefined, values];
    if (typeof callback === 'function') {
      return super.query(config, values, (err, res) => callback(err, err ? res : charAsText(res)));
    }
    const ret = super.query(config, values);
    return typeof ret?.then === 'function' ? ret.then(charAsText) : ret;
  }
}

function adapterFactoryFor(url) {
  const { url: connectionString, schema } = parseUrl(url);
  return new PrismaPg({ connectionString, Client: CharAsTextClient }, schema ? { schema } : undefined);
}

/** Runs one statement on a short-lived connection (database-level DDL cannot run in a transaction). */
async function runOn(url, sql) {
  const client = new pg.Client({ connectionString: parseUrl(url).url });
  try {
    await client.connect();
    return await client.query(sql);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * CREATE/DROP DATABASE must run while connected to some other database. Use the target URL's own
 * database when it exists, else the `postgres` maintenance database on the same server.
 */
async function runOnServer(url, sql) {
  try {
    return await runOn(url, sql);
  } catch (err) {
    if (err?.code !== '3D000') throw err;
    return runOn(withDatabase(url, 'postgres'), sql);
  }
}

export async function createDatabase(url) {
  const { database } = parseUrl(url);
  await runOn(withDatabase(url, 'postgres'), `CREATE DATABASE ${quoteIdent(database)}`);
  return database;
}

export async function dropDatabase(url) {
  const { database } = parseUrl(url);
  await runOn(withDatabase(url, 'postgres'), `DROP DATABASE IF EXISTS ${quoteIdent(database)}`);
}

export async function canConnect(url) {
  await runOn(url, 'SELECT 1');
}

/**
 * The driver-adapter factory handed to the wasm engine (before bindMigrationAwareSqlAdapterFactory).
 *
 * Trap 2: adapter-pg's own connectToShadowDb() spreads `{ database }` next to a `connectionString`,
 * and pg lets the connection string win, so the "shadow" work would land on the main database.
 * Here the shadow database gets a URL of its own: the configured shadowDatabaseUrl, else a
 * temporary database created now and dropped when the engine disposes of it (or at exit).
 */
export function createAdapterFactory({ url, shadowDatabaseUrl }) {
  const main = adapterFactoryFor(url);
  const open = new Set(); // adapters not yet disposed, so that exit can clean up
  const track = (adapter, afterDispose) => {
    const dispose = adapter.dispose.bind(adapter);
    let disposed;
    adapter.dispose = () => {
      disposed ??= (async () => {
        open.delete(adapter);
        await dispose();
        await afterDispose?.();
      })();
      return disposed;
    };
    open.add(adapter);
    return adapter;
  };

  const connectShadow = async () => {
    if (shadowDatabaseUrl) {
      // Like the native engine: refuse the main database, and empty the configured shadow database
      // before and after use (the wasm engine assumes it starts empty, and leaves it full).
      const shadow = parseUrl(shadowDatabaseUrl);
      const primary = parseUrl(url);
      if (shadow.location === primary.location && shadow.database === primary.database) {
        throw new Error('The shadow database you configured appears to be the same as the main database.');
      }
      const schema = quoteIdent(shadow.schema ?? 'public');
      const reset = () => runOn(shadowDatabaseUrl, `DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
      await reset();
      return track(await adapterFactoryFor(shadowDatabaseUrl).connect(), reset);
    }
    const name = `prisma_migrate_shadow_db_${randomUUID()}`;
    await runOnServer(url, `CREATE DATABASE ${quoteIdent(name)}`);
    const shadowUrl = withDatabase(url, name);
    return track(await adapterFactoryFor(shadowUrl).connect(), () =>
      runOnServer(url, `DROP DATABASE IF EXISTS ${quoteIdent(name)}`),
    );
  };

  return {
    provider: main.provider,
    adapterName: main.adapterName,
    connect: async () => track(await main.connect()),
    async connectToShadowDb() {
      try {
        return await connectShadow();
      } catch (err) {
        // The engine reports plain JS errors as "External error id#0"; a DriverAdapterError keeps the text.
        if (isDriverAdapterError(err)) throw err;
        const { code = 'N/A', severity = 'ERROR', message = String(err) } = err ?? {};
        throw new DriverAdapterError({ kind: 'postgres', code, severity, message });
      }
    },
    /** Closes every pool and drops temporary shadow databases the engine left behind. */
    async disposeAll() {
      await Promise.allSettled([...open].map((adapter) => adapter.dispose()));
    },
  };
}

/**
 * The error codes and wording of Prisma's user-facing errors (P1xxx) for the failures the CLI
 * branches on; `migrate dev`/`deploy` create the database only when they see P1003.
 */
export function userFacingError(err, url) {
  const { database, location, user } = parseUrl(url);
  const networkCodes = ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ENOENT', 'EAI_AGAIN'];
  if (networkCodes.includes(err?.code) || err?.errors?.some?.((e) => networkCodes.includes(e.code))) {
    return {
      error_code: 'P1001',
      message: `Can't reach database server at \`${location}\`\n\nPlease make sure your database server is running at \`${location}\`.`,
    };
  }
  switch (err?.code) {
    case '3D000':
      return {
        error_code: 'P1003',
        message: `Database \`${database}\` does not exist on the database server at \`${location}\`.`,
      };
    case '28P01':
    case '28000':
      return {
        error_code: 'P1000',
        message: `Authentication failed against database server at \`${location}\`, the provided database credentials for \`${user}\` are not valid.\n\nPlease make sure to provide valid database credentials for the database server at \`${location}\`.`,
      };
    case '42P04':
      return {
        error_code: 'P1009',
        message: `Database \`${database}\` already exists on the database server at \`${location}\``,
      };
    default:
      return {
        error_code: typeof err?.code === 'string' && /^P\d{4}$/.test(err.code) ? err.code : '',
        message: String(err?.message ?? err),
      };
  }
}
