import { formatModelRef, parseModelRef, toModelRef } from './model-ref';

describe('parseModelRef', () => {
  it('splits provider and model at the first slash', () => {
    expect(parseModelRef('fake/fake-model')).toEqual({ providerID: 'fake', modelID: 'fake-model' });
    expect(parseModelRef('anthropic/claude-sonnet-4-5')).toEqual({
      providerID: 'anthropic',
      modelID: 'claude-sonnet-4-5',
    });
  });

  it('keeps further slashes in the model id', () => {
    expect(parseModelRef('openrouter/anthropic/claude-sonnet-4')).toEqual({
      providerID: 'openrouter',
      modelID: 'anthropic/claude-sonnet-4',
    });
  });

  it('trims surrounding whitespace', () => {
    expect(parseModelRef('  fake/m  ')).toEqual({ providerID: 'fake', modelID: 'm' });
  });

  it.each(['', 'fake', '/model', 'fake/', 'fa ke/model', 'fake/mo del'])('rejects %j', (value) => {
    expect(() => parseModelRef(value)).toThrow(/provider\/model/);
  });

  it('round-trips through formatModelRef and accepts objects as they are', () => {
    expect(formatModelRef(parseModelRef('a/b/c'))).toBe('a/b/c');
    const ref = { providerID: 'p', modelID: 'm' };
    expect(toModelRef(ref)).toBe(ref);
    expect(toModelRef('p/m')).toEqual(ref);
  });
});
