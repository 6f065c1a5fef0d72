import {
  DENIED_BY_POLICY,
  answersProblem,
  decidePermission,
  evaluateRuleset,
  firstOptionAnswers,
  fixedAnswers,
  matchAutoAccept,
  readPermissionPolicy,
  readTeamPermissionSettings,
  sessionPermissionRuleset,
} from './permission-policy';

const noTeam = { autoAccept: [], autoAnswerQuestions: 'off' as const, autoAnswerText: null };

describe('sessionPermissionRuleset', () => {
  it('is empty without a policy, or with one that sets nothing for the session', () => {
    expect(sessionPermissionRuleset(null)).toEqual([]);
    expect(sessionPermissionRuleset(undefined)).toEqual([]);
    expect(sessionPermissionRuleset({ autoAccept: [{ permission: 'edit' }] })).toEqual([]);
  });

  it('puts each catch-all first and the bash patterns after it (later rules win in OpenCode)', () => {
    expect(
      sessionPermissionRuleset({
        bashPatterns: [
          { pattern: 'git *', action: 'allow' },
          { pattern: 'git push *', action: 'deny' },
        ],
        webfetch: 'deny',
        bash: 'ask',
        edit: 'allow',
      }),
    ).toEqual([
      { permission: 'edit', pattern: '*', action: 'allow' },
      { permission: 'bash', pattern: '*', action: 'ask' },
      { permission: 'webfetch', pattern: '*', action: 'deny' },
      { permission: 'bash', pattern: 'git *', action: 'allow' },
      { permission: 'bash', pattern: 'git push *', action: 'deny' },
    ]);
  });
});

describe('evaluateRuleset', () => {
  const rules = sessionPermissionRuleset({
    bash: 'ask',
    bashPatterns: [
      { pattern: 'git *', action: 'allow' },
      { pattern: 'git push *', action: 'deny' },
    ],
    edit: 'allow',
  });

  it('takes the last matching rule per pattern', () => {
    expect(evaluateRuleset(rules, 'bash', ['git status'])).toBe('allow');
    expect(evaluateRuleset(rules, 'bash', ['git'])).toBe('allow');
    expect(evaluateRuleset(rules, 'bash', ['git push origin'])).toBe('deny');
    expect(evaluateRuleset(rules, 'bash', ['ls'])).toBeUndefined(); // ask: a person (or auto-accept) decides
    expect(evaluateRuleset(rules, 'edit', ['src/a.ts'])).toBe('allow');
    expect(evaluateRuleset(rules, 'webfetch', ['https://x'])).toBeUndefined(); // no rule
  });

  it('allows only when every pattern is allowed; any deny denies', () => {
    expect(evaluateRuleset(rules, 'bash', ['git status', 'git diff'])).toBe('allow');
    expect(evaluateRuleset(rules, 'bash', ['git status', 'rm -rf /'])).toBeUndefined();
    expect(evaluateRuleset(rules, 'bash', ['git status', 'git push x'])).toBe('deny');
    expect(evaluateRuleset(rules, 'bash', [])).toBeUndefined();
  });
});

describe('matchAutoAccept', () => {
  it('needs the permission to match and, with a pattern, every pattern of the request', () => {
    const rules = [{ permission: 'bash', pattern: 'npm *' }, { permission: 'edit' }];
    expect(matchAutoAccept(rules, { permission: 'edit', patterns: ['anything.md'] })).toEqual({ permission: 'edit' });
    expect(matchAutoAccept(rules, { permission: 'bash', patterns: ['npm test', 'npm run lint'] })).toEqual(rules[0]);
    expect(matchAutoAccept(rules, { permission: 'bash', patterns: ['npm test', 'rm -rf /'] })).toBeUndefined();
    expect(matchAutoAccept(rules, { permission: 'bash', patterns: [] })).toBeUndefined();
    expect(matchAutoAccept(rules, { permission: 'webfetch', patterns: ['https://x'] })).toBeUndefined();
    expect(matchAutoAccept([{ permission: '*' }], { permission: 'webfetch', patterns: [] })).toEqual({
      permission: '*',
    });
  });
});

describe('decidePermission', () => {
  const bash = (command: string) => ({ permission: 'bash', patterns: [command] });

  it('leaves a request to a person when nothing matches', () => {
    expect(decidePermission(bash('ls'), { task: null, team: noTeam })).toBeUndefined();
    expect(decidePermission(bash('ls'), { task: { bash: 'ask' }, team: noTeam })).toBeUndefined();
  });

  it("answers by the task's rules first, then the team's", () => {
    const team = { autoAccept: [{ permission: 'bash' }], autoAnswerQuestions: 'off' as const, autoAnswerText: null };
    expect(decidePermission(bash('ls'), { task: null, team })).toEqual({
      reply: 'once',
      source: 'team',
      rule: { permission: 'bash' },
    });
    const task = { autoAccept: [{ permission: 'bash', pattern: 'ls*' }] };
    expect(decidePermission(bash('ls -la'), { task, team })).toEqual({
      reply: 'once',
      source: 'task',
      rule: { permission: 'bash', pattern: 'ls*' },
    });
  });

  it("applies the task's own allow and deny when a request reaches Heddle anyway", () => {
    const task = {
      bash: 'ask' as const,
      bashPatterns: [{ pattern: 'rm *', action: 'deny' as const }],
      edit: 'allow' as const,
    };
    const team = { autoAccept: [{ permission: '*' }], autoAnswerQuestions: 'off' as const, autoAnswerText: null };
    expect(decidePermission(bash('rm -rf build'), { task, team })).toEqual({
      reply: 'reject',
      message: DENIED_BY_POLICY,
      source: 'task',
      rule: 'ruleset',
    });
    expect(decidePermission({ permission: 'edit', patterns: ['a.md'] }, { task, team })).toMatchObject({
      reply: 'once',
      source: 'task',
      rule: 'ruleset',
    });
  });
});

