// Calls about the server and its instance rather than a session: health, paths, instance disposal,
// and the catalog a prompt chooses from (providers and models, agents).
import { ApiCaller, CallOptions } from './api-call';
import { isAgentList, isBoolean, isObject, isProviderList } from './response-checks';
import type { Agent, ConfigProviders, Health, PathInfo } from './types';

export class ServerCalls {
  constructor(private readonly api: ApiCaller) {}

  /** Not instance-scoped: sent without `directory`. */
  async health(opts?: CallOptions): Promise<Health> {
    return this.api.call(
      'get',
      '/global/health',
      { instance: false, check: isObject, shape: '{healthy, version}' },
      opts,
    );
  }

  async paths(opts?: CallOptions): Promise<PathInfo> {
    return this.api.call('get', '/path', { check: isObject, shape: 'Path' }, opts);
  }

  async disposeInstance(opts?: CallOptions): Promise<boolean> {
    return this.api.call('post', '/instance/dispose', { check: isBoolean, shape: 'boolean' }, opts);
  }

  async configProviders(opts?: CallOptions): Promise<ConfigProviders> {
    return this.api.call('get', '/config/providers', { check: isProviderList, shape: '{providers, default}' }, opts);
  }

  async agents(opts?: CallOptions): Promise<Agent[]> {
    return this.api.call('get', '/agent', { check: isAgentList, shape: 'Agent[]' }, opts);
  }
}
