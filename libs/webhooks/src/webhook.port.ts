import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '@heddle/common';
import { AppConfig } from '@heddle/config';
import { Delivery, Event, WebhookEndpoint } from '@heddle/db';
import { AttemptOutcome, AttemptVerdict, DeliveryTargetPort, eventPayload, postOnce } from '@heddle/delivery';
import { OutboundPolicy, createOutboundFetch } from '@heddle/outbound';
import { signedHeaders } from './webhook-signature';
import { WebhookSecrets } from './webhook-secrets';
import { WebhooksRepository } from './webhooks.repository';
import { WebhooksService } from './webhooks.service';

/**
 * What the delivery engine needs to deliver to a webhook endpoint: the endpoint, whether it may be
 * sent to, one signed POST (Standard Webhooks), and the endpoint's health after each attempt.
 */
@Injectable()
export class WebhookPort implements DeliveryTargetPort<WebhookEndpoint> {
  private readonly logger = new Logger(WebhookPort.name);
  /** The policy is checked on the address connected to; redirects are never followed. */
  private readonly fetch: typeof fetch;
  /** The last outcome per loaded endpoint (one object per attempt), for the disable reason. */
  private readonly outcomes = new WeakMap<WebhookEndpoint, AttemptOutcome>();

  constructor(
    private readonly repository: WebhooksRepository,
    private readonly webhooks: WebhooksService,
    private readonly secrets: WebhookSecrets,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    policy: OutboundPolicy,
  ) {
    this.fetch = createOutboundFetch(policy);
  }

  load(delivery: Delivery): Promise<WebhookEndpoint | null> {
    if (!delivery.webhookId) return Promise.resolve(null);
    return this.repository.find(delivery.teamId, delivery.webhookId);
  }

  unavailable(webhook: WebhookEndpoint): string | null {
    if (webhook.disabledAt) return `the webhook was disabled: ${webhook.disabledReason ?? 'failing'}`;
    if (!webhook.enabled) return 'the webhook is disabled';
    return null;
  }

  async send(webhook: WebhookEndpoint, _delivery: Delivery, event: Event): Promise<AttemptOutcome> {
    const now = this.clock.now();
    let secrets: string[];
    try {
      secrets = this.signingSecrets(webhook, now);
    } catch {
      return {
        latencyMs: 0,
        refused: true,
        error: 'the signing secret cannot be decrypted (was HEDDLE_ENCRYPTION_KEY changed?)',
      };
    }
    // The event id is the message id: the same on every attempt and every resend.
    const body = JSON.stringify(eventPayload(event));
    const outcome = await postOnce(this.fetch, {
      url: webhook.url,
      headers: { ...signedHeaders(secrets, event.id, now, body) },
      body,
      timeoutMs: this.config.webhookTimeoutMs,
    });
    this.outcomes.set(webhook, outcome);
    return outcome;
  }

  async afterAttempt(webhook: WebhookEndpoint, verdict: AttemptVerdict): Promise<void> {
    const outcome = this.outcomes.get(webhook);
    const lastError = outcome?.error ?? (outcome?.statusCode !== undefined ? `HTTP ${outcome.statusCode}` : undefined);
    try {
      await this.webhooks.recordVerdict(webhook.teamId, webhook.id, verdict, lastError);
    } catch (err) {
      // Bookkeeping must not cost the delivery its next attempt; the next verdict catches up.
      this.logger.warn(`could not record the health of webhook ${webhook.id}: ${String(err)}`);
    }
  }

  /** The current secret, then the previous one while a rotation's overlap lasts. */
  private signingSecrets(webhook: WebhookEndpoint, now: Date): string[] {
    const secrets = [this.secrets.open(webhook.teamId, webhook.secretEnc)];
    if (webhook.previousSecretEnc && webhook.previousSecretExpiresAt && webhook.previousSecretExpiresAt > now)
      secrets.push(this.secrets.open(webhook.teamId, webhook.previousSecretEnc));
    return secrets;
  }
}
