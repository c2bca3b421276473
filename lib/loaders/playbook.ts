// Playbook and role loading: YAML → validated AST (lib/engine/ast.ts). Everything that can be
// checked before a host is touched is checked here: structure, keywords, module names, argument
// names and literal types, role/include/vars files, role dependency cycles.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { loadYamlFile, keyLoc, locOf } from './yaml.js';
import { loadVarsFile } from './vars-files.js';
import { parseKv } from './kv.js';
import { ArgumentError, ParseError, UnknownModuleError, MissingFileError, closest, type SourceLocation } from '../errors.js';
import { canonicalModuleName, getModule, isModule, moduleNames, ENGINE_ACTIONS } from '../modules/index.js';
import { validateArgs } from '../modules/args.js';
import { connectionNames, isConnectionName } from '../executor/registry.js';
import type { BlockTask, Condition, HostOrder, ModuleTask, Play, Playbook, RoleInfo, TaskKeywords, TaskNode } from '../ast.js';

const PLAY_KEYS = [
  'name', 'hosts', 'vars', 'vars_files', 'roles', 'pre_tasks', 'tasks', 'post_tasks', 'handlers', 'serial',
  'max_fail_percentage', 'any_errors_fatal', 'become', 'become_user', 'gather_facts', 'tags', 'check_mode', 'diff',
  'environment', 'remote_user', 'connection', 'strategy', 'order', 'force_handlers', 'ignore_errors', 'no_log',
  'gather_subset', 'gather_timeout',
] as const;

/** `with_X` loops bosun runs (lookup X over the terms, as Ansible's TaskExecutor does). */
export const WITH_LOOPS = ['items', 'list', 'dict', 'fileglob', 'first_found', 'subelements', 'together', 'nested', 'sequence', 'indexed_items', 'flattened'] as const;

const TASK_KEYWORDS = [
  'name', 'when', 'loop', 'with_items', 'with_list', 'loop_control', 'register', 'notify', 'listen', 'changed_when',
  'failed_when', 'ignore_errors', 'tags', 'run_once', 'delegate_to', 'no_log', 'check_mode', 'diff', 'environment',
  'vars', 'become', 'become_user', 'until', 'retries', 'delay', 'throttle', 'args', 'any_errors_fatal',
  'block', 'rescue', 'always', 'local_action', 'delegate_facts', ...WITH_LOOPS.map((w) => `with_${w}`),
] as const;

const BLOCK_KEYS = new Set(['block', 'rescue', 'always']);

type Obj = Record<string, unknown>;

export interface LoadOptions {
  /** Extra role directories (BOSUN_ROLES_PATH, --roles-path). */
  rolesPath?: string[];
  /**
   * Called with each play's header (hosts, vars, serial, connection, gather_facts; no roles or
   * tasks yet) as soon as it is read, before its roles and tasks load (lib/engine/prestart.ts).
   */
  /** gather_facts of a play that does not say (ansible.cfg `gathering = explicit` makes it false). */
  gatherFactsDefault?: boolean;
  onPlayHeader?: (play: Pick<Play, 'hosts' | 'vars' | 'loc' | 'serial' | 'order' | 'connection' | 'gatherFacts' | 'gatherSubset'>) => void;
}

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function here(obj: unknown, key: string | undefined, file: string): SourceLocation {
  return (key !== undefined ? keyLoc(obj, key) : locOf(obj)) ?? { file };
}

function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `the ${typeof v} ${JSON.stringify(v)}`;
}

function expectList(v: unknown, what: string, loc: SourceLocation): unknown[] {
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v)) throw new ParseError(`${what} must be a list; got ${typeName(v)}`, { loc });
  return v;
}

function expectMap(v: unknown, what: string, loc: SourceLocation): Obj {
  if (v === null || v === undefined) return {};
  if (!isObj(v)) throw new ParseError(`${what} must be a mapping; got ${typeName(v)}`, { loc });
  return v;
}

function strList(v: unknown, what: string, loc: SourceLocation): string[] {
  if (v === null || v === undefined) return [];
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter(Boolean);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) return v.map(String);
  throw new ParseError(`${what} must be a string or a list of strings; got ${typeName(v)}`, { loc });
}

/** Where a task list is being loaded. */
interface TaskCtx {
  file: string;
  dir: string;
  roles: RoleInfo[];
  handlers: TaskNode[];
  chain?: string[];
  /** An enclosing block has `ignore_errors` (argument errors then fail at run time, ignored). */
  ignoring?: boolean;
}

function condList(v: unknown, what: string, loc: SourceLocation): Condition[] | undefined {
  if (v === undefined || v === null) return undefined;
  const list = Array.isArray(v) ? v : [v];
  for (const c of list) {
    if (typeof c !== 'string' && typeof c !== 'boolean' && typeof c !== 'number') {
      throw new ParseError(`${what} must be an expression string, a boolean, a number or a list of them; got ${typeName(c)}`, { loc });
    }
  }
  return list as Condition[];
}

function boolish(v: unknown, what: string, loc: SourceLocation): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(yes|true|on)$/i.test(v)) return true;
  if (typeof v === 'string' && /^(no|false|off)$/i.test(v)) return false;
  throw new ParseError(`${what} must be a boolean (true/false); got ${typeName(v)}`, { loc });
}

function intish(v: unknown, what: string, loc: SourceLocation): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new ParseError(`${what} must be an integer; got ${typeName(v)}`, { loc });
  return n;
}

export class PlaybookLoader {
  private readonly rolesPath: string[];
  private readonly roleCache = new Map<string, LoadedRole>();
  /**
   * Per play (keyed by its role list): the roles already placed, by path and parameters. As Ansible's
   * ROLE_CACHE + has_run: the same role with the same parameters (when, tags, vars included) runs once
   * per play unless its meta says `allow_duplicates: true`; include_role always runs.
   */
  private readonly rolesPlaced = new WeakMap<RoleInfo[], Set<string>>();
  /** Every name a task registers or sets, for the static undefined-variable check. */
  readonly definedNames = new Set<string>();

