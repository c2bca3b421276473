// What a task sees: the keywords it inherits from its play and blocks (Scope), the tag selection,
// and its variables — the precedence layers of vars.ts plus the magic variables. The list of magic
// variable names lives here once; the load-time check (static-check.ts) reads it too.
import { dirname, resolve } from 'node:path';
import type { Condition, ModuleTask, Play, Playbook, TaskNode } from '../ast.js';
import { withDependencies } from '../loaders/roles.js';
import type { Inventory } from '../loaders/inventory.js';
import { factVars, UNKNOWN_FACTS } from './facts.js';
import { buildScope, copyOwnProperties, dataLayer, markDataKeys, type Renderer, type Vars } from './vars.js';

/** Variables the engine defines for every task; they win over every layer. */
export const MAGIC_VARS = [
  'inventory_hostname', 'inventory_hostname_short', 'groups', 'group_names', 'hostvars', 'play_hosts', 'ansible_play_hosts',
  'ansible_play_hosts_all', 'ansible_play_batch', 'ansible_check_mode', 'bosun_check_mode', 'ansible_diff_mode',
  'ansible_verbosity', 'playbook_dir', 'inventory_dir', 'inventory_file', 'role_path', 'role_name', 'ansible_play_name', 'omit',
  'ansible_version',
] as const;
export type MagicVar = (typeof MAGIC_VARS)[number];

/**
 * Every name a template may read without the playbook defining it: the magic variables, the facts,
 * the loop variable and the few words templates treat as literals.
 */
export const ENGINE_NAMES: ReadonlySet<string> = new Set<string>([
  ...MAGIC_VARS,
  ...Object.keys(factVars(UNKNOWN_FACTS)),
  'ansible_loop_var', 'item', 'this', 'true', 'false', 'null', 'undefined',
]);

/**
 * `ansible_version`: the Ansible release whose semantics bosun follows (and its differential suite checks),
 * so a role's `ansible_version.full is version('2.9', '>=')` guard takes the branch it takes on 2.14.
 */
export const ANSIBLE_VERSION = { string: '2.14.18', full: '2.14.18', major: 2, minor: 14, revision: 18 } as const;

/** The placeholder `omit` renders to; an argument holding it is dropped. */
export const OMIT = '__omit_place_holder__';

/** Keywords a task inherits from its play and enclosing blocks. */
export interface Inherited {
  tags: string[];
  when: Condition[];
  environment?: Vars;
  become?: boolean;
  becomeUser?: string;
  noLog?: boolean;
  checkMode?: boolean;
  diff?: boolean;
  delegateTo?: string;
  runOnce?: boolean;
  ignoreErrors?: boolean | string;
}

export interface Scope {
  play: Play;
  /** Block/task vars from enclosing blocks, outer first. */
  blockVars: Vars[];
  /** Keywords inherited from enclosing blocks. */
  inherited: Inherited;
  handler: boolean;
  /** Inside the `block:` part of a block that has a `rescue:` (a failure here is rescued, not fatal to the play). */
  rescuable?: boolean;
}

/** The scope inside `node` (a block or a task): its keywords and vars added to the enclosing ones. */
export function childScope(scope: Scope, node: TaskNode): Scope {
  const inh = { ...scope.inherited };
  inh.tags = [...new Set([...inh.tags, ...node.tags])];
  inh.when = [...inh.when, ...node.when];
  if (node.environment) inh.environment = { ...(inh.environment ?? {}), ...node.environment };
  for (const k of ['become', 'becomeUser', 'noLog', 'checkMode', 'diff', 'delegateTo', 'runOnce', 'ignoreErrors'] as const) {
    if (node[k] !== undefined) (inh as Record<string, unknown>)[k] = node[k];
  }
  return { ...scope, inherited: inh, blockVars: node.vars ? [...scope.blockVars, node.vars] : scope.blockVars };
}

/** Whether a task with these (inherited) tags runs under --tags / --skip-tags (Ansible's rules, `always`/`never` included). */
export function tagsSelected(tags: string[], sel: { tags: string[]; skipTags: string[] }): boolean {
  const set = new Set(tags);
  if (sel.skipTags.some((t) => set.has(t) || (t === 'all'))) return false;
  if (set.has('never') && !sel.tags.some((t) => set.has(t))) return false;
  if (sel.tags.length === 0 || sel.tags.includes('all')) return true;
  if (set.has('always')) return true;
  if (sel.tags.includes('tagged') && set.size > 0) return true;
  if (sel.tags.includes('untagged') && set.size === 0) return true;
  return sel.tags.some((t) => set.has(t));
}

