export { startFakeOpencode } from './fake-opencode';
export type { FakeOpencode } from './fake-opencode';
export { stepsForPrompt, stepForToolCall, DEFAULT_FILE_CONTENT } from './script';
export { fakeOpencodeTarget, fakeTarget } from './contract-target';
export type * from './types';
