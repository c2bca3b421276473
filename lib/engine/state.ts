// The state of a run that the play strategy (runner.ts) and the per-host task step (task.ts) share:
// the run's options and each host's standing (facts, registered values, counters, notified handlers).
import type { TaskNode } from '../ast.js';
import type { Connection, ConnectionSpec } from '../executor/types.js';
import type { Facts } from '../modules/types.js';
import type { HostStats, TaskInfo } from './report.js';
import type { Vars } from './vars.js';

export interface RunOptions {
  check: boolean;
  diff: boolean;
  extraVars: Vars;
  limit?: string;
  tags: string[];
  skipTags: string[];
  forks: number;
  startAtTask?: string;
  /** --force-handlers: a play's `force_handlers:` keyword overrides it. */
  forceHandlers?: boolean;
  verbosity: number;
  inventoryFile?: string;
  /** Test hook: creates a connection for a host (default: the registry's transport, executor/registry.ts). */
  connect?: (spec: ConnectionSpec) => Connection | Promise<Connection>;
  signal?: AbortSignal;
  /** Secrets registry shared with the reporter (masking). */
  secrets: Set<string>;
  /** --step: asked before each task; false skips the task (no banner, no result), like ansible-playbook --step. */
  step?: (task: TaskInfo) => Promise<boolean>;
}

export interface HostState {
  name: string;
  facts?: Facts;
  /** set_fact / register layer. */
  hostFacts: Vars;
  /** `ansible_facts` a module returned (package_facts): merged into the host's ansible_facts. */
  moduleFacts?: Vars;
  stats: HostStats;
  failed: boolean;
  unreachable: boolean;
  ended: boolean;
  notified: Set<TaskNode>;
}

export function emptyStats(): HostStats {
  return { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
}