/** A scope plus a few names (data: a result, an item), without evaluating the scope's lazy (templated) variables. */
export function extendScope(scope: Vars, extra: Vars): Vars {
  const out: Vars = {};
  copyOwnProperties(out, scope); // a lazy variable stays a getter, not evaluated
  for (const [k, v] of Object.entries(extra)) Object.defineProperty(out, k, { value: v, enumerable: true, configurable: true, writable: true });
  markDataKeys(out, Object.keys(extra), scope);
  return out;
}

function shortName(h: string): string {
  return /^\d+\.\d+\.\d+\.\d+$/.test(h) ? h : h.split('.')[0]!;
}

/** What the variables of a host read from the run's state of that host. */
export interface HostVarsState {
  facts?: Record<string, unknown>;
  /** set_fact / register layer. */
  hostFacts: Vars;
  /** include_vars layer: operator text (its templates render when used), above block/task vars. */
  includeVars?: Vars;
}

export interface VariablesOptions {
  extraVars: Vars;
  check: boolean;
  diff: boolean;
  verbosity: number;
  inventoryFile?: string;
}

/** Builds the variables a task sees on a host, in Ansible's precedence (vars.ts). */
export class Variables {
  constructor(
    private readonly playbook: Playbook,
    private readonly inventory: Inventory,
    private readonly opts: VariablesOptions,
    private readonly templates: Renderer,
    /** The run's state of a host (facts, set_fact/register). */
    private readonly hostState: (name: string) => HostVarsState,
    /** The hosts still running (not failed, unreachable or ended). */
    private readonly active: (hosts: string[]) => string[],
    /**
     * The play's hosts in the pattern's order (before `order:`) and the current serial batch (after it),
     * when a runner knows them: ansible_play_hosts_all/ansible_play_hosts and ansible_play_batch.
     */
    private readonly playLists: () => { all?: string[]; batch?: string[] } = () => ({}),
  ) {}

  private inventoryFileMemo: string | null | undefined;
  private get inventoryFile(): string | null {
    return (this.inventoryFileMemo ??= this.opts.inventoryFile ? resolve(this.opts.inventoryFile) : null);
  }

  magic(host: string, play: Play, playHosts: string[], role: ModuleTask['role']): Record<MagicVar, unknown> {
    const inv = this.inventory;
    // hostvars: every host's scope, built on first access. A Proxy, not one getter per host: this
    // object is made for every scope (each host, each task), and n getters each time made a play's
    // variables cost O(hosts²) (bench, 100-200 hosts).
    let names: string[] | undefined;
    // the implicit localhost is in hostvars too (set_fact on localhost, read by other hosts)
    const hostNames = (): string[] => (names ??= inv.hosts().includes('localhost') ? inv.hosts() : [...inv.hosts(), 'localhost']);
    const cache = new Map<string, Vars>();
    const known = (h: string | symbol): h is string => typeof h === 'string' && (inv.hasHost(h) || h === 'localhost');
    const scopeOf = (h: string): Vars => {
      let v = cache.get(h);
      if (!v) cache.set(h, (v = this.hostScope(h, play, playHosts)));
      return v;
    };
    const hostvarsObj: Vars = new Proxy({} as Vars, {
      get: (_t, h) => (known(h) ? scopeOf(h) : undefined),
      has: (_t, h) => known(h),
      ownKeys: () => hostNames(),
      getOwnPropertyDescriptor: (_t, h) => (known(h) ? { value: scopeOf(h), enumerable: true, configurable: true, writable: false } : undefined),
    });
    // Ansible 2.14: sorted, every group but 'all' — an ungrouped host's group_names is ['ungrouped']
    const groupNames = (inv.host(host)?.groups ?? []).filter((g) => g !== 'all').sort();
    let active: string[] | undefined;
    const magic = {
      inventory_hostname: host,
      inventory_hostname_short: shortName(host),
      groups: inv.groupsMap(),
      group_names: groupNames,
      hostvars: hostvarsObj,
      play_hosts: undefined as unknown,
      ansible_play_hosts: undefined as unknown,
      ansible_play_hosts_all: undefined as unknown,
      ansible_play_batch: undefined as unknown,
      ansible_check_mode: this.opts.check,
      bosun_check_mode: this.opts.check,
      ansible_diff_mode: this.opts.diff,
      ansible_verbosity: this.opts.verbosity,
      playbook_dir: this.playbook.dir,
      inventory_dir: this.inventoryFile ? dirname(this.inventoryFile) : null,
      inventory_file: this.inventoryFile,
      role_path: role?.path ?? null,
      role_name: role?.name ?? null,
      ansible_play_name: play.name,
      ansible_version: { ...ANSIBLE_VERSION },
      omit: OMIT,
    };
    // the hosts still active, when a template asks (an O(hosts) filter per scope otherwise);
    // buildScope copies descriptors, so they stay lazy
    const lists = this.playLists();
    const all = lists.all && lists.all.length === playHosts.length ? lists.all : playHosts;
    Object.defineProperty(magic, 'ansible_play_hosts_all', { enumerable: true, configurable: true, value: all });
    for (const k of ['play_hosts', 'ansible_play_hosts'] as const) {
      Object.defineProperty(magic, k, { enumerable: true, configurable: true, get: () => (active ??= this.active(all)) });
    }
    let batch: string[] | undefined;
    Object.defineProperty(magic, 'ansible_play_batch', { enumerable: true, configurable: true, get: () => (batch ??= this.active(lists.batch ?? playHosts)) });
    return magic;
  }

