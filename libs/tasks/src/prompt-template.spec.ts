import { DEFAULT_PLAN_TEMPLATE, DEFAULT_TEMPLATE, renderPrompt, unknownPlaceholders } from './prompt-template';

describe('renderPrompt', () => {
  const values = {
    goal: 'Add a health endpoint',
    steps: ['write the route', 'test it'],
    checks: ['file_exists src/health.ts'],
    workspace: '/srv/app',
  };

  it('fills every placeholder of the default template', () => {
    const prompt = renderPrompt(DEFAULT_TEMPLATE, values);
    expect(prompt).toContain('You are working in /srv/app.');
    expect(prompt).toContain('Add a health endpoint');
    expect(prompt).toContain('1. write the route\n2. test it');
    expect(prompt).toContain('- file_exists src/health.ts');
    expect(prompt).not.toMatch(/\{\{|\}\}/);
    expect(prompt).not.toContain('still fail');
  });

  it('names failing checks on later turns', () => {
    const prompt = renderPrompt(DEFAULT_TEMPLATE, {
      ...values,
      failingChecks: '- file_exists src/health.ts: not found',
    });
    expect(prompt).toContain('These checks still fail');
    expect(prompt).toContain('- file_exists src/health.ts: not found');
  });

  it('puts the plan path into the plan template and says what is missing', () => {
    const prompt = renderPrompt(DEFAULT_PLAN_TEMPLATE, { goal: 'g', workspace: '/w', planFile: '/w/PLAN.md' });
    expect(prompt).toContain('Read the plan at /w/PLAN.md.');
    expect(renderPrompt('{{STEPS}} | {{CHECKS}}', { goal: 'g', workspace: '/w' })).toBe(
      '(none given: plan them yourself) | - (none: the working tree must change)',
    );
  });

  it('leaves unknown placeholders alone and reports them', () => {
    expect(renderPrompt('{{GOAL}} {{GAOL}}', values)).toBe('Add a health endpoint {{GAOL}}');
    expect(unknownPlaceholders('{{GOAL}} {{GAOL}} {{steps}}')).toEqual(['GAOL', 'steps']);
  });
});
