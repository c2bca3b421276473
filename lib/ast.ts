// The loaded, validated form of playbooks and roles. Loaders produce it; the runner executes it.
import type { SourceLocation } from './errors.js';

export interface RoleInfo {
  name: string;
  /** Absolute path of the role directory (role_path). */
  path: string;
  defaults: Record<string, unknown>;
  vars: Record<string, unknown>;
  /** Its dependencies (meta/main.yml), whose defaults and vars its tasks see too. */
  dependencies?: RoleInfo[];
}

/** One condition of `when`/`changed_when`/`failed_when`/`until`: an expression, a YAML boolean or number. */
export type Condition = string | boolean | number;

/** Keywords shared by tasks, blocks and includes (inherited by the tasks inside a block/include). */
export interface TaskKeywords {
  when: Condition[];
  tags: string[];
  vars?: Record<string, unknown>;
  become?: boolean;
  becomeUser?: string;
  ignoreErrors?: boolean | string;
  runOnce?: boolean;
  delegateTo?: string;
  noLog?: boolean;
  checkMode?: boolean;
  diff?: boolean;
  environment?: Record<string, unknown>;
  throttle?: number;
  anyErrorsFatal?: boolean;
}

export interface BaseNode extends TaskKeywords {
  name?: string;
  /** The action as written (`ansible.builtin.copy`): an unnamed task's title, as in Ansible. */
  written?: string;
  loc: SourceLocation;
  role?: RoleInfo;
}

export interface ModuleTask extends BaseNode {
  kind: 'module';
  module: string;
  /** Validated (deferred-template) args, still to be rendered per host. */
  args: Record<string, unknown>;
  /**
   * The arguments did not validate, and the task has `ignore_errors`: as in Ansible, the error is
   * the task's failure when it runs (ignored), not a load-time stop.
   */
  argError?: Error;
  /** Where each argument was written, for errors after rendering. */
  argLocs: Record<string, SourceLocation | undefined>;
  loop?: unknown;
  loopLabel?: string;
  loopVar: string;
  /** loop_control.index_var: the item's 0-based index under this name. */
  loopIndexVar?: string;
  /** loop_control.extended: `ansible_loop` (index, first, last, previtem, …) is set per item. */
  loopExtended?: boolean;
  /** `with_X:` — the items are lookup X's answer to the loop's terms (`with_items` flattens one level). */
  loopWith?: string;
  /** loop_control.pause: seconds between items. */
  loopPause?: number;
  register?: string;
  notify: string[];
  listen: string[];
  changedWhen?: Condition[];
  failedWhen?: Condition[];
  until?: Condition[];
  retries: number;
  delay: number;
  /** `async:` seconds (a template until it runs); > 0 runs the module as a job (engine/async-jobs.ts). */
  async?: number | string;
  /** `poll:` seconds between checks; 0 = fire and forget. Default 15 (Ansible 2.14). */
  poll?: number | string;
}

export interface SetFactTask extends BaseNode {
  kind: 'set_fact';
  /** `async:` was written: the task fails when it runs, as Ansible's set_fact ("async is not supported for this task."). */
  async?: boolean;
  facts: Record<string, unknown>;
  loop?: unknown;
  loopVar: string;
  loopLabel?: string;
  loopIndexVar?: string;
  loopExtended?: boolean;
  loopWith?: string;
  loopPause?: number;
  notify: string[];
  listen: string[];
}

export interface MetaTask extends BaseNode {
  kind: 'meta';
  action: 'flush_handlers' | 'noop' | 'end_play' | 'end_host' | 'end_batch' | 'clear_facts' | 'refresh_inventory' | 'reset_connection';
  notify: string[];
  listen: string[];
}

