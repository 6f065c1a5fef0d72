import { TemplateError, checkTemplate, getPath, parsePath, renderTemplate } from './template';

describe('hook templates', () => {
  const payload = {
    title: 'Fix it',
    body: 'The build is red',
    tags: ['a', 'b'],
    repo: { 'full name': 'acme/api' },
    n: 3,
  };

  it('reads paths with dots, brackets and indexes', () => {
    expect(parsePath("$.a.b[0]['c d']")).toEqual(['a', 'b', 0, 'c d']);
    expect(getPath(payload, '$.tags[1]')).toBe('b');
    expect(getPath(payload, "$.repo['full name']")).toBe('acme/api');
    expect(getPath(payload, '$')).toBe(payload);
    expect(getPath(payload, '$.missing.deeper')).toBeUndefined();
  });

  it('never walks the prototype chain', () => {
    expect(getPath(payload, '$.constructor')).toBeUndefined();
    expect(getPath(payload, '$.__proto__')).toBeUndefined();
    expect(getPath(payload, '$.tags.length')).toBeUndefined();
  });

  it('rejects anything that is not a plain path (no code)', () => {
    for (const bad of ['title', '$.a()', '$[?(@.x)]', '$..a', '$.a + 1', '$["a"]; process.exit()'])
      expect(() => parsePath(bad)).toThrow();
  });

  it('fills placeholders; a whole-string placeholder keeps its type', () => {
    const task = renderTemplate(
      {
        name: '{{ $.title }}',
        goal: 'Goal: {{$.body}} ({{ $.n }})',
        workspace: '/srv/x',
        labels: '{{ $.tags }}',
        steps: ['{{ $.title }}', 'then test'],
      },
      payload,
    );
    expect(task).toEqual({
      name: 'Fix it',
      goal: 'Goal: The build is red (3)',
      workspace: '/srv/x',
      labels: ['a', 'b'],
      steps: ['Fix it', 'then test'],
    });
  });

  it('names the field whose path is missing', () => {
    let error: TemplateError | undefined;
    try {
      renderTemplate({ name: '{{ $.title }}', goal: '{{ $.description }}' }, payload);
    } catch (err) {
      error = err as TemplateError;
    }
    expect(error).toBeInstanceOf(TemplateError);
    expect(error!.details).toEqual([{ field: 'template.goal', errors: ['$.description is missing from the payload'] }]);
  });

  it('checks a template when it is saved', () => {
    expect(checkTemplate({ goal: '{{ $.ok }}', name: '{{ nope }}' }, 'config.template')).toEqual([
      { field: 'config.template.name', errors: [expect.stringContaining('must start with $')] },
    ]);
  });
});
