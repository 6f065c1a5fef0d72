// The parts of one fake host that its route modules work with (FakeOpencodeHost builds them).
import { EventHub } from './event-hub';
import { Context } from './http';
import { ModelCatalog } from './model-catalog';
import { PermissionDesk } from './permission-desk';
import { QuestionDesk } from './question-desk';
import { SessionRuns } from './session-runs';
import { SessionStore } from './session-store';
import { ToolProcesses } from './tool-processes';
import type { FakeOpencodeOptions } from './types';

export interface HostParts {
  readonly options: FakeOpencodeOptions;
  /** Reported by `/global/health` and on sessions. */
  readonly version: string;
  readonly hub: EventHub;
  readonly sessions: SessionStore;
  readonly runs: SessionRuns;
  readonly permissions: PermissionDesk;
  readonly questions: QuestionDesk;
  readonly catalog: ModelCatalog;
  readonly processes: ToolProcesses;
  /** projectID by directory, for directories the host has seen (sessions list by project). */
  readonly projects: Map<string, string>;
  /** The port listened on (links in headers name it when the request had no Host). */
  port(): number;
  /** The directory a request is for: `?directory=`, `x-opencode-directory`, else the main workspace. */
  directory(ctx: Context): string;
  /** Emits `server.instance.disposed` and ends that directory's `/event` streams. */
  disposeInstance(directory: string): void;
}