  constructor(private readonly playbookFile: string, private readonly opts: LoadOptions = {}) {
    const dir = dirname(resolve(playbookFile));
    const envPath = (process.env.BOSUN_ROLES_PATH ?? '').split(':').filter(Boolean);
    this.rolesPath = [
      ...(opts.rolesPath ?? []),
      join(dir, 'roles'),
      ...envPath,
      join(dir, '..', 'roles'),
      join(process.cwd(), 'roles'),
    ].map((p) => resolve(p));
  }

  async load(): Promise<Playbook> {
    const file = resolve(this.playbookFile);
    const plays = await this.loadPlaysFrom(file, new Set());
    return { file, dir: dirname(file), plays };
  }

  /** Plays given as values (ad-hoc commands); `file` names them in errors and anchors relative paths. */
  async loadInline(plays: Obj[], file: string): Promise<Playbook> {
    const out: Play[] = [];
    for (const raw of plays) out.push(await this.loadPlay(raw, file, { file }));
    return { file, dir: dirname(file), plays: out };
  }

  private async loadPlaysFrom(file: string, seen: Set<string>): Promise<Play[]> {
    if (seen.has(file)) throw new ParseError(`import_playbook cycle: ${[...seen, file].join(' -> ')}`, { loc: { file } });
    seen.add(file);
    const y = loadYamlFile(file, 'playbook');
    // ansible-playbook refuses an empty playbook too: a run that does nothing is almost always a mistake
    if (y.value === null) throw new ParseError('empty playbook, nothing to do (expected a list of plays)', { loc: { file, line: 1, col: 1 } });
    const list = y.value;
    if (!Array.isArray(list)) throw new ParseError(`a playbook must be a list of plays; got ${typeName(list)}`, { loc: locOf(list) ?? { file, line: 1, col: 1 } });
    const plays: Play[] = [];
    for (const [i, raw] of list.entries()) {
      const loc = keyLoc(list, String(i)) ?? { file };
      if (!isObj(raw)) throw new ParseError(`each play must be a mapping; got ${typeName(raw)}`, { loc });
      if ('import_playbook' in raw) {
        const target = raw.import_playbook;
        if (typeof target !== 'string') throw new ParseError('import_playbook must be a file name', { loc: here(raw, 'import_playbook', file) });
        const p = resolve(dirname(file), target);
        if (!existsSync(p)) throw new MissingFileError(`imported playbook not found: ${target}`, { loc: here(raw, 'import_playbook', file) });
        plays.push(...(await this.loadPlaysFrom(p, new Set(seen))));
        continue;
      }
      plays.push(await this.loadPlay(raw, file, loc));
    }
    return plays;
  }

