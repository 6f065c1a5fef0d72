import { Injectable } from '@nestjs/common';
import { ConflictError } from '@heddle/common';
import { InjectTransactionHost, Prisma, Team, TxHost, isUniqueViolation } from '@heddle/db';

@Injectable()
export class TeamsRepository {
  constructor(@InjectTransactionHost() private readonly txHost: TxHost) {}

  create(name: string, settings: Prisma.InputJsonObject): Promise<Team> {
    return this.txHost.tx.team.create({ data: { name, settings } }).catch(nameTaken(name));
  }

  /** A team reads only itself: the id comes from the caller's token. */
  findById(teamId: string): Promise<Team | null> {
    return this.txHost.tx.team.findUnique({ where: { id: teamId } });
  }

  update(teamId: string, data: { name?: string; settings?: Prisma.InputJsonObject }): Promise<Team> {
    return this.txHost.tx.team.update({ where: { id: teamId }, data }).catch(nameTaken(data.name));
  }

  async any(): Promise<boolean> {
    return (await this.txHost.tx.team.findFirst({ select: { id: true } })) !== null;
  }

  /** Serialises first-team creation across replicas and `npm run setup` for this transaction. */
  async lockBootstrap(): Promise<void> {
    await this.txHost.tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('heddle:bootstrap-first-team'))`;
  }
}

/** Team names are unique across the install: say which name is taken rather than a generic 409. */
function nameTaken(name: string | undefined) {
  return (err: unknown): never => {
    if (isUniqueViolation(err)) {
      throw new ConflictError('team/name_taken', `a team named "${name}" already exists`, { fields: ['name'] });
    }
    throw err;
  };
}
