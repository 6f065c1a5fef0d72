import { Injectable } from '@nestjs/common';
import { AuditService } from '@heddle/audit';
import { AuthContext, BadRequestError, Clock, NotFoundError, decodeCursor, toPage } from '@heddle/common';
import { HookSource, Prisma, Transactional } from '@heddle/db';
import type {
  CreateHookSourceDto,
  HookDeliveryPageDto,
  HookSourcePageDto,
  HookSourceResponseDto,
  HookSourceWithSecretResponseDto,
  RotateHookSecretDto,
  UpdateHookSourceDto,
} from './dto/hook-source.dto';
import { HookKind } from './dto/hook-source.dto';
import { checkConfig, storedConfig } from './hook-config';
import { HookSecrets, newHookSecret } from './hook-secrets';
import { toHookDeliveryResponse, toHookSourceResponse } from './hook-view';
import { HooksRepository } from './hooks.repository';
import { TaskInput } from './task-input';

/** `/api/hook-sources`: a team's inbound webhook sources. */
@Injectable()
export class HookSourcesService {
  constructor(
    private readonly repository: HooksRepository,
    private readonly secrets: HookSecrets,
    private readonly taskInput: TaskInput,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async create(auth: AuthContext, dto: CreateHookSourceDto): Promise<HookSourceWithSecretResponseDto> {
    await this.check(dto.kind, dto.config);
    const secret = newHookSecret();
    const source = await this.insert(auth, dto, secret);
    return { ...toHookSourceResponse(source), secret };
  }

  async list(teamId: string, query: { limit?: number; cursor?: string }): Promise<HookSourcePageDto> {
    const limit = query.limit!;
    return toPage(
      await this.repository.list(teamId, limit, decodeCursor(query.cursor)?.id),
      limit,
      toHookSourceResponse,
    );
  }

  async get(teamId: string, id: string): Promise<HookSourceResponseDto> {
    return toHookSourceResponse(await this.mustFind(teamId, id));
  }

  async update(auth: AuthContext, id: string, dto: UpdateHookSourceDto): Promise<HookSourceResponseDto> {
    const current = await this.mustFind(auth.teamId, id);
    if (dto.config !== undefined) await this.check(current.kind as HookKind, dto.config);
    return toHookSourceResponse(await this.applyUpdate(auth, current, dto));
  }

  @Transactional()
  async delete(auth: AuthContext, id: string): Promise<void> {
    const source = await this.mustFind(auth.teamId, id);
    if (!(await this.repository.delete(auth.teamId, id))) throw new NotFoundError('hook_source', id);
    await this.audit.record({
      teamId: auth.teamId,
      actor: auth,
      action: 'hook_source.delete',
      targetType: 'hook_source',
      targetId: id,
      details: { name: source.name },
    });
  }

  /** A new secret, shown once; the old one stops working at once (update the sender first). */
  @Transactional()
  /**
   * A new secret, answered once. With a grace period the replaced one is still accepted until it ends
   * (the sender is switched over meanwhile); without, it stops at once. A grace still running from an
   * earlier rotation ends: only the secret just replaced overlaps.
   */
  async rotateSecret(
    auth: AuthContext,
    id: string,
    dto: RotateHookSecretDto = {},
  ): Promise<HookSourceWithSecretResponseDto> {
    const current = await this.mustFind(auth.teamId, id);
    const secret = newHookSecret();
    const graceSeconds = dto.graceSeconds ?? 0;
    const expiresAt = graceSeconds > 0 ? new Date(this.clock.now().getTime() + graceSeconds * 1000) : null;
    const source = await this.repository.update(auth.teamId, id, {
      secretEnc: this.secrets.seal(auth.teamId, id, secret),
      previousSecretEnc: expiresAt ? current.secretEnc : null,
      previousSecretExpiresAt: expiresAt,
    });
    if (!source) throw new NotFoundError('hook_source', id);
    await this.audit.record({
      teamId: auth.teamId,
      actor: auth,
      action: 'hook_source.rotate_secret',
      targetType: 'hook_source',
      targetId: id,
      details: { previousSecretExpiresAt: expiresAt?.toISOString() ?? null },
    });
    return { ...toHookSourceResponse(source), secret };
  }

  async deliveries(
    teamId: string,
    id: string,
    query: { limit?: number; cursor?: string },
  ): Promise<HookDeliveryPageDto> {
    await this.mustFind(teamId, id);
    const limit = query.limit!;
    const rows = await this.repository.deliveries(teamId, id, limit, decodeCursor(query.cursor)?.id);
    return toPage(rows, limit, toHookDeliveryResponse);
  }

  /** The config's own rules, then its task defaults as POST /api/tasks would take them. */
  private async check(kind: HookKind, config: CreateHookSourceDto['config']): Promise<void> {
    const errors = checkConfig(kind, config ?? {});
    if (errors.length)
      throw new BadRequestError('request/validation_failed', errors.flatMap((e) => e.errors).join('; '), errors);
    await this.taskInput.validate(
      { name: 'check', goal: 'check', workspace: '/check', ...(config?.task ?? {}) },
      'config.task',
    );
  }

  @Transactional()
  private async insert(auth: AuthContext, dto: CreateHookSourceDto, secret: string): Promise<HookSource> {
    const config = storedConfig(dto.kind, dto.config) as Prisma.InputJsonObject;
    // The id is made here so that the secret can be bound to it.
    const source = await this.repository.create(auth.teamId, {
      name: dto.name,
      kind: dto.kind,
      secretEnc: 'pending',
      config,
      enabled: dto.enabled ?? true,
    });
    const sealed = await this.repository.update(auth.teamId, source.id, {
      secretEnc: this.secrets.seal(auth.teamId, source.id, secret),
    });
    await this.audit.record({
      teamId: auth.teamId,
      actor: auth,
      action: 'hook_source.create',
      targetType: 'hook_source',
      targetId: source.id,
      details: { name: dto.name, kind: dto.kind, enabled: source.enabled },
    });
    return sealed!;
  }

  @Transactional()
  private async applyUpdate(auth: AuthContext, current: HookSource, dto: UpdateHookSourceDto): Promise<HookSource> {
    const kind = current.kind as HookKind;
    const source = await this.repository.update(auth.teamId, current.id, {
      ...(dto.name !== undefined ? { name: dto.name } : {}),
      ...(dto.config !== undefined ? { config: storedConfig(kind, dto.config) as Prisma.InputJsonObject } : {}),
      ...(dto.enabled !== undefined && dto.enabled !== null ? { enabled: dto.enabled } : {}),
    });
    if (!source) throw new NotFoundError('hook_source', current.id);
    await this.audit.record({
      teamId: auth.teamId,
      actor: auth,
      action: 'hook_source.update',
      targetType: 'hook_source',
      targetId: current.id,
      details: { name: dto.name, enabled: dto.enabled, configChanged: dto.config !== undefined },
    });
    return source;
  }

  private async mustFind(teamId: string, id: string): Promise<HookSource> {
    const source = await this.repository.find(teamId, id);
    if (!source) throw new NotFoundError('hook_source', id);
    return source;
  }
}