  private async loadPlay(raw: Obj, file: string, loc: SourceLocation): Promise<Play> {
    for (const k of Object.keys(raw)) {
      if (!(PLAY_KEYS as readonly string[]).includes(k)) {
        const hint = closest(k, PLAY_KEYS);
        const isTask = isModule(k) || (ENGINE_ACTIONS as readonly string[]).includes(k);
        throw new ParseError(`unknown play keyword '${k}'${hint ? ` (did you mean '${hint}'?)` : ''}`, {
          loc: here(raw, k, file),
          hint: isTask ? 'tasks go under a play\'s tasks: list' : undefined,
        });
      }
    }
    if (raw.hosts === undefined || raw.hosts === null || raw.hosts === '') {
      throw new ParseError("play has no 'hosts:' (expected a host pattern such as all, etcd or node1:node2)", { loc });
    }
    const hosts = Array.isArray(raw.hosts) ? raw.hosts.map(String).join(':') : raw.hosts;
    if (typeof hosts !== 'string' && typeof hosts !== 'number') throw new ParseError(`hosts must be a host pattern string; got ${typeName(raw.hosts)}`, { loc: here(raw, 'hosts', file) });
    const dir = dirname(file);
    const vars = expectMap(raw.vars, 'vars', here(raw, 'vars', file));
    const varsFiles: Play['varsFiles'] = [];
    for (const [i, vf] of expectList(raw.vars_files, 'vars_files', here(raw, 'vars_files', file)).entries()) {
      const vloc = keyLoc(raw.vars_files, String(i)) ?? here(raw, 'vars_files', file);
      // A list entry is Ansible's first-found: the first file of it that exists is loaded, the rest ignored.
      const names = Array.isArray(vf) ? vf : [vf];
      if (names.length === 0 || names.some((n) => typeof n !== 'string')) {
        throw new ParseError(`vars_files entries must be file names or lists of them; got ${typeName(vf)}`, { loc: vloc });
      }
      const p = (names as string[]).map((n) => (isAbsolute(n) ? n : resolve(dir, n))).find((f) => existsSync(f));
      if (p === undefined) {
        const what = names.length === 1 ? String(names[0]) : `none of ${names.join(', ')}`;
        throw new MissingFileError(`vars file not found: ${what} (looked in ${dir})`, { loc: vloc });
      }
      varsFiles.push({ file: p, vars: loadVarsFile(p) });
    }
    const serialRaw = raw.serial;
    let serial: Array<number | string> | undefined;
    if (serialRaw !== undefined && serialRaw !== null) {
      const list = Array.isArray(serialRaw) ? serialRaw : [serialRaw];
      serial = list.map((s) => {
        if (typeof s === 'number' && Number.isInteger(s) && s > 0) return s;
        if (typeof s === 'string' && /^\d+%?$/.test(s)) return /%$/.test(s) ? s : Number(s);
        throw new ParseError(`serial must be a positive integer, a percentage like "30%", or a list of them; got ${typeName(s)}`, { loc: here(raw, 'serial', file) });
      });
    }
    const gatherFacts = boolish(raw.gather_facts, 'gather_facts', here(raw, 'gather_facts', file)) ?? this.opts.gatherFactsDefault ?? true;
    const connection = playConnection(raw.connection, here(raw, 'connection', file));
    const gatherSubset = raw.gather_subset === undefined || raw.gather_subset === null ? undefined : strList(raw.gather_subset, 'gather_subset', here(raw, 'gather_subset', file));
    const order = hostOrder(raw.order, here(raw, 'order', file));
    if (this.opts.onPlayHeader) {
      this.opts.onPlayHeader({ hosts: String(hosts), vars, loc, serial, order, connection, gatherFacts, gatherSubset });
      // let what the hook started get going (process spawns wait for an event-loop turn, which
      // loading, mostly synchronous, would otherwise not give them until it is done)
      await new Promise<void>((r) => setImmediate(() => setImmediate(r)));
    }
    const playRoles: RoleInfo[] = [];
    const handlers: TaskNode[] = [];
    const roleTasks: TaskNode[] = [];
    for (const [i, r] of expectList(raw.roles, 'roles', here(raw, 'roles', file)).entries()) {
      const rloc = keyLoc(raw.roles, String(i)) ?? here(raw, 'roles', file);
      let name: unknown;
      let extra: Obj = {};
      if (typeof r === 'string') name = r;
      else if (isObj(r)) {
        name = r.role ?? r.name;
        extra = r;
      } else throw new ParseError(`roles entries must be a role name or a mapping with role:; got ${typeName(r)}`, { loc: rloc });
      if (typeof name !== 'string') throw new ParseError('role entry has no role: name', { loc: rloc });
      const block = await this.roleBlock(name, rloc, playRoles, handlers, 'import_role', undefined, roleParams(extra));
      if (!block.block.length) continue; // listed before with the same parameters: runs once
      const kw = this.keywords(extra, file, ['role', 'name']);
      Object.assign(block, mergeKeywords(kw, block));
      if (isObj(extra.vars)) block.vars = { ...(extra.vars as Obj), ...(block.vars ?? {}) };
      // role params given inline (role: x, foo: bar) act like vars for that role
      const params: Obj = {};
      for (const [k, v] of Object.entries(extra)) if (!['role', 'name', 'vars', 'when', 'tags', 'become', 'become_user'].includes(k)) params[k] = v;
      if (Object.keys(params).length) block.vars = { ...(block.vars ?? {}), ...params };
      roleTasks.push(block);
    }
    const ctx = { file, dir, roles: playRoles, handlers };
    const sections: Play['sections'] = [];
    const pre = await this.tasks(raw.pre_tasks, 'pre_tasks', ctx, undefined, here(raw, 'pre_tasks', file));
    if (pre.length) sections.push({ name: 'pre_tasks', tasks: pre });
    if (roleTasks.length) sections.push({ name: 'roles', tasks: roleTasks });
    const tasks = await this.tasks(raw.tasks, 'tasks', ctx, undefined, here(raw, 'tasks', file));
    if (tasks.length) sections.push({ name: 'tasks', tasks });
    const post = await this.tasks(raw.post_tasks, 'post_tasks', ctx, undefined, here(raw, 'post_tasks', file));
    if (post.length) sections.push({ name: 'post_tasks', tasks: post });
    handlers.push(...(await this.tasks(raw.handlers, 'handlers', ctx, undefined, here(raw, 'handlers', file))));
    checkNotify([...sections.flatMap((s) => s.tasks), ...handlers], handlers);

    return {
      name: typeof raw.name === 'string' ? raw.name : String(hosts),
      hosts: String(hosts),
      loc,
      vars,
      varsFiles,
      roles: playRoles,
      sections,
      handlers,
      serial,
      order,
      maxFailPercentage: intish(raw.max_fail_percentage, 'max_fail_percentage', here(raw, 'max_fail_percentage', file)),
      anyErrorsFatal: boolish(raw.any_errors_fatal, 'any_errors_fatal', here(raw, 'any_errors_fatal', file)) ?? false,
      become: boolish(raw.become, 'become', here(raw, 'become', file)),
      becomeUser: typeof raw.become_user === 'string' ? raw.become_user : undefined,
      gatherFacts,
      gatherSubset,
      tags: strList(raw.tags, 'tags', here(raw, 'tags', file)),
      checkMode: boolish(raw.check_mode, 'check_mode', here(raw, 'check_mode', file)),
      diff: boolish(raw.diff, 'diff', here(raw, 'diff', file)),
      environment: raw.environment === undefined ? undefined : expectMap(raw.environment, 'environment', here(raw, 'environment', file)),
      connection,
      forceHandlers: boolish(raw.force_handlers, 'force_handlers', here(raw, 'force_handlers', file)),
    };
  }

  // ---------------------------------------------------------------- roles

