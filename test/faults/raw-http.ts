// HTTP/1.1 over a bare socket, for requests no well-behaved client would send (NUL bytes, invalid
// UTF-8, malformed percent-encoding, header values fetch refuses): the bytes go out as written.
import { connect } from 'node:net';

/** Bodies larger than this are sent after a pause for an early answer. */
const EARLY_ANSWER_BODY_BYTES = 64 * 1024;

export interface RawRequest {
  method: string;
  /** Path and query, already encoded as they should appear on the request line. */
  target: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface RawResponse {
  status: number;
  /** Lower-cased names. */
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends one request (`connection: close`) and reads the answer. An event stream is read for
 * `streamMs`, then closed. Rejects when the server closes without a status line or time runs out.
 */
export function sendRaw(port: number, req: RawRequest, timeoutMs = 30_000, streamMs = 300): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    let settled = false;
    let streamTimer: NodeJS.Timeout | undefined;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(streamTimer);
      socket.destroy();
      if (err) return reject(err);
      try {
        resolve(parse(Buffer.concat(chunks)));
      } catch (e) {
        reject(e as Error);
      }
    };
    const timer = setTimeout(() => finish(new Error(`no complete answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('connect', () => {
      const head = [`${req.method} ${req.target} HTTP/1.1`, `host: 127.0.0.1:${port}`, 'connection: close'];
      for (const [name, value] of Object.entries(req.headers)) head.push(`${name}: ${value}`);
      if (req.body !== undefined) head.push(`content-length: ${req.body.length}`);
      const headBytes = Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1');
      const body = req.body ?? Buffer.alloc(0);
      if (body.length <= EARLY_ANSWER_BODY_BYTES) {
        socket.write(Buffer.concat([headBytes, body]));
        return;
      }
      // A large body: give the server a moment to refuse it from the headers (413 on content-length)
      // before sending it, as a client honouring early answers does; otherwise the refusal can be lost
      // to the reset of a connection closed with unread data.
      socket.write(headBytes);
      setTimeout(() => {
        if (chunks.length === 0 && !settled) socket.write(body);
      }, 100);
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (!streamTimer && /content-type:\s*text\/event-stream/i.test(Buffer.concat(chunks).toString('latin1'))) {
        streamTimer = setTimeout(() => finish(), streamMs);
      }
    });
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    // A reset after a complete answer (the server closing a body it did not read) still counts.
    socket.on('error', (err) => (chunks.length > 0 ? finish() : finish(err)));
  });
}

function parse(raw: Buffer): RawResponse {
  const text = raw.toString('utf8');
  const end = text.indexOf('\r\n\r\n');
  if (!text.startsWith('HTTP/1.1 ') || end < 0) {
    throw new Error(`no HTTP answer (got ${JSON.stringify(text.slice(0, 200))})`);
  }
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let body = text.slice(end + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body);
  return { status: Number(statusLine!.split(' ')[1]), headers, body };
}

function dechunk(body: string): string {
  let out = '';
  let rest = body;
  for (;;) {
    const lineEnd = rest.indexOf('\r\n');
    if (lineEnd < 0) return out;
    const size = parseInt(rest.slice(0, lineEnd), 16);
    if (!Number.isFinite(size) || size === 0) return out;
    // Sizes are in bytes; the body was decoded as UTF-8, so slice bytes.
    const bytes = Buffer.from(rest.slice(lineEnd + 2), 'utf8');
    out += bytes.subarray(0, size).toString('utf8');
    rest = bytes.subarray(size + 2).toString('utf8');
  }
}
