import { Injectable } from '@nestjs/common';

/**
 * Which teams this process's background work covers — the harness sweep and host event streams,
 * host health sweeps, the outbox relay and delivery sweep: every team (null) in every real
 * deployment. Tests run several apps against one database, each with its own encryption key and
 * queue prefix, and narrow it to the teams each app created, so one test file's workers never step
 * another's tasks, probe its hosts or relay its events.
 */
@Injectable()
export class WorkScope {
  teamIds(): readonly string[] | null {
    return null;
  }
}