  private findRole(name: string, loc: SourceLocation): string {
    if (isAbsolute(name) && existsSync(name)) return name;
    for (const base of this.rolesPath) {
      const p = join(base, name);
      if (existsSync(p) && statSync(p).isDirectory()) return p;
    }
    const known = this.rolesPath.flatMap((base) => {
      try {
        return readdirSync(base, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
      } catch {
        return [];
      }
    });
    const near = closest(name, known);
    throw new MissingFileError(`role '${name}' not found (searched: ${this.rolesPath.join(', ')})`, { loc, hint: near ? `did you mean '${near}'?` : undefined });
  }

  private optionalYaml(path: string, what: string): { value: unknown; file: string } | undefined {
    for (const ext of ['.yml', '.yaml', '.json', '']) {
      const p = path + ext;
      if (existsSync(p) && statSync(p).isFile()) return { value: loadYamlFile(p, what).value, file: p };
    }
    return undefined;
  }

  private async loadRole(name: string, loc: SourceLocation, stack: string[]) {
    const path = this.findRole(name, loc);
    const key = `${path}`;
    if (stack.includes(key)) {
      throw new ParseError(`role dependency cycle: ${[...stack, key].map((p) => p.split('/').pop()).join(' -> ')}`, { loc });
    }
    const hit = this.roleCache.get(key);
    if (hit) return hit;
    const role: LoadedRole = {
      name,
      path,
      defaults: {},
      vars: {},
      tasks: [],
      handlers: [],
      deps: [],
      allowDuplicates: false,
    };
    const defaults = this.optionalYaml(join(path, 'defaults', 'main'), 'role defaults');
    if (defaults) role.defaults = expectMap(defaults.value, `${name}/defaults/main.yml`, locOf(defaults.value) ?? { file: defaults.file });
    const vars = this.optionalYaml(join(path, 'vars', 'main'), 'role vars');
    if (vars) role.vars = expectMap(vars.value, `${name}/vars/main.yml`, locOf(vars.value) ?? { file: vars.file });
    const meta = this.optionalYaml(join(path, 'meta', 'main'), 'role meta');
    const depNodes: Array<{ name: string; loc: SourceLocation; params: Obj }> = [];
    if (meta && isObj(meta.value)) {
      role.allowDuplicates = boolish(meta.value.allow_duplicates, 'allow_duplicates', here(meta.value, 'allow_duplicates', meta.file)) ?? false;
      const deps = expectList(meta.value.dependencies, 'dependencies', here(meta.value, 'dependencies', meta.file));
      for (const [i, d] of deps.entries()) {
        const dloc = keyLoc(meta.value.dependencies, String(i)) ?? { file: meta.file };
        const dn = typeof d === 'string' ? d : isObj(d) ? (d.role ?? d.name) : undefined;
        if (typeof dn !== 'string') throw new ParseError('role dependency must be a role name or a mapping with role:', { loc: dloc });
        depNodes.push({ name: dn, loc: dloc, params: isObj(d) ? roleParams(d) : {} });
      }
    }
    for (const d of depNodes) {
      await this.loadRole(d.name, d.loc, [...stack, key]);
      role.deps.push({ name: d.name, params: d.params });
    }
    const ctxBase = { dir: join(path, 'tasks'), roles: [] as RoleInfo[], handlers: [] as TaskNode[] };
    const tasks = this.optionalYaml(join(path, 'tasks', 'main'), 'role tasks');
    if (tasks) role.tasks = await this.tasks(tasks.value, 'tasks', { ...ctxBase, file: tasks.file }, role, locOf(tasks.value) ?? { file: tasks.file });
    const handlers = this.optionalYaml(join(path, 'handlers', 'main'), 'role handlers');
    if (handlers) role.handlers = await this.tasks(handlers.value, 'handlers', { ...ctxBase, file: handlers.file, dir: join(path, 'handlers') }, role, locOf(handlers.value) ?? { file: handlers.file });
    this.roleCache.set(key, role);
    return role;
  }

  /** A role as a block (dependencies first), registering its vars and handlers with the play. */
  private async roleBlock(
    name: string,
    loc: SourceLocation,
    playRoles: RoleInfo[],
    handlers: TaskNode[],
    origin: 'include_role' | 'import_role',
    tasksFrom: string | undefined,
    params: Obj = {},
  ): Promise<BlockTask> {
    const role = await this.loadRole(name, loc, []);
    const empty: BlockTask = { kind: 'block', origin, name: undefined, loc, role, when: [], tags: [], block: [], rescue: [], always: [], notify: [], listen: [] };
    let placed = this.rolesPlaced.get(playRoles);
    if (!placed) this.rolesPlaced.set(playRoles, (placed = new Set()));
    const key = JSON.stringify([role.path, tasksFrom ?? null, sortedJson(params)]);
    // include_role and import_role in a task list run each time (their allow_duplicates defaults to true)
    if (params !== TASK_ROLE && !role.allowDuplicates && placed.has(key)) return empty;
    placed.add(key);
    const block: TaskNode[] = [];
    for (const dep of role.deps) {
      const b = await this.roleBlock(dep.name, loc, playRoles, handlers, origin === 'include_role' ? 'import_role' : origin, undefined, dep.params);
      if (Object.keys(dep.params).length) b.vars = { ...(b.vars ?? {}), ...depVars(dep.params) };
      if (b.block.length) block.push(b);
    }
    if (!playRoles.includes(role)) {
      playRoles.push(role);
      handlers.push(...role.handlers);
    }
    let tasks = role.tasks;
    if (tasksFrom) {
      const f = this.optionalYaml(join(role.path, 'tasks', tasksFrom.replace(/\.ya?ml$/, '')), 'role tasks');
      if (!f) throw new MissingFileError(`tasks_from '${tasksFrom}' not found in role ${name}`, { loc });
      tasks = await this.tasks(f.value, 'tasks', { file: f.file, dir: join(role.path, 'tasks'), roles: playRoles, handlers }, role, locOf(f.value) ?? { file: f.file });
    }
    block.push(...tasks);
    return { ...empty, block };
  }

  // ---------------------------------------------------------------- tasks

  private async tasks(
    raw: unknown,
    what: string,
    ctx: TaskCtx,
    role: RoleInfo | undefined,
    loc: SourceLocation,
  ): Promise<TaskNode[]> {
    const list = expectList(raw, what, loc);
    const out: TaskNode[] = [];
    for (const [i, t] of list.entries()) {
      const tloc = keyLoc(list, String(i)) ?? loc;
      if (!isObj(t)) throw new ParseError(`each entry of ${what} must be a task mapping; got ${typeName(t)}`, { loc: tloc });
      out.push(await this.task(t, ctx, role, tloc));
    }
    return out;
  }

  private keywords(t: Obj, file: string, ignore: string[] = []): TaskKeywords {
    const at = (k: string) => here(t, k, file);
    const kw: TaskKeywords = {
      when: condList(t.when, 'when', at('when')) ?? [],
      tags: strList(t.tags, 'tags', at('tags')),
    };
    if (t.vars !== undefined && !ignore.includes('vars')) kw.vars = expectMap(t.vars, 'vars', at('vars'));
    const b = boolish(t.become, 'become', at('become'));
    if (b !== undefined) kw.become = b;
    if (t.become_user !== undefined) kw.becomeUser = String(t.become_user);
    if (t.ignore_errors !== undefined) {
      kw.ignoreErrors = typeof t.ignore_errors === 'string' && /\{\{/.test(t.ignore_errors) ? t.ignore_errors : boolish(t.ignore_errors, 'ignore_errors', at('ignore_errors'));
    }
    const ro = boolish(t.run_once, 'run_once', at('run_once'));
    if (ro !== undefined) kw.runOnce = ro;
    if (t.delegate_to !== undefined) {
      if (typeof t.delegate_to !== 'string') throw new ParseError(`delegate_to must be a host name; got ${typeName(t.delegate_to)}`, { loc: at('delegate_to') });
      kw.delegateTo = t.delegate_to;
    }
    const nl = boolish(t.no_log, 'no_log', at('no_log'));
    if (nl !== undefined) kw.noLog = nl;
    const cm = boolish(t.check_mode, 'check_mode', at('check_mode'));
    if (cm !== undefined) kw.checkMode = cm;
    const df = boolish(t.diff, 'diff', at('diff'));
    if (df !== undefined) kw.diff = df;
    if (t.environment !== undefined) kw.environment = expectMap(t.environment, 'environment', at('environment'));
    const th = intish(t.throttle, 'throttle', at('throttle'));
    if (th !== undefined) {
      if (th < 0) throw new ParseError('throttle must be 0 (no limit) or a positive integer', { loc: at('throttle') });
      kw.throttle = th;
    }
    const aef = boolish(t.any_errors_fatal, 'any_errors_fatal', at('any_errors_fatal'));
    if (aef !== undefined) kw.anyErrorsFatal = aef;
    return kw;
  }

  private async task(
    t: Obj,
    ctx: TaskCtx,
    role: RoleInfo | undefined,
    loc: SourceLocation,
  ): Promise<TaskNode> {
    const file = ctx.file;
    const at = (k: string) => here(t, k, file);
    const name = t.name === undefined || t.name === null ? undefined : String(t.name);
    const kw = this.keywords(t, file);
    const notify = strList(t.notify, 'notify', at('notify'));
    const listen = strList(t.listen, 'listen', at('listen'));
    const keys = Object.keys(t);
    const actionKeys = keys.filter((k) => !(TASK_KEYWORDS as readonly string[]).includes(k));

    if (keys.some((k) => BLOCK_KEYS.has(k))) {
      if (t.block === undefined) throw new ParseError("'rescue'/'always' need a 'block' in the same task", { loc });
      if (actionKeys.length) {
        throw new ParseError(`a block cannot also have a module ('${actionKeys[0]}'); move it into the block's task list`, { loc: at(actionKeys[0]!) });
      }
      const ignoring = kw.ignoreErrors === undefined ? ctx.ignoring : kw.ignoreErrors !== false;
      const sub = (k: string) => this.tasks(t[k], k, { ...ctx, ignoring }, role, at(k));
      return { kind: 'block', origin: 'block', name, loc, role, ...kw, block: await sub('block'), rescue: await sub('rescue'), always: await sub('always'), notify, listen };
    }
    if (actionKeys.length === 0) {
      throw new ParseError(`task${name ? ` '${name}'` : ''} has no module (expected one of: ${moduleNames().join(', ')}, set_fact, include_tasks, import_role, …)`, { loc });
    }
    if (actionKeys.length > 1) {
      const mods = actionKeys.filter((k) => isModule(k) || (ENGINE_ACTIONS as readonly string[]).includes(k));
      if (mods.length > 1) throw new ParseError(`task has two modules ('${mods[0]}' and '${mods[1]}'); a task runs exactly one`, { loc: at(mods[1]!) });
      const unknown = actionKeys.find((k) => !mods.includes(k))!;
      const hint = closest(unknown, [...TASK_KEYWORDS, ...moduleNames()]);
      throw new ParseError(`unknown task keyword '${unknown}'${hint ? ` (did you mean '${hint}'?)` : ''}`, { loc: at(unknown) });
    }
    const action = canonicalModuleName(actionKeys[0]!);
    const written = actionKeys[0] !== action ? { written: actionKeys[0]! } : {};
    const aloc = at(actionKeys[0]!);
    const rawArgs = t[actionKeys[0]!];

    switch (action) {
      case 'set_fact': {
        const inline = typeof rawArgs === 'string' ? kvOnly(rawArgs, 'set_fact', aloc) : expectMap(rawArgs, 'set_fact', aloc);
        // `args:` merges with the inline arguments (`cacheable:` is often written there)
        const facts = isObj(t.args) ? { ...inline, ...t.args } : inline;
        for (const k of Object.keys(facts)) if (k !== 'cacheable') this.definedNames.add(k);
        const { loop, loopVar, loopLabel, loopIndexVar, loopExtended, loopWith, loopPause } = this.loopOf(t, file);
        return { kind: 'set_fact', name, ...written, loc, role, ...kw, facts, loop, loopVar, loopLabel, loopIndexVar, loopExtended, loopWith, loopPause, notify, listen };
      }
      case 'meta': {
        const a = typeof rawArgs === 'string' ? rawArgs : undefined;
        const valid = ['flush_handlers', 'noop', 'end_play', 'end_host', 'end_batch', 'clear_facts', 'refresh_inventory', 'reset_connection'] as const;
        if (!a || !(valid as readonly string[]).includes(a)) {
          throw new ParseError(`meta: expects one of ${valid.join(', ')}; got ${typeName(rawArgs)}`, { loc: aloc });
        }
        return { kind: 'meta', name, loc, role, ...kw, action: a as (typeof valid)[number], notify, listen };
      }
      case 'include_tasks':
      case 'import_tasks': {
        const fname = typeof rawArgs === 'string' ? rawArgs : isObj(rawArgs) ? rawArgs.file : undefined;
        if (typeof fname !== 'string') throw new ParseError(`${action} needs a file name`, { loc: aloc });
        if (fname.includes('{{')) throw new ParseError(`${action} file names must be literal (templated file names are not supported): ${fname}`, { loc: aloc });
        const p = isAbsolute(fname) ? fname : resolve(ctx.dir, fname);
        if (!existsSync(p)) throw new MissingFileError(`${action} file not found: ${fname} (looked in ${ctx.dir})`, { loc: aloc });
        const chain = [...(ctx.chain ?? [ctx.file]), p];
        if ((ctx.chain ?? [ctx.file]).includes(p)) {
          throw new ParseError(`${action} cycle: ${chain.map((f) => f.split('/').pop()).join(' -> ')}`, { loc: aloc });
        }
        const y = loadYamlFile(p, 'tasks file');
        const block = await this.tasks(y.value, 'tasks', { ...ctx, file: p, dir: dirname(p), chain }, role, locOf(y.value) ?? { file: p });
        if (action === 'import_tasks') {
          if (isObj(rawArgs) && rawArgs.apply !== undefined) throw new ParseError('import_tasks does not take apply: (its keywords apply to the imported tasks already)', { loc: aloc });
          return { kind: 'block', origin: action, name, loc, role, ...kw, block, rescue: [], always: [], notify, listen };
        }
        return this.dynamicInclude(t, rawArgs, kw, { name, loc, role, file, aloc, path: p, block, notify, listen });
      }
      case 'include_role':
      case 'import_role': {
        if (!isObj(rawArgs) || typeof rawArgs.name !== 'string') throw new ParseError(`${action} needs name: ROLE`, { loc: aloc });
        const tasksFrom = typeof rawArgs.tasks_from === 'string' ? rawArgs.tasks_from : undefined;
        const block = await this.roleBlock(rawArgs.name, aloc, ctx.roles, ctx.handlers, action, tasksFrom, TASK_ROLE);
        return { ...block, name, loc, ...mergeKeywords(kw, block), notify, listen };
      }
    }

    if (!isModule(action)) {
      const hint = closest(action, [...moduleNames(), ...ENGINE_ACTIONS, ...TASK_KEYWORDS]);
      throw new UnknownModuleError(`unknown module '${actionKeys[0]}'${hint ? ` (did you mean '${hint}'?)` : ''}`, { loc: aloc });
    }
    const mod = await getModule(action);
    let argsIn: unknown = typeof rawArgs === 'string' ? kvArgs(rawArgs, mod.freeForm, Object.keys(mod.args)) : rawArgs;
    if (isObj(t.args)) {
      // `args:` keyword merges with free-form/inline args
      argsIn = typeof argsIn === 'string' && mod.freeForm ? { [mod.freeForm]: argsIn, ...t.args } : { ...(isObj(argsIn) ? argsIn : {}), ...t.args };
    }
    const argSource = isObj(rawArgs) ? rawArgs : isObj(t.args) ? t.args : undefined;
    let args: Record<string, unknown> = {};
    let argError: ArgumentError | undefined;
    try {
      args = validateArgs(mod, argsIn, {
        loc: aloc,
        keyLoc: (k: string) => (argSource ? keyLoc(argSource, k) : undefined) ?? aloc,
        deferTemplates: true,
      });
    } catch (e) {
      if (!(e instanceof ArgumentError) || !(kw.ignoreErrors === undefined ? ctx.ignoring : kw.ignoreErrors !== false)) throw e;
      argError = e;
    }
    const argLocs: Record<string, SourceLocation | undefined> = {};
    for (const k of Object.keys(args)) argLocs[k] = (argSource ? keyLoc(argSource, k) : undefined) ?? aloc;
    if (action === 'include_vars') this.noteIncludedNames(args, role, ctx.dir);
    const register = t.register === undefined ? undefined : String(t.register);
    if (register !== undefined) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(register)) throw new ParseError(`register must be a variable name; got '${register}'`, { loc: at('register') });
      this.definedNames.add(register);
    }
    const { loop, loopVar, loopLabel, loopIndexVar, loopExtended, loopWith, loopPause } = this.loopOf(t, file);
    const node: ModuleTask = {
      kind: 'module',
      module: action,
      name,
      ...written,
      loc,
      role,
      ...kw,
      args,
      ...(argError ? { argError } : {}),
      argLocs,
      loop,
      loopVar,
      loopIndexVar,
      loopExtended,
      loopLabel,
      loopWith,
      loopPause,
      register,
      notify,
      listen,
      changedWhen: condList(t.changed_when, 'changed_when', at('changed_when')),
      failedWhen: condList(t.failed_when, 'failed_when', at('failed_when')),
      until: condList(t.until, 'until', at('until')),
      retries: intish(t.retries, 'retries', at('retries')) ?? (t.until !== undefined ? 3 : 0),
      delay: intish(t.delay, 'delay', at('delay')) ?? 5,
    };
    return node;
  }

  /**
   * include_tasks as Ansible 2.14 runs it: a task of its own whose `when`, tags and loop are the include's,
   * and whose `apply:` keywords (and vars) are what the included tasks inherit.
   */
  private dynamicInclude(
    t: Obj,
    rawArgs: unknown,
    kw: TaskKeywords,
    n: { name?: string; loc: SourceLocation; role?: RoleInfo; file: string; aloc: SourceLocation; path: string; block: TaskNode[]; notify: string[]; listen: string[] },
  ): BlockTask {
    let applied: TaskKeywords = { when: [], tags: [] };
    if (isObj(rawArgs)) {
      for (const k of Object.keys(rawArgs)) {
        if (k !== 'file' && k !== 'apply') throw new ParseError(`include_tasks: unknown argument '${k}' (valid: file, apply)`, { loc: here(rawArgs, k, n.file) });
      }
      if (rawArgs.apply !== undefined) {
        const apply = expectMap(rawArgs.apply, 'include_tasks apply', here(rawArgs, 'apply', n.file));
        for (const k of Object.keys(apply)) {
          if (!(TASK_KEYWORDS as readonly string[]).includes(k) || ['loop', 'loop_control', 'register', 'until', 'retries', 'delay', 'block', 'rescue', 'always', 'name', 'args', 'notify', 'listen'].includes(k) || k.startsWith('with_')) {
            throw new ParseError(`include_tasks apply: '${k}' is not a keyword the included tasks can inherit`, { loc: here(apply, k, n.file) });
          }
        }
        applied = this.keywords(apply, n.file);
      }
    }
    const lp = this.loopOf(t, n.file);
    if (lp.loop !== undefined) {
      this.definedNames.add(lp.loopVar);
      if (lp.loopIndexVar) this.definedNames.add(lp.loopIndexVar);
    }
    const vars = kw.vars || applied.vars ? { ...(applied.vars ?? {}), ...(kw.vars ?? {}) } : undefined;
    return {
      kind: 'block',
      origin: 'include_tasks',
      name: n.name,
      loc: n.loc,
      role: n.role,
      ...applied,
      vars,
      block: n.block,
      rescue: [],
      always: [],
      notify: n.notify,
      listen: n.listen,
      include: {
        file: n.path,
        when: kw.when,
        tags: kw.tags,
        loop: lp.loop,
        loopWith: lp.loopWith,
        loopVar: lp.loopVar,
        loopLabel: lp.loopLabel,
        loopIndexVar: lp.loopIndexVar,
        loopExtended: lp.loopExtended,
      },
    };
  }

  /**
   * The names an include_vars task defines, for the load-time undefined-variable check: its `name:`, or
   * the keys of a literal file found now. A file known only at run time (templated, a dir, a loop item)
   * may define anything: '*' turns the check off for names it cannot see.
   */
  private noteIncludedNames(args: Obj, role: RoleInfo | undefined, dir: string): void {
    if (typeof args.name === 'string' && !args.name.includes('{{')) {
      this.definedNames.add(args.name);
      return;
    }
    const f = args.file;
    if (typeof f === 'string' && !f.includes('{{') && args.dir === undefined) {
      const playbookDir = dirname(resolve(this.playbookFile));
      const candidates = isAbsolute(f) ? [f] : [...(role ? [join(role.path, 'vars', f), join(role.path, f)] : []), join(dir, 'vars', f), join(dir, f), join(playbookDir, 'vars', f), join(playbookDir, f)];
      const found = candidates.find((c) => existsSync(c) && statSync(c).isFile());
      if (found) {
        for (const k of Object.keys(loadVarsFile(found))) this.definedNames.add(k);
        return;
      }
    }
    this.definedNames.add('*');
  }

  private loopOf(t: Obj, file: string): { loop: unknown; loopVar: string; loopLabel?: string; loopIndexVar?: string; loopExtended?: boolean; loopWith?: string; loopPause?: number } {
    const withs = WITH_LOOPS.filter((w) => t[`with_${w}`] !== undefined);
    if (withs.length + (t.loop !== undefined ? 1 : 0) > 1) {
      const all = [...(t.loop !== undefined ? ['loop'] : []), ...withs.map((w) => `with_${w}`)];
      throw new ParseError(`a task takes one loop; this one has ${all.join(' and ')}`, { loc: here(t, all[1]!, file) });
    }
    const loopWith = withs[0];
    const loop = loopWith !== undefined ? t[`with_${loopWith}`] : t.loop;
    const lc = t.loop_control === undefined ? {} : expectMap(t.loop_control, 'loop_control', here(t, 'loop_control', file));
    for (const k of Object.keys(lc)) {
      if (!['loop_var', 'label', 'index_var', 'pause', 'extended'].includes(k)) {
        throw new ParseError(`unknown loop_control key '${k}' (valid: label, loop_var, index_var, pause, extended)`, { loc: here(lc, k, file) });
      }
    }
    if (loopWith === undefined && loop !== undefined && loop !== null && !Array.isArray(loop) && typeof loop !== 'string') {
      throw new ParseError(`loop must be a list or a "{{ variable }}" that is one; got ${typeName(loop)}`, { loc: here(t, 'loop', file) });
    }
    const loopVar = typeof lc.loop_var === 'string' ? lc.loop_var : 'item';
    for (const k of ['loop_var', 'index_var'] as const) {
      if (lc[k] !== undefined && (typeof lc[k] !== 'string' || !/^[A-Za-z_]\w*$/.test(lc[k] as string))) {
        throw new ParseError(`loop_control.${k} must be a variable name; got ${typeName(lc[k])}`, { loc: here(lc, k, file) });
      }
    }
    return {
      loop: loop ?? undefined,
      loopVar,
      loopLabel: typeof lc.label === 'string' ? lc.label : undefined,
      loopIndexVar: lc.index_var as string | undefined,
      loopExtended: boolish(lc.extended, 'loop_control.extended', here(lc, 'extended', file)),
      loopWith,
      loopPause: lc.pause === undefined ? undefined : nonNegative(lc.pause, here(lc, 'pause', file)),
    };
  }
}

/** The parameters of a role placed by include_role/import_role: never deduplicated. */
const TASK_ROLE: Obj = Object.freeze({});

interface LoadedRole extends RoleInfo {
  tasks: TaskNode[];
  handlers: TaskNode[];
  deps: Array<{ name: string; params: Obj }>;
  /** meta/main.yml `allow_duplicates: true`: listed twice with the same parameters, it runs twice. */
  allowDuplicates: boolean;
}

/** What makes two uses of a role the same one (Ansible's hashed role params): everything but its name. */
function roleParams(entry: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(entry)) if (k !== 'role' && k !== 'name') out[k] = v;
  return out;
}

