import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { WorkScope } from '@heddle/queue';
import { SinkSecrets } from './sink-secrets';
import { SinksRepository } from './sinks.repository';

/** Rows sealed per transaction. */
const BATCH = 100;

/**
 * Sink URLs used to be stored in clear (`sinks.url`). At every start, before the process serves
 * or consumes anything, those still in clear are sealed into `urlEnc` and `url` is set to NULL;
 * from then on only sealed values are read. Safe with several replicas starting at once (rows are
 * taken with `FOR UPDATE SKIP LOCKED`, and sealing a row twice cannot happen: the update requires
 * `url IS NOT NULL`), and a no-op once nothing is left. Every team's sinks in a deployment; in
 * tests, as other background work, only the teams of the app's `WorkScope`.
 */
@Injectable()
export class SinkUrlSealer implements OnModuleInit {
  private readonly logger = new Logger('Sinks');

  constructor(
    private readonly repository: SinksRepository,
    private readonly secrets: SinkSecrets,
    private readonly scope: WorkScope,
  ) {}

  async onModuleInit(): Promise<void> {
    const sealed = await this.sealPlainUrls();
    if (sealed > 0) this.logger.log(`sealed the URLs of ${sealed} sink(s) stored in clear by an earlier version`);
  }

  /** Seals every plain URL this process can lock; resolves to how many it sealed. */
  async sealPlainUrls(): Promise<number> {
    let sealed = 0;
    for (;;) {
      const { locked, done } = await this.repository.transaction(async () => {
        const rows = await this.repository.lockPlainUrls(this.scope.teamIds(), BATCH);
        let count = 0;
        for (const row of rows) {
          if (await this.repository.sealPlainUrl(row.teamId, row.id, this.secrets.seal(row.teamId, row.url))) count++;
        }
        return { locked: rows.length, done: count };
      });
      sealed += done;
      if (locked < BATCH) return sealed;
    }
  }
}
