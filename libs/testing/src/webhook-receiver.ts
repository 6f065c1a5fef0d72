import { once } from 'node:events';
import { IncomingHttpHeaders, Server, createServer } from 'node:http';
import { freePort } from './processes';

/** One request a WebhookReceiver answered. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body, as signed. */
  body: string;
  /** When it arrived (ms since the epoch). */
  at: number;
  /** The status it was answered with. */
  status: number;
}

export interface ReceiverAnswer {
  status: number;
  body?: string;
  /** Answer this much later. */
  delayMs?: number;
}

/**
 * A loopback HTTP receiver for webhooks and sinks: records every request and answers what `answer`
 * says (204 by default). It can be taken down (connection refused, on the same port) and brought back.
 */
export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  answer: (request: Omit<ReceivedRequest, 'status'>) => ReceiverAnswer = () => ({ status: 204 });
  private server?: Server;

  private constructor(private portNumber: number) {}

  /** A receiver listening on a free port (or `port`). */
  static async start(port = 0): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(port);
    await receiver.listen();
    return receiver;
  }

  /** A receiver whose port is chosen but closed until `listen()` (connection refused meanwhile). */
  static async closed(): Promise<WebhookReceiver> {
    return new WebhookReceiver(await freePort());
  }

  get port(): number {
    return this.portNumber;
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  /** `http://127.0.0.1:<port><path>` */
  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.portNumber}${path}`;
  }

  async listen(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const request = {
          method: req.method ?? 'GET',
          path: req.url ?? '/',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        };
        const { status, body, delayMs } = this.answer(request);
        this.requests.push({ ...request, status });
        const reply = () => res.writeHead(status, { 'content-type': 'text/plain' }).end(body ?? '');
        if (delayMs) setTimeout(reply, delayMs);
        else reply();
      });
    });
    server.keepAliveTimeout = 2_000;
    server.listen(this.portNumber, '127.0.0.1');
    await once(server, 'listening');
    this.portNumber = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Stops listening and drops every connection: refused until `listen()` again. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  /** Requests answered 2xx, optionally only those to `path`. */
  accepted(path?: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.status >= 200 && r.status < 300 && (path === undefined || r.path === path));
  }
}
