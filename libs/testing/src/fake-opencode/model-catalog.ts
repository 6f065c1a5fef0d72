// What a prompt may choose from: the native agents of OpenCode 1.18.34 and the models the fake host
// offers (option `models`), in the shapes `GET /agent` and `GET /config/providers` answer.
import type { FakeModelCost, FakeOpencodeOptions, FakePermissionRule } from './types';

/**
 * The native agents of OpenCode 1.18.34 as `GET /agent` lists them (alphabetically). A prompt may name
 * any of them (the real server runs subagents and hidden ones too); "Agent not found" lists the
 * visible ones.
 */
const AGENTS: { name: string; mode: 'primary' | 'subagent'; hidden?: true; description?: string }[] = [
  { name: 'build', mode: 'primary', description: 'The default agent. Executes tools based on configured permissions.' },
  { name: 'compaction', mode: 'primary', hidden: true },
  { name: 'explore', mode: 'subagent', description: 'Fast agent specialized for exploring codebases.' },
  {
    name: 'general',
    mode: 'subagent',
    description: 'General-purpose agent for researching complex questions and executing multi-step tasks.',
  },
  { name: 'plan', mode: 'primary', description: 'Plan mode. Disallows all edit tools.' },
  { name: 'summary', mode: 'primary', hidden: true },
  { name: 'title', mode: 'primary', hidden: true },
];
const AGENT_NAMES = AGENTS.map((a) => a.name);
/** The agents "Agent not found" names. */
export const VISIBLE_AGENTS = AGENTS.filter((a) => !a.hidden).map((a) => a.name);

export interface ModelRef {
  providerID: string;
  modelID: string;
}

export class ModelCatalog {
  /** Used when a prompt names no model. */
  readonly defaultModel: ModelRef;
  private readonly models: string[] | 'any';
  private readonly cost: FakeModelCost | undefined;

  constructor(options: Pick<FakeOpencodeOptions, 'models' | 'defaultModel' | 'cost'>) {
    this.models = options.models ?? ['fake/fake-model'];
    this.defaultModel = options.defaultModel ?? { providerID: 'fake', modelID: 'fake-model' };
    this.cost = options.cost;
  }

  isAgent(name: string): boolean {
    return AGENT_NAMES.includes(name);
  }

  /** `GET /agent`, each agent with the ruleset the real server reports for it. */
  agents(configRules: FakePermissionRule[]): Record<string, unknown>[] {
    return AGENTS.map(({ name, mode, hidden, description }) => ({
      name,
      ...(description !== undefined ? { description } : {}),
      mode,
      native: true,
      ...(hidden ? { hidden } : {}),
      // The real ruleset starts with OpenCode's defaults; the config's rules come after them.
      permission: [{ permission: '*', pattern: '*', action: 'allow' }, ...configRules],
      options: {},
    }));
  }

  isModel(model: ModelRef): boolean {
    return this.models === 'any' || this.models.includes(`${model.providerID}/${model.modelID}`);
  }

  /**
   * `GET /config/providers` as the real server answers it: the `models` option grouped by provider
   * (with `'any'`, only the default model), each model in the config's shape, and `default` (per
   * provider: the default model when it is one of them, else its first model).
   */
  providers(): { providers: Record<string, unknown>[]; default: Record<string, string> } {
    const refs = this.models === 'any' ? [`${this.defaultModel.providerID}/${this.defaultModel.modelID}`] : this.models;
    const byProvider = new Map<string, string[]>();
    for (const ref of refs) {
      const slash = ref.indexOf('/');
      const [providerID, modelID] = [ref.slice(0, slash), ref.slice(slash + 1)];
      byProvider.set(providerID, [...(byProvider.get(providerID) ?? []), modelID]);
    }
    const cost = this.cost;
    const model = (providerID: string, modelID: string) => ({
      id: modelID,
      providerID,
      api: { id: modelID, url: '', npm: '@ai-sdk/openai-compatible' },
      name: modelID,
      family: '',
      capabilities: {
        temperature: false,
        reasoning: false,
        attachment: false,
        toolcall: true,
        input: { text: true, audio: false, image: false, video: false, pdf: false },
        output: { text: true, audio: false, image: false, video: false, pdf: false },
        interleaved: false,
      },
      cost: {
        input: cost?.input ?? 0,
        output: cost?.output ?? 0,
        cache: { read: cost?.cache_read ?? 0, write: cost?.cache_write ?? 0 },
      },
      limit: { context: 100_000, output: 4096 },
      status: 'active',
      options: {},
      headers: {},
      release_date: '',
      variants: {},
    });
    const providers: Record<string, unknown>[] = [];
    const defaults: Record<string, string> = {};
    for (const [providerID, modelIDs] of byProvider) {
      providers.push({
        id: providerID,
        name: providerID === 'fake' ? 'Fake LLM' : providerID,
        source: 'config',
        env: [],
        options: {},
        models: Object.fromEntries(modelIDs.map((id) => [id, model(providerID, id)])),
      });
      defaults[providerID] =
        this.defaultModel.providerID === providerID && modelIDs.includes(this.defaultModel.modelID)
          ? this.defaultModel.modelID
          : modelIDs[0];
    }
    return { providers, default: defaults };
  }
}
