// The fault suite's HTTP client for the API under test: plain fetch over a real socket, every answer
// counted by status, every 5xx remembered with its route (a 5xx fails the scenario that saw it).

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  body: T;
}

export interface RequestOptions {
  token?: string;
  /** Serialised as JSON with `content-type: application/json`. */
  body?: unknown;
  /** Sent as is (content-type from `headers`, else application/json). */
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
  timeoutMs?: number;
  /**
   * The route may answer an endless `text/event-stream`: read it for this long (ms), then close it.
   * The text read so far is the answer's `text`.
   */
  streamMs?: number;
}

/** Counts of one client's answers; each scenario has its own. */
export class HttpStats {
  total = 0;
  readonly byStatus = new Map<number, number>();
  /** `METHOD path → status body` of every 5xx (the first 50). */
  readonly serverErrors: string[] = [];
  serverErrorCount = 0;
  /** Requests that got no answer (connection refused or reset, timeout). */
  networkErrors = 0;

  record(method: string, path: string, status: number, text: string): void {
    this.total++;
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
    if (status >= 500) {
      this.serverErrorCount++;
      if (this.serverErrors.length < 50) this.serverErrors.push(`${method} ${path} → ${status} ${text.slice(0, 300)}`);
    }
  }
}

export class ApiClient {
  readonly stats = new HttpStats();

  constructor(private readonly baseUrl: () => string) {}

  get url(): string {
    return this.baseUrl();
  }

  /** One request; throws on a network error (after counting it). */
  async request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | Buffer | undefined;
    if (options.rawBody !== undefined) {
      body = options.rawBody;
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
        headers['content-type'] = 'application/json';
      }
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 30_000);
    try {
      const res = await fetch(`${this.baseUrl()}${path}`, {
        method,
        headers,
        body: body as RequestInit['body'],
        signal: controller.signal,
      });
      const text = await this.readBody(res, controller, options.streamMs);
      this.stats.record(method, path, res.status, text);
      let parsed: any;
      if ((res.headers.get('content-type') ?? '').includes('json')) {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
      }
      return { status: res.status, headers: res.headers, text, body: parsed as T };
    } catch (err) {
      this.stats.networkErrors++;
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The same, answering undefined instead of throwing on a network error. */
  async attempt<T = any>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<ApiResponse<T> | undefined> {
    try {
      return await this.request<T>(method, path, options);
    } catch {
      return undefined;
    }
  }

  private async readBody(res: Response, controller: AbortController, streamMs?: number): Promise<string> {
    if (!(res.headers.get('content-type') ?? '').includes('text/event-stream')) return res.text();
    // An event stream never ends by itself: read what comes within streamMs, then close it.
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const stop = setTimeout(() => controller.abort(), streamMs ?? 500);
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
    } catch {
      // aborted: the stream was read for long enough
    } finally {
      clearTimeout(stop);
    }
    return text;
  }
}

/** Runs `fn` over `items` with at most `concurrency` at once; results in item order. */
export async function pool<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>) {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(lanes);
  return results;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