export interface BlockTask extends BaseNode {
  kind: 'block';
  /** include_tasks / include_role / import_* are loaded statically into blocks. */
  origin: 'block' | 'include_tasks' | 'import_tasks' | 'include_role' | 'import_role';
  block: TaskNode[];
  rescue: TaskNode[];
  always: TaskNode[];
  notify: string[];
  listen: string[];
  /** Handlers brought in by include_role/import_role. */
  handlers?: TaskNode[];
  /**
   * include_tasks (dynamic): the include's own keywords, which are not inherited by the included tasks
   * (its `when` decides per host whether the file is included, its tags select the include itself), and
   * its loop. The block's keywords are `apply:`'s, inherited by the included tasks; its vars are the include's.
   */
  include?: IncludeSpec;
  /**
   * A role's block (roles:, a dependency, import_role/include_role): Ansible's per-host "role already ran"
   * record (Role._completed, set by the implicit role_complete when a task of it ran on the host). Without
   * allow_duplicates, the block is skipped for hosts that completed a role with the same key.
   */
  roleRun?: { key: string; allowDuplicates: boolean };
}

export interface IncludeSpec {
  /** Absolute path of the included file (the `included:` line prints it); include_role: the role's path. */
  file: string;
  /** include_role: the role (its name for the banner) and whether its vars stay visible after it (`public`). */
  role?: IncludedRole;
  when: Condition[];
  tags: string[];
  loop?: unknown;
  loopWith?: string;
  loopVar: string;
  loopLabel?: string;
  loopIndexVar?: string;
  loopExtended?: boolean;
  /** The include's own ignore_errors (a failure to include: a name that does not render). */
  ignoreErrors?: boolean | string;
  /**
   * A templated include (`include_tasks: "setup-{{ os }}.yml"`, include_role's name or *_from): `file`
   * and `role.name` hold the text as written, `block` is empty; the runner renders `args` per host and
   * item when the include runs and loads the include as if written with the results.
   */
  late?: LateInclude;
}

/** What a templated include needs at run time (loaders/late-include.ts). */
export interface LateInclude {
  /** The templated arguments as written: `file` (include_tasks) or name, tasks_from, … (include_role). */
  args: Record<string, string>;
  /** Where the include's arguments are written (a name that does not render fails there). */
  at: SourceLocation;
  /** The include written with these rendered values, loaded and checked as a literal one (cached per values). */
  load(rendered: Record<string, string>): Promise<LateLoaded>;
}

/** A loaded templated include, or why its file is missing (Ansible fails the host's include with it). */
export type LateLoaded = { node: BlockTask; handlers: TaskNode[] } | { reason: string };

export interface IncludedRole {
  name: string;
  public: boolean;
  /** The roles whose defaults and vars the role's tasks see: its dependencies and itself (vars_from/defaults_from applied). */
  visible: RoleInfo[];
}

export type TaskNode = ModuleTask | SetFactTask | MetaTask | BlockTask;

export type HostOrder = 'inventory' | 'reverse_inventory' | 'sorted' | 'reverse_sorted' | 'shuffle';

export interface Play {
  name: string;
  hosts: string;
  loc: SourceLocation;
  vars: Record<string, unknown>;
  varsFiles: Array<{ file: string; vars: Record<string, unknown> }>;
  roles: RoleInfo[];
  /** pre_tasks, roles' tasks, tasks, post_tasks in order, each section with its handlers flushed after as Ansible does. */
  sections: Array<{ name: 'pre_tasks' | 'roles' | 'tasks' | 'post_tasks'; tasks: TaskNode[] }>;
  handlers: TaskNode[];
  serial?: Array<number | string>;
  /** `order:` — the order of the play's hosts (run_once's host, serial batches, output). */
  order?: HostOrder;
  maxFailPercentage?: number;
  anyErrorsFatal: boolean;
  become?: boolean;
  becomeUser?: string;
  gatherFacts: boolean;
  /** gather_subset: which groups of facts the play gathers (Ansible's names; default all). */
  gatherSubset?: string[];
  tags: string[];
  checkMode?: boolean;
  diff?: boolean;
  environment?: Record<string, unknown>;
  /** Handlers notified on a host run even when the host failed later (play keyword or --force-handlers). */
  forceHandlers?: boolean;
  /** `connection: local` runs every host of the play on the control node. */
  /** A registered connection name (executor/registry.ts). */
  connection?: string;
}

export interface Playbook {
  file: string;
  dir: string;
  plays: Play[];
}
