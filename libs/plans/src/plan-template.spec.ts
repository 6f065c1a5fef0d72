import { parsePlan } from '@heddle/checks';
import { DEFAULT_PLAN_TEMPLATE } from '@heddle/tasks';
import { STARTER_ITEMS, loopPrompt, planItemText, starterPlan } from './plan-template';

describe('starterPlan', () => {
  it('is a plan the checks parser reads: the starter items open, nothing complete', () => {
    const parsed = parsePlan(starterPlan());
    expect(parsed.items.map((i) => i.text)).toEqual([...STARTER_ITEMS]);
    expect(parsed.items.every((i) => i.state === 'open')).toBe(true);
    expect(parsed.complete).toBe(false);
    expect(parsed.tag).toBeNull();
    expect(parsed.percent).toBe(0);
  });

  it('uses the title, goal and items given, one line each, in order', () => {
    const text = starterPlan({
      title: 'Health\nendpoint',
      goal: 'Add GET /health.',
      items: ['Add the route', ' a\ntest ', '- [x] docs'],
    });
    expect(text.startsWith('# Health endpoint\n\nAdd GET /health.\n')).toBe(true);
    expect(parsePlan(text).items.map((i) => [i.text, i.state])).toEqual([
      ['Add the route', 'open'],
      ['a test', 'open'],
      ['docs', 'open'],
    ]);
  });

  it('mentions the markers and the closing tag without the parser counting them', () => {
    const text = starterPlan({ items: ['one'] });
    for (const marker of ['- [x]', '[MANUAL]', '[BLOCKED: reason]', '<plan-complete>']) expect(text).toContain(marker);
    const parsed = parsePlan(text);
    expect(parsed.counts).toEqual({ total: 1, done: 0, open: 1, manual: 0, blocked: 0 });
    expect(parsed.tag).toBeNull();
  });

  it.each([
    ['- [ ] do it', 'do it'],
    ['* step', 'step'],
    ['[README](README.md) update', '[README](README.md) update'],
    ['  spaced   out  ', 'spaced out'],
  ])('planItemText(%j) → %j', (input, out) => expect(planItemText(input)).toBe(out));
});

describe('loopPrompt', () => {
  it('is the plan-mode template with the goal filled and {{PLAN_FILE}} kept for run time', () => {
    const prompt = loopPrompt('Ship the health endpoint');
    expect(prompt).toContain('{{PLAN_FILE}}');
    expect(prompt).not.toContain('{{GOAL}}');
    expect(prompt).toContain('Goal of the whole plan: Ship the health endpoint');
    expect(prompt).toContain('<plan-complete>');
    expect(prompt.startsWith(DEFAULT_PLAN_TEMPLATE.split('{{GOAL}}')[0]!)).toBe(true);
  });

  it('has a generic goal without one', () => {
    expect(loopPrompt()).toContain('Goal of the whole plan: work through the plan');
  });
});
