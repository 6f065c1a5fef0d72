import { Injectable, Logger } from '@nestjs/common';
import {
  AuthContext,
  BadGatewayError,
  BadRequestError,
  ConflictError,
  ForbiddenError,
  ForbiddenScopeError,
  GatewayTimeoutError,
  NotFoundError,
  scopeHolder,
} from '@heddle/common';
import { Host } from '@heddle/db';
import { HostClients, HostSelectionService, HostsRepository } from '@heddle/hosts';
import { OpencodeClient, OpencodeTimeoutError, PermissionRuleset } from '@heddle/opencode-client';
import { DraftParse, draftPrompt, parseDraftReply } from './draft-reply';
import { BootstrapPlanDto, BootstrapPlanResponseDto, DraftPlanDto, DraftPlanResponseDto } from './dto/plan.dto';
import { confineWorkspace, hostFailure, onHost } from './host-calls';
import { DEFAULT_PLAN_FILE, DEFAULT_PROMPT_FILE, loopPrompt, starterPlan } from './plan-template';
import { PlansRepository } from './plans.repository';
import { EXIT_EXISTS, existingFromOutput, writeFilesScript } from './write-script';

/** Bounds of a draft (docs/harness.md, "Plans"). */
export const DRAFT_LIMITS = {
  /** Default wall time of the whole draft (`timeoutSeconds` overrides, up to 600). */
  timeoutMs: 60_000,
  /** The session is aborted once its input + output tokens pass this. */
  maxTokens: 50_000,
  /** How often the session's token count is read while the model works. */
  tokenPollMs: 250,
} as const;

/** Deadline of each plain call to a host while answering a plans request. */
const CALL_TIMEOUT_MS = 10_000;
/** Deadline of the shell command that writes the bootstrap files. */
const WRITE_TIMEOUT_MS = 30_000;

/** A draft's throw-away session may read the workspace but never change it or run anything. */
const READ_ONLY: PermissionRuleset = [
  { permission: 'edit', pattern: '*', action: 'deny' },
  { permission: 'bash', pattern: '*', action: 'deny' },
  { permission: 'webfetch', pattern: '*', action: 'deny' },
];
const READ_ONLY_TOOLS = {
  write: false,
  edit: false,
  apply_patch: false,
  bash: false,
  task: false,
  todowrite: false,
  webfetch: false,
  websearch: false,
  question: false,
};

/**
 * Plans (issue 12): a starter PLAN.md and loop prompt (pyocloop's `bootstrap`), returned or written
 * into a workspace; and a checklist drafted by a host's model from an intent, for review. Each host
 * call happens in a session made for this request alone and deleted after it — never a task's.
 */
@Injectable()
export class PlansService {
  private readonly logger = new Logger(PlansService.name);

  constructor(
    private readonly repository: PlansRepository,
    private readonly hosts: HostsRepository,
    private readonly selection: HostSelectionService,
    private readonly clients: HostClients,
  ) {}

