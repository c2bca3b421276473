// The module contract (after Ansible's module_utils and pyinfra's planners): a typed argument
// schema, `plan` that only reads the host and says what it would change (with before/after for
// --diff), and `apply` that makes the change. The engine never calls `apply` in check mode, so no
// module can change anything under --check by construction.

import type { Connection, ExecOptions } from '../executor/types.js';
import type { SourceLocation } from '../errors.js';
import type { FileProbe, ProbeOptions } from './util/remote-file.js';

/** A file state a plan will read (lib/modules/util/remote-file.ts probeFile). */
export interface ProbeRequest {
  path: string;
  opts: ProbeOptions;
}

/**
 * A read-only request a plan will make (its first), exactly as it will make it: the same script text
 * and stdin. The engine may run it ahead, with other tasks' reads, and hand the answer to the plan's
 * request when nothing may have changed since (lib/engine/prefetch.ts).
 */
export interface ReadRequest {
  script: string;
  opts: ExecOptions;
}

/** What a module's `reads` may know about the host before its task runs. */
export interface ReadContext {
  readonly facts: Facts;
  readonly check: boolean;
}

export type ArgType = 'str' | 'int' | 'bool' | 'list' | 'dict' | 'path' | 'mode' | 'raw';

export interface ArgSpec {
  type: ArgType;
  description: string;
  required?: boolean;
  default?: unknown;
  choices?: readonly string[];
  /** Element type for `list`. */
  elements?: ArgType;
  aliases?: readonly string[];
  /** Never printed: masked in output, diff, traces and errors. */
  secret?: boolean;
}

export type ArgSchema = Readonly<Record<string, ArgSpec>>;

export interface ModuleDoc {
  short: string;
  description?: string;
  /** full: plan predicts exactly; partial: some args make it unpredictable; none: always skipped in check mode. */
  check: 'full' | 'partial' | 'none';
  diff: boolean;
  examples?: string;
}

/** Host facts gathered in one probe at play start. */
export interface Facts {
  os_family: string; // Debian, RedHat, Suse, Archlinux, Alpine, unknown
  distribution: string; // debian, ubuntu, rhel, ...
  distribution_version: string;
  distribution_major_version: string;
  hostname: string;
  fqdn: string;
  init: 'systemd' | 'sysv' | 'unknown';
  architecture: string;
  user: string;
  [key: string]: unknown;
}

/** One file's (or object's) before/after, rendered as a unified diff by the output layer. */
export interface DiffEntry {
  /** e.g. "/etc/default/etcd" — shown as `--- before: PATH` / `+++ after: PATH`. */
  path: string;
  before?: string;
  after?: string;
  /** Replaces content when it must not or cannot be shown (binary, too large, secret). */
  summary?: string;
  /** Attribute changes (mode, owner, group, state) shown as `- mode: 0644` / `+ mode: 0600`. */
  attrs?: Record<string, { before: string | undefined; after: string | undefined }>;
}

export interface Plan<S = unknown> {
  changed: boolean;
  /** Why (noop reason, or what would change). */
  msg?: string;
  diff?: DiffEntry[];
  /** The change cannot be predicted without running (e.g. `command` without creates/removes). */
  unpredictable?: boolean;
  /** Values registered even when nothing changes. */
  result?: Record<string, unknown>;
  /** Module-private state carried from plan to apply (e.g. the probed checksum). */
  state?: S;
}

export interface Outcome {
  changed: boolean;
  failed?: boolean;
  msg?: string;
  result?: Record<string, unknown>;
  diff?: DiffEntry[];
}

export interface ModuleContext {
  /** inventory_hostname of the host the task runs for. */
  readonly host: string;
  /** The connection the task runs on (the host's, or the control node's when delegated/control-side). */
  readonly conn: Connection;
  /** The control node (local). */
  readonly control: Connection;
  readonly check: boolean;
  readonly diff: boolean;
  readonly facts: Facts;
  readonly vars: Readonly<Record<string, unknown>>;
  /** Where the task is written (for error messages). */
  readonly loc?: SourceLocation;
  /** Resolves `files/` or `templates/` relative names (role first, then playbook dir); absolute paths pass through. */
  findFile(kind: 'files' | 'templates' | 'vars', name: string): string;
  /**
   * Renders template text with the host's variables, and `extra` over them (strict; errors name file
   * and line); `newline`: the template module's newline_sequence.
   */
  render(text: string, file: string, opts?: { newline?: string; extra?: Record<string, unknown> }): string;
  /** ansible.cfg [defaults] ansible_managed, when set (the template module's ansible_managed variable). */
  readonly ansibleManaged?: string;
  /** Evaluates an Ansible-like expression (`a == "x" and b is defined`) with the host's variables. */
  evaluate(expr: string): unknown;
  /** Registers a value to be masked as *** everywhere. */
  secret(value: string): void;
  /** Progress line for long waits. */
  progress(msg: string): void;
  /** Verbose log line, printed at -v level `verbosity` or higher. */
  log(verbosity: number, msg: string): void;
  readonly signal: AbortSignal;
  /**
   * The engine's file probe (probeFile uses it when present): answered from states fetched ahead
   * together with later tasks' probes while nothing changed on the host, else one request.
   */
  probe?(path: string, opts: ProbeOptions): Promise<FileProbe>;
  /** The run's async jobs (`async:` tasks), for async_status (lib/engine/async-jobs.ts). */
  readonly jobs?: AsyncJobTable;
}

