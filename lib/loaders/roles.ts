// Role loading: finding a role on the roles path, its defaults/vars/meta/tasks/handlers files,
// dependency order and cycles, and a role as a block of the play (roles:, import_role, include_role).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { loadYamlFile, keyLoc, locOf } from './yaml.js';
import { ParseError, MissingFileError, closest, type SourceLocation } from '../errors.js';
import type { BlockTask, RoleInfo, TaskNode } from '../ast.js';
import { boolish, expectList, expectMap, here, isObj, type Obj } from './values.js';
import type { TaskCtx } from './tasks.js';
import { mergeKeywords, taskKeywords } from './task-keywords.js';
import { loadRoleArgSpecs, validationTask, type RoleArgSpecs } from './role-argspec.js';

/** How a role is placed: by roles:/import_role (static) or include_role, with its from-files and parameters. */
export interface RoleUse {
  origin: 'include_role' | 'import_role';
  /** tasks_from, vars_from, defaults_from, handlers_from (file names in the role's directories). */
  from?: { tasks?: string; vars?: string; defaults?: string; handlers?: string };
  /** A roles: entry's or a dependency's parameters (TASK_ROLE for import_role/include_role, whose caller sets its roleRun). */
  params?: Obj;
  /** Inside an include_role: the role's vars stay its own (not the play's). */
  dynamic?: boolean;
  /** include_role/import_role `rolespec_validate: false`: no argument validation task (default true). */
  validate?: boolean;
}

/** Loads a task list (TaskLoader.tasks); roles hold tasks and tasks include roles. */
export type LoadTasks = (raw: unknown, what: string, ctx: TaskCtx, role: RoleInfo | undefined, loc: SourceLocation) => Promise<TaskNode[]>;

interface LoadedRole extends RoleInfo {
  tasks: TaskNode[];
  handlers: TaskNode[];
  deps: Array<{ name: string; params: Obj }>;
  /** meta/main.yml `allow_duplicates: true`: listed twice with the same parameters, it runs twice. */
  allowDuplicates: boolean;
  /** meta/argument_specs.yml (or meta/main.yml's argument_specs:). */
  argSpecs?: RoleArgSpecs;
}

/** The parameters of a role placed by include_role/import_role (its `allow_duplicates` argument decides, default true). */
export const TASK_ROLE: Obj = Object.freeze({});

/** What makes two uses of a role the same one (Ansible's hashed role params): everything but its name. */
export function roleParams(entry: Obj): Obj {
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

/** A role after its dependencies (theirs first, each once): whose defaults and vars its tasks see. */
export function withDependencies(role: RoleInfo, out: RoleInfo[] = []): RoleInfo[] {
  for (const d of role.dependencies ?? []) withDependencies(d, out);
  if (!out.includes(role)) out.push(role);
  return out;
}

/** Which uses of a role are the same role (Ansible's ROLE_CACHE key): its path, from-files, parameters, and whether it was included. */
export function roleKey(path: string, from: Obj, params: Obj, fromInclude: boolean): string {
  return JSON.stringify([path, sortedJson(from), sortedJson(params), fromInclude]);
}

/** JSON with keys sorted at every level, so `{a, b}` and `{b, a}` are the same parameters. */
function sortedJson(v: unknown): string {
  const norm = (x: unknown): unknown => (Array.isArray(x) ? x.map(norm) : isObj(x) ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, norm(x[k])])) : x);
  return JSON.stringify(norm(v));
}

export class RoleLoader {
  private readonly roleCache = new Map<string, LoadedRole>();
  /** handlers_from files, by role path and file name. */
  private readonly handlersFrom = new Map<string, TaskNode[]>();

