// Types for db-migrate-lib.mjs, imported from TypeScript by test/global-setup.ts.
import type { Client } from 'pg';

export declare const MIGRATE_LOCK_KEY: number;
export declare const START_POSTGRES_HINT: string;
export declare class DatabaseUnreachableError extends Error {
  constructor(url: string, cause: Error & { code?: string });
}
export declare function describeUrl(url: string): string;
export declare function databaseName(url: string): string;
export declare function withDatabase(url: string, database: string): string;
export declare function connect(url: string): Promise<Client>;
export declare function createDatabase(url: string): Promise<boolean>;
export declare function dropDatabase(url: string): Promise<void>;
export declare function ensureDatabase(url: string): Promise<boolean>;
export declare function localMigrations(migrationsDir: string): string[];
export declare function unappliedMigrations(client: Client, migrationsDir: string): Promise<string[]>;
export declare function migrate(options: {
  databaseUrl: string;
  root: string;
  log?: (message: string) => void;
  quiet?: boolean;
  onlyIfPending?: boolean;
}): Promise<void>;