describe('stored JSON', () => {
  it('reads a policy, dropping what does not fit', () => {
    expect(readPermissionPolicy(null)).toBeNull();
    expect(readPermissionPolicy([])).toBeNull();
    expect(
      readPermissionPolicy({
        edit: 'allow',
        bash: 'maybe',
        bashPatterns: [{ pattern: 'git *', action: 'allow' }, { pattern: 1 }, 'x'],
        autoAccept: [{ permission: 'webfetch', pattern: 'https://docs.*' }, { pattern: 'x' }],
      }),
    ).toEqual({
      edit: 'allow',
      bashPatterns: [{ pattern: 'git *', action: 'allow' }],
      autoAccept: [{ permission: 'webfetch', pattern: 'https://docs.*' }],
    });
  });

  it("reads a team's settings with defaults", () => {
    expect(readTeamPermissionSettings(undefined)).toEqual({
      autoAccept: [],
      autoAnswerQuestions: 'off',
      autoAnswerText: null,
    });
    expect(
      readTeamPermissionSettings({ autoAccept: [{ permission: 'edit' }], autoAnswerQuestions: 'first', other: 1 }),
    ).toEqual({ autoAccept: [{ permission: 'edit' }], autoAnswerQuestions: 'first', autoAnswerText: null });
    expect(readTeamPermissionSettings({ autoAnswerQuestions: 'fixed', autoAnswerText: 'go on' })).toMatchObject({
      autoAnswerQuestions: 'fixed',
      autoAnswerText: 'go on',
    });
    // fixed without a text is off (the API refuses to store it; older rows are read safely).
    expect(readTeamPermissionSettings({ autoAnswerQuestions: 'fixed', autoAnswerText: '  ' })).toMatchObject({
      autoAnswerQuestions: 'off',
    });
  });
});

describe('questions', () => {
  const color = {
    question: 'Which color?',
    header: 'Color',
    options: [
      { label: 'Red', description: 'warm' },
      { label: 'Blue', description: 'cold' },
    ],
  };
  const sizes = { ...color, question: 'Which sizes?', multiple: true, options: [{ label: 'S' }, { label: 'L' }] };
  const strict = { ...color, question: 'Which one, strictly?', custom: false };

  it('firstOptionAnswers picks the first label of each question', () => {
    expect(firstOptionAnswers([color, sizes])).toEqual([['Red'], ['S']]);
    expect(firstOptionAnswers([color, { question: 'free text?', options: [] }])).toBeUndefined();
    expect(firstOptionAnswers([])).toBeUndefined();
  });

  it.each<[string, Parameters<typeof fixedAnswers>[0], string, string[][] | undefined]>([
    ['typed in where a question allows its own answer', [color, sizes], 'green', [['green'], ['green']]],
    ['the option of that label where it does not', [strict], ' blue ', [['Blue']]],
    ['a person answers when a strict question has no such option', [color, strict], 'green', undefined],
    ['nothing to answer', [], 'green', undefined],
  ])('fixedAnswers: %s', (_name, questions, text, expected) => {
    expect(fixedAnswers(questions, text)).toEqual(expected);
    if (expected) expect(answersProblem(questions, expected)).toBeUndefined();
  });

  it('answersProblem names the field that does not fit the questions', () => {
    expect(answersProblem([color, sizes], [['Blue'], ['S', 'L']])).toBeUndefined();
    expect(answersProblem([color, sizes], [['Blue']])).toMatchObject({ field: 'answers' });
    expect(answersProblem([color, sizes], [['Blue'], []])).toMatchObject({ field: 'answers[1]' });
    expect(answersProblem([color], [['Red', 'Blue']])).toMatchObject({
      field: 'answers[0]',
      message: expect.stringContaining('takes one answer'),
    });
    // OpenCode takes a typed answer unless the question says custom: false.
    expect(answersProblem([color], [['Green']])).toBeUndefined();
    expect(answersProblem([strict], [['Green']])).toEqual({
      field: 'answers[0][0]',
      message: '"answers[0][0] "Green" is not an option of "Which one, strictly?" (Red, Blue)'.slice(1),
    });
  });
});
