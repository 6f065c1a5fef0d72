/** A model as OpenCode's prompt routes take it. */
export interface ModelRef {
  providerID: string;
  modelID: string;
}

/**
 * Parses Heddle's `provider/model` string. The model part may itself contain slashes
 * (`openrouter/anthropic/claude-sonnet-4`): only the first slash separates the provider.
 */
export function parseModelRef(value: string): ModelRef {
  const trimmed = value.trim();
  const slash = trimmed.indexOf('/');
  if (slash <= 0 || slash === trimmed.length - 1) {
    throw new TypeError(`model must look like "provider/model", got ${JSON.stringify(value)}`);
  }
  const providerID = trimmed.slice(0, slash);
  const modelID = trimmed.slice(slash + 1);
  if (/\s/.test(providerID) || /\s/.test(modelID)) {
    throw new TypeError(`model must look like "provider/model" without spaces, got ${JSON.stringify(value)}`);
  }
  return { providerID, modelID };
}

/** Accepts either form; the string form is parsed. */
export function toModelRef(value: string | ModelRef): ModelRef {
  return typeof value === 'string' ? parseModelRef(value) : value;
}

export function formatModelRef(ref: ModelRef): string {
  return `${ref.providerID}/${ref.modelID}`;
}
