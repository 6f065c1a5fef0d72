import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '@heddle/common';
import { AppConfig } from '@heddle/config';
import { Delivery, Event, Sink } from '@heddle/db';
import { AttemptOutcome, AttemptVerdict, DeliveryTargetPort, eventPayload, postOnce } from '@heddle/delivery';
import { EventsWriter } from '@heddle/events';
import { OutboundPolicy, createOutboundFetch } from '@heddle/outbound';
import { FileSinkRefusedError, fileSinkName, writeConfinedFile } from './file-sink';
import { commentMarker, githubCommentBody, githubTarget, postGithubComment } from './github-comment';
import { discordBody, readableLine, slackBody } from './sink-message';
import { GITHUB_API_URL, SinkKind } from './sink-kinds';
import { SinkSecrets } from './sink-secrets';
import { SinksRepository } from './sinks.repository';

/**
 * What the `notify` consumer plugs into the delivery runner: loads sinks, sends one attempt to
 * each kind, and keeps each sink's health (a success clears `failingSince`; failing past
 * WEBHOOK_DISABLE_AFTER_SECONDS disables it with `SINK_DISABLED`). Senders never throw and never
 * log a sink's URL.
 */
@Injectable()
export class SinkPort implements DeliveryTargetPort<Sink> {
  private readonly logger = new Logger(SinkPort.name);
  private readonly fetch: typeof fetch;

  constructor(
    private readonly repository: SinksRepository,
    private readonly events: EventsWriter,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly secrets: SinkSecrets,
    policy: OutboundPolicy,
  ) {
    this.fetch = createOutboundFetch(policy, { connectTimeoutMs: Math.min(5_000, config.webhookTimeoutMs) });
  }

  load(delivery: Delivery): Promise<Sink | null> {
    if (!delivery.sinkId) return Promise.resolve(null);
    return this.repository.find(delivery.teamId, delivery.sinkId);
  }

  unavailable(sink: Sink): string | null {
    if (sink.disabledAt) return `the sink was disabled at ${sink.disabledAt.toISOString()} after failing`;
    if (!sink.enabled) return 'the sink is disabled';
    return null;
  }

  async send(sink: Sink, _delivery: Delivery, event: Event, attempt: number): Promise<AttemptOutcome> {
    const started = performance.now();
    try {
      switch (sink.kind as SinkKind) {
        case 'slack':
          return await this.post(sink, slackBody(readableLine(event, this.config.publicUrl)), event);
        case 'discord':
          return await this.post(sink, discordBody(readableLine(event, this.config.publicUrl)), event);
        case 'json':
          return await this.post(sink, eventPayload(event), event);
        case 'file':
          return await this.writeFile(sink, event, started);
        case 'github_comment':
          return await this.comment(sink, event, attempt);
        default:
          return { latencyMs: 0, refused: true, error: `unknown sink kind ${sink.kind}` };
      }
    } catch (err) {
      // Nothing above should throw; should it, the attempt fails (retried) rather than the job.
      this.logger.warn(`sink ${sink.id}: attempt failed unexpectedly: ${(err as Error).message}`);
      return { latencyMs: Math.round(performance.now() - started), error: 'internal error while sending' };
    }
  }

  private post(sink: Sink, body: unknown, event: Event): Promise<AttemptOutcome> {
    // A URL written before URLs were sealed, not sealed yet by this start: retried, by then it is.
    if (!sink.urlEnc && sink.url)
      return Promise.resolve({ latencyMs: 0, error: 'the sink URL is being sealed; retried shortly' });
    let url: string | null;
    try {
      url = this.secrets.urlOf(sink);
    } catch {
      return Promise.resolve({ latencyMs: 0, refused: true, error: 'the sink URL does not decrypt with this key' });
    }
    if (!url) return Promise.resolve({ latencyMs: 0, refused: true, error: 'the sink has no URL' });
    return postOnce(this.fetch, {
      url,
      headers: { 'user-agent': 'Heddle-Notify/1', 'heddle-event-id': event.id, 'heddle-event-type': event.type },
      body: JSON.stringify(body),
      timeoutMs: this.config.webhookTimeoutMs,
    });
  }

