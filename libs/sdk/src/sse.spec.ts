import { SseParser } from './sse';

describe('SseParser', () => {
  it('parses frames split anywhere across chunks, skips comments, joins data lines', () => {
    const text =
      ': connected\r\n\r\nid: 7\nevent: A\ndata: {"seq":7}\n\n: heartbeat\n\nid: 8\r\nevent: B\r\ndata: x\r\ndata: y\r\n\r\n';
    for (let cut = 0; cut <= text.length; cut++) {
      const p = new SseParser();
      const frames = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut))];
      expect(frames).toEqual([
        { id: '7', event: 'A', data: '{"seq":7}' },
        { id: '8', event: 'B', data: 'x\ny' },
      ]);
      expect(p.lastEventId).toBe('8');
    }
  });

  it('an id-only frame dispatches nothing but moves lastEventId (a resumed stream starts with one)', () => {
    const p = new SseParser();
    expect(p.push('id: 41\n\n')).toEqual([]);
    expect(p.lastEventId).toBe('41');
    expect(p.push('data: z\n\n')).toEqual([{ id: '41', event: undefined, data: 'z' }]);
  });
});
