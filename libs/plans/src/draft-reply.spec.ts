import { DRAFT_MAX_ITEMS, DRAFT_MIN_ITEMS, draftPrompt, parseDraftReply } from './draft-reply';

const list = (n: number, marker = ' ') => Array.from({ length: n }, (_, i) => `- [${marker}] step ${i + 1}`).join('\n');

describe('parseDraftReply', () => {
  it.each<[string, string, string[] | number]>([
    ['a bare checklist', list(3), ['step 1', 'step 2', 'step 3']],
    ['prose around it', `Sure! Here is the plan:\n\n${list(4)}\n\nLet me know if you want changes.`, 4],
    ['a heading and indented items', `## Plan\n  - [ ] one\n  - [ ] two\n\t- [ ] three`, ['one', 'two', 'three']],
    ['CRLF line ends', list(3).replace(/\n/g, '\r\n'), ['step 1', 'step 2', 'step 3']],
    ['any marker counts as an item', `- [x] a\n- [MANUAL] b\n- [BLOCKED: c] c\n- [~] d`, ['a', 'b', 'c', 'd']],
    ['the most items allowed', list(DRAFT_MAX_ITEMS), DRAFT_MAX_ITEMS],
    ['plain bullets next to items are prose', `- intro\n${list(3)}\n1. not an item`, 3],
  ])('%s → items', (_name, reply, expected) => {
    const parsed = parseDraftReply(reply);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    if (typeof expected === 'number') expect(parsed.items).toHaveLength(expected);
    else expect(parsed.items).toEqual(expected);
  });

  it.each<[string, string, number, RegExp]>([
    ['no checklist at all', 'I think you should add a route, then a test.', 0, /no checklist/],
    ['too few items', list(DRAFT_MIN_ITEMS - 1), DRAFT_MIN_ITEMS - 1, /has 2 items; 3 to 8 are wanted/],
    ['one item', list(1), 1, /has 1 item; /],
    ['too many items', `Plan:\n${list(DRAFT_MAX_ITEMS + 1)}`, DRAFT_MAX_ITEMS + 1, /has 9 items; 3 to 8/],
    ['only empty items', '- [ ]\n- [ ]   \n- [ ] ', 0, /no checklist/],
    ['links are not items', '- [README](README.md)\n- [docs](docs/)\n- [x](y)', 0, /no checklist/],
  ])('%s → refused', (_name, reply, found, reason) => {
    const parsed = parseDraftReply(reply);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.found).toBe(found);
    expect(parsed.reason).toMatch(reason);
  });
});

describe('draftPrompt', () => {
  it('names the workspace, the bounds and the answer format, and ends with the intent', () => {
    const prompt = draftPrompt('  Add a health check  ', '/srv/ws');
    expect(prompt).toContain('/srv/ws');
    expect(prompt).toContain(`${DRAFT_MIN_ITEMS} to ${DRAFT_MAX_ITEMS}`);
    expect(prompt).toContain('"- [ ] "');
    expect(prompt.endsWith('\nAdd a health check')).toBe(true);
  });

  it("holds none of the scripted test model's directives, so the intent alone decides a scripted reply", () => {
    const fixed = draftPrompt('x', '/w');
    expect(fixed).not.toMatch(/\b(FAIL|HANG|NOTOOL|SLEEPTOOL|SLOW|ASK)\b|SAY:|CALL:|FILE:|TOKENS:/);
  });
});
