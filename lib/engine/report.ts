// The reporter contract: what the engine tells the output layer (console, JSON lines, --step) about a
// run. The engine produces these; lib/output/ and lib/cli/step.ts consume them.
import type { Play } from '../ast.js';
import type { SourceLocation } from '../errors.js';
import type { DiffEntry } from '../modules/types.js';

export type HostStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable';

export interface HostStats {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

export interface TaskInfo {
  name: string;
  /** `role : name` as Ansible prints it. */
  title: string;
  loc?: SourceLocation;
  kind: 'task' | 'handler' | 'facts';
  module?: string;
  tags: string[];
}

export interface HostResult {
  host: string;
  status: HostStatus;
  msg?: string;
  /** Registered value (masked by the reporter). */
  result: Record<string, unknown>;
  diff?: DiffEntry[];
  item?: unknown;
  itemLabel?: string;
  ignored?: boolean;
  /** The task was not run because check mode cannot predict it. */
  checkSkipped?: boolean;
  noLog: boolean;
  durationMs: number;
  delegatedTo?: string;
  /** debug-style output to always show. */
  show?: boolean;
}

/** Output layer contract (console, JSON lines). */
export interface Reporter {
  playStart(play: Play, hosts: string[]): void;
  taskStart(task: TaskInfo): void;
  hostResult(task: TaskInfo, r: HostResult): void;
  warn(msg: string): void;
  /** A play whose pattern matched no host (ansible: `skipping: no hosts matched`); default: a warning. */
  noHosts?(play: Play): void;
  /** An `until` attempt failed and another follows (ansible: `FAILED - RETRYING: [h]: task (N retries left).`). */
  retry?(task: TaskInfo, host: string, retriesLeft: number, item?: string): void;
  /** include_tasks/include_role brought a file in for these hosts (ansible: `included: FILE for h1, h2`). */
  included?(task: TaskInfo, file: string, hosts: string[], itemLabel?: string): void;
  /** Every host of the play failed (any_errors_fatal, max_fail_percentage): ansible's `NO MORE HOSTS LEFT`. */
  noHostsLeft?(): void;
  log(verbosity: number, msg: string): void;
  progress(host: string, msg: string): void;
  recap(stats: Map<string, HostStats>, extra: RunSummary): void;
}

export interface RunSummary {
  exitCode: number;
  durationMs: number;
  requests: number;
  processes: number;
  hosts: number;
}
