import { Type } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { EVENT_TYPES, EventType } from '@heddle/common';
import { EVENT_DATA } from './event-data.dto';

/** `TASK_CREATED` → `TaskCreatedEventDto`. */
export function eventVariantName(type: EventType): string {
  const words = type.toLowerCase().split('_');
  return `${words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('')}EventDto`;
}

/**
 * One event type's schema: the envelope every event has, `type` as that one value and `data` as the
 * type's own schema (EVENT_DATA). Made from the table rather than written out 28 times.
 */
function eventVariant(type: EventType, data: Type<unknown>): Type<unknown> {
  class Variant {}
  Object.defineProperty(Variant, 'name', { value: eventVariantName(type) });
  const property = (key: string, options: Parameters<typeof ApiProperty>[0]) =>
    ApiProperty(options)(Variant.prototype, key);
  property('id', { type: String, format: 'uuid' });
  property('seq', { type: Number, example: 42, description: 'Per-team, strictly increasing, gap-free.' });
  property('type', { type: String, enum: [type] });
  property('teamId', { type: String, format: 'uuid' });
  property('taskId', { type: String, format: 'uuid', nullable: true });
  property('hostId', { type: String, format: 'uuid', nullable: true });
  property('time', { type: String, format: 'date-time' });
  property('data', { type: data });
  return Variant;
}

/** Every event type's schema, in EVENT_TYPES order. */
export const EVENT_VARIANTS: ReadonlyMap<EventType, Type<unknown>> = new Map(
  EVENT_TYPES.map((type) => [type, eventVariant(type, EVENT_DATA[type])]),
);
