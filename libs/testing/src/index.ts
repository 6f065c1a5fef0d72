export { TestApp } from './test-app';
export type { TestAppOptions, TestResponse, TestTeam } from './test-app';
export { MutableClock } from './mutable-clock';
export { freePort, startProcess, startWorkerProcess, REPO_ROOT } from './processes';
export type { RunningProcess } from './processes';
export { waitFor } from './wait-for';
export type { WaitForOptions, WaitForResult } from './wait-for';
export { apiOperations, nestRoutes } from './routes';
export type { ApiOperation, HttpMethod, NestRoute } from './routes';
export { expectErrorBody } from './error-body';
export { registerHost, setCommandChecks } from './hosts';
export { FakeHosts } from './fake-hosts';
export type { FakeHostOptions } from './fake-hosts';
export { getTask, settledTask } from './tasks';
export type { RegisterHostBody } from './hosts';
export * from './opencode';
export * from './fake-opencode';
export { SseClient } from './sse-client';
export { startRedisServer } from './redis-server';
export type { RedisServer } from './redis-server';
export { WebhookReceiver } from './webhook-receiver';
export type { ReceivedRequest, ReceiverAnswer } from './webhook-receiver';
export type { SseFrame } from './sse-client';
export {
  builtFrom,
  contextCopies,
  dockerfileStages,
  dockerignored,
  dockerignorePatterns,
  imageCommands,
  imagePaths,
  inImage,
  readRepoFile,
  stageChain,
} from './deployment';
export type { DockerInstruction, DockerStage, ImageCommandName } from './deployment';
export { TestOidcProvider } from './oidc-provider';
export type { OidcAccount, TestOidcProviderOptions } from './oidc-provider';
export { OidcBrowser } from './oidc-browser';
export type { BrowserLogin, LoginOptions } from './oidc-browser';
