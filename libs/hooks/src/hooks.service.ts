import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { AuthContext, BadRequestError, Clock, DomainError, UnauthorizedError } from '@heddle/common';
import { HookSource, Prisma } from '@heddle/db';
import { TasksService } from '@heddle/tasks';
import type { HookKind, HookReceipt } from './dto/hook-source.dto';
import { DEFAULT_SIGNATURE_HEADER, HookConfig, TOKEN_HEADER } from './hook-config';
import { HookSecrets, tokensEqual } from './hook-secrets';
import { GithubOrigin, parseGithubEvent } from './github-event';
import { verifySignature } from './github-signature';
import { HooksRepository } from './hooks.repository';
import { TaskInput } from './task-input';
import { TemplateError, renderTemplate } from './template';

export type HookHeaders = Record<string, string | string[] | undefined>;

/** The answer for an unknown, disabled or foreign source and for a bad signature or token alike. */
const UNAUTHORIZED = () =>
  new UnauthorizedError('unknown hook source, or a missing or wrong signature or token', 'hook/unauthorized');

/** A repo the GitHub source has no workspace for: the sender's configuration is wrong, not the request. */
export class RepoNotMappedError extends DomainError {
  readonly statusCode = 422;
  constructor(repo: string) {
    super('hook/repo_not_mapped', `this source maps no workspace to ${repo}: add it to config.repos`, { repo });
  }
}

const DELIVERY_ID = /^[\x21-\x7e]{1,150}$/;

function header(headers: HookHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** `POST /api/hooks/{source}`: authenticate the sender, parse its payload, make the task once. */
@Injectable()
export class HooksService {
  private readonly logger = new Logger(HooksService.name);

  constructor(
    private readonly repository: HooksRepository,
    private readonly secrets: HookSecrets,
    private readonly taskInput: TaskInput,
    private readonly tasks: TasksService,
    private readonly clock: Clock,
  ) {}

  async receive(
    sourceId: string,
    headers: HookHeaders,
    raw: Buffer | undefined,
    payload: unknown,
  ): Promise<HookReceipt> {
    const source = await this.authenticate(sourceId, headers, raw?.toString('utf8') ?? '');
    const config = source.config as HookConfig;
    const deliveryId = this.deliveryId(source.kind as HookKind, headers, raw);

    const seen = await this.repository.findDelivery(source.teamId, source.id, deliveryId);
    if (seen?.taskId) return { status: 'replayed', taskId: seen.taskId, deliveryId };

    let event: string;
    let fields: Record<string, unknown>;
    let origin: GithubOrigin | null = null;
    if (source.kind === 'github') {
      event = header(headers, 'x-github-event') ?? '';
      const outcome = parseGithubEvent(event, payload, {
        repos: config.repos ?? {},
        trigger: config.trigger,
        label: config.label,
      });
      if (outcome.kind === 'ignored') return { status: 'ignored', reason: outcome.reason, deliveryId };
      if (outcome.kind === 'unmapped') throw new RepoNotMappedError(outcome.repo);
      fields = { name: outcome.name, goal: outcome.goal, workspace: outcome.workspace };
      origin = outcome.origin;
    } else {
      event = 'generic';
      try {
        fields = renderTemplate(config.template ?? {}, payload);
      } catch (err) {
        if (!(err instanceof TemplateError)) throw err;
        throw new BadRequestError('hook/template_failed', err.message, err.details);
      }
      if (fields.name === undefined) fields.name = `${source.name} ${deliveryId}`.slice(0, 200);
    }

    const dto = await this.taskInput.validate({ ...(config.task ?? {}), ...fields });
    const created = await this.tasks.create(this.actor(source), dto, `hook:${source.id}:${deliveryId}`);
    await this.repository.recordDelivery(source.teamId, {
      sourceId: source.id,
      deliveryId,
      event,
      outcome: 'created',
      taskId: created.task.id,
      origin: origin as Prisma.InputJsonObject | null,
    });
    return { status: created.created ? 'created' : 'replayed', taskId: created.task.id, deliveryId };
  }

  /** The source behind the path, if the sender proves it holds its secret; one 401 for every failure. */
  private async authenticate(
    sourceId: string,
    headers: HookHeaders,
    body: string,
  ): Promise<HookSource & { team: { name: string } }> {
    if (!isUUID(sourceId)) throw UNAUTHORIZED();
    const source = await this.repository.findForDelivery(sourceId);
    if (!source || !source.enabled) throw UNAUTHORIZED();
    let secrets: string[];
    try {
      secrets = this.acceptedSecrets(source);
    } catch (err) {
      this.logger.error(`hook source ${source.id}: its secret does not open (${String(err)})`);
      throw UNAUTHORIZED();
    }
    const config = source.config as HookConfig;
    const proves = (secret: string): Promise<boolean> | boolean => {
      if (source.kind === 'github') return verifySignature(secret, body, header(headers, 'x-hub-signature-256'));
      if (config.auth === 'hmac')
        return verifySignature(secret, body, header(headers, config.signatureHeader ?? DEFAULT_SIGNATURE_HEADER));
      return tokensEqual(header(headers, TOKEN_HEADER) ?? '', secret);
    };
    let ok = false;
    for (const secret of secrets) if ((ok = await proves(secret))) break;
    if (!ok) throw UNAUTHORIZED();
    return source;
  }

  /** The source's secret, and the one it replaced while a rotation's grace period runs. */
  private acceptedSecrets(source: HookSource): string[] {
    const secrets = [this.secrets.open(source.teamId, source.id, source.secretEnc)];
    const graceUntil = source.previousSecretExpiresAt;
    if (source.previousSecretEnc && graceUntil && graceUntil > this.clock.now())
      secrets.push(this.secrets.open(source.teamId, source.id, source.previousSecretEnc));
    return secrets;
  }

  /**
   * What makes a redelivery the same delivery: `X-GitHub-Delivery` for GitHub; `X-Delivery-Id` or
   * `Idempotency-Key` for generic sources, or else the SHA-256 of the body.
   */
  private deliveryId(kind: HookKind, headers: HookHeaders, raw: Buffer | undefined): string {
    const given =
      kind === 'github'
        ? header(headers, 'x-github-delivery')
        : (header(headers, 'x-delivery-id') ?? header(headers, 'idempotency-key'));
    if (given === undefined) {
      if (kind === 'github')
        throw new BadRequestError('hook/missing_delivery_id', 'X-GitHub-Delivery is required', [
          { field: 'X-GitHub-Delivery', errors: ['is required'] },
        ]);
      return `sha256:${createHash('sha256')
        .update(raw ?? Buffer.alloc(0))
        .digest('hex')}`;
    }
    if (!DELIVERY_ID.test(given))
      throw new BadRequestError('hook/invalid_delivery_id', 'the delivery id must be 1-150 visible ASCII characters', [
        {
          field: kind === 'github' ? 'X-GitHub-Delivery' : 'X-Delivery-Id',
          errors: ['must be 1-150 visible ASCII characters'],
        },
      ]);
    return given;
  }

  /** Who the task's audit entry names: the source, holding only `tasks:write` (no `command` checks). */
  private actor(source: HookSource & { team: { name: string } }): AuthContext {
    return {
      teamId: source.teamId,
      teamName: source.team.name,
      tokenId: source.id,
      tokenPrefix: `hook:${source.name}`,
      scopes: ['tasks:write'],
    };
  }
}
