import { SseParser } from './sse-parser';

const data = (frames: { data: string }[]) => frames.map((f) => f.data);

describe('SseParser', () => {
  it('parses OpenCode frames: data-only lines separated by blank lines', () => {
    const p = new SseParser();
    const frames = p.push(
      'data: {"type":"server.connected","properties":{}}\n\n' + 'data: {"type":"server.heartbeat","properties":{}}\n\n',
    );
    expect(data(frames)).toEqual([
      '{"type":"server.connected","properties":{}}',
      '{"type":"server.heartbeat","properties":{}}',
    ]);
    expect(frames[0]).toEqual({ data: '{"type":"server.connected","properties":{}}' });
  });

  it('keeps a frame split across chunks at any byte until its blank line arrives', () => {
    const text = 'data: {"a":1}\n\ndata: {"b":2}\n\n';
    for (let cut = 0; cut <= text.length; cut++) {
      const p = new SseParser();
      const got = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut))];
      expect(data(got)).toEqual(['{"a":1}', '{"b":2}']);
    }
  });

  it('emits nothing for an unterminated frame and drops it at end()', () => {
    const p = new SseParser();
    expect(p.push('data: partial')).toEqual([]);
    expect(p.push('\n')).toEqual([]);
    p.end();
    expect(p.push('\n')).toEqual([]);
    expect(data(p.push('data: next\n\n'))).toEqual(['next']);
  });

  it('handles \\r\\n and \\r line ends, also when \\r\\n is split between chunks', () => {
    const p = new SseParser();
    expect(data(p.push('data: one\r\n\r\ndata: two\r\rdata: three\r'))).toEqual(['one', 'two']);
    expect(data(p.push('\n\r\n'))).toEqual(['three']);
  });

  it('joins multi-line data with \\n and strips exactly one space after the colon', () => {
    const p = new SseParser();
    expect(data(p.push('data: line1\ndata:line2\ndata:  indented\ndata\n\n'))).toEqual(['line1\nline2\n indented\n']);
  });

  it('ignores comments (counting them), unknown fields, and frames with no data', () => {
    const p = new SseParser();
    expect(p.push(': heartbeat\n\nfoo: bar\n\nevent: x\n\n')).toEqual([]);
    expect(p.comments).toBe(1);
  });

  it('reads event, id and retry fields, and remembers the last id', () => {
    const p = new SseParser();
    expect(p.push('event: update\nid: 7\nretry: 3000\ndata: x\n\ndata: y\n\n')).toEqual([
      { data: 'x', event: 'update', id: '7', retry: 3000 },
      { data: 'y', id: '7' },
    ]);
  });

  it('strips a leading byte-order mark only at the very start', () => {
    const p = new SseParser();
    expect(data(p.push('\ufeffdata: a\n\n'))).toEqual(['a']);
    expect(data(p.push('data: \ufeffb\n\n'))).toEqual(['\ufeffb']);
  });

  it('handles many frames in one chunk and unicode payloads', () => {
    const p = new SseParser();
    const chunk = Array.from({ length: 100 }, (_, i) => `data: {"n":${i},"s":"é✓"}\n\n`).join('');
    const frames = p.push(chunk);
    expect(frames).toHaveLength(100);
    expect(JSON.parse(frames[99].data)).toEqual({ n: 99, s: 'é✓' });
  });
});