/** What async_status sees of a job: running, or finished with the module's registered result. */
export type JobState = { finished: false } | { finished: true; result: Record<string, unknown> };

/** The run's table of async jobs, keyed by jid (lib/engine/async-jobs.ts). */
export interface AsyncJobTable {
  /** The job's state, or undefined when no job of this host has that jid (never started, or cleaned up). */
  state(host: string, jid: string): JobState | undefined;
  /** Forgets the job (mode: cleanup); a job still running goes on until it ends or its deadline. True when it was known. */
  forget(host: string, jid: string): boolean;
  /** Where Ansible would keep the job's result (`results_file`); bosun keeps it in memory. */
  resultsFile(jid: string): string;
}

export interface TaskModule<A = Record<string, unknown>, S = unknown> {
  readonly name: string;
  readonly doc: ModuleDoc;
  readonly args: ArgSchema;
  /** Argument that receives the free-form string (`command: ls -l` → cmd). */
  readonly freeForm?: string;
  /** Unknown argument names are not errors: they are collected, as written, into this argument (add_host's host variables). */
  readonly restArg?: string;
  /**
   * Ansible's BYPASS_HOST_LOOP (add_host, pause): the task runs once, on the first host of the batch,
   * and only that host gets its result (unlike run_once, nothing is copied to the others).
   */
  readonly bypassHostLoop?: boolean;
  /** 'control': always runs on the control node (cert, debug, assert, set_fact). */
  readonly runsOn?: 'host' | 'control';
  /** Extra cross-argument validation after schema checks; throw ArgumentError. */
  validate?(args: A): void;
  /**
   * The file probes plan() will make with these args, without reading anything: the engine fetches
   * them ahead, in one request with other tasks' (lib/engine/prefetch.ts). A wrong guess costs a
   * request, never a wrong answer.
   */
  probes?(args: A, opts: { diff: boolean }): ProbeRequest[];
  /**
   * The read-only requests plan() will start with, with these args, without reading anything; only
   * modules whose reads are quick and bounded (a service's state, an etcdctl read with its own
   * timeouts) declare them, since a batch answers when its slowest read does. A guess that does not
   * match what plan() asks is a cache miss: one ordinary request.
   */
  reads?(args: A, ctx: ReadContext): ReadRequest[];
  /** One-time set-up the engine runs while it waits for hosts (e.g. loading a big library). */
  warm?(): void;
  /**
   * The variables the facts it returns define (getent: getent_DATABASE), for the load-time check of
   * undefined variables; args may still hold templates. undefined: cannot tell (then any name may be defined).
   */
  factNames?(args: A): string[] | undefined;
  /** Waits for something outside the run to change a host (wait_for): file states fetched before it are not reused after it. */
  readonly waits?: boolean;
  /**
   * The module reaches the host's channel itself and handles its failures (wait_for_connection): the
   * engine hands the channel over unopened, so an unreachable host reaches the module instead of
   * failing the task before it.
   */
  readonly opensChannel?: boolean;
  plan(ctx: ModuleContext, args: A): Promise<Plan<S>>;
  apply(ctx: ModuleContext, args: A, plan: Plan<S>): Promise<Outcome>;
}

/** Erases the arg type for the registry. Modules are typed inside; the engine validates args against the schema first. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyModule = TaskModule<any, any>;

export function defineModule<A, S = unknown>(m: TaskModule<A, S>): TaskModule<A, S> {
  return m;
}

// The ordinary failure of a task (plan/apply throw it), part of the error hierarchy in errors.ts.
export { ModuleFailure } from '../errors.js';
