// Task loading: a task list → TaskNodes. A task's module and its arguments (checked against the
// module's schema now), blocks, set_fact, meta, include/import of task files and roles, register,
// and the names tasks define for the static undefined-variable check.
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { loadYamlFile, keyLoc, locOf, withLocations } from './yaml.js';
import { noteLateNames } from './late-include.js';
import { loadVarsFile } from './vars-files.js';
import { parseKv } from './kv.js';
import { ArgumentError, ParseError, UnknownModuleError, MissingFileError, closest, type SourceLocation } from '../errors.js';
import { canonicalModuleName, getModule, isModule, moduleNames, ENGINE_ACTIONS } from '../modules/index.js';
import { validateArgs } from '../modules/args.js';
import type { BlockTask, LateLoaded, ModuleTask, RoleInfo, TaskKeywords, TaskNode } from '../ast.js';
import { boolish, condList, expectList, expectMap, here, intish, isObj, strList, typeName, type Obj } from './values.js';
import { BLOCK_KEYS, TASK_KEYWORDS, asyncSeconds, loopOf, mergeKeywords, rejectModuleOnly, taskKeywords } from './task-keywords.js';
import { roleKey, withDependencies, type RoleUse } from './roles.js';

/** Where a task list is being loaded. */
export interface TaskCtx {
  file: string;
  dir: string;
  roles: RoleInfo[];
  handlers: TaskNode[];
  chain?: string[];
  /** An enclosing block has `ignore_errors` (argument errors then fail at run time, ignored). */
  ignoring?: boolean;
}

/** Builds a role as a block (RoleLoader.roleBlock). */
export type RoleBlock = (name: string, loc: SourceLocation, playRoles: RoleInfo[], handlers: TaskNode[], use: RoleUse) => Promise<BlockTask>;

export class TaskLoader {
  /**
   * `definedNames` collects every name a task registers or sets (shared with PlaybookLoader);
   * `playbookFile` anchors include_vars look-ups.
   */
  constructor(
    private readonly playbookFile: string,
    readonly definedNames: Set<string>,
    private readonly roleBlock: RoleBlock,
    /** The roles path, where a templated include_role's candidates are looked for (late-include.ts). */
    private readonly rolesPath: string[] = [],
  ) {}

