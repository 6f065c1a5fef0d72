// @heddle/sdk — a typed client for the Heddle API, generated from docs/openapi.json (openapi-typescript
// types + openapi-fetch), with typed errors, a resuming event stream and waitFor. Stands alone: no Nest,
// no Prisma, no other @heddle lib — it can be copied into any TypeScript project (see README "CLI and SDK").
export { createHeddleClient, FINISHED_STATUSES, INBOX_CONTENT_TYPES, isFinished } from './client';
export type {
  ApiToken,
  BootstrapPlanInput,
  BootstrappedPlan,
  CreateTaskInput,
  CreateTokenInput,
  CreatedToken,
  DraftPlanInput,
  DraftedPlan,
  ErrorBody,
  EventListQuery,
  EventOf,
  EventType,
  HeddleClient,
  HeddleClientOptions,
  HeddleEvent,
  Host,
  HostListQuery,
  Me,
  Page,
  RequestOptions,
  SendTaskMessageInput,
  StreamEventsOptions,
  TakeoverTaskInput,
  Task,
  TaskListQuery,
  TaskMessage,
  TaskResult,
  TaskStatus,
  Turn,
  WaitForOptions,
} from './client';
export {
  HEDDLE_ERROR_CODES,
  HeddleApiError,
  HeddleConnectionError,
  HeddleTimeoutError,
  isHeddleErrorCode,
} from './errors';
export type { HeddleErrorCode } from './errors';
export { SseParser } from './sse';
export type { SseFrame } from './sse';
export type { components, operations, paths } from './generated/api';
