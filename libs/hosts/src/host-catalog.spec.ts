import type { Agent, ConfigProviders } from '@heddle/opencode-client';
import { CatalogRejection, HostCatalogSnapshot, catalogFrom, unknownModelOrAgent } from './host-catalog';

/** Shaped like the real 1.18.34 answers (fields the catalog ignores left out). */
const providers = {
  providers: [
    { id: 'opencode', name: 'OpenCode Zen', models: { 'big-pickle': {}, 'ling-3.0-flash-fin-free': {} } },
    { id: 'fake', name: 'Fake LLM', models: { 'fake-model': {} } },
    { id: 'openrouter', name: 'OpenRouter', models: { 'anthropic/claude-sonnet-4': {} } },
  ],
  default: { opencode: 'big-pickle', fake: 'fake-model' },
} as unknown as ConfigProviders;

const agent = (name: string, mode: Agent['mode'], hidden?: boolean) =>
  ({ name, mode, native: true, ...(hidden ? { hidden } : {}), permission: [], options: {} }) as Agent;
const agents = [
  agent('build', 'primary'),
  agent('compaction', 'primary', true),
  agent('explore', 'subagent'),
  agent('general', 'subagent'),
  agent('plan', 'primary'),
  agent('summary', 'primary', true),
  agent('title', 'primary', true),
  agent('reviewer', 'all'),
];

const catalog = catalogFrom('box-1', providers, agents);

describe('catalogFrom', () => {
  it('lists provider/model pairs, provider ids and the agents a task may name (hidden ones left out)', () => {
    expect([...catalog.models].sort()).toEqual([
      'fake/fake-model',
      'opencode/big-pickle',
      'opencode/ling-3.0-flash-fin-free',
      'openrouter/anthropic/claude-sonnet-4',
    ]);
    expect(catalog.providers).toEqual(['fake', 'opencode', 'openrouter']);
    expect(catalog.agents).toEqual(['build', 'explore', 'general', 'plan', 'reviewer']);
    expect(catalog.host).toBe('box-1');
  });
});

describe('unknownModelOrAgent', () => {
  const cases: [string, { model?: string | null; agent?: string | null }, Partial<CatalogRejection> | null][] = [
    ['nothing named', {}, null],
    ['nulls (as stored on a task)', { model: null, agent: null }, null],
    ['a known model and primary agent', { model: 'fake/fake-model', agent: 'build' }, null],
    ['a model whose id holds a slash', { model: 'openrouter/anthropic/claude-sonnet-4', agent: 'plan' }, null],
    ['a subagent (OpenCode runs it as the prompt agent)', { agent: 'explore' }, null],
    ['an agent of mode all', { agent: 'reviewer' }, null],
    ['an unknown model of a known provider', { model: 'fake/nope' }, { field: 'model', reason: 'model.unknown' }],
    ['an unknown provider', { model: 'anthropic/claude' }, { field: 'model', reason: 'model.unknown' }],
    ['a model only partly matching', { model: 'openrouter/anthropic' }, { field: 'model', reason: 'model.unknown' }],
    ['an unknown agent', { model: 'fake/fake-model', agent: 'nope' }, { field: 'agent', reason: 'agent.unknown' }],
    ['a hidden agent', { agent: 'title' }, { field: 'agent', reason: 'agent.unknown' }],
    ['agent names are case-sensitive', { agent: 'Build' }, { field: 'agent', reason: 'agent.unknown' }],
    [
      'both unknown: the model is reported',
      { model: 'x/y', agent: 'nope' },
      { field: 'model', reason: 'model.unknown' },
    ],
  ];

  it.each(cases)('%s', (_name, request, expected) => {
    const rejection = unknownModelOrAgent(request, catalog);
    if (expected === null) expect(rejection).toBeNull();
    else expect(rejection).toMatchObject(expected);
  });

  it('names the unknown model and the known ones, its provider first', () => {
    expect(unknownModelOrAgent({ model: 'opencode/nope' }, catalog)?.message).toBe(
      'model "opencode/nope" is unknown on host "box-1"; known models: opencode/big-pickle, ' +
        'opencode/ling-3.0-flash-fin-free, fake/fake-model, openrouter/anthropic/claude-sonnet-4',
    );
    expect(unknownModelOrAgent({ model: 'anthropic/claude' }, catalog)?.message).toBe(
      'model "anthropic/claude" is unknown on host "box-1" (it has no provider "anthropic"); known models: ' +
        'fake/fake-model, opencode/big-pickle, opencode/ling-3.0-flash-fin-free, openrouter/anthropic/claude-sonnet-4',
    );
  });

  it('names the unknown agent and the known ones', () => {
    expect(unknownModelOrAgent({ agent: 'nope' }, catalog)?.message).toBe(
      'agent "nope" is unknown on host "box-1"; known agents: build, explore, general, plan, reviewer',
    );
  });

  it('lists at most 10 known names, then how many more; quotes what the user sent', () => {
    const many: HostCatalogSnapshot = {
      host: 'big',
      models: new Set(Array.from({ length: 25 }, (_, i) => `p/m${String(i).padStart(2, '0')}`)),
      providers: ['p'],
      agents: [],
    };
    expect(unknownModelOrAgent({ model: 'p/"x"' }, many)?.message).toBe(
      'model "p/\\"x\\"" is unknown on host "big"; known models: ' +
        'p/m00, p/m01, p/m02, p/m03, p/m04, p/m05, p/m06, p/m07, p/m08, p/m09 and 15 more',
    );
    expect(unknownModelOrAgent({ agent: 'build' }, many)?.message).toBe(
      'agent "build" is unknown on host "big"; known agents: none',
    );
  });
});
