import { Injectable } from '@nestjs/common';
import { AuditService } from '@heddle/audit';
import {
  AuthContext,
  BadRequestError,
  ConflictError,
  EventType,
  NotFoundError,
  Page,
  decodeCursor,
  toPage,
} from '@heddle/common';
import { AppConfig } from '@heddle/config';
import { Prisma, Sink, Transactional } from '@heddle/db';
import { OutboundPolicy } from '@heddle/outbound';
import type {
  CreateSinkDto,
  ListSinkDeliveriesQueryDto,
  ListSinksQueryDto,
  SinkDeliveryDto,
  SinkResponseDto,
  UpdateSinkDto,
} from './dto/sink.dto';
import {
  GITHUB_API_URL,
  GITHUB_COMMENT_DEFAULT_EVENTS,
  GITHUB_COMMENT_EVENTS,
  SinkKind,
  URL_REQUIRED_SINK_KINDS,
  URL_SINK_KINDS,
} from './sink-kinds';
import { SinkSecrets } from './sink-secrets';
import { redactUrl, sinkSummary, toSinkDelivery, toSinkResponse } from './sink-view';
import { SinksRepository } from './sinks.repository';

interface FieldError {
  field: string;
  errors: string[];
}

interface KindFields {
  url?: string;
  filePrefix?: string;
  token?: string;
  events?: string[];
}

/** Which of url / filePrefix / token / events a kind needs and refuses, as field errors. */
export function kindFieldErrors(kind: SinkKind, fields: KindFields, creating: boolean) {
  const errors: FieldError[] = [];
  const add = (field: keyof KindFields, message: string) => errors.push({ field, errors: [message] });
  if (creating && URL_REQUIRED_SINK_KINDS.includes(kind) && fields.url === undefined)
    add('url', `url is required for a ${kind} sink`);
  if (!URL_SINK_KINDS.includes(kind) && fields.url !== undefined) add('url', 'url is not used by file sinks');
  if (kind === 'file' && creating && fields.filePrefix === undefined)
    add('filePrefix', 'filePrefix is required for a file sink');
  if (kind !== 'file' && fields.filePrefix !== undefined)
    add('filePrefix', `filePrefix is only for file sinks, not ${kind}`);
  if (kind === 'github_comment') {
    if (creating && fields.token === undefined) add('token', 'token is required for a github_comment sink');
    if (!creating && fields.events?.length === 0)
      add('events', `a github_comment sink needs at least one of ${GITHUB_COMMENT_EVENTS.join(', ')}`);
    const other = (fields.events ?? []).filter((e) => !GITHUB_COMMENT_EVENTS.includes(e as EventType));
    if (other.length)
      add(
        'events',
        `a github_comment sink comments on ${GITHUB_COMMENT_EVENTS.join(', ')} only, not ${other.join(', ')}`,
      );
  } else if (fields.token !== undefined) add('token', `token is only for github_comment sinks, not ${kind}`);
  return errors;
}

/** The events a new sink gets: a `github_comment` sink without a list comments when its task ends. */
function initialEvents(dto: CreateSinkDto): string[] {
  if (dto.kind === 'github_comment' && !dto.events?.length) return [...GITHUB_COMMENT_DEFAULT_EVENTS];
  return [...new Set(dto.events ?? [])];
}

function refuse(errors: FieldError[]): void {
  if (errors.length === 0) return;
  throw new BadRequestError('request/validation_failed', errors.flatMap((e) => e.errors).join('; '), errors);
}

@Injectable()
export class SinksService {
  constructor(
    private readonly repository: SinksRepository,
    private readonly outbound: OutboundPolicy,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
    private readonly secrets: SinkSecrets,
  ) {}

  async create(auth: AuthContext, dto: CreateSinkDto): Promise<SinkResponseDto> {
    refuse(kindFieldErrors(dto.kind, dto, true));
    if (dto.kind === 'file' && !this.config.fileSinkRoot) {
      const message =
        'file sinks are off on this server: the operator has not set HEDDLE_FILE_SINK_ROOT (the directory file sinks write under)';
      throw new BadRequestError('sink/file_sinks_off', message, [{ field: 'kind', errors: [message] }]);
    }
    if (dto.url !== undefined) await this.outbound.checkUrl(dto.url, 'url');
    return this.toResponse(await this.insert(auth, dto));
  }

  async list(teamId: string, query: ListSinksQueryDto): Promise<Page<SinkResponseDto>> {
    const limit = query.limit!;
    const rows = await this.repository.list(teamId, query, limit, decodeCursor(query.cursor)?.id);
    return toPage(rows, limit, (sink) => this.toResponse(sink));
  }

  async get(teamId: string, id: string): Promise<SinkResponseDto> {
    return this.toResponse(await this.mustFind(teamId, id));
  }

