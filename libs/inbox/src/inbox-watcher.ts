import { createHash } from 'node:crypto';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AuthContext, DomainError, NotFoundError } from '@heddle/common';
import { AppConfig } from '@heddle/config';
import { TaskResponseDto, TasksService, isFinished } from '@heddle/tasks';
import {
  claimedName,
  claimFileName,
  isPendingDocument,
  isTeamFolderName,
  listFiles,
  newClaimId,
  processedName,
  readConfined,
  renameIn,
  teamFolder,
  touch,
  writeAtomic,
} from './inbox-files';
import { MAX_DOCUMENT_BYTES } from './inbox-formats';
import { InboxService } from './inbox.service';
import { renderResult, renderStatus } from './inbox-status';
import { readdir } from 'node:fs/promises';

/** Who a task made from a dropped file was made by: the inbox of that team, holding only `tasks:write`. */
export function inboxActor(teamId: string): AuthContext {
  return {
    teamId,
    teamName: teamId,
    tokenId: '00000000-0000-0000-0000-000000000000',
    tokenPrefix: 'inbox',
    scopes: ['tasks:write'],
  };
}

/**
 * The `inbox` consumer's watched directory (INBOX_DIR; off unless set). Every INBOX_POLL_MS, in each
 * team folder `<INBOX_DIR>/<teamId>/` (of WORKER_TEAMS when set):
 *
 * 1. a stale claim (`.<name>.<claim>.processing` untouched for INBOX_STALE_MS — its worker died) is
 *    taken again by renaming it to a new claim; a pending document (`task.md` …) is claimed by
 *    renaming it to `.<name>.<claim>.processing`. Rename is atomic: of two workers, one wins.
 * 2. the claim becomes a task through InboxService (the path of `POST /api/tasks`) with an
 *    Idempotency-Key derived from the team, name, mtime and content — a retry after a crash replays
 *    the task instead of making a second one — then `processed-<taskId>-<name>`; a document that
 *    cannot become a task becomes `failed-<name>` with `failed-<name>.error.txt`.
 * 3. for every `processed-<taskId>-<name>` whose task has not finished, `<name>.status.json` is
 *    rewritten when the task changed, and `<name>.result.md` is written once it finishes.
 */
