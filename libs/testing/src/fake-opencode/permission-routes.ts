// Routes that list and answer pending permission requests and questions (instance-scoped: a request
// is found only under its session's directory), including the deprecated per-session reply route.
import { HostParts } from './host-parts';
import { Context, badRequest, expectString, got, requireField } from './http';
import { payload } from './request-input';
import { Router } from './router';

export function permissionRoutes(r: Router, host: HostParts): void {
  r.route('POST', '/session/:sid/permissions/:pid', (ctx) => {
    const s = host.sessions.require(ctx.params.sid);
    const body = payload(ctx);
    const response = requireField(body, 'response', 'Payload');
    if (response !== 'once' && response !== 'always' && response !== 'reject') {
      throw badRequest(`Expected "once" | "always" | "reject", got ${got(response)}\n  at ["response"]`, 'Payload');
    }
    host.permissions.reply(ctx.params.pid, s.directory, response, undefined);
    return { status: 200, body: true };
  });
  r.route('GET', '/permission', (ctx) => ({ status: 200, body: host.permissions.listed(host.directory(ctx)) }));
  r.route('POST', '/permission/:rid/reply', (ctx) => {
    const id = ctx.params.rid;
    if (!id.startsWith('per')) {
      throw badRequest(`Expected a string starting with "per", got ${got(id)}\n  at ["requestID"]`, 'Params');
    }
    const body = payload(ctx);
    const reply = requireField(body, 'reply', 'Payload');
    if (reply !== 'once' && reply !== 'always' && reply !== 'reject') {
      throw badRequest(`Expected "once" | "always" | "reject", got ${got(reply)}\n  at ["reply"]`, 'Payload');
    }
    const message = expectString(body, 'message', 'Payload');
    host.permissions.reply(id, host.directory(ctx), reply, message);
    return { status: 200, body: true };
  });
  r.route('GET', '/question', (ctx) => ({ status: 200, body: host.questions.listed(host.directory(ctx)) }));
  r.route('POST', '/question/:rid/reply', (ctx) => {
    const id = questionId(ctx);
    const body = payload(ctx);
    const answers = requireField(body, 'answers', 'Payload');
    if (!Array.isArray(answers)) throw badRequest(`Expected array, got ${got(answers)}\n  at ["answers"]`, 'Payload');
    answers.forEach((a: unknown, i) => {
      if (!Array.isArray(a) || !a.every((x) => typeof x === 'string')) {
        throw badRequest(`Expected QuestionAnswer, got ${got(a)}\n  at ["answers"][${i}]`, 'Payload');
      }
    });
    host.questions.answer(id, host.directory(ctx), answers as string[][]);
    return { status: 200, body: true };
  });
  r.route('POST', '/question/:rid/reject', (ctx) => {
    host.questions.reject(questionId(ctx), host.directory(ctx));
    return { status: 200, body: true };
  });
}

function questionId(ctx: Context): string {
  const id = ctx.params.rid;
  if (!id.startsWith('que')) {
    throw badRequest(`Expected a string starting with "que", got ${got(id)}\n  at ["requestID"]`, 'Params');
  }
  return id;
}