  constructor(private readonly rolesPath: string[], private readonly tasks: LoadTasks) {}

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
    role.argSpecs = loadRoleArgSpecs(path, meta);
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
    role.dependencies = [];
    for (const d of depNodes) {
      role.dependencies.push(await this.loadRole(d.name, d.loc, [...stack, key]));
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
  async roleBlock(name: string, loc: SourceLocation, playRoles: RoleInfo[], handlers: TaskNode[], use: RoleUse): Promise<BlockTask> {
    const loaded = await this.loadRole(name, loc, []);
    const from = use.from ?? {};
    const params = use.params ?? TASK_ROLE;
    // vars_from/defaults_from replace the role's main files for this use of it (Ansible's from_files)
    const role: RoleInfo = from.vars || from.defaults ? { ...loaded, vars: from.vars ? this.fromFile(loaded, 'vars', from.vars, loc) : loaded.vars, defaults: from.defaults ? this.fromFile(loaded, 'defaults', from.defaults, loc) : loaded.defaults } : loaded;
    const empty: BlockTask = { kind: 'block', origin: use.origin, name: undefined, loc, role, when: [], tags: [], block: [], rescue: [], always: [], notify: [], listen: [] };
    // Whether this role already ran is decided per host at run time (runner.ts, roleRun), as Ansible's
    // has_run: a roles: entry or dependency listed again with the same parameters is skipped where it ran.
    const key = roleKey(loaded.path, from, params, false);
    const block: TaskNode[] = [];
    for (const dep of loaded.deps) {
      const b = await this.roleBlock(dep.name, loc, playRoles, handlers, { origin: 'import_role', params: dep.params, dynamic: use.dynamic });
      if (!b.block.length) continue;
      // a dependency's when/tags/become apply to its tasks, as the keywords of a roles: entry (Ansible 2.14)
      Object.assign(b, mergeKeywords(taskKeywords(dep.params, loc.file, ['vars']), { ...b, vars: undefined }));
      if (Object.keys(dep.params).length) b.vars = { ...(b.vars ?? {}), ...depVars(dep.params) };
      block.push(b);
    }
    let roleHandlers = loaded.handlers;
    if (from.handlers) {
      // loaded once per role and file: two includes of it bring the same handlers, notified once
      const hkey = `${loaded.path}\0${from.handlers}`;
      let hs = this.handlersFrom.get(hkey);
      if (!hs) {
        const f = this.optionalYaml(join(loaded.path, 'handlers', from.handlers.replace(/\.ya?ml$/, '')), 'role handlers');
        if (!f) throw new MissingFileError(`handlers_from '${from.handlers}' not found in role ${name}`, { loc });
        hs = await this.tasks(f.value, 'handlers', { file: f.file, dir: join(loaded.path, 'handlers'), roles: playRoles, handlers }, loaded, locOf(f.value) ?? { file: f.file });
        this.handlersFrom.set(hkey, hs);
      }
      roleHandlers = hs;
    }
    // an included role's vars are not the play's (only its tasks see them, or later tasks once it ran with public)
    if (!use.dynamic && !playRoles.includes(role)) playRoles.push(role);
    for (const h of roleHandlers) if (!handlers.includes(h)) handlers.push(h);
    let tasks = loaded.tasks;
    if (from.tasks) {
      const f = this.optionalYaml(join(loaded.path, 'tasks', from.tasks.replace(/\.ya?ml$/, '')), 'role tasks');
      if (!f) throw new MissingFileError(`tasks_from '${from.tasks}' not found in role ${name}`, { loc });
      tasks = await this.tasks(f.value, 'tasks', { file: f.file, dir: join(loaded.path, 'tasks'), roles: playRoles, handlers }, loaded, locOf(f.value) ?? { file: f.file });
    }
    // Ansible 2.11+: the entry point's argument spec is checked first (after the dependencies)
    const check = use.validate !== false && loaded.argSpecs ? validationTask(loaded.argSpecs, from.tasks ?? 'main', loaded, params === TASK_ROLE ? {} : params) : undefined;
    if (check) {
      const ctx = { file: loaded.argSpecs!.file, dir: join(loaded.path, 'tasks'), roles: playRoles, handlers };
      block.push(...(await this.tasks([check.task], 'tasks', ctx, loaded, check.loc)));
    }
    block.push(...tasks);
    const out: BlockTask = { ...empty, block, handlers: roleHandlers };
    if (params !== TASK_ROLE) out.roleRun = { key, allowDuplicates: loaded.allowDuplicates };
    return out;
  }

  /** A role's vars_from/defaults_from file (a name in its vars/ or defaults/ directory). */
  private fromFile(role: LoadedRole, dir: 'vars' | 'defaults', file: string, loc: SourceLocation): Obj {
    const f = this.optionalYaml(join(role.path, dir, file.replace(/\.ya?ml$/, '')), `role ${dir}`);
    if (!f) throw new MissingFileError(`${dir}_from '${file}' not found in role ${role.name} (looked in ${join(role.path, dir)})`, { loc });
    return expectMap(f.value ?? {}, `${role.name}/${dir}/${file}`, locOf(f.value) ?? { file: f.file });
  }
}
