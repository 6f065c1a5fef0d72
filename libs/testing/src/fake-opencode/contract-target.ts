import { ContractTarget, ContractTargetFactory, realScenario } from '../opencode/contract-cases';
import { FakeOpencode, startFakeOpencode } from './fake-opencode';

/**
 * The fake host as a target of the OpenCode contract suite (test/opencode-contract.e2e-spec.ts). It
 * honours the fake LLM's prompt keywords, so it shares the real target's scenario; "restarting" is
 * setUnreachable(true/false) on the same port with state kept, as a restarted real server keeps its DB.
 */
export function fakeTarget(fake: FakeOpencode): ContractTarget {
  return {
    baseUrl: fake.baseUrl,
    port: fake.port,
    auth: fake.password === undefined ? undefined : { username: fake.username, password: fake.password },
    workspace: fake.workspace,
    workspaces: fake.workspaces,
    model: 'fake/fake-model',
    scenario: realScenario,
    restartable: { stopServer: () => fake.setUnreachable(true), startServer: () => fake.setUnreachable(false) },
    probes: { toolProcesses: () => fake.toolProcesses() },
    stop: () => fake.stop(),
  };
}

export const fakeOpencodeTarget: ContractTargetFactory = {
  name: 'fake opencode host',
  enabled: true,
  async start(options = {}) {
    return fakeTarget(
      await startFakeOpencode({
        password: options.password,
        permission: options.permission,
        cost: options.cost,
        extraWorkspaces: options.extraWorkspaces,
      }),
    );
  },
};
