import { Injectable, Optional } from '@nestjs/common';
import { AppConfig } from '@heddle/config';

/**
 * Which teams this process's background work covers — the harness sweep and host event streams,
 * host health sweeps, the outbox relay and delivery sweep: every team (null) unless `WORKER_TEAMS`
 * names some (workers dedicated to some teams' hosts). Tests run several apps against one database,
 * each with its own encryption key and queue prefix, and narrow it to the teams each app created
 * (worker processes of a test: WORKER_TEAMS), so one test file's workers never step another's
 * tasks, probe its hosts or relay its events.
 */
@Injectable()
export class WorkScope {
  constructor(@Optional() private readonly config?: AppConfig) {}

  teamIds(): readonly string[] | null {
    return this.config?.workerTeams ?? null;
  }
}