  async tasks(
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

  private async task(
    t: Obj,
    ctx: TaskCtx,
    role: RoleInfo | undefined,
    loc: SourceLocation,
  ): Promise<TaskNode> {
    const file = ctx.file;
    const at = (k: string) => here(t, k, file);
    const name = t.name === undefined || t.name === null ? undefined : String(t.name);
    const kw = taskKeywords(t, file);
    const notify = strList(t.notify, 'notify', at('notify'));
    const listen = strList(t.listen, 'listen', at('listen'));
    const keys = Object.keys(t);
    const actionKeys = keys.filter((k) => !(TASK_KEYWORDS as readonly string[]).includes(k));

    if (keys.some((k) => BLOCK_KEYS.has(k))) {
      if (t.block === undefined) throw new ParseError("'rescue'/'always' need a 'block' in the same task", { loc });
      rejectModuleOnly(t, file, 'a Block');
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
        const { loop, loopVar, loopLabel, loopIndexVar, loopExtended, loopWith, loopPause } = loopOf(t, file);
        return { kind: 'set_fact', name, ...written, loc, role, ...kw, ...(t.async !== undefined ? { async: true } : {}), facts, loop, loopVar, loopLabel, loopIndexVar, loopExtended, loopWith, loopPause, notify, listen };
      }
      case 'meta': {
        rejectModuleOnly(t, file, 'a meta task');
        const a = typeof rawArgs === 'string' ? rawArgs : undefined;
        const valid = ['flush_handlers', 'noop', 'end_play', 'end_host', 'end_batch', 'clear_facts', 'refresh_inventory', 'reset_connection'] as const;
        if (!a || !(valid as readonly string[]).includes(a)) {
          throw new ParseError(`meta: expects one of ${valid.join(', ')}; got ${typeName(rawArgs)}`, { loc: aloc });
        }
        return { kind: 'meta', name, loc, role, ...kw, action: a as (typeof valid)[number], notify, listen };
      }
      case 'include_tasks':
      case 'import_tasks': {
        rejectModuleOnly(t, file, 'a TaskInclude');
        const fname = typeof rawArgs === 'string' ? rawArgs : isObj(rawArgs) ? rawArgs.file : undefined;
        if (typeof fname !== 'string') throw new ParseError(`${action} needs a file name`, { loc: aloc });
        if (isObj(rawArgs) && action === 'include_tasks') {
          for (const k of Object.keys(rawArgs)) {
            if (k !== 'file' && k !== 'apply') throw new ParseError(`include_tasks: unknown argument '${k}' (valid: file, apply)`, { loc: here(rawArgs, k, file) });
          }
        }
        if (fname.includes('{{')) {
          // import_tasks is static (its tasks are the task list's): its file must be known now, as in Ansible
          if (action === 'import_tasks') throw new ParseError(`${action} file names must be literal (templated file names are not supported; include_tasks takes one): ${fname}`, { loc: aloc });
          noteLateNames(this.definedNames, { file: fname, dir: ctx.dir });
          return this.lateInclude('include_tasks', t, actionKeys[0]!, { file: fname }, kw, ctx, role, { name, loc, at: aloc, path: fname, notify, listen });
        }
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
        return this.dynamicInclude('include_tasks', t, isObj(rawArgs) ? rawArgs : {}, kw, { name, loc, role, file, path: p, block, notify, listen });
      }
      case 'include_role':
      case 'import_role':
        rejectModuleOnly(t, file, 'an IncludeRole');
        return this.role(action, t, actionKeys[0]!, rawArgs, kw, ctx, { name, loc, role, aloc, notify, listen });
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
    if (mod.factNames) for (const n of mod.factNames(args) ?? ['*']) this.definedNames.add(n);
    const register = t.register === undefined ? undefined : String(t.register);
    if (register !== undefined) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(register)) throw new ParseError(`register must be a variable name; got '${register}'`, { loc: at('register') });
      this.definedNames.add(register);
    }
    const { loop, loopVar, loopLabel, loopIndexVar, loopExtended, loopWith, loopPause } = loopOf(t, file);
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
      async: asyncSeconds(t, 'async', file),
      poll: asyncSeconds(t, 'poll', file),
    };
    return node;
  }

  /**
   * include_tasks as Ansible 2.14 runs it: a task of its own whose `when`, tags and loop are the include's,
   * and whose `apply:` keywords (and vars) are what the included tasks inherit.
   */
  private dynamicInclude(
    action: 'include_tasks' | 'include_role',
    t: Obj,
    args: Obj,
    kw: TaskKeywords,
    n: { name?: string; loc: SourceLocation; role?: RoleInfo; file: string; path: string; block: TaskNode[]; notify: string[]; listen: string[] },
  ): BlockTask {
    let applied: TaskKeywords = { when: [], tags: [] };
    if (args.apply !== undefined) {
      const apply = expectMap(args.apply, `${action} apply`, here(args, 'apply', n.file));
      const notInherited = ['loop', 'loop_control', 'register', 'until', 'retries', 'delay', 'async', 'poll', 'block', 'rescue', 'always', 'name', 'args', 'notify', 'listen'];
      for (const k of Object.keys(apply)) {
        if (!(TASK_KEYWORDS as readonly string[]).includes(k) || notInherited.includes(k) || k.startsWith('with_')) {
          throw new ParseError(`${action} apply: '${k}' is not a keyword the included tasks can inherit`, { loc: here(apply, k, n.file) });
        }
      }
      applied = taskKeywords(apply, n.file);
    }
    const lp = loopOf(t, n.file);
    if (lp.loop !== undefined) {
      this.definedNames.add(lp.loopVar);
      if (lp.loopIndexVar) this.definedNames.add(lp.loopIndexVar);
    }
    const vars = kw.vars || applied.vars ? { ...(applied.vars ?? {}), ...(kw.vars ?? {}) } : undefined;
    return {
      kind: 'block',
      origin: action,
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
        ...(kw.ignoreErrors !== undefined ? { ignoreErrors: kw.ignoreErrors } : {}),
      },
    };
  }

  /**
   * A templated include_tasks or include_role: a dynamic include whose file or role is known only when
   * it runs. `late.load` writes the task again with the rendered values and loads it exactly as a
   * literal include (same checks, same node), once per distinct values; a missing include_tasks file
   * is Ansible's failure of the hosts that include it, not an error of the run.
   */
  private lateInclude(
    action: 'include_tasks' | 'include_role',
    t: Obj,
    key: string,
    args: Record<string, string>,
    kw: TaskKeywords,
    ctx: TaskCtx,
    role: RoleInfo | undefined,
    n: { name?: string; loc: SourceLocation; at: SourceLocation; path: string; notify: string[]; listen: string[] },
  ): BlockTask {
    const raw = t[key];
    const loaded = new Map<string, Promise<LateLoaded>>();
    const loadNow = async (rendered: Record<string, string>): Promise<LateLoaded> => {
      if (action === 'include_tasks') {
        const f = rendered.file!;
        const p = isAbsolute(f) ? f : resolve(ctx.dir, f);
        if (!existsSync(p)) return { reason: `Could not find or access '${p}' on the Ansible Controller.` };
      }
      const written = typeof raw === 'string' ? rendered.file : withLocations(raw as Obj, { ...(raw as Obj), ...rendered });
      // handlers the loaded tasks bring (import_role in it, the included role's own) go to the runner
      const handlers: TaskNode[] = [];
      const node = await this.task(withLocations(t, { ...t, [key]: written }), { ...ctx, handlers }, role, n.loc);
      return { node: node as BlockTask, handlers };
    };
    const load = (rendered: Record<string, string>): Promise<LateLoaded> => {
      const k = JSON.stringify(rendered);
      let p = loaded.get(k);
      if (!p) loaded.set(k, (p = loadNow(rendered)));
      return p;
    };
    const node = this.dynamicInclude(action, t, isObj(raw) ? raw : {}, kw, { ...n, role, file: ctx.file, block: [] });
    node.include!.late = { args, at: n.at, load };
    return node;
  }

  /**
   * import_role (static: the role's tasks are the task list's, its keywords reach them) and include_role
   * (dynamic, as Ansible 2.14: its when/tags/loop are the include's own; `apply:` reaches the role's tasks;
   * the role's vars are its tasks' only, unless `public`). Both load and check the role now.
   */
  private async role(
    action: 'include_role' | 'import_role',
    t: Obj,
    key: string,
    rawArgs: unknown,
    kw: TaskKeywords,
    ctx: TaskCtx,
    n: { name?: string; loc: SourceLocation; role?: RoleInfo; aloc: SourceLocation; notify: string[]; listen: string[] },
  ): Promise<BlockTask> {
    const file = ctx.file;
    if (!isObj(rawArgs)) throw new ParseError(`${action} needs name: ROLE; got ${typeName(rawArgs)}`, { loc: n.aloc });
    const valid = ['name', 'role', 'tasks_from', 'vars_from', 'defaults_from', 'handlers_from', 'allow_duplicates', 'rolespec_validate', ...(action === 'include_role' ? ['apply', 'public'] : [])];
    for (const k of Object.keys(rawArgs)) {
      if (!valid.includes(k)) {
        const hint = closest(k, valid);
        throw new ParseError(`${action}: unknown argument '${k}'${hint ? ` (did you mean '${hint}'?)` : ''} (valid: ${valid.join(', ')})`, { loc: here(rawArgs, k, file) });
      }
    }
    const roleName = rawArgs.name ?? rawArgs.role;
    if (typeof roleName !== 'string' || roleName === '') throw new ParseError(`${action} needs name: ROLE`, { loc: n.aloc });
    const nameKey = rawArgs.name !== undefined ? 'name' : 'role';
    // import_role is static (the role's tasks are the task list's): its name must be known now, as in Ansible
    if (roleName.includes('{{') && action === 'import_role') {
      throw new ParseError(`${action} role names must be literal (templated role names are not supported; include_role takes one): ${roleName}`, { loc: here(rawArgs, nameKey, file) });
    }
    const late: Record<string, string> = roleName.includes('{{') ? { [nameKey]: roleName } : {};
    const from: Record<string, string> = {};
    for (const k of ['tasks', 'vars', 'defaults', 'handlers']) {
      const v = rawArgs[`${k}_from`];
      if (v === undefined) continue;
      const at = here(rawArgs, `${k}_from`, file);
      if (typeof v !== 'string') throw new ParseError(`${action} ${k}_from must be a file name; got ${typeName(v)}`, { loc: at });
      if (v.includes('{{')) {
        if (action === 'import_role') throw new ParseError(`${action} ${k}_from must be literal (templated file names are not supported; include_role takes one): ${v}`, { loc: at });
        late[`${k}_from`] = v;
      }
      from[k] = v.split('/').pop()!; // Ansible keeps the base name
    }
    const allowDuplicates = boolish(rawArgs.allow_duplicates, 'allow_duplicates', here(rawArgs, 'allow_duplicates', file)) ?? true;
    const validate = boolish(rawArgs.rolespec_validate, 'rolespec_validate', here(rawArgs, 'rolespec_validate', file)) ?? true;
    const isPublic = boolish(rawArgs.public, 'public', here(rawArgs, 'public', file)) ?? false;
    const dynamic = action === 'include_role';
    if (Object.keys(late).length) {
      noteLateNames(this.definedNames, { role: roleName, tasksFrom: rawArgs.tasks_from as string | undefined, rolesPath: this.rolesPath, public: isPublic });
      const node = this.lateInclude('include_role', t, key, late, kw, ctx, n.role, { name: n.name, loc: n.loc, at: n.aloc, path: roleName, notify: n.notify, listen: n.listen });
      node.include!.role = { name: roleName, public: isPublic, visible: [] };
      return node;
    }
    const block = await this.roleBlock(roleName, n.aloc, ctx.roles, ctx.handlers, { origin: action, from, dynamic, validate });
    const placed = block.role!;
    // Ansible's role cache key for a task-placed role: its path, from-files, the task's vars, and whether it was included
    const roleRun = { key: roleKey(placed.path, from, kw.vars ? { vars: kw.vars } : {}, dynamic), allowDuplicates };
    if (!dynamic) {
      if (t.loop !== undefined || Object.keys(t).some((k) => k.startsWith('with_'))) {
        throw new ParseError('import_role does not take a loop (use include_role, which does)', { loc: here(t, t.loop !== undefined ? 'loop' : Object.keys(t).find((k) => k.startsWith('with_'))!, file) });
      }
      return { ...block, name: n.name, loc: n.loc, ...mergeKeywords(kw, block), notify: n.notify, listen: n.listen, roleRun };
    }
    const visible = withDependencies(placed);
    if (isPublic) {
      // visible to the play's later tasks once it ran: the static check cannot know when, so it accepts the names
      for (const r of visible) for (const k of [...Object.keys(r.defaults), ...Object.keys(r.vars)]) this.definedNames.add(k);
    }
    const node = this.dynamicInclude('include_role', t, rawArgs, kw, { name: n.name, loc: n.loc, role: n.role, file, path: placed.path, block: block.block, notify: n.notify, listen: n.listen });
    node.include!.role = { name: roleName, public: isPublic, visible };
    node.handlers = block.handlers;
    node.roleRun = roleRun;
    return node;
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
}

/** Every literal `notify:` must name a handler of the play (by name, `role : name` or listen topic), before anything runs. */
export function checkNotify(nodes: TaskNode[], handlers: TaskNode[]): void {
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