  /**
   * What `hostvars[host]` holds: Ansible's get_vars without a play — inventory, facts, include_vars,
   * set_fact/register, extra vars and the magic variables; not the play's vars, vars_files or roles.
   */
  hostScope(host: string, play: Play, playHosts: string[]): Vars {
    const st = this.hostState(host);
    const layers: Array<Vars | undefined> = [this.inventory.hostVars(host), factLayer(st.facts, st), st.includeVars, dataLayer(st.hostFacts), this.opts.extraVars];
    return buildScope(layers, this.magic(host, play, playHosts, undefined), this.templates, true);
  }

  playScope(host: string, play: Play, playHosts: string[], role: ModuleTask['role'], blockVars: Vars[], extra?: Vars): Vars {
    const st = this.hostState(host);
    const { roleDefaults, roleVars } = roleLayers(play, role);
    const layers: Array<Vars | undefined> = [
      roleDefaults,
      this.inventory.hostVars(host),
      factLayer(st.facts, st),
      play.vars,
      ...play.varsFiles.map((f) => f.vars),
      roleVars,
      ...blockVars,
      st.includeVars,
      // register/set_fact results and loop items came from a host or from rendering: data, never templates
      dataLayer(st.hostFacts),
      extra && dataLayer(extra),
      this.opts.extraVars,
    ];
    return buildScope(layers, this.magic(host, play, playHosts, role), this.templates);
  }
}

/**
 * The play's roles' defaults and vars merged (then the task's own role's, when it is not one of the
 * play's), once per play and role (and number of play roles): the same objects for every task, so buildScope's resolution of
 * them is reused (vars.ts). Roles' variables are never changed after loading.
 */
const ROLE_LAYERS = new WeakMap<Play, { roles: number; byRole: Map<unknown, { roleDefaults: Vars; roleVars: Vars }> }>();
function roleLayers(play: Play, role: ModuleTask['role']): { roleDefaults: Vars; roleVars: Vars } {
  let memo = ROLE_LAYERS.get(play);
  // a public include_role adds to play.roles while the play runs (runner.ts): then merge anew
  if (!memo || memo.roles !== play.roles.length) ROLE_LAYERS.set(play, (memo = { roles: play.roles.length, byRole: new Map() }));
  const byRole = memo.byRole;
  let hit = byRole.get(role);
  if (hit) return hit;
  const roleDefaults: Vars = {};
  const roleVars: Vars = {};
  for (const r of play.roles) Object.assign(roleDefaults, r.defaults);
  for (const r of play.roles) Object.assign(roleVars, r.vars);
  // a task always sees its own role's (and dependencies') defaults and vars, as Ansible's task._role:
  // an included role's handlers, a role placed inside another role's task files
  if (role && !play.roles.some((r) => r.path === role.path)) {
    for (const r of withDependencies(role)) {
      Object.assign(roleDefaults, r.defaults);
      Object.assign(roleVars, r.vars);
    }
  }
  byRole.set(role, (hit = { roleDefaults, roleVars }));
  return hit;
}

// Facts are replaced, never mutated (task.ts builds a new object on every change), so each facts
// object's variables are built once, not once per task and host.
const FACT_LAYERS = new WeakMap<object, Vars>();
/** The facts' variables; without facts (not gathered, cleared) one layer per host state `st`. */
function factLayer(f: Record<string, unknown> | undefined, st: HostVarsState): Vars {
  const key = f ?? st;
  let layer = FACT_LAYERS.get(key);
  if (!layer) FACT_LAYERS.set(key, (layer = dataLayer(factVars(f))));
  return layer;
}
