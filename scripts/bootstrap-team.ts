import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClockModule } from '@heddle/common';
import { ConfigModule } from '@heddle/config';
import { DbModule } from '@heddle/db';
import { loadConfigOrExit } from '@heddle/platform';
import { FIRST_TEAM_NAME, TeamsModule, TeamsService } from '@heddle/teams';

/**
 * Creates the first team and prints its owner token, once. Run by `npm run setup`; on a re-run it
 * says the team exists and never prints an old secret (only its hash is stored).
 *
 *   node -r @swc-node/register scripts/bootstrap-team.ts [name] [--allow-command-checks]
 *
 * `--allow-command-checks` (passed by `npm run setup`) starts the team with the command-check policy
 * on: a single box's owner runs their own commands on their own host (docs/security.md).
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  @Module({ imports: [ConfigModule.forRoot(config), ClockModule, DbModule, TeamsModule] })
  class BootstrapModule {}
  const app = await NestFactory.createApplicationContext(BootstrapModule, { logger: ['error', 'warn'] });
  try {
    const args = process.argv.slice(2);
    const allowCommandChecks = args.includes('--allow-command-checks');
    const name = args.find((a) => !a.startsWith('--')) ?? FIRST_TEAM_NAME;
    const created = await app
      .get(TeamsService)
      .bootstrapFirstTeam(name, config.bootstrapToken, allowCommandChecks ? { allowCommandChecks: true } : {});
    if (!created) {
      console.log('A team already exists; nothing to bootstrap. (Its owner token was shown when it was created.)');
      console.log('Lost it? Create a new token with another admin token: POST /api/tokens.');
      return;
    }
    console.log(`Created team "${created.name}" (${created.id}).`);
    if (allowCommandChecks) {
      console.log(
        'Command checks are ON for this team (settings.allowCommandChecks): tasks may run shell commands on your hosts ' +
          'as their OS user. Turn them off with PATCH /api/team {"settings":{"allowCommandChecks":false}} (docs/security.md).',
      );
    }
    if (config.bootstrapToken) {
      console.log('Its owner token is the value of HEDDLE_BOOTSTRAP_TOKEN.');
    } else {
      console.log('\nOwner token (every scope, platform:admin included). It is shown only now: store it.\n');
      console.log(`  ${created.token}\n`);
    }
  } finally {
    await app.close();
  }
}

void main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