  private async comment(sink: Sink, event: Event, attempt: number): Promise<AttemptOutcome> {
    const target = event.taskId ? githubTarget(await this.repository.originOfTask(sink.teamId, event.taskId)) : null;
    if (!target)
      return { latencyMs: 0, refused: true, error: 'the task did not come from a GitHub issue or pull request' };
    let token: string | null;
    let apiUrl: string | null;
    try {
      token = this.secrets.tokenOf(sink);
      apiUrl = this.secrets.urlOf(sink);
    } catch {
      return { latencyMs: 0, refused: true, error: 'the sink token or URL does not decrypt with this key' };
    }
    if (!token) return { latencyMs: 0, refused: true, error: 'the sink has no GitHub token' };
    return postGithubComment(this.fetch, {
      apiUrl: apiUrl ?? GITHUB_API_URL,
      token,
      target,
      body: githubCommentBody(event, this.config.publicUrl),
      marker: commentMarker(event.id),
      lookFirstSince: attempt > 1 ? event.createdAt : null,
      timeoutMs: this.config.webhookTimeoutMs,
    });
  }

  private async writeFile(sink: Sink, event: Event, started: number): Promise<AttemptOutcome> {
    const elapsed = () => Math.round(performance.now() - started);
    const root = this.config.fileSinkRoot;
    // Retried: the operator may set it again; a refusal would end the delivery at once.
    if (!root) return { latencyMs: elapsed(), error: 'file sinks are off (HEDDLE_FILE_SINK_ROOT is not set)' };
    if (!sink.filePrefix) return { latencyMs: elapsed(), refused: true, error: 'the file sink has no prefix' };
    const name = fileSinkName(sink.filePrefix, event.type, event.createdAt, event.seq);
    try {
      const written = await writeConfinedFile(
        root,
        sink.teamId,
        name,
        `${JSON.stringify(eventPayload(event), null, 2)}\n`,
      );
      return { statusCode: 200, latencyMs: elapsed(), responseExcerpt: `wrote ${written.relativePath}` };
    } catch (err) {
      if (err instanceof FileSinkRefusedError) return { latencyMs: elapsed(), refused: true, error: err.message };
      // EACCES, ENOSPC, EROFS, a missing root…: retried on the schedule. Never the operator's path.
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      const hint = code === 'ENOENT' ? ' (does the HEDDLE_FILE_SINK_ROOT directory exist?)' : '';
      return { latencyMs: elapsed(), error: `${code}: could not write ${sink.teamId}/${name}${hint}` };
    }
  }

  async afterAttempt(sink: Sink, verdict: AttemptVerdict): Promise<void> {
    try {
      if (verdict === 'delivered') {
        if (sink.failingSince) await this.repository.clearFailing(sink.teamId, sink.id);
        return;
      }
      await this.recordFailure(sink.teamId, sink.id);
    } catch (err) {
      // Health bookkeeping is best effort: the next attempt records it again.
      this.logger.warn(`sink ${sink.id}: could not record its health: ${(err as Error).message}`);
    }
  }

  /**
   * Under the sink's row lock: `failingSince ??= now`; failing for longer than the limit disables the
   * sink and writes SINK_DISABLED in the same transaction (once: a disabled sink is not touched).
   */
  private recordFailure(teamId: string, id: string): Promise<void> {
    return this.repository.transaction(async () => {
      const sink = await this.repository.findForUpdate(teamId, id);
      if (!sink || sink.disabledAt) return;
      const now = this.clock.now();
      const failingSince = sink.failingSince ?? now;
      const failingSeconds = (now.getTime() - failingSince.getTime()) / 1000;
      if (failingSeconds < this.config.webhookDisableAfterSeconds) {
        if (!sink.failingSince) await this.repository.update(teamId, id, { failingSince });
        return;
      }
      await this.repository.update(teamId, id, { failingSince, disabledAt: now });
      await this.events.append(teamId, {
        type: 'SINK_DISABLED',
        data: {
          sinkId: id,
          name: sink.name,
          kind: sink.kind,
          status: 'disabled',
          reason: 'failing',
          failingSince: failingSince.toISOString(),
          disabledAt: now.toISOString(),
          failingSeconds: Math.round(failingSeconds),
        },
      });
    });
  }
}