/** A dependency's parameters as variables of its block (its `vars:` and inline parameters; keywords apart). */
function depVars(params: Obj): Obj {
  const out: Obj = isObj(params.vars) ? { ...params.vars } : {};
  for (const [k, v] of Object.entries(params)) if (!['vars', 'when', 'tags', 'become', 'become_user'].includes(k)) out[k] = v;
  return out;
}

/** JSON with keys sorted at every level, so `{a, b}` and `{b, a}` are the same parameters. */
function sortedJson(v: unknown): string {
  const norm = (x: unknown): unknown => (Array.isArray(x) ? x.map(norm) : isObj(x) ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, norm(x[k])])) : x);
  return JSON.stringify(norm(v));
}

/** Every literal `notify:` must name a handler of the play (by name, `role : name` or listen topic), before anything runs. */
function checkNotify(nodes: TaskNode[], handlers: TaskNode[]): void {
  const known = new Set<string>();
  for (const h of handlers) {
    if (h.name) known.add(h.name);
    if (h.name && h.role) known.add(`${h.role.name} : ${h.name}`);
    for (const l of h.listen) known.add(l);
  }
  const walk = (list: TaskNode[]): void => {
    for (const n of list) {
      for (const name of n.notify) {
        if (!name.includes('{{') && !known.has(name)) {
          const hint = closest(name, known);
          throw new ParseError(`notify: no handler named '${name}' in this play${hint ? ` (did you mean '${hint}'?)` : ''}`, { loc: n.loc });
        }
      }
      if (n.kind === 'block') walk([...n.block, ...n.rescue, ...n.always]);
    }
  };
  walk(nodes);
}

