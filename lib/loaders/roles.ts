// Role loading: finding a role on the roles path, its defaults/vars/meta/tasks/handlers files,
// dependency order and cycles, and a role as a block of the play (roles:, import_role, include_role).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { loadYamlFile, keyLoc, locOf } from './yaml.js';
import { ParseError, MissingFileError, closest, type SourceLocation } from '../errors.js';
import type { BlockTask, RoleInfo, TaskNode } from '../ast.js';
import { expectList, expectMap, here, isObj } from './values.js';
import type { TaskCtx } from './tasks.js';

/** Loads a task list (TaskLoader.tasks); roles hold tasks and tasks include roles. */
export type LoadTasks = (raw: unknown, what: string, ctx: TaskCtx, role: RoleInfo | undefined, loc: SourceLocation) => Promise<TaskNode[]>;

export class RoleLoader {
  private readonly roleCache = new Map<string, RoleInfo & { tasks: TaskNode[]; handlers: TaskNode[]; deps: string[] }>();

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
    const role: RoleInfo & { tasks: TaskNode[]; handlers: TaskNode[]; deps: string[] } = {
      name,
      path,
      defaults: {},
      vars: {},
      tasks: [],
      handlers: [],
      deps: [],
    };
    const defaults = this.optionalYaml(join(path, 'defaults', 'main'), 'role defaults');
    if (defaults) role.defaults = expectMap(defaults.value, `${name}/defaults/main.yml`, locOf(defaults.value) ?? { file: defaults.file });
    const vars = this.optionalYaml(join(path, 'vars', 'main'), 'role vars');
    if (vars) role.vars = expectMap(vars.value, `${name}/vars/main.yml`, locOf(vars.value) ?? { file: vars.file });
    const meta = this.optionalYaml(join(path, 'meta', 'main'), 'role meta');
    const depNodes: Array<{ name: string; loc: SourceLocation }> = [];
    if (meta && isObj(meta.value)) {
      const deps = expectList(meta.value.dependencies, 'dependencies', here(meta.value, 'dependencies', meta.file));
      for (const [i, d] of deps.entries()) {
        const dloc = keyLoc(meta.value.dependencies, String(i)) ?? { file: meta.file };
        const dn = typeof d === 'string' ? d : isObj(d) ? (d.role ?? d.name) : undefined;
        if (typeof dn !== 'string') throw new ParseError('role dependency must be a role name or a mapping with role:', { loc: dloc });
        depNodes.push({ name: dn, loc: dloc });
      }
    }
    for (const d of depNodes) {
      await this.loadRole(d.name, d.loc, [...stack, key]);
      role.deps.push(d.name);
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
  async roleBlock(
    name: string,
    loc: SourceLocation,
    playRoles: RoleInfo[],
    handlers: TaskNode[],
    origin: 'include_role' | 'import_role',
    tasksFrom: string | undefined,
  ): Promise<BlockTask> {
    const role = await this.loadRole(name, loc, []);
    const block: TaskNode[] = [];
    for (const dep of role.deps) {
      const already = playRoles.some((r) => r.name === dep);
      if (!already) block.push(await this.roleBlock(dep, loc, playRoles, handlers, origin, undefined));
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
    return {
      kind: 'block',
      origin,
      name: undefined,
      loc,
      role,
      when: [],
      tags: [],
      block,
      rescue: [],
      always: [],
      notify: [],
      listen: [],
    };
  }
}
