import type { ProbeOutcome } from './host-status';

export interface ProbeTarget {
  baseUrl: string;
  username: string | null;
  password: string | null;
}

/**
 * Asks a host whether it is up and which OpenCode it runs. A port, so the registry does not care
 * how (the OpenCode client in production); never throws — a failure is an outcome.
 */
export abstract class HostProbe {
  abstract probe(target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome>;
}
