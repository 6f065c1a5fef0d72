import { waitedMs } from './waiting';

const at = (s: number) => new Date(Date.UTC(2026, 11, 5, 10, 0, s));

describe('waitedMs', () => {
  it('adds up waits, counting overlaps once and open ones until now', () => {
    expect(waitedMs([], at(100))).toBe(0);
    expect(waitedMs([{ createdAt: at(0), repliedAt: at(10) }], at(100))).toBe(10_000);
    expect(
      waitedMs(
        [
          { createdAt: at(0), repliedAt: at(10) },
          { createdAt: at(5), repliedAt: at(20) }, // overlaps the first
          { createdAt: at(30), repliedAt: at(31) },
          { createdAt: at(90), repliedAt: null }, // still pending
        ],
        at(100),
      ),
    ).toBe(20_000 + 1_000 + 10_000);
  });

  it('ignores what lies after now or ends before it starts', () => {
    expect(waitedMs([{ createdAt: at(50), repliedAt: at(40) }], at(100))).toBe(0);
    expect(waitedMs([{ createdAt: at(90), repliedAt: at(200) }], at(100))).toBe(10_000);
  });
});