  async bootstrap(auth: AuthContext, dto: BootstrapPlanDto): Promise<BootstrapPlanResponseDto> {
    const planFile = dto.planFile ?? DEFAULT_PLAN_FILE;
    const promptFile = dto.promptFile ?? DEFAULT_PROMPT_FILE;
    if (planFile === promptFile) {
      const message = 'planFile and promptFile must differ';
      throw new BadRequestError('plan/same_file', message, [{ field: 'promptFile', errors: [message] }]);
    }
    const plan = starterPlan(dto);
    const prompt = loopPrompt(dto.goal);
    const answer: BootstrapPlanResponseDto = { planFile, promptFile, plan, prompt, written: false };
    if (dto.hostId === undefined && dto.workspace === undefined) return answer;
    if (dto.hostId === undefined || dto.workspace === undefined) {
      const message = 'hostId and workspace go together: give both to write the files, neither to get them back';
      throw new BadRequestError('plan/host_and_workspace', message, [
        { field: dto.hostId === undefined ? 'hostId' : 'workspace', errors: [message] },
      ]);
    }
    // OpenCode has no file-write route: the files are written by a shell command on the host.
    if (!auth.scopes.includes('checks:command')) throw new ForbiddenScopeError(['checks:command'], scopeHolder(auth));
    if (!(await this.repository.teamAllowsCommands(auth.teamId))) {
      throw new ForbiddenError(
        'plan/commands_disabled',
        'writing plan files runs a shell command on the host, and commands are off for this team; an admin token can turn them on with PATCH /api/team {"settings":{"allowCommandChecks":true}} (or omit hostId and workspace to get the files back)',
        { setting: 'allowCommandChecks' },
      );
    }
    const host = await this.usableHost(auth.teamId, dto.hostId);
    const base = this.clients.forHost(host, dto.workspace, CALL_TIMEOUT_MS);
    const workspace = await confineWorkspace(base, host, dto.workspace);
    const client = base.withDirectory(workspace);
    const files = [
      { path: planFile, content: plan },
      { path: promptFile, content: prompt },
    ];
    const existing = await onHost(host, 'looking for existing plan files', () =>
      Promise.all(files.map((f) => client.fileExists(f.path))),
    );
    const present = files.filter((_, i) => existing[i]).map((f) => f.path);
    if (present.length && !dto.force) throw exists(present, workspace);
    const result = await this.throwAway(host, client, 'plan bootstrap', undefined, (sessionId) =>
      client.runCommand(sessionId, writeFilesScript(files, dto.force === true), {
        timeoutMs: WRITE_TIMEOUT_MS,
        directory: workspace,
      }),
    );
    if (result.exitCode === EXIT_EXISTS && !dto.force) throw exists(existingFromOutput(result.output), workspace);
    if (result.timedOut) {
      throw new GatewayTimeoutError('plan/host_timeout', `writing the plan files on host ${host.name} timed out`);
    }
    if (result.exitCode !== 0) {
      throw new BadGatewayError(
        'plan/write_failed',
        `writing the plan files on host ${host.name} failed (exit ${result.exitCode ?? 'unknown'}): ${result.output.trim().slice(-500)}`,
      );
    }
    return {
      ...answer,
      written: true,
      hostId: host.id,
      workspace,
      files: files.map((f) => ({
        path: f.path,
        absolutePath: `${workspace.replace(/\/$/, '')}/${f.path}`,
        overwritten: present.includes(f.path),
      })),
    };
  }

  async draft(auth: AuthContext, dto: DraftPlanDto): Promise<DraftPlanResponseDto> {
    if ((dto.hostId === undefined) === (dto.labels === undefined)) {
      const message = 'give hostId or labels (exactly one)';
      throw new BadRequestError('plan/host_selector', message, [{ field: 'hostId', errors: [message] }]);
    }
    const host =
      dto.hostId !== undefined
        ? await this.usableHost(auth.teamId, dto.hostId)
        : await this.hostByLabels(auth.teamId, dto.labels!, dto.workspace);
    const directory = dto.workspace ?? host.workspaceRoots?.[0];
    if (!directory) {
      throw new BadRequestError('plan/workspace_required', `host ${host.name} has no workspace roots; give workspace`);
    }
    const timeoutMs = dto.timeoutSeconds !== undefined ? dto.timeoutSeconds * 1000 : DRAFT_LIMITS.timeoutMs;
    const started = Date.now();
    const base = this.clients.forHost(host, directory, Math.min(CALL_TIMEOUT_MS, timeoutMs));
    const workspace = await confineWorkspace(base, host, directory);
    const client = base.withDirectory(workspace);

    let over: 'time' | 'tokens' | undefined;
    let tokens = { input: 0, output: 0 };
    const outcome = await this.throwAway(host, client, 'plan draft', READ_ONLY, async (sessionId) => {
      const stop = (why: 'time' | 'tokens') => {
        if (over) return;
        over = why;
        client.abort(sessionId).catch(() => undefined);
      };
      const remaining = Math.max(1, timeoutMs - (Date.now() - started));
      const timer = setTimeout(() => stop('time'), remaining);
      const watch = setInterval(() => {
        client
          .getSession(sessionId)
          .then((s) => {
            tokens = tokensOf(s);
            if (tokens.input + tokens.output > DRAFT_LIMITS.maxTokens) stop('tokens');
          })
          .catch(() => undefined);
      }, DRAFT_LIMITS.tokenPollMs);
      try {
        const reply = await client.prompt(
          sessionId,
          { text: draftPrompt(dto.intent, workspace), agent: 'build', tools: READ_ONLY_TOOLS, model: dto.model },
          { timeoutMs: remaining + CALL_TIMEOUT_MS },
        );
        const session = await client.getSession(sessionId).catch(() => undefined);
        if (session) tokens = tokensOf(session);
        return reply;
      } catch (err) {
        if (err instanceof OpencodeTimeoutError) over ??= 'time';
        if (over) return undefined;
        throw err;
      } finally {
        clearTimeout(timer);
        clearInterval(watch);
      }
    });
    if (over === 'time') {
      throw new GatewayTimeoutError(
        'plan/draft_timeout',
        `host ${host.name} did not draft a plan within ${Math.round(timeoutMs / 1000)} s; its session was aborted and deleted`,
        { timeoutSeconds: Math.round(timeoutMs / 1000) },
      );
    }
    if (over === 'tokens' || tokens.input + tokens.output > DRAFT_LIMITS.maxTokens) {
      throw new BadGatewayError(
        'plan/draft_token_limit',
        `the draft on host ${host.name} used more than ${DRAFT_LIMITS.maxTokens} tokens; its session was aborted and deleted`,
        { maxTokens: DRAFT_LIMITS.maxTokens, tokens },
      );
    }
    const reply = outcome!;
    const error = reply.info.error as { name?: string; data?: { message?: string } } | undefined;
    if (error) {
      throw new BadGatewayError(
        'plan/draft_failed',
        `host ${host.name} failed to draft a plan: ${error.name ?? 'error'}${error.data?.message ? `: ${error.data.message}` : ''}`,
      );
    }
    const text = reply.parts
      .map((p) => (p.type === 'text' ? p.text : ''))
      .join('\n')
      .trim();
    const parsed: DraftParse = parseDraftReply(text);
    if (!parsed.ok) {
      throw new BadGatewayError('plan/draft_unusable', `host ${host.name} answered no usable plan: ${parsed.reason}`, {
        found: parsed.found,
        reply: text.slice(0, 2000),
      });
    }
    return {
      items: parsed.items,
      plan: starterPlan({ goal: dto.intent, items: parsed.items }),
      hostId: host.id,
      workspace,
      tokens,
      durationMs: Date.now() - started,
    };
  }

