import { canonicalJson, requestHash } from './canonical-json';

describe('canonicalJson', () => {
  it('ignores key order and undefined values at every depth, keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: undefined, e: 'x' } })).toBe('{"a":{"d":[2,1],"e":"x"},"b":1}');
    expect(requestHash({ x: 1, y: [1, 2] })).toBe(requestHash({ y: [1, 2], x: 1 }));
    expect(requestHash({ y: [2, 1] })).not.toBe(requestHash({ y: [1, 2] }));
  });
});
