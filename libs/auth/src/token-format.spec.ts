import { createHash } from 'node:crypto';
import { generateToken, hashSecret, parseToken, secretMatches } from './token-format';

const FORMAT = /^hdl_[a-z0-9]{8}_[A-Za-z0-9_-]{43}$/;

describe('generateToken', () => {
  it('answers hdl_<8 lowercase alphanumerics>_<43 base64url chars>', () => {
    for (let i = 0; i < 200; i++) {
      const { token, prefix, secret } = generateToken();
      expect(token).toMatch(FORMAT);
      expect(token).toBe(`hdl_${prefix}_${secret}`);
      expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
    }
  });

  it('never repeats a prefix or a secret in practice', () => {
    const tokens = Array.from({ length: 500 }, () => generateToken());
    expect(new Set(tokens.map((t) => t.prefix)).size).toBe(500);
    expect(new Set(tokens.map((t) => t.secret)).size).toBe(500);
  });

  it('parses back to its own prefix and secret', () => {
    for (let i = 0; i < 50; i++) {
      const { token, prefix, secret } = generateToken();
      expect(parseToken(token)).toEqual({ prefix, secret });
    }
  });
});

describe('parseToken', () => {
  it('splits after the fixed-length prefix, so the secret may contain underscores', () => {
    const secret = `_a_b_${'c'.repeat(30)}__-_`;
    expect(parseToken(`hdl_ab12cd34_${secret}`)).toEqual({ prefix: 'ab12cd34', secret });
  });

  it('accepts secrets of 32 to 128 characters', () => {
    expect(parseToken(`hdl_abcdefgh_${'A'.repeat(32)}`)?.secret).toHaveLength(32);
    expect(parseToken(`hdl_abcdefgh_${'A'.repeat(128)}`)?.secret).toHaveLength(128);
  });

  it.each([
    ['empty', ''],
    ['no hdl_ marker', `abcdefgh_${'s'.repeat(43)}`],
    ['another marker', `hdx_abcdefgh_${'s'.repeat(43)}`],
    ['upper-case marker', `HDL_abcdefgh_${'s'.repeat(43)}`],
    ['upper-case prefix', `hdl_ABCDEFGH_${'s'.repeat(43)}`],
    ['short prefix', `hdl_abcdefg_${'s'.repeat(43)}`],
    ['long prefix', `hdl_abcdefghi_${'s'.repeat(43)}`],
    ['prefix with -', `hdl_abcd-fgh_${'s'.repeat(43)}`],
    ['missing separator', `hdl_abcdefgh${'s'.repeat(43)}`],
    ['secret too short', `hdl_abcdefgh_${'s'.repeat(31)}`],
    ['secret too long', `hdl_abcdefgh_${'s'.repeat(129)}`],
    ['standard base64 chars', `hdl_abcdefgh_${'s'.repeat(40)}+/=`],
    ['whitespace inside', `hdl_abcdefgh_${'s'.repeat(20)} ${'s'.repeat(22)}`],
    ['leading whitespace', ` hdl_abcdefgh_${'s'.repeat(43)}`],
    ['trailing newline', `hdl_abcdefgh_${'s'.repeat(43)}\n`],
    ['Bearer prefix kept', `Bearer hdl_abcdefgh_${'s'.repeat(43)}`],
  ])('rejects %s', (_label, token) => {
    expect(parseToken(token)).toBeUndefined();
  });
});

describe('hashSecret', () => {
  it('is the sha256 of the secret in lowercase hex', () => {
    expect(hashSecret('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const { secret } = generateToken();
    expect(hashSecret(secret)).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(hashSecret(secret)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashSecret(secret)).not.toContain(secret);
  });
});

describe('secretMatches', () => {
  const { secret } = generateToken();
  const hash = hashSecret(secret);

  it('accepts the secret the hash was made from', () => {
    expect(secretMatches(secret, hash)).toBe(true);
  });

  it('refuses another secret', () => {
    expect(secretMatches(generateToken().secret, hash)).toBe(false);
    expect(secretMatches(`${secret}x`, hash)).toBe(false);
    expect(secretMatches('', hash)).toBe(false);
  });

  it('refuses (without throwing) a stored hash of the wrong shape', () => {
    expect(secretMatches(secret, '')).toBe(false);
    expect(secretMatches(secret, hash.slice(0, 62))).toBe(false);
    expect(secretMatches(secret, `${hash}00`)).toBe(false);
    expect(secretMatches(secret, 'not hex at all')).toBe(false);
    expect(secretMatches(secret, secret)).toBe(false);
  });
});
