import { Injectable } from '@nestjs/common';
import { InjectTransactionHost, TxHost } from '@heddle/db';

/** Plans keep no rows; they only read the team's policy. */
@Injectable()
export class PlansRepository {
  constructor(@InjectTransactionHost() private readonly txHost: TxHost) {}

  /** The team's command policy (`settings.allowCommandChecks`, off unless set true). */
  async teamAllowsCommands(teamId: string): Promise<boolean> {
    const team = await this.txHost.tx.team.findUnique({ where: { id: teamId }, select: { settings: true } });
    return (team?.settings as { allowCommandChecks?: unknown } | null)?.allowCommandChecks === true;
  }
}
