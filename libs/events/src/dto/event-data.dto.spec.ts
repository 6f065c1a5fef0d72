import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getSchemaPath } from '@nestjs/swagger';
import { EVENT_TYPES } from '@heddle/common';
import { EVENT_DATA } from './event-data.dto';
import { EVENT_VARIANTS, eventVariantName } from './event-variants.dto';

type Schema = Record<string, any>;

/** The committed document (`npm run openapi`; CI fails when it differs from a fresh one). */
const schemas: Record<string, Schema> = JSON.parse(
  readFileSync(join(__dirname, '../../../../docs/openapi.json'), 'utf8'),
).components.schemas;
const ref = (path: string): Schema => schemas[path.replace('#/components/schemas/', '')]!;

describe('event schemas', () => {
  it('describe the data of every event type, each type with its own variant', () => {
    expect(Object.keys(EVENT_DATA).sort()).toEqual([...EVENT_TYPES].sort());
    expect([...EVENT_VARIANTS.keys()]).toEqual([...EVENT_TYPES]);
    expect(new Set([...EVENT_VARIANTS.values()].map((v) => v.name)).size).toBe(EVENT_TYPES.length);
    expect(eventVariantName('TASK_CREATED')).toBe('TaskCreatedEventDto');
    expect(eventVariantName('SESSION_STALE_BUSY')).toBe('SessionStaleBusyEventDto');
  });

  it('make EventDto a union discriminated by type with a mapping entry for every EVENT_TYPES member', () => {
    const union = schemas.EventDto!;
    expect(union.type).toBeUndefined();
    expect(union.properties).toBeUndefined();
    expect(union.discriminator.propertyName).toBe('type');
    const mapping: Record<string, string> = union.discriminator.mapping;
    expect(Object.keys(mapping).sort()).toEqual([...EVENT_TYPES].sort());
    expect(union.oneOf.map((o: Schema) => o.$ref).sort()).toEqual(Object.values(mapping).sort());
    for (const type of EVENT_TYPES) {
      const variant = ref(mapping[type]!);
      expect({ type, enum: variant.properties.type.enum }).toEqual({ type, enum: [type] });
      expect(variant.required).toEqual(['id', 'seq', 'type', 'teamId', 'taskId', 'hostId', 'time', 'data']);
      expect(variant.properties.data.$ref).toBe(getSchemaPath(EVENT_DATA[type]));
      expect({ type, open: ref(variant.properties.data.$ref).additionalProperties }).toEqual({ type, open: true });
    }
  });

  it("carry the task's common payload in every task event's data (CHECK_RESULT's status is the checks')", () => {
    const common = ['name', 'status', 'reason', 'verification', 'currentTurn', 'stale', 'waiting', 'claimedComplete'];
    const taskTypes = EVENT_TYPES.filter((t) => /^(TASK|TURN|CHECK|MESSAGE|SESSION|LOG)_/.test(t));
    for (const type of taskTypes) {
      const data = schemas[EVENT_DATA[type].name]!;
      expect({ type, missing: [...common, 'activity', 'progress'].filter((k) => !data.required.includes(k)) }).toEqual({
        type,
        missing: [],
      });
    }
    expect(schemas.CheckResultEventDataDto!.properties.status.enum).toEqual(['pass', 'fail', 'error']);
  });
});
