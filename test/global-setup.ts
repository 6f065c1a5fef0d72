// Jest globalSetup for the int and e2e projects: make sure the test database exists and carries every
// committed migration before any worker connects. Runs on every `npm test`, so when
// _prisma_migrations is already current it returns without starting the Prisma CLI.
import path from 'node:path';
import { migrate } from '../scripts/db-migrate-lib.mjs';
import { TEST_DATABASE_URL } from './env';

export default async function globalSetup(): Promise<void> {
  await migrate({
    databaseUrl: TEST_DATABASE_URL,
    root: path.resolve(__dirname, '..'),
    onlyIfPending: true,
    quiet: true, // Prisma's output is shown only if applying fails
    log: () => {},
  });
}
