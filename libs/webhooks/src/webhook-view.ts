import type { EventType } from '@heddle/common';
import type { WebhookEndpoint } from '@heddle/db';
import { toDeliveryBase } from '@heddle/delivery';
import type { DeliveryResponseDto } from './dto/delivery.dto';
import type { WebhookResponseDto } from './dto/webhook.dto';
import type { DeliveryWithAttempts } from './webhooks.repository';

const iso = (d: Date | null) => d?.toISOString() ?? null;

/**
 * An endpoint URL as anyone but the receiver may see it (answers, audit rows): receivers that
 * authenticate Heddle by a token in the query (`https://ci.example.com/hook?token=abc`) or, for
 * other URLs, by user info keep it to themselves — every query value and any user info become
 * `***` (`?token=***`), the fragment goes; scheme, host, path and query names stay, so the endpoint
 * is still recognisable. Deliveries use the full URL.
 */
export function redactWebhookUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return '***';
  }
  const userinfo = url.username || url.password ? '***@' : '';
  const query = [...url.searchParams.keys()].map((name) => `${encodeURIComponent(name)}=***`).join('&');
  return `${url.protocol}//${userinfo}${url.host}${url.pathname}${url.search ? `?${query}` : ''}`;
}

/** The wire shape of an endpoint: never a secret, sealed or not, nor a token in its URL. */
export function toWebhookResponse(webhook: WebhookEndpoint): WebhookResponseDto {
  return {
    id: webhook.id,
    url: redactWebhookUrl(webhook.url),
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
