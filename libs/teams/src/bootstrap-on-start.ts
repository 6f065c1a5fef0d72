import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '@heddle/config';
import { TeamsService } from './teams.service';

export const FIRST_TEAM_NAME = 'default';

/** With HEDDLE_BOOTSTRAP_TOKEN set and no team yet, the first start creates the first team. */
@Injectable()
export class BootstrapOnStart implements OnApplicationBootstrap {
  private readonly logger = new Logger('Bootstrap');

  constructor(
    private readonly config: AppConfig,
    private readonly teams: TeamsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.bootstrapToken) return;
    const created = await this.teams.bootstrapFirstTeam(FIRST_TEAM_NAME, this.config.bootstrapToken);
    if (created) {
      this.logger.log(
        `created the first team "${created.name}" (${created.id}); its owner token is HEDDLE_BOOTSTRAP_TOKEN`,
      );
    }
  }
}