@Injectable()
export class InboxWatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(InboxWatcher.name);
  private timer?: NodeJS.Timeout;
  private pass?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly config: AppConfig,
    private readonly inbox: InboxService,
    private readonly tasks: TasksService,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.inboxDir) return;
    this.logger.log(`watching ${this.config.inboxDir}/<teamId>/ every ${this.config.inboxPollMs} ms`);
    this.schedule(0);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.pass;
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.pass = this.runOnce()
        .catch((err: unknown) => this.logger.error(`inbox pass failed: ${(err as Error).message}`))
        .finally(() => this.schedule(this.config.inboxPollMs));
    }, delay);
  }

  /** One pass over every team folder. */
  async runOnce(): Promise<void> {
    const root = this.config.inboxDir;
    if (!root) return;
    let names: string[];
    try {
      names = await readdir(root);
    } catch (err) {
      this.logger.warn(`cannot read INBOX_DIR ${root}: ${(err as Error).message}`);
      return;
    }
    const only = this.config.workerTeams;
    for (const teamId of names.filter(isTeamFolderName)) {
      if (this.stopped) return;
      if (only && !only.includes(teamId)) continue;
      const dir = await teamFolder(root, teamId);
      if (!dir) continue;
      await this.teamPass(teamId, dir).catch((err: unknown) =>
        this.logger.error(`inbox of team ${teamId}: ${(err as Error).message}`),
      );
    }
  }

  private async teamPass(teamId: string, dir: string): Promise<void> {
    const files = await listFiles(dir);
    const now = Date.now();
    for (const file of files) {
      if (this.stopped) return;
      const claimed = claimedName(file.name);
      if (claimed) {
        if (now - file.mtimeMs < this.config.inboxStaleMs) continue; // its worker is on it
        const claim = newClaimId();
        const to = claimFileName(claimed.original, claim);
        if (!(await renameIn(dir, file.name, to))) continue;
        this.logger.warn(
          `team ${teamId}: ${claimed.original} was left claimed by a worker that stopped; taking it again`,
        );
        await this.process(teamId, dir, claimed.original, to);
      } else if (isPendingDocument(file.name)) {
        const to = claimFileName(file.name, newClaimId());
        if (!(await renameIn(dir, file.name, to))) continue; // another worker took it
        await this.process(teamId, dir, file.name, to);
      }
    }
    if (this.config.inboxStatusFiles)
      await this.writeBack(
        teamId,
        dir,
        files.map((f) => f.name),
      );
  }

  /** A claimed document → a task (processed-…) or a failure (failed-… + .error.txt). */
  private async process(teamId: string, dir: string, original: string, claimed: string): Promise<void> {
    await touch(dir, claimed); // the claim's heartbeat: fresh, so no one else thinks it stale
    let content: Buffer;
    try {
      content = await readConfined(dir, claimed, MAX_DOCUMENT_BYTES);
    } catch (err) {
      return this.fail(dir, original, claimed, `cannot read the file: ${(err as Error).message}`);
    }
    // Stable across retries of one drop (the claim renames keep the mtime), new for a new drop.
    const key = `inbox-file:${createHash('sha256').update(`${teamId}\0${original}\0`).update(content).digest('hex')}`;
    try {
      const { task } = await this.inbox.submit(inboxActor(teamId), { content, fileName: original }, key);
      if (this.config.inboxStatusFiles) await writeAtomic(dir, `${original}.status.json`, renderStatus(original, task));
      await renameIn(dir, claimed, `processed-${task.id}-${original}`);
      this.logger.log(`team ${teamId}: ${original} → task ${task.id}`);
    } catch (err) {
      if (err instanceof DomainError && err.statusCode < 500) {
        const details = Array.isArray(err.details)
          ? (err.details as { line?: number; field?: string; errors?: string[] }[])
          : [];
        const lines = details.map(
          (d) => `- ${d.line !== undefined ? `line ${d.line}, ` : ''}field ${d.field}: ${(d.errors ?? []).join('; ')}`,
        );
        return this.fail(
          dir,
          original,
          claimed,
          `${err.code}: ${err.message}${lines.length ? `\n\n${lines.join('\n')}` : ''}`,
        );
      }
      // Postgres or Redis away: give the document back for the next pass.
      this.logger.warn(`team ${teamId}: ${original} could not be processed now (${(err as Error).message}); retrying`);
      await renameIn(dir, claimed, original);
    }
  }

  private async fail(dir: string, original: string, claimed: string, message: string): Promise<void> {
    await writeAtomic(dir, `failed-${original}.error.txt`, `${message}\n`);
    await renameIn(dir, claimed, `failed-${original}`);
    this.logger.warn(`${original} failed: ${message.split('\n')[0]}`);
  }

  /** status.json and result.md of the tasks made from this folder's documents. */
  private async writeBack(teamId: string, dir: string, before: string[]): Promise<void> {
    const names = (await listFiles(dir)).map((f) => f.name);
    const present = new Set(names);
    for (const name of names.length ? names : before) {
      const processed = processedName(name);
      if (!processed || !present.has(name)) continue;
      const resultName = `${processed.original}.result.md`;
      if (present.has(resultName)) continue; // finished and written: nothing changes any more
      let task: TaskResponseDto;
      try {
        task = await this.tasks.get(teamId, processed.taskId);
      } catch (err) {
        if (err instanceof NotFoundError) continue; // deleted
        throw err;
      }
      const statusName = `${processed.original}.status.json`;
      const status = renderStatus(processed.original, task);
      const current = present.has(statusName)
        ? await readConfined(dir, statusName, MAX_DOCUMENT_BYTES).then(String, () => '')
        : '';
      if (current !== status) await writeAtomic(dir, statusName, status);
      if (isFinished(task.status)) await writeAtomic(dir, resultName, renderResult(processed.original, task));
    }
  }
}
