import type { TestResponse } from './test-app';

/**
 * Asserts the one error body of the API (`{statusCode, code, message, details, requestId}`, with
 * requestId echoing the `x-request-id` header) and, when given, its status and code.
 */
export function expectErrorBody(res: TestResponse, status: number, code?: string | RegExp): void {
  const context = `${status}${code ? ` ${String(code)}` : ''} expected; got ${res.status} ${JSON.stringify(res.body)}`;
  expect({ context, status: res.status }).toEqual({ context, status });
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(Object.keys(res.body as object).sort()).toEqual(['code', 'details', 'message', 'requestId', 'statusCode']);
  expect(res.body).toMatchObject({
    statusCode: status,
    code: expect.any(String),
    message: expect.any(String),
    requestId: expect.any(String),
  });
  expect(res.body.requestId).toBe(res.headers['x-request-id']);
  if (typeof code === 'string') expect(res.body.code).toBe(code);
  else if (code) expect(res.body.code).toMatch(code);
}
