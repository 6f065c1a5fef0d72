import {
  classifyFetchFailure,
  classifyResponse,
  errorCode,
  OpencodeAuthError,
  OpencodeBadRequestError,
  OpencodeBadResponseError,
  OpencodeConflictError,
  OpencodeError,
  OpencodeNotFoundError,
  OpencodeServerError,
  OpencodeTimeoutError,
  OpencodeUnreachableError,
  parseErrorBody,
} from './errors';

const ctx = { host: 'box-1', route: 'GET /session/{sessionID}' };
const JSON_TYPE = 'application/json';

function fail(status: number, body: string, contentType: string | null = JSON_TYPE): OpencodeError {
  const r = classifyResponse({ status, contentType, body }, ctx, 'json');
  if (r.ok) throw new Error('expected an error');
  return r.error;
}

describe('parseErrorBody', () => {
  it('reads the NamedError dialect', () => {
    expect(parseErrorBody('{"name":"NotFoundError","data":{"message":"Session not found: ses_x"}}')).toEqual({
      name: 'NotFoundError',
      message: 'Session not found: ses_x',
    });
    expect(
      parseErrorBody('{"name":"UnknownError","data":{"message":"Unexpected server error.","ref":"err_1"}}'),
    ).toEqual({ name: 'UnknownError', message: 'Unexpected server error.', ref: 'err_1' });
  });

  it('reads the Effect dialect', () => {
    expect(
      parseErrorBody(
        '{"_tag":"PermissionNotFoundError","requestID":"per_1","message":"Permission request not found: per_1"}',
      ),
    ).toEqual({ name: 'PermissionNotFoundError', message: 'Permission request not found: per_1' });
    expect(parseErrorBody('{"_tag":"BadRequest"}')).toEqual({ name: 'BadRequest' });
  });

  it('gives {} for empty, HTML and non-object bodies', () => {
    expect(parseErrorBody('')).toEqual({});
    expect(parseErrorBody('<!doctype html>')).toEqual({});
    expect(parseErrorBody('true')).toEqual({});
    expect(parseErrorBody('null')).toEqual({});
  });
});

