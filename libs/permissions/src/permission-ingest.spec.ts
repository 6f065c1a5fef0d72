import { MAX_METADATA_TEXT, boundedMetadata } from './permission-ingest';

describe('boundedMetadata', () => {
  it('keeps small metadata as OpenCode sent it', () => {
    expect(boundedMetadata({ command: 'ls', nested: { a: 1 } })).toEqual({ command: 'ls', nested: { a: 1 } });
    expect(boundedMetadata(null)).toEqual({});
    expect(boundedMetadata(['x'])).toEqual({});
  });

  it('cuts a long text (a whole-file diff) and, when still too big, keeps only the keys', () => {
    const cut = boundedMetadata({ filepath: '/w/a', diff: 'x'.repeat(MAX_METADATA_TEXT + 10) });
    expect(cut.filepath).toBe('/w/a');
    expect(cut.diff).toBe(`${'x'.repeat(MAX_METADATA_TEXT)}…[truncated]`);
    const huge = boundedMetadata({ list: Array.from({ length: 50_000 }, (_, i) => `item-${i}`) });
    expect(huge).toEqual({ truncated: true, keys: ['list'] });
  });
});