/** `set_fact: a=1 b="x y"`: every token must be `k=v`. */
function kvOnly(s: string, what: string, loc: SourceLocation): Obj {
  const p = parseKv(s);
  if (p.raw) throw new ParseError(`${what} takes key=value pairs or a mapping; '${p.raw}' is not key=value`, { loc });
  return p.args;
}

/**
 * A module's arguments written as one string, as Ansible reads it: `k=v` pairs for modules without
 * free form (`debug: msg="x"`); for free-form modules (command, shell) only their own option names
 * are taken out (`chdir=/tmp ls`), the rest stays the command, spacing untouched.
 */
function kvArgs(s: string, freeForm: string | undefined, names: string[]): unknown {
  if (!freeForm) {
    const p = parseKv(s);
    // anything but pure k=v: left as a string so validation reports "does not take free-form arguments"
    return p.raw === '' && Object.keys(p.args).length ? p.args : s;
  }
  // `fail: msg=boom` names the free-form argument itself
  const whole = parseKv(s, names);
  if (whole.raw === '' && freeForm in whole.args) return whole.args;
  const p = parseKv(s, names.filter((n) => n !== freeForm));
  if (Object.keys(p.args).length === 0) return s;
  return p.raw ? { [freeForm]: p.raw, ...p.args } : p.args;
}

