import type { EventType } from '@heddle/common';
import type { WebhookEndpoint } from '@heddle/db';
import type { DeliveryResponseDto, DeliveryStatus } from './dto/delivery.dto';
import type { WebhookResponseDto } from './dto/webhook.dto';
import type { DeliveryWithAttempts } from './webhooks.repository';

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** The wire shape of an endpoint: never a secret, sealed or not. */
export function toWebhookResponse(webhook: WebhookEndpoint): WebhookResponseDto {
  return {
    id: webhook.id,
    url: webhook.url,
    events: webhook.events as EventType[],
    description: webhook.description,
    enabled: webhook.enabled,
    disabledAt: iso(webhook.disabledAt),
    disabledReason: webhook.disabledReason,
    failingSince: iso(webhook.failingSince),
    previousSecretExpiresAt: iso(webhook.previousSecretExpiresAt),
    createdAt: webhook.createdAt.toISOString(),
    updatedAt: webhook.updatedAt.toISOString(),
  };
}

export function toDeliveryResponse(delivery: DeliveryWithAttempts): DeliveryResponseDto {
  return {
    id: delivery.id,
    webhookId: delivery.webhookId!,
    eventId: delivery.eventId,
    eventSeq: Number(delivery.eventSeq),
    eventType: delivery.eventType,
    status: delivery.status as DeliveryStatus,
    nextAttemptAt: delivery.status === 'pending' ? iso(delivery.nextAttemptAt) : null,
    lastStatus: delivery.lastStatus,
    lastError: delivery.lastError,
    deliveredAt: iso(delivery.deliveredAt),
    attempts: delivery.attemptLog.map((a) => ({
      number: a.number,
      statusCode: a.statusCode,
      latencyMs: a.latencyMs,
      responseExcerpt: a.responseExcerpt,
      error: a.error,
      createdAt: a.createdAt.toISOString(),
    })),
    createdAt: delivery.createdAt.toISOString(),
    updatedAt: delivery.updatedAt.toISOString(),
  };
}

/** Where an endpoint points, for events (a URL's path or query may hold a receiver's token). */
export function urlHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}
