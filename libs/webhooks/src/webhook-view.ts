import type { EventType } from '@heddle/common';
import type { WebhookEndpoint } from '@heddle/db';
import { toDeliveryBase } from '@heddle/delivery';
import type { DeliveryResponseDto } from './dto/delivery.dto';
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
  return { ...toDeliveryBase(delivery), webhookId: delivery.webhookId! };
}

/** Where an endpoint points, for events (a URL's path or query may hold a receiver's token). */
export function urlHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}
