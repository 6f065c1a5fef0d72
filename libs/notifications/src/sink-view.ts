import { toDeliveryBase } from '@heddle/delivery';
import type { Delivery, DeliveryAttempt, Sink } from '@heddle/db';
import type { SinkDeliveryDto, SinkResponseDto } from './dto/sink.dto';
import type { SinkKind } from './sink-kinds';

/**
 * A sink URL as anyone but the receiver may see it: scheme and host (with port), the rest masked.
 * Incoming-webhook URLs carry their secret in the path (Slack's `/services/T…/B…/<secret>`,
 * Discord's `/api/webhooks/<id>/<token>`), and a generic endpoint may carry one in its query, so
 * responses, audit rows and events only ever hold this form.
 */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    const hidden = url.pathname !== '/' || url.search !== '' || url.hash !== '';
    return `${url.protocol}//${url.host}/${hidden ? '***' : ''}`;
  } catch {
    return '***';
  }
}

/** The wire shape of a sink: its URL (opened from `urlEnc` by the caller) redacted. */
export function toSinkResponse(sink: Sink, url: string | null): SinkResponseDto {
  return {
    id: sink.id,
    name: sink.name,
    kind: sink.kind as SinkKind,
    url: url === null ? null : redactUrl(url),
    filePrefix: sink.filePrefix,
    tokenSet: sink.tokenEnc !== null,
    events: sink.events,
    enabled: sink.enabled,
    failingSince: sink.failingSince?.toISOString() ?? null,
    disabledAt: sink.disabledAt?.toISOString() ?? null,
    createdAt: sink.createdAt.toISOString(),
    updatedAt: sink.updatedAt.toISOString(),
  };
}

/** A sink's description for audit rows and events: never the URL itself. */
export function sinkSummary(sink: Sink, url: string | null) {
  return {
    name: sink.name,
    kind: sink.kind,
    ...(url !== null ? { url: redactUrl(url) } : {}),
    ...(sink.filePrefix !== null ? { filePrefix: sink.filePrefix } : {}),
    events: sink.events,
    enabled: sink.enabled,
  };
}

export function toSinkDelivery(delivery: Delivery & { attemptLog: DeliveryAttempt[] }): SinkDeliveryDto {
  return toDeliveryBase(delivery);
}
