import { redactUrl } from './sink-view';
import { kindFieldErrors } from './sinks.service';

describe('redactUrl', () => {
  it('keeps scheme and host (with port) and masks path, query and fragment', () => {
    expect(redactUrl('https://hooks.slack.com/services/T000/B000/XXXXSECRET')).toBe('https://hooks.slack.com/***');
    expect(redactUrl('https://discord.com/api/webhooks/123/tok-en')).toBe('https://discord.com/***');
    expect(redactUrl('http://127.0.0.1:8080/?token=abc')).toBe('http://127.0.0.1:8080/***');
    expect(redactUrl('https://example.com')).toBe('https://example.com/');
    expect(redactUrl('not a url')).toBe('***');
  });
});

describe('kindFieldErrors', () => {
  it('needs a url for URL kinds and a filePrefix for file sinks, and refuses the other', () => {
    expect(kindFieldErrors('slack', {}, true)).toEqual([
      { field: 'url', errors: ['url is required for a slack sink'] },
    ]);
    expect(kindFieldErrors('json', { url: 'https://x', filePrefix: 'p' }, true)).toEqual([
      { field: 'filePrefix', errors: ['filePrefix is only for file sinks, not json'] },
    ]);
    expect(kindFieldErrors('file', {}, true)).toEqual([
      { field: 'filePrefix', errors: ['filePrefix is required for a file sink'] },
    ]);
    expect(kindFieldErrors('file', { filePrefix: 'p', url: 'https://x' }, true)).toEqual([
      { field: 'url', errors: ['url is not used by file sinks'] },
    ]);
    // Changes need neither.
    expect(kindFieldErrors('discord', {}, false)).toEqual([]);
    expect(kindFieldErrors('file', {}, false)).toEqual([]);
  });
});
