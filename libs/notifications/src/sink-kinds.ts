export const SINK_KINDS = ['slack', 'discord', 'json', 'file'] as const;
export type SinkKind = (typeof SINK_KINDS)[number];

/** Kinds that POST to a URL (checked by the outbound policy when saved and at connect time). */
export const URL_SINK_KINDS: readonly SinkKind[] = ['slack', 'discord', 'json'];

export { DELIVERY_STATUSES } from '@heddle/delivery';
export type { DeliveryStatus } from '@heddle/delivery';
