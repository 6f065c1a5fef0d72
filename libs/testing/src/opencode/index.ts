export { startFakeLlm, FAKE_TITLE, FAKE_DONE_CONTENT } from './fake-llm';
export type { FakeLlm, FakeLlmOptions, FakeLlmRequest } from './fake-llm';
export {
  startRealOpencode,
  opencodeBinaryPath,
  opencodeBinaryAvailable,
  opencodeBinaryRequired,
  OPENCODE_VERSION,
  FAKE_PROVIDER,
  FAKE_MODEL,
  FAKE_MODEL_REF,
} from './real-opencode';
export type { RealOpencode, RealOpencodeOptions, ModelCost } from './real-opencode';
export {
  EventRecorder,
  expectedCost,
  expectedTokens,
  realOpencodeTarget,
  realScenario,
  realTarget,
} from './contract-cases';
export type {
  ContractTarget,
  ContractTargetFactory,
  ContractTargetOptions,
  PromptText,
  Scenario,
  TokenUsage,
} from './contract-cases';
