import { newOpencodeId } from './ids';

const newMessageId = (now?: number) => newOpencodeId('msg', false, now);

describe('newOpencodeId', () => {
  it("follows OpenCode's ascending scheme: msg_ + 12 hex + 14 base62", () => {
    expect(newMessageId()).toMatch(/^msg_[0-9a-f]{12}[0-9A-Za-z]{14}$/);
  });

  it('sorts by time, also within one millisecond, and after ids OpenCode minted earlier', () => {
    const t = 1_795_432_022_827;
    const ids = [newMessageId(t), newMessageId(t), newMessageId(t + 1), newMessageId(t + 1000)];
    expect([...ids].sort()).toEqual(ids);
    // An id OpenCode 1.18.34 minted (msg_208653bfa001…) sorts before one made later.
    expect('msg_208653bfa001abcdefghijklmn' < newMessageId()).toBe(true);
  });
});
