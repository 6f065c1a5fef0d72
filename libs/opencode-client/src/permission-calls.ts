// Permission requests and questions a turn is waiting on. Both are instance-scoped: a request is
// found only under the directory its session runs in.
import { ApiCaller, CallOptions } from './api-call';
import { isArray, isBoolean } from './response-checks';
import type { PermissionReply, PermissionRequest, QuestionRequest } from './types';

export class PermissionCalls {
  constructor(private readonly api: ApiCaller) {}

  async listPermissions(opts?: CallOptions): Promise<PermissionRequest[]> {
    return this.api.call('get', '/permission', { check: isArray, shape: 'PermissionRequest[]' }, opts);
  }

  async replyPermission(
    requestId: string,
    reply: PermissionReply,
    message: string | undefined,
    opts?: CallOptions,
  ): Promise<boolean> {
    return this.api.call(
      'post',
      '/permission/{requestID}/reply',
      {
        path: { requestID: requestId },
        body: { reply, ...(message !== undefined ? { message } : {}) },
        check: isBoolean,
        shape: 'boolean',
      },
      opts,
    );
  }

  async listQuestions(opts?: CallOptions): Promise<QuestionRequest[]> {
    return this.api.call('get', '/question', { check: isArray, shape: 'QuestionRequest[]' }, opts);
  }

  async replyQuestion(requestId: string, answers: string[][], opts?: CallOptions): Promise<boolean> {
    return this.api.call(
      'post',
      '/question/{requestID}/reply',
      { path: { requestID: requestId }, body: { answers }, check: isBoolean, shape: 'boolean' },
      opts,
    );
  }

  async rejectQuestion(requestId: string, opts?: CallOptions): Promise<boolean> {
    return this.api.call(
      'post',
      '/question/{requestID}/reject',
      { path: { requestID: requestId }, check: isBoolean, shape: 'boolean' },
      opts,
    );
  }
}
