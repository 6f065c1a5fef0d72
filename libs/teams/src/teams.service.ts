import { Injectable } from '@nestjs/common';
import { AuditService } from '@heddle/audit';
import { ApiTokensService } from '@heddle/auth';
import { Actor, AuthContext, BadRequestError, NotFoundError, TEAM_SCOPES, SCOPES, Scope } from '@heddle/common';
import { Prisma, Team, Transactional } from '@heddle/db';
import { EventsWriter } from '@heddle/events';
import { TeamsRepository } from './teams.repository';
import type { TeamResponseDto, TeamSettingsDto, UpdateTeamDto } from './dto/team.dto';

export interface CreatedTeam {
  id: string;
  name: string;
  token: string;
}

@Injectable()
export class TeamsService {
  constructor(
    private readonly repository: TeamsRepository,
    private readonly tokens: ApiTokensService,
    private readonly audit: AuditService,
    private readonly events: EventsWriter,
  ) {}

  /** A new team with an owner token holding every team scope (not the operator's). */
  @Transactional()
  async create(actor: Actor, name: string): Promise<CreatedTeam> {
    return this.createWithOwner(actor, name, TEAM_SCOPES);
  }

  /**
   * Creates the first team, with an owner token holding every scope including `platform:admin`,
   * if and only if no team exists yet. Safe to race: replicas and `npm run setup` serialise on an
   * advisory lock. Returns undefined when a team already exists. `settings` start the team's
   * settings (`npm run setup` turns `allowCommandChecks` on; a start with HEDDLE_BOOTSTRAP_TOKEN does not).
   */
  @Transactional()
  async bootstrapFirstTeam(
    name: string,
    tokenValue?: string,
    settings: TeamSettingsDto = {},
  ): Promise<CreatedTeam | undefined> {
    await this.repository.lockBootstrap();
    if (await this.repository.any()) return undefined;
    return this.createWithOwner({ system: 'bootstrap' }, name, SCOPES, tokenValue, settings);
  }

  async get(teamId: string): Promise<TeamResponseDto> {
    const team = await this.repository.findById(teamId);
    if (!team) throw new NotFoundError('team', teamId);
    return toTeamResponse(team);
  }

  @Transactional()
  async update(auth: AuthContext, dto: UpdateTeamDto): Promise<TeamResponseDto> {
    const current = await this.repository.findById(auth.teamId);
    if (!current) throw new NotFoundError('team', auth.teamId);
    if (dto.name === undefined && dto.settings === undefined) return toTeamResponse(current);
    const settings = dto.settings ? mergeSettings(current.settings, dto.settings) : undefined;
    if (settings && settings.autoAnswerQuestions === 'fixed' && typeof settings.autoAnswerText !== 'string') {
      throw new BadRequestError('request/validation_failed', 'autoAnswerQuestions "fixed" needs an autoAnswerText', [
        { field: 'settings.autoAnswerText', errors: ['is required while autoAnswerQuestions is "fixed"'] },
      ]);
    }
    const team = await this.repository.update(auth.teamId, { name: dto.name, settings });
    const changes = {
      ...(dto.name !== undefined ? { name: dto.name } : {}),
      ...(dto.settings ? { settings: toJson(dto.settings) } : {}),
    };
    await this.audit.record({
      teamId: team.id,
      actor: auth,
      action: 'team.update',
      targetType: 'team',
      targetId: team.id,
      details: changes,
    });
    await this.events.append(team.id, { type: 'TEAM_UPDATED', data: { name: team.name, changes } });
    if (dto.name !== undefined) this.tokens.forgetTeam(team.id);
    return toTeamResponse(team);
  }

  private async createWithOwner(
    actor: Actor,
    name: string,
    scopes: readonly Scope[],
    tokenValue?: string,
    settings: TeamSettingsDto = {},
  ): Promise<CreatedTeam> {
    const team = await this.repository.create(name, toJson(settings));
    const issued = await this.tokens.issue(team.id, { name: 'owner', scopes, value: tokenValue }, actor);
    await this.audit.record({
      teamId: team.id,
      actor,
      action: 'team.create',
      targetType: 'team',
      targetId: team.id,
      details: { name, ...(Object.keys(settings).length ? { settings: toJson(settings) } : {}) },
    });
    await this.events.append(team.id, { type: 'TEAM_CREATED', data: { name } });
    return { id: team.id, name: team.name, token: issued.token };
  }
}

function toJson(value: object): Prisma.InputJsonObject {
  return JSON.parse(JSON.stringify(value)) as Prisma.InputJsonObject;
}

/** Settings merge key by key, one level deep, so PATCH can change one budget without the others. */
function mergeSettings(current: Prisma.JsonValue, patch: TeamSettingsDto): Prisma.InputJsonObject {
  const base = (current && typeof current === 'object' && !Array.isArray(current) ? current : {}) as Record<
    string,
    unknown
  >;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(toJson(patch))) {
    const prev = merged[key];
    merged[key] =
      value && typeof value === 'object' && !Array.isArray(value) && prev && typeof prev === 'object'
        ? { ...(prev as object), ...value }
        : value;
  }
  return merged as Prisma.InputJsonObject;
}

function toTeamResponse(team: Team): TeamResponseDto {
  return {
    id: team.id,
    name: team.name,
    settings: (team.settings ?? {}) as TeamSettingsDto,
    createdAt: team.createdAt.toISOString(),
    updatedAt: team.updatedAt.toISOString(),
  };
}
