import { POOL_LOCK_CLASS, TEAM_LOCK_CLASS, grantLockKeys, poolKey } from './host-pool';

describe('host pools', () => {
  it('one server, however its base URL is written: trailing slashes and case do not matter', () => {
    expect(poolKey('https://Box-1.example.com:4096/')).toBe('https://box-1.example.com:4096');
    expect(poolKey('https://box-1.example.com:4096//')).toBe(poolKey('HTTPS://BOX-1.EXAMPLE.COM:4096'));
    expect(poolKey('https://box-1.example.com/a')).not.toBe(poolKey('https://box-1.example.com/b'));
  });

  it('lock keys: the team and each pool once, in one global order (pools before teams)', () => {
    const team = '0195f3c2-0000-7000-8000-000000000001';
    const keys = grantLockKeys(team, ['http://b', 'http://a', 'http://b']);
    expect(keys).toHaveLength(3);
    expect(keys.map((k) => k[0])).toEqual([POOL_LOCK_CLASS, POOL_LOCK_CLASS, TEAM_LOCK_CLASS]);
    const pools = keys.slice(0, 2).map((k) => k[1]);
    expect(pools).toEqual([...pools].sort((x, y) => x - y));
    // The same sets in another order take the same locks in the same order.
    expect(grantLockKeys(team, ['http://a', 'http://b'])).toEqual(keys);
    for (const [, id] of keys) expect(Number.isInteger(id) && id >= -(2 ** 31) && id < 2 ** 31).toBe(true);
  });
});