describe('classifyResponse', () => {
  it('parses a JSON success', () => {
    expect(
      classifyResponse({ status: 200, contentType: 'application/json; charset=utf-8', body: '{"a":1}' }, ctx, 'json'),
    ).toEqual({ ok: true, value: { a: 1 } });
    expect(classifyResponse({ status: 200, contentType: JSON_TYPE, body: 'true' }, ctx, 'json')).toEqual({
      ok: true,
      value: true,
    });
  });

  it('maps 401 to OpencodeAuthError, with host, route and status', () => {
    const err = fail(401, '', null);
    expect(err).toBeInstanceOf(OpencodeAuthError);
    expect(err).toMatchObject({ host: 'box-1', route: 'GET /session/{sessionID}', status: 401, retryable: false });
    expect(err.message).toBe(
      'OpenCode box-1 GET /session/{sessionID}: authentication failed (401): check the host password',
    );
  });

  it('maps 404 in both dialects to OpencodeNotFoundError with the server message', () => {
    const named = fail(404, '{"name":"NotFoundError","data":{"message":"Session not found: ses_x"}}');
    expect(named).toBeInstanceOf(OpencodeNotFoundError);
    expect(named).toMatchObject({
      status: 404,
      serverName: 'NotFoundError',
      serverMessage: 'Session not found: ses_x',
    });
    const effect = fail(
      404,
      '{"_tag":"QuestionNotFoundError","requestID":"que_1","message":"Question request not found"}',
    );
    expect(effect).toBeInstanceOf(OpencodeNotFoundError);
    expect(effect.serverName).toBe('QuestionNotFoundError');
    expect(effect.message).toMatch(/Question request not found/);
  });

  it('maps 409 SessionBusyError to OpencodeConflictError (retryable)', () => {
    const err = fail(409, '{"_tag":"SessionBusyError","sessionID":"ses_1","message":"Session is busy: ses_1"}');
    expect(err).toBeInstanceOf(OpencodeConflictError);
    expect(err).toMatchObject({ serverName: 'SessionBusyError', retryable: true });
  });

  it('maps 400 to OpencodeBadRequestError, naming the server message or tag', () => {
    const err = fail(400, '{"name":"BadRequest","data":{"message":"Expected \\"once\\"","kind":"Payload"}}');
    expect(err).toBeInstanceOf(OpencodeBadRequestError);
    expect(err.message).toMatch(/Expected "once"/);
    expect(fail(400, '{"_tag":"BadRequest"}').message).toMatch(/BadRequest/);
  });

  it('maps 5xx to OpencodeServerError carrying the log ref', () => {
    const err = fail(500, '{"name":"UnknownError","data":{"message":"Unexpected server error.","ref":"err_6683a437"}}');
    expect(err).toBeInstanceOf(OpencodeServerError);
    expect((err as OpencodeServerError).ref).toBe('err_6683a437');
    expect(err.message).toMatch(/\[ref err_6683a437\]/);
    expect(fail(502, 'bad gateway', 'text/plain')).toBeInstanceOf(OpencodeServerError);
  });

  it('rejects 200 text/html (an unknown route serves the web app) as a bad response', () => {
    const err = fail(200, '<!doctype html><html></html>', 'text/html');
    expect(err).toBeInstanceOf(OpencodeBadResponseError);
    expect(err.message).toMatch(/expected JSON, got 200 text\/html \(OpenCode serves its web app for unknown routes\)/);
    expect((err as OpencodeBadResponseError).contentType).toBe('text/html');
  });

  it('rejects invalid JSON, a missing content-type and unexpected statuses', () => {
    expect(fail(200, '{not json')).toBeInstanceOf(OpencodeBadResponseError);
    expect(fail(200, '{}', null).message).toMatch(/no content-type/);
    expect(fail(302, '', null).message).toMatch(/unexpected status 302/);
    expect(fail(204, '', null)).toBeInstanceOf(OpencodeBadResponseError);
  });

  it('accepts 204 (and an empty or JSON 200) where nothing is expected, but not HTML', () => {
    expect(classifyResponse({ status: 204, contentType: null, body: '' }, ctx, 'empty')).toEqual({
      ok: true,
      value: undefined,
    });
    expect(classifyResponse({ status: 200, contentType: JSON_TYPE, body: 'true' }, ctx, 'empty').ok).toBe(true);
    const html = classifyResponse({ status: 200, contentType: 'text/html', body: '<html>' }, ctx, 'empty');
    expect(html.ok).toBe(false);
  });
});

describe('classifyFetchFailure', () => {
  const state = { timedOut: false, timeoutMs: 1000 };

  function undiciFailure(code: string): TypeError {
    const cause = Object.assign(new Error(`connect ${code} 127.0.0.1:9`), { code });
    return new TypeError('fetch failed', { cause });
  }

  it.each(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET'])(
    'maps %s to unreachable',
    (code) => {
      const err = classifyFetchFailure(undiciFailure(code), ctx, state);
      expect(err).toBeInstanceOf(OpencodeUnreachableError);
      expect(err).toMatchObject({ code, retryable: true, host: 'box-1' });
      expect((err as Error).message).toBe(`OpenCode box-1 GET /session/{sessionID}: unreachable (${code})`);
    },
  );

  it('finds the code inside an AggregateError (happy eyeballs)', () => {
    const agg = new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })], 'all failed');
    expect(errorCode(new TypeError('fetch failed', { cause: agg }))).toBe('ECONNREFUSED');
  });

  it('maps our own deadline to OpencodeTimeoutError, whatever fetch threw', () => {
    const abort = Object.assign(new Error('This operation was aborted'), { name: 'AbortError' });
    const err = classifyFetchFailure(abort, ctx, { timedOut: true, timeoutMs: 250 });
    expect(err).toBeInstanceOf(OpencodeTimeoutError);
    expect(err).toMatchObject({ timeoutMs: 250 });
  });

  it("passes the caller's own abort and unknown errors through", () => {
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    expect(classifyFetchFailure(abort, ctx, state)).toBe(abort);
    const other = new RangeError('x');
    expect(classifyFetchFailure(other, ctx, state)).toBe(other);
  });

  it('counts a bare "fetch failed" as unreachable', () => {
    expect(classifyFetchFailure(new TypeError('fetch failed'), ctx, state)).toBeInstanceOf(OpencodeUnreachableError);
  });
});
