/**
 * Names for the shapes Heddle uses, all taken from the server's own OpenAPI document
 * (src/generated/opencode-api.d.ts, `npm run opencode:types`), plus the few helpers that type a
 * request by its path and method.
 */
import type { components, paths } from './generated/opencode-api';

type Schemas = components['schemas'];

export type Session = Schemas['Session'];
export type SessionStatus = Schemas['SessionStatus'];
export type PermissionRule = Schemas['PermissionRule'];
export type PermissionRuleset = Schemas['PermissionRuleset'];
export type PermissionAction = Schemas['PermissionAction'];
export type PermissionRequest = Schemas['PermissionRequest'];
export type PermissionReply = 'once' | 'always' | 'reject';
export type QuestionRequest = Schemas['QuestionRequest'];
export type QuestionInfo = Schemas['QuestionInfo'];
export type Message = Schemas['Message'];
export type UserMessage = Schemas['UserMessage'];
export type AssistantMessage = Schemas['AssistantMessage'];
export type Part = Schemas['Part'];
export type TextPart = Schemas['TextPart'];
export type ToolPart = Schemas['ToolPart'];
export type StepFinishPart = Schemas['StepFinishPart'];
export type PartInput = OperationBody<'/session/{sessionID}/message', 'post'>['parts'][number];
export type FileNode = Schemas['FileNode'];
export type FileContent = Schemas['FileContent'];
export type VcsFileStatus = Schemas['VcsFileStatus'];
export type VcsFileDiff = Schemas['VcsFileDiff'];
export type VcsInfo = Schemas['VcsInfo'];
export type SnapshotFileDiff = Schemas['SnapshotFileDiff'];
export type PathInfo = Schemas['Path'];
export type TextMatch = OperationOk<'/find', 'get'>[number];
export type Health = OperationOk<'/global/health', 'get'>;
/** One agent of `GET /agent`: `mode` primary | subagent | all; `hidden` ones (compaction, summary, title) are internal. */
export type Agent = Schemas['Agent'];
/** One provider of `GET /config/providers`, its models by id. */
export type Provider = Schemas['Provider'];
export type ProviderModel = Schemas['Model'];
/** `GET /config/providers`: `{providers, default}` (`default`: provider id → that provider's default model id). */
export type ConfigProviders = OperationOk<'/config/providers', 'get'>;

/** `{info, parts}` as the message routes return them. */
export interface MessageWithParts<M extends Message = Message> {
  info: M;
  parts: Part[];
}

/** The 10 s heartbeat on `/event`: sent by the server but missing from its OpenAPI document. */
export interface HeartbeatEvent {
  id?: string;
  type: 'server.heartbeat';
  properties: Record<string, never>;
}

/** Any frame of `GET /event`; switch on `type` to narrow `properties`. */
export type OpencodeEvent = Schemas['Event'] | HeartbeatEvent;
export type OpencodeEventType = OpencodeEvent['type'];
/** The event of one type, e.g. `EventOf<'session.status'>`. */
export type EventOf<T extends OpencodeEventType> = Extract<OpencodeEvent, { type: T }>;

// ---- typing a call by path and method --------------------------------------------------------

export type HttpMethod = 'get' | 'post' | 'patch' | 'put' | 'delete';
export type ApiPath = keyof paths;

/** The methods a path defines (the generated type marks the others `?: never`). */
export type MethodsOf<P extends ApiPath> = {
  [M in HttpMethod]-?: undefined extends paths[P][M] ? never : M;
}[HttpMethod];

export type Operation<P extends ApiPath, M extends MethodsOf<P>> = NonNullable<paths[P][M]>;

type ParamsOf<O> = O extends { parameters: infer X } ? X : never;

/** Path parameters (`{sessionID}` …), or never when the route has none. */
export type OperationPathParams<P extends ApiPath, M extends MethodsOf<P>> =
  ParamsOf<Operation<P, M>> extends { path: infer X } ? X : never;

/** Query parameters other than `directory` and `workspace` (the client sets those). */
export type OperationQuery<P extends ApiPath, M extends MethodsOf<P>> =
  ParamsOf<Operation<P, M>> extends { query?: infer Q } ? Omit<NonNullable<Q>, 'directory' | 'workspace'> : never;

export type OperationBody<P extends ApiPath, M extends MethodsOf<P>> =
  Operation<P, M> extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

/** The 200 JSON body; `void` for routes that answer 204 only. */
export type OperationOk<P extends ApiPath, M extends MethodsOf<P>> =
  Operation<P, M> extends { responses: { 200: { content: { 'application/json': infer R } } } } ? R : void;
