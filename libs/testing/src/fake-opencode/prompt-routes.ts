// Routes that make a session work: prompts (synchronous `/message` and `prompt_async`), abort, and
// user shell commands. The user message is recorded here; SessionRuns decides which run answers it.
import { HostParts } from './host-parts';
import { Context, HttpError, Reply, badRequest, expectString, got, isObject, requireField, unknownError } from './http';
import { newId } from './ids';
import { ModelRef, VISIBLE_AGENTS } from './model-catalog';
import { modelField, payload } from './request-input';
import { Router } from './router';
import { lastAssistant } from './session-store';
import { runShell } from './shell-run';
import { MessageRecord, SessionRecord, sessionInfo, settleWithin } from './state';
import { directoryExists } from './workspace';

export function promptRoutes(r: Router, host: HostParts): void {
  r.route('POST', '/session/:sid/message', (ctx) => prompt(host, ctx, true));
  r.route('POST', '/session/:sid/prompt_async', (ctx) => prompt(host, ctx, false));
  r.route('POST', '/session/:sid/abort', (ctx) => abort(host, ctx));
  r.route('POST', '/session/:sid/shell', (ctx) => shell(host, ctx));
}

interface PromptBody {
  parts: Record<string, unknown>[];
  agent?: string;
  model?: ModelRef;
  messageID?: string;
  noReply?: boolean;
  system?: string;
  tools?: Record<string, boolean>;
}

/** The prompt body, checked in the real server's order and with its 400 messages. */
function validatePrompt(body: Record<string, unknown>): PromptBody {
  const parts = requireField(body, 'parts', 'Payload');
  if (!Array.isArray(parts)) throw badRequest(`Expected array, got ${got(parts)}\n  at ["parts"]`, 'Payload');
  parts.forEach((p: unknown, i) => {
    const ok =
      isObject(p) &&
      (p.type === 'text'
        ? typeof p.text === 'string'
        : p.type === 'file'
          ? typeof p.mime === 'string' && typeof p.url === 'string'
          : p.type === 'agent'
            ? typeof p.name === 'string'
            : p.type === 'subtask'
              ? typeof p.prompt === 'string'
              : false);
    if (!ok) {
      throw badRequest(
        `Expected TextPartInput | FilePartInput | AgentPartInput | SubtaskPartInput, got ${got(p)}\n  at ["parts"][${i}]`,
        'Payload',
      );
    }
  });
  const agent = expectString(body, 'agent', 'Payload');
  const model = modelField(body);
  const messageID = expectString(body, 'messageID', 'Payload');
  if (messageID !== undefined && !messageID.startsWith('msg')) {
    throw badRequest(`Expected a string starting with "msg", got ${got(messageID)}\n  at ["messageID"]`, 'Payload');
  }
  if (body.noReply !== undefined && typeof body.noReply !== 'boolean') {
    throw badRequest(`Expected boolean, got ${got(body.noReply)}\n  at ["noReply"]`, 'Payload');
  }
  return {
    parts: parts as Record<string, unknown>[],
    agent,
    model,
    messageID,
    noReply: body.noReply as boolean | undefined,
    system: expectString(body, 'system', 'Payload'),
    tools: isObject(body.tools) ? (body.tools as Record<string, boolean>) : undefined,
  };
}

/** The parts of a user message: ids kept when they are `prt…`, else new ones. */
function userParts(s: SessionRecord, messageID: string, parts: Record<string, unknown>[]): Record<string, unknown>[] {
  return parts.map((p) => {
    const { id, ...rest } = p;
    const partID = typeof id === 'string' && id.startsWith('prt') ? id : newId('prt');
    return { id: partID, sessionID: s.id, messageID, ...rest };
  });
}

