// The state of a run that the play strategy (runner.ts) and the per-host task step (task.ts) share:
// the run's options and each host's standing (facts, registered values, counters, notified handlers).
import type { BlockTask, Play, TaskNode } from '../ast.js';
import type { Connection, ConnectionSpec } from '../executor/types.js';
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
  /** ansible.cfg [defaults] ansible_managed, for templates. */
  ansibleManaged?: string;
  verbosity: number;
  inventoryFile?: string;
  /** Test hook: creates a connection for a host (default: the registry's transport, executor/registry.ts). */
  connect?: (spec: ConnectionSpec) => Connection | Promise<Connection>;
  signal?: AbortSignal;
  /** Secrets registry shared with the reporter (masking). */
  secrets: Set<string>;
  /** --step: asked before each task; false skips the task (no banner, no result), like ansible-playbook --step. */
  step?: (task: TaskInfo) => Promise<boolean>;
  /**
   * What the playbook's tasks get before the run (secret-looking variables masked, the undefined-variable
   * check), for a templated include's tasks loaded when it runs (cli/run.ts); throws as the check does.
   */
  checkLoaded?: (play: Play, node: BlockTask) => void;
}

export interface HostState {
  name: string;
  /** Gathered facts (Ansible's names without the prefix, plus bosun's init/user) and cacheable set_facts. */
  facts?: Record<string, unknown>;
  /** set_fact / register layer. */
  hostFacts: Vars;
  /** include_vars layer (below set_fact/register). */
  includeVars: Vars;
  stats: HostStats;
  failed: boolean;
  unreachable: boolean;
  ended: boolean;
  notified: Set<TaskNode>;
  /** The last failed task's result and name, for a rescue (ansible_failed_result / ansible_failed_task). */
  lastFailure?: { result: Vars; task: Vars };
}

export function emptyStats(): HostStats {
  return { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
}
