// Every request the fake host received, for assertions (the authorization header left out).
import { IncomingMessage } from 'node:http';
import type { FakeRecordedRequest } from './types';

export class RequestLog {
  private readonly recorded: FakeRecordedRequest[] = [];

  /** Keeps at most `max` requests, oldest dropped (0: none). */
  constructor(private readonly max: number) {}

  record(req: IncomingMessage, url: URL, text: string): void {
    if (this.max === 0) return;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (k === 'authorization' || v === undefined) continue;
      headers[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    let body: unknown;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    this.recorded.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      body,
      time: Date.now(),
    });
    if (this.recorded.length > this.max) this.recorded.splice(0, this.recorded.length - this.max);
  }

  list(): FakeRecordedRequest[] {
    return this.recorded.slice();
  }

  clear(): void {
    this.recorded.length = 0;
  }
}