  async update(auth: AuthContext, id: string, dto: UpdateSinkDto): Promise<SinkResponseDto> {
    const sink = await this.mustFind(auth.teamId, id);
    refuse(kindFieldErrors(sink.kind as SinkKind, dto, false));
    if (dto.url !== undefined) await this.outbound.checkUrl(dto.url, 'url');
    return this.toResponse(await this.applyUpdate(auth, id, dto));
  }

  @Transactional()
  async delete(auth: AuthContext, id: string): Promise<void> {
    const sink = await this.mustFind(auth.teamId, id);
    if (!(await this.repository.delete(auth.teamId, id))) throw new NotFoundError('sink', id);
    await this.audit.record({
      teamId: auth.teamId,
      actor: auth,
      action: 'sink.delete',
      targetType: 'sink',
      targetId: id,
      details: { name: sink.name, kind: sink.kind },
    });
  }

  async deliveries(teamId: string, id: string, query: ListSinkDeliveriesQueryDto): Promise<Page<SinkDeliveryDto>> {
    await this.mustFind(teamId, id);
    const limit = query.limit!;
    const rows = await this.repository.deliveries(teamId, id, query.status, limit, decodeCursor(query.cursor)?.id);
    return toPage(rows, limit, toSinkDelivery);
  }

  @Transactional()
  private async insert(actor: AuthContext, dto: CreateSinkDto): Promise<Sink> {
    const teamId = actor.teamId;
    if (dto.filePrefix !== undefined) await this.prefixFree(teamId, dto.filePrefix);
    const url = dto.url ?? (dto.kind === 'github_comment' ? GITHUB_API_URL : undefined);
    const sink = await this.repository.create(teamId, {
      name: dto.name,
      kind: dto.kind,
      urlEnc: url === undefined ? null : this.secrets.seal(teamId, url),
      filePrefix: dto.filePrefix ?? null,
      tokenEnc: dto.token === undefined ? null : this.secrets.sealToken(teamId, dto.token),
      events: initialEvents(dto),
      enabled: dto.enabled ?? true,
    });
    await this.audit.record({
      teamId,
      actor,
      action: 'sink.create',
      targetType: 'sink',
      targetId: sink.id,
      details: sinkSummary(sink, url ?? null),
    });
    return sink;
  }

  @Transactional()
  private async applyUpdate(actor: AuthContext, id: string, dto: UpdateSinkDto): Promise<Sink> {
    const teamId = actor.teamId;
    const current = await this.repository.findForUpdate(teamId, id);
    if (!current) throw new NotFoundError('sink', id);
    if (dto.filePrefix !== undefined) await this.prefixFree(teamId, dto.filePrefix, id);
    const reEnable = dto.enabled === true && current.disabledAt !== null;
    const data: Prisma.SinkUpdateManyMutationInput = {
      ...(dto.name !== undefined ? { name: dto.name } : {}),
      ...(dto.url !== undefined ? { urlEnc: this.secrets.seal(teamId, dto.url), url: null } : {}),
      ...(dto.filePrefix !== undefined ? { filePrefix: dto.filePrefix } : {}),
      ...(dto.token !== undefined ? { tokenEnc: this.secrets.sealToken(teamId, dto.token) } : {}),
      ...(dto.events !== undefined ? { events: [...new Set(dto.events)] } : {}),
      ...(dto.enabled !== undefined ? { enabled: dto.enabled } : {}),
      ...(reEnable ? { disabledAt: null, failingSince: null } : {}),
    };
    const sink = await this.repository.update(teamId, id, data, dto.name);
    if (!sink) throw new NotFoundError('sink', id);
    // What changed, with the URL redacted (it is a secret).
    const changes = {
      ...dto,
      ...(dto.url !== undefined ? { url: redactUrl(dto.url) } : {}),
      ...(dto.token !== undefined ? { token: 'replaced' } : {}),
      ...(reEnable ? { reEnabled: true } : {}),
    };
    await this.audit.record({
      teamId,
      actor,
      action: 'sink.update',
      targetType: 'sink',
      targetId: id,
      details: changes,
    });
    return sink;
  }

  /** The answer for a sink: its URL opened only to be redacted (one that does not open shows as `***`). */
  private toResponse(sink: Sink): SinkResponseDto {
    let url: string | null;
    try {
      url = this.secrets.urlOf(sink);
    } catch {
      url = '***';
    }
    return toSinkResponse(sink, url);
  }

  private async prefixFree(teamId: string, filePrefix: string, exceptId?: string): Promise<void> {
    const other = await this.repository.findFileSinkByPrefix(teamId, filePrefix, exceptId);
    if (other) {
      throw new ConflictError(
        'sink/prefix_taken',
        `the file sink "${other.name}" already writes with the prefix "${filePrefix}"`,
        { fields: ['filePrefix'] },
      );
    }
  }

  private async mustFind(teamId: string, id: string): Promise<Sink> {
    const sink = await this.repository.find(teamId, id);
    if (!sink) throw new NotFoundError('sink', id);
    return sink;
  }
}
