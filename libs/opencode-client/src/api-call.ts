// The one typed way the client's call groups reach the server: route, method, parameters and result
// all come from the OpenAPI document, and the client's directory is added to instance routes.
import type { Expectation } from './errors';
import { OpencodeTransport, QueryValue } from './http';
import type { ApiPath, MethodsOf, OperationBody, OperationOk, OperationPathParams, OperationQuery } from './types';

export interface CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Overrides the client's directory for this call. */
  directory?: string;
}

export interface CallArgs<P extends ApiPath, M extends MethodsOf<P>> {
  path?: OperationPathParams<P, M>;
  query?: OperationQuery<P, M>;
  body?: OperationBody<P, M>;
  expect?: Expectation;
  check?: (value: unknown) => boolean;
  shape?: string;
  /** False for `/global/*` routes, which take no directory. */
  instance?: boolean;
}

/** One server (the transport) seen from one directory: what every call group is built on. */
export class ApiCaller {
  constructor(
    readonly transport: OpencodeTransport,
    /** Sent as `?directory=` on instance routes unless a call names another. */
    readonly directory: string | undefined,
  ) {}

  /** A typed call: path, method, parameters and result all come from the OpenAPI document. */
  async call<P extends ApiPath, M extends MethodsOf<P>>(
    method: M,
    path: P,
    args: CallArgs<P, M>,
    opts?: CallOptions,
  ): Promise<OperationOk<P, M>> {
    return (await this.send(method, path, args, opts)).value;
  }

  /** As {@link call}, with the response headers (for the routes that page through them). */
  async send<P extends ApiPath, M extends MethodsOf<P>>(
    method: M,
    path: P,
    args: CallArgs<P, M>,
    opts?: CallOptions,
  ): Promise<{ value: OperationOk<P, M>; headers: Headers }> {
    const directory = args.instance === false ? undefined : (opts?.directory ?? this.directory);
    const { value, headers } = await this.transport.request<OperationOk<P, M>>({
      method: method.toUpperCase() as 'GET',
      route: path,
      pathParams: args.path as Record<string, string> | undefined,
      query: { ...(args.query as Record<string, QueryValue> | undefined), directory },
      body: args.body,
      expect: args.expect ?? 'json',
      check: args.check,
      shape: args.shape,
      timeoutMs: opts?.timeoutMs,
      signal: opts?.signal,
    });
    return { value, headers };
  }
}
