// The baseline for `npm run bench` (bench/run.ts starts it as its own child process): a bare Fastify
// server with one route doing the single-row select a Heddle request would do if it had no cache,
// through a plain `pg` Pool with pg's default size (10, the same as Prisma's adapter-pg pool).
// No Nest, no auth, no helmet, no logging, no metrics — only HTTP + JSON + one Postgres round trip.
//
// Env: PORT, HOST (default 127.0.0.1), DATABASE_URL, BENCH_TEAM_ID (the row to select).
import Fastify from 'fastify';
import { Pool } from 'pg';

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(`bare-fastify: ${name} is required\n`);
    process.exit(78);
  }
  return value;
}

async function main(): Promise<void> {
  const port = Number(required('PORT'));
  const host = process.env.HOST ?? '127.0.0.1';
  const teamId = required('BENCH_TEAM_ID');
  const pool = new Pool({ connectionString: required('DATABASE_URL') });
  pool.on('error', (err) => process.stderr.write(`bare-fastify: idle pg client error: ${err.message}\n`));

  const app = Fastify({ logger: false });

  app.get('/readyz', async () => {
    await pool.query('SELECT 1');
    return { status: 'ok' };
  });

  app.get('/bare/team', async (_request, reply) => {
    const { rows } = await pool.query<{ id: string; name: string }>('SELECT id, name FROM teams WHERE id = $1', [
      teamId,
    ]);
    if (rows.length === 0) return reply.code(404).send({ error: 'team not found' });
    return rows[0];
  });

  let closing = false;
  const shutdown = (): void => {
    if (closing) return;
    closing = true;
    app
      .close()
      .then(() => pool.end())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          process.stderr.write(`bare-fastify: shutdown failed: ${String(err)}\n`);
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);

  await app.listen({ port, host });
}

main().catch((err: unknown) => {
  process.stderr.write(`bare-fastify: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
