// Playbook and role loading: YAML → validated AST (lib/engine/ast.ts). Everything that can be
// checked before a host is touched is checked here: structure, keywords, module names, argument
// names and literal types, role/include/vars files, role dependency cycles.
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { loadYamlFile, keyLoc, locOf } from './yaml.js';
import { loadVarsFile } from './vars-files.js';
import { ParseError, MissingFileError, closest, type SourceLocation } from '../errors.js';
import { isModule, ENGINE_ACTIONS } from '../modules/index.js';
import { connectionNames, isConnectionName } from '../executor/registry.js';
import type { HostOrder, Play, Playbook, RoleInfo, TaskNode } from '../ast.js';
import { boolish, expectList, expectMap, here, intish, isObj, strList, typeName, type Obj } from './values.js';
import { mergeKeywords, taskKeywords } from './task-keywords.js';
import { RoleLoader, roleParams } from './roles.js';
import { TaskLoader, checkNotify } from './tasks.js';

const PLAY_KEYS = [
  'name', 'hosts', 'vars', 'vars_files', 'roles', 'pre_tasks', 'tasks', 'post_tasks', 'handlers', 'serial',
  'max_fail_percentage', 'any_errors_fatal', 'become', 'become_user', 'gather_facts', 'tags', 'check_mode', 'diff',
  'environment', 'remote_user', 'connection', 'strategy', 'order', 'force_handlers', 'ignore_errors', 'no_log',
  'gather_subset', 'gather_timeout',
] as const;

export interface LoadOptions {
  /** Extra role directories (BOSUN_ROLES_PATH, --roles-path). */
  rolesPath?: string[];
  /**
   * Called with each play's header (hosts, vars, serial, connection, gather_facts; no roles or
   * tasks yet) as soon as it is read, before its roles and tasks load (lib/engine/prestart.ts).
   */
  /** gather_facts of a play that does not say (ansible.cfg `gathering = explicit` makes it false). */
  gatherFactsDefault?: boolean;
  /** ansible.cfg's gather_subset (DEFAULT_GATHER_SUBSET): used by a play without its own. */
  gatherSubsetDefault?: string[];
  onPlayHeader?: (play: Pick<Play, 'hosts' | 'vars' | 'loc' | 'serial' | 'order' | 'connection' | 'gatherFacts' | 'gatherSubset'>) => void;
}

export class PlaybookLoader {
  private readonly rolesPath: string[];
  /** Every name a task registers or sets, for the static undefined-variable check. */
  readonly definedNames = new Set<string>();
  private readonly tasks: TaskLoader['tasks'];
  private readonly roleBlock: RoleLoader['roleBlock'];

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
    // roles hold tasks and tasks include roles: each loader reaches the other through a closure
    const taskLoader: TaskLoader = new TaskLoader(playbookFile, this.definedNames, (...a) => roles.roleBlock(...a), this.rolesPath);
    const roles: RoleLoader = new RoleLoader(this.rolesPath, (...a) => taskLoader.tasks(...a));
    this.tasks = (...a) => taskLoader.tasks(...a);
    this.roleBlock = (...a) => roles.roleBlock(...a);
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
    const gatherSubset =
      raw.gather_subset === undefined || raw.gather_subset === null ? this.opts.gatherSubsetDefault : strList(raw.gather_subset, 'gather_subset', here(raw, 'gather_subset', file));
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
      const block = await this.roleBlock(name, rloc, playRoles, handlers, { origin: 'import_role', params: roleParams(extra) });
      if (!block.block.length) continue; // a role without tasks (its handlers and vars are the play's already)
      const kw = taskKeywords(extra, file, ['role', 'name']);
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
    // roles placed inside a role's task files (import_role/include_role there) bring their handlers too
    const walk = (nodes: TaskNode[]): void => {
      for (const n of nodes) {
        if (n.kind !== 'block') continue;
        for (const h of n.handlers ?? []) if (!handlers.includes(h)) handlers.push(h);
        walk([...n.block, ...n.rescue, ...n.always]);
      }
    };
    walk(sections.flatMap((s) => s.tasks));
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

}

const HOST_ORDERS = ['inventory', 'reverse_inventory', 'sorted', 'reverse_sorted', 'shuffle'] as const;

function hostOrder(v: unknown, loc: SourceLocation): HostOrder | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string' && (HOST_ORDERS as readonly string[]).includes(v)) return v as HostOrder;
  const near = typeof v === 'string' ? closest(v, HOST_ORDERS) : undefined;
  throw new ParseError(`order must be one of ${HOST_ORDERS.join(', ')}; got ${typeName(v)}`, { loc, hint: near ? `did you mean '${near}'?` : undefined });
}

function playConnection(v: unknown, loc: SourceLocation): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string' && isConnectionName(v)) return v;
  const near = typeof v === 'string' ? closest(v, connectionNames()) : undefined;
  throw new ParseError(`connection must be one of ${connectionNames().join(', ')}; got ${typeName(v)}`, { loc, hint: near ? `did you mean '${near}'?` : undefined });
}

export async function loadPlaybook(file: string, opts: LoadOptions = {}): Promise<{ playbook: Playbook; definedNames: Set<string> }> {
  const loader = new PlaybookLoader(file, opts);
  if (!existsSync(file)) throw new MissingFileError(`playbook not found: ${file}`, { loc: { file } });
  const playbook = await loader.load();
  return { playbook, definedNames: loader.definedNames };
}