function playConnection(v: unknown, loc: SourceLocation): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string' && isConnectionName(v)) return v;
  const near = typeof v === 'string' ? closest(v, connectionNames()) : undefined;
  throw new ParseError(`connection must be one of ${connectionNames().join(', ')}; got ${typeName(v)}`, { loc, hint: near ? `did you mean '${near}'?` : undefined });
}

const HOST_ORDERS = ['inventory', 'reverse_inventory', 'sorted', 'reverse_sorted', 'shuffle'] as const;

function hostOrder(v: unknown, loc: SourceLocation): HostOrder | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string' && (HOST_ORDERS as readonly string[]).includes(v)) return v as HostOrder;
  const near = typeof v === 'string' ? closest(v, HOST_ORDERS) : undefined;
  throw new ParseError(`order must be one of ${HOST_ORDERS.join(', ')}; got ${typeName(v)}`, { loc, hint: near ? `did you mean '${near}'?` : undefined });
}

/** loop_control.pause: seconds (a number, possibly fractional). */
function nonNegative(v: unknown, loc: SourceLocation): number {
  const n = typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !(n >= 0)) throw new ParseError(`loop_control.pause must be a number of seconds; got ${typeName(v)}`, { loc });
  return n;
}

function mergeKeywords(outer: TaskKeywords, inner: TaskKeywords): TaskKeywords {
  return {
    ...inner,
    ...Object.fromEntries(Object.entries(outer).filter(([, v]) => v !== undefined)),
    when: [...outer.when, ...inner.when],
    tags: [...new Set([...outer.tags, ...inner.tags])],
    vars: outer.vars || inner.vars ? { ...(inner.vars ?? {}), ...(outer.vars ?? {}) } : undefined,
  };
}

export async function loadPlaybook(file: string, opts: LoadOptions = {}): Promise<{ playbook: Playbook; definedNames: Set<string> }> {
  const loader = new PlaybookLoader(file, opts);
  if (!existsSync(file)) throw new MissingFileError(`playbook not found: ${file}`, { loc: { file } });
  const playbook = await loader.load();
  return { playbook, definedNames: loader.definedNames };
}