  /** The team's host, enabled and online (404 when it is not the team's; 409 when it cannot be used now). */
  private async usableHost(teamId: string, hostId: string): Promise<Host> {
    if (!(await this.hosts.find(teamId, hostId))) throw new NotFoundError('host', hostId);
    const selected = await this.selection.select(teamId, { hostId });
    if (!selected.ok) throw new ConflictError('plan/host_unavailable', selected.reason);
    return selected.host;
  }

  private async hostByLabels(teamId: string, labels: string[], workspace?: string): Promise<Host> {
    const selected = await this.selection.select(teamId, { labels }, workspace ? { workspace } : {});
    if (selected.ok) return selected.host;
    if (selected.outsideRoots) {
      throw new BadRequestError('plan/workspace_outside_roots', selected.reason, [
        { field: 'workspace', errors: [selected.reason] },
      ]);
    }
    throw new ConflictError('plan/host_unavailable', selected.reason);
  }

  /**
   * Runs `work` in a session made for it alone, then aborts and deletes that session whatever
   * happened (success, failure, timeout). Host failures become 502/504.
   */
  private async throwAway<T>(
    host: Host,
    client: OpencodeClient,
    what: string,
    permission: PermissionRuleset | undefined,
    work: (sessionId: string) => Promise<T>,
  ): Promise<T> {
    const session = await onHost(host, `starting a ${what} session`, () =>
      client.createSession({ title: `heddle ${what} (throw-away)`, ...(permission ? { permission } : {}) }),
    );
    try {
      return await work(session.id);
    } catch (err) {
      throw hostFailure(host, err, `running the ${what}`);
    } finally {
      await client.abort(session.id).catch(() => undefined);
      await client.deleteSession(session.id).catch((err: unknown) => {
        this.logger.warn(`could not delete the ${what} session ${session.id} on host ${host.name}: ${String(err)}`);
      });
    }
  }
}

function tokensOf(session: { tokens?: { input?: number; output?: number } }): { input: number; output: number } {
  return { input: session.tokens?.input ?? 0, output: session.tokens?.output ?? 0 };
}

function exists(paths: string[], workspace: string): ConflictError {
  return new ConflictError(
    'plan/file_exists',
    `${paths.join(' and ')} already exist${paths.length === 1 ? 's' : ''} in ${workspace}; pass force: true to overwrite`,
    { files: paths },
  );
}
