// A user shell command (`POST /session/:sid/shell`) as the real server records it: a synthetic user
// message, an assistant message holding one `bash` tool part that streams the command's output, and
// the session busy until the command ends (an abort kills it).
import { HostParts } from './host-parts';
import { newId, newUlidLike } from './ids';
import type { ModelRef } from './model-catalog';
import { MessageRecord, SessionRecord, sessionInfo, zeroTokens } from './state';
import { Run, RunOutcome } from './turn';

/** Tool-part updates sent while output streams in; later output only shows in the final state. */
const MAX_RUNNING_UPDATES = 50;

/** Runs `command` in the session's directory; resolves with the assistant message. */
export async function runShell(
  host: HostParts,
  s: SessionRecord,
  agent: string,
  command: string,
  m: ModelRef,
): Promise<MessageRecord> {
  const emit = (type: string, properties: Record<string, unknown>) => host.hub.emit(s.directory, type, properties);
  const run = new Run('shell');
  let finish!: (outcome: RunOutcome) => void;
  run.done = new Promise<RunOutcome>((r) => (finish = r));
  host.runs.claim(s.id, run);
  try {
    host.sessions.setStatus(s, { type: 'busy' });
    const user: MessageRecord = {
      info: {
        id: newId('msg'),
        sessionID: s.id,
        role: 'user',
        time: { created: Date.now() },
        agent,
        model: { providerID: m.providerID, modelID: m.modelID },
      },
      parts: [],
    };
    user.parts.push({
      id: newId('prt'),
      sessionID: s.id,
      messageID: user.info.id,
      type: 'text',
      text: 'The following tool was executed by the user',
      synthetic: true,
    });
    s.messages.push(user);
    emit('message.updated', { sessionID: s.id, info: user.info });
    emit('message.part.updated', { sessionID: s.id, part: user.parts[0], time: Date.now() });
    const assistant: MessageRecord = {
      info: {
        id: newId('msg'),
        sessionID: s.id,
        role: 'assistant',
        time: { created: Date.now() },
        parentID: user.info.id,
        modelID: m.modelID,
        providerID: m.providerID,
        mode: agent,
        agent,
        path: { cwd: s.directory, root: s.worktree },
        cost: 0,
        tokens: zeroTokens(),
      },
      parts: [],
    };
    s.messages.push(assistant);
    emit('message.updated', { sessionID: s.id, info: assistant.info });
    const start = Date.now();
    const part: Record<string, any> = {
      id: newId('prt'),
      sessionID: s.id,
      messageID: assistant.info.id,
      type: 'tool',
      callID: newUlidLike(),
      tool: 'bash',
      state: { status: 'running', time: { start }, input: { command } },
    };
    assistant.parts.push(part);
    const emitPart = () => emit('message.part.updated', { sessionID: s.id, part, time: Date.now() });
    emitPart();
    let output = '';
    let updates = 0;
    await host.processes.exec(
      command,
      s.directory,
      (chunk) => {
        output += chunk;
        if (updates++ < MAX_RUNNING_UPDATES) {
          part.state = { status: 'running', time: { start }, input: { command }, metadata: { output } };
          emitPart();
        }
      },
      run.controller.signal,
    );
    if (run.controller.signal.aborted) output += '\n\n<metadata>\nUser aborted the command\n</metadata>';
    assistant.info.time.completed = Date.now();
    emit('message.updated', { sessionID: s.id, info: assistant.info });
    part.state = {
      status: 'completed',
      time: { start, end: Date.now() },
      input: { command },
      title: '',
      metadata: { output },
      output,
    };
    emitPart();
    run.finished = true;
    host.sessions.setStatus(s, { type: 'idle' });
    emit('session.idle', { sessionID: s.id });
    s.time.updated = Date.now();
    emit('session.updated', { sessionID: s.id, info: sessionInfo(s) });
    return assistant;
  } finally {
    host.runs.release(s.id, run);
    finish(run.controller.signal.aborted ? 'aborted' : 'stop');
  }
}
