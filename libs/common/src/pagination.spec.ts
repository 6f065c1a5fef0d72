import { BadRequestError } from './errors';
import { decodeCursor, encodeCursor, toPage } from './pagination';

const b64 = (text: string) => Buffer.from(text).toString('base64url');

describe('cursor', () => {
  it('round-trips a position', () => {
    const id = '0195f3c2-7a1b-7c3d-8e4f-0123456789ab';
    const cursor = encodeCursor({ id });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual({ id });
  });

  it('is opaque (no raw JSON on the wire)', () => {
    expect(encodeCursor({ id: 'x' })).not.toContain('{');
  });

  it('answers undefined for no cursor (the first page)', () => {
    expect(decodeCursor(undefined)).toBeUndefined();
  });

  it('keeps only the id of a decoded position', () => {
    const id = '0195f3c2-7a1b-7c3d-8e4f-0123456789ab';
    expect(decodeCursor(b64(JSON.stringify({ id, teamId: 'other' })))).toEqual({ id });
  });

  it.each([
    ['empty', ''],
    ['not base64 JSON', 'garbage!!'],
    ['plain text', 'hello'],
    ['JSON null', b64('null')],
    ['JSON string', b64('"abc"')],
    ['JSON number', b64('42')],
    ['JSON array', b64('["a"]')],
    ['object without id', b64('{"x":1}')],
    ['numeric id', b64('{"id":5}')],
    ['truncated', encodeCursor({ id: '0195f3c2-7a1b-7c3d-8e4f-0123456789ab' }).slice(0, -3)],
    ['id that is not a UUID (forged)', b64('{"id":"x"}')],
    ['id with SQL in it', b64(`{"id":"0195f3c2-7a1b-7c3d-8e4f-0123456789ab' OR 1=1"}`)],
  ])('refuses a %s cursor with a 400', (_label, cursor) => {
    let thrown: unknown;
    try {
      decodeCursor(cursor);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(BadRequestError);
    expect(thrown).toMatchObject({ statusCode: 400, code: 'request/invalid_cursor' });
  });
});

describe('toPage', () => {
  const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `id-${i + 1}`, n: i + 1 }));
  const map = (row: { id: string; n: number }) => ({ id: row.id, double: row.n * 2 });

  it('with limit + 1 rows, answers limit items and a cursor at the last item shown', () => {
    const page = toPage(rows(4), 3, map);

    expect(page.items).toEqual([
      { id: 'id-1', double: 2 },
      { id: 'id-2', double: 4 },
      { id: 'id-3', double: 6 },
    ]);
    expect(page.nextCursor).not.toBeNull();
    expect(JSON.parse(Buffer.from(page.nextCursor!, 'base64url').toString())).toEqual({ id: 'id-3' });
  });

  it('with exactly limit rows, is the last page', () => {
    const page = toPage(rows(3), 3, map);
    expect(page.items).toHaveLength(3);
    expect(page.nextCursor).toBeNull();
  });

  it('with fewer rows than the limit, is the last page', () => {
    expect(toPage(rows(1), 3, map)).toEqual({ items: [{ id: 'id-1', double: 2 }], nextCursor: null });
  });

  it('with no rows, is an empty last page', () => {
    expect(toPage(rows(0), 3, map)).toEqual({ items: [], nextCursor: null });
  });

  it('never maps the look-ahead row', () => {
    const mapper = jest.fn(map);
    toPage(rows(2), 1, mapper);
    expect(mapper).toHaveBeenCalledTimes(1);
  });
});