async function prompt(host: HostParts, ctx: Context, sync: boolean): Promise<Reply> {
  const s = host.sessions.require(ctx.params.sid);
  const body = validatePrompt(payload(ctx));
  const emit = (type: string, properties: Record<string, unknown>) => host.hub.emit(s.directory, type, properties);
  const agent = body.agent ?? 'build';
  if (!host.catalog.isAgent(agent)) {
    emit('session.error', {
      sessionID: s.id,
      error: {
        name: 'UnknownError',
        data: { message: `Agent not found: "${agent}". Available agents: ${VISIBLE_AGENTS.join(', ')}` },
      },
    });
    if (sync) throw unknownError();
    return { status: 204 };
  }
  const model = body.model ?? host.catalog.defaultModel;

  const reused = body.messageID ? s.messages.find((m) => m.info.id === body.messageID) : undefined;
  if (reused) {
    // Re-using a user message id appends its parts and runs no turn (observed: busy, then idle at once).
    for (const part of userParts(s, reused.info.id, body.parts)) {
      reused.parts.push(part);
      emit('message.part.updated', { sessionID: s.id, part, time: Date.now() });
    }
    if (!host.runs.has(s.id)) {
      host.sessions.setStatus(s, { type: 'busy' });
      host.sessions.setStatus(s, { type: 'idle' });
      emit('session.idle', { sessionID: s.id });
    }
    return sync ? { status: 200, body: lastAssistant(s) ?? reused } : { status: 204 };
  }

  const now = Date.now();
  const info: Record<string, unknown> = {
    id: body.messageID ?? newId('msg'),
    sessionID: s.id,
    role: 'user',
    time: { created: now },
    agent,
    model: { providerID: model.providerID, modelID: model.modelID },
  };
  if (body.system !== undefined) info.system = body.system;
  if (body.tools !== undefined) info.tools = body.tools;
  const user: MessageRecord = { info, parts: userParts(s, info.id as string, body.parts) };
  s.time.updated = now;
  emit('session.updated', { sessionID: s.id, info: sessionInfo(s) });
  s.messages.push(user);
  emit('message.updated', { sessionID: s.id, info });
  for (const part of user.parts) emit('message.part.updated', { sessionID: s.id, part, time: Date.now() });
  emit('session.updated', { sessionID: s.id, info: sessionInfo(s) });
  if (body.noReply) return sync ? { status: 200, body: user } : { status: 204 };

  if (!host.catalog.isModel(model)) {
    host.sessions.setStatus(s, { type: 'busy' });
    emit('session.error', {
      sessionID: s.id,
      error: { name: 'UnknownError', data: { message: `Model not found: ${model.providerID}/${model.modelID}.` } },
    });
    host.sessions.setStatus(s, { type: 'idle' });
    emit('session.idle', { sessionID: s.id });
    if (sync) throw unknownError();
    return { status: 204 };
  }

  const run = host.runs.prompt(s, user);
  if (!sync) return { status: 204 };
  const outcome = await run.done;
  if (outcome === 'empty') throw unknownError();
  return { status: 200, body: lastAssistant(s) ?? user };
}

async function abort(host: HostParts, ctx: Context): Promise<Reply> {
  const id = ctx.params.sid;
  if (!id.startsWith('ses')) throw unknownError();
  const run = host.runs.get(id);
  if (run) {
    run.controller.abort();
    await settleWithin(run.done, 2_000);
  } else {
    // Abort always answers true and emits idle, even for idle or unknown sessions (pitfall 3).
    const directory = host.sessions.byId.get(id)?.directory ?? host.directory(ctx);
    host.hub.emit(directory, 'session.status', { sessionID: id, status: { type: 'idle' } });
    host.hub.emit(directory, 'session.idle', { sessionID: id });
  }
  return { status: 200, body: true };
}

async function shell(host: HostParts, ctx: Context): Promise<Reply> {
  const s = host.sessions.require(ctx.params.sid);
  const body = payload(ctx);
  const agent = expectString(body, 'agent', 'Payload', true)!;
  const command = expectString(body, 'command', 'Payload', true)!;
  const model = modelField(body);
  if (host.runs.has(s.id)) {
    throw new HttpError(409, { _tag: 'SessionBusyError', sessionID: s.id, message: `Session is busy: ${s.id}` });
  }
  if (!directoryExists(s.directory)) throw unknownError();
  return { status: 200, body: await runShell(host, s, agent, command, model ?? host.catalog.defaultModel) };
}
