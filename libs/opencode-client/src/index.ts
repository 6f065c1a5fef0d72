export { OpencodeClient, createOpencodeClient } from './opencode-client';
export type {
  CallOptions,
  CommandResult,
  CreateSessionInput,
  ListSessionsQuery,
  MessagePage,
  OpencodeClientOptions,
  PromptInput,
  RunCommandOptions,
  UpdateSessionInput,
} from './opencode-client';
export {
  OpencodeError,
  OpencodeUnreachableError,
  OpencodeAuthError,
  OpencodeNotFoundError,
  OpencodeConflictError,
  OpencodeTimeoutError,
  OpencodeBadRequestError,
  OpencodeServerError,
  OpencodeBadResponseError,
  classifyResponse,
  classifyFetchFailure,
  parseErrorBody,
} from './errors';
export type { OpencodeErrorContext, ResponseFacts, Expectation } from './errors';
export { OpencodeTransport } from './http';
export type { BasicAuth, FetchLike, TransportOptions } from './http';
export { subscribeEvents, backoffDelay } from './event-stream';
export type {
  EventSubscription,
  GapReason,
  SubscribeOptions,
  SubscriptionHandler,
  SubscriptionNotice,
  SubscriptionState,
} from './event-stream';
export { SseParser } from './sse-parser';
export type { SseFrame } from './sse-parser';
export { parseModelRef, toModelRef, formatModelRef } from './model-ref';
export type { ModelRef } from './model-ref';
export { buildShellScript, parseShellOutput, MAX_SERVER_COMMAND_LENGTH } from './shell-script';
export type { ShellScript, ParsedShellOutput } from './shell-script';
export type * from './types';
export type { components as OpencodeSchemas, paths as OpencodePaths } from './generated/opencode-api';
export { newOpencodeId } from './ids';
export type { OpencodeIdPrefix } from './ids';
