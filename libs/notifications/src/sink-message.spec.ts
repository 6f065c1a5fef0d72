import { discordBody, eventLink, oneLine, readableLine, slackBody } from './sink-message';

const PUBLIC = 'https://heddle.example.com';
const TASK = '0195f3c2-9a00-7000-8000-00000000a001';
const HOST = '0195f3c2-9a00-7000-8000-00000000b001';

const taskEvent = (type: string, data: Record<string, unknown>) => ({
  type,
  seq: 7n,
  taskId: TASK,
  hostId: HOST,
  data,
});

describe('readableLine', () => {
  it('names the event type, task, status and links the task', () => {
    expect(
      readableLine(taskEvent('TASK_COMPLETED', { name: 'add-health', status: 'completed', reason: null }), PUBLIC),
    ).toBe(`✅ TASK_COMPLETED · add-health · completed · ${PUBLIC}/api/tasks/${TASK}`);
  });

  it('adds the reason when there is one', () => {
    expect(
      readableLine(taskEvent('TASK_FAILED', { name: 'add-health', status: 'failed', reason: 'budget.turns' }), PUBLIC),
    ).toBe(`❌ TASK_FAILED · add-health · failed · budget.turns · ${PUBLIC}/api/tasks/${TASK}`);
  });

  it('links the host for host events and the event log for team events', () => {
    expect(
      readableLine(
        { type: 'HOST_OFFLINE', seq: 3, taskId: null, hostId: HOST, data: { name: 'box-1', status: 'offline' } },
        PUBLIC,
      ),
    ).toBe(`🔴 HOST_OFFLINE · box-1 · offline · ${PUBLIC}/api/hosts/${HOST}`);
    expect(
      readableLine(
        { type: 'TEAM_UPDATED', seq: 12n, taskId: null, hostId: null, data: { name: 'core', changes: {} } },
        PUBLIC,
      ),
    ).toBe(`🔔 TEAM_UPDATED · core · ${PUBLIC}/api/events?after=11&limit=1`);
  });

  it('keeps to one line: newlines and control characters become spaces, long names are cut', () => {
    const line = readableLine(
      taskEvent('TASK_CREATED', { name: `evil\nname\r\twith\u0007bell ${'x'.repeat(300)}`, status: 'queued' }),
      PUBLIC,
    );
    for (const c of ['\n', '\r', '\t', '\u0007']) expect(line).not.toContain(c);
    expect(line).toContain('evil name with bell x');
    expect(line.length).toBeLessThan(300);
    expect(oneLine('a'.repeat(10), 5)).toBe('aaaa…');
  });

  it('ignores fields that are not strings and joins a public URL with a path without doubling slashes', () => {
    expect(readableLine(taskEvent('TASK_UPDATED', { name: 42, status: { x: 1 } }), 'https://h.example.com/base/')).toBe(
      `🔄 TASK_UPDATED · https://h.example.com/base/api/tasks/${TASK}`,
    );
    expect(eventLink({ type: 'X', seq: 1, taskId: null, hostId: null, data: null }, PUBLIC)).toBe(
      `${PUBLIC}/api/events?after=0&limit=1`,
    );
  });
});

describe('Slack and Discord bodies', () => {
  it('escapes Slack markup so a task name cannot ping a channel', () => {
    expect(slackBody('🆕 TASK_CREATED · <!channel> & co · queued')).toEqual({
      text: '🆕 TASK_CREATED · &lt;!channel&gt; &amp; co · queued',
    });
  });

  it('sends Discord the line as content with mentions turned off', () => {
    expect(discordBody('🆕 TASK_CREATED · @everyone · queued')).toEqual({
      content: '🆕 TASK_CREATED · @everyone · queued',
      allowed_mentions: { parse: [] },
    });
  });
});
