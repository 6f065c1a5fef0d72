import { HEDDLE_ERROR_CODES, HeddleApiError, isHeddleErrorCode } from './errors';

describe('HEDDLE_ERROR_CODES', () => {
  it('is current: every error code the server code throws, no other (npm run sdk:generate)', async () => {
    const { scanErrorCodes } = await import('../scripts/error-codes.mjs');
    expect([...HEDDLE_ERROR_CODES]).toEqual(scanErrorCodes());
    expect(HEDDLE_ERROR_CODES.every(isHeddleErrorCode)).toBe(true);
  });

  it('HeddleApiError.from reads the documented body, or falls back to the status line', () => {
    const res = new Response('', { status: 404, statusText: 'Not Found', headers: { 'x-request-id': 'r-1' } });
    const e = HeddleApiError.from(res, {
      statusCode: 404,
      code: 'task/not_found',
      message: 'task x not found',
      details: null,
      requestId: 'r-2',
    });
    expect(e).toMatchObject({ status: 404, code: 'task/not_found', message: 'task x not found', requestId: 'r-2' });
    const bare = HeddleApiError.from(new Response('', { status: 502, statusText: 'Bad Gateway' }), 'upstream down');
    expect(bare).toMatchObject({ status: 502, code: 'http/502', message: '502 Bad Gateway' });
  });
});
