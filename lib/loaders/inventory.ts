// Ansible inventories (YAML, plus the common INI form), group_vars/host_vars and variable precedence.
// Semantics follow ansible's yaml/ini inventory plugins, InventoryData.reconcile_inventory and
// VariableManager's default VARIABLE_PRECEDENCE.
import { accessSync, constants, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { InventoryError, MissingFileError, closest, type SourceLocation } from '../errors.js';
import { loadYamlFile, keyLoc, locOf } from './yaml.js';
import { loadVarsDirLayers } from './vars-files.js';
import { maybeDecryptFile } from '../vault/vault.js';
import { pyLiteral } from './pyliteral.js';
import { connectionNames, isConnectionName } from '../executor/registry.js';
import { shlexSplit } from '../executor/shell.js';
import { LOCALHOST_NAMES, matchPattern, type PatternInventory, type PatternMatch } from './patterns.js';

export interface InvHost {
  name: string;
  /** Every group it belongs to incl. ancestors and 'all', sorted as ansible: by depth, then name. */
  groups: string[];
}

export interface InvGroup {
  name: string;
  /** Hosts listed directly in the group. */
  hosts: string[];
  children: string[];
  parents: string[];
  /** Vars written in the inventory file for this group (group_vars/ files not included). */
  vars: Record<string, unknown>;
  /** Longest distance from `all` (all = 0, its children 1, …). */
  depth: number;
}

export interface SelectOptions {
  /** Throw InventoryError for a term that names no host or group (default false: skip it and warn). */
  strict?: boolean;
  /** Receives one message per term that matched nothing (non-strict mode). */
  warnings?: string[];
}

/** One source of variables plus a way to find where each key was written. */
interface VarsLayer {
  vars: Record<string, unknown>;
  where(key: string): SourceLocation | undefined;
}

interface GroupData {
  name: string;
  hosts: string[];
  children: string[];
  parents: string[];
  layers: VarsLayer[];
  depth: number;
}

interface HostData {
  name: string;
  direct: Set<string>;
  layers: VarsLayer[];
}

const GROUP_KEYS = ['hosts', 'children', 'vars'];
const HOST_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;
const IPV6 = /^[0-9A-Fa-f]*:[0-9A-Fa-f:.]*$/;
// characters that would make a group unusable in a host pattern
const BAD_GROUP_CHARS = /[\s:,[\]!&~*?]/;
const ASCII_LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'a mapping';
  return `a ${typeof v} (${JSON.stringify(v)})`;
}
function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Expand ansible host ranges: `node[1:3]`, `node[01:10]` (zero-padded, equal widths), `[a:c]`,
 * `[0:10:2]` (stride); several ranges in one name multiply.
 */
export function expandHostRange(pattern: string, loc?: SourceLocation): string[] {
  const m = /^([^[]*)\[([^\]]*)\](.*)$/.exec(pattern);
  if (!m) {
    if (pattern.includes('[') || pattern.includes(']')) throw new InventoryError(`invalid host range in '${pattern}': unbalanced brackets`, { loc });
    return [pattern];
  }
  const [, head, range, tail] = m as unknown as [string, string, string, string];
  const bits = range.split(':');
  if (bits.length < 2 || bits.length > 3) {
    throw new InventoryError(`invalid host range '[${range}]' in '${pattern}': expected [start:end] or [start:end:step]`, { loc });
  }
  let [beg, end, stepS] = bits as [string, string, string | undefined];
  if (beg === '') beg = '0';
  if (end === '') throw new InventoryError(`invalid host range '[${range}]' in '${pattern}': the range must specify an end value`, { loc });
  const step = stepS === undefined || stepS === '' ? 1 : Number(stepS);
  if (!Number.isInteger(step) || step < 1) throw new InventoryError(`invalid host range '[${range}]' in '${pattern}': step must be a positive integer`, { loc });
  let seq: string[];
  const ib = ASCII_LETTERS.indexOf(beg);
  const ie = ASCII_LETTERS.indexOf(end);
  if (beg.length === 1 && end.length === 1 && ib >= 0 && ie >= 0) {
    if (ib > ie) throw new InventoryError(`invalid host range '[${range}]' in '${pattern}': begin must be <= end`, { loc });
    seq = [];
    for (let i = ib; i <= ie; i += step) seq.push(ASCII_LETTERS[i]!);
  } else if (/^\d+$/.test(beg) && /^\d+$/.test(end)) {
    const padded = beg.length > 1 && beg.startsWith('0');
    if (padded && beg.length !== end.length) {
      throw new InventoryError(`invalid host range '[${range}]' in '${pattern}': zero-padded begin and end must have the same width`, { loc });
    }
    const b = Number(beg);
    const e = Number(end);
    if (b > e) throw new InventoryError(`invalid host range '[${range}]' in '${pattern}': begin must be <= end`, { loc });
    seq = [];
    for (let i = b; i <= e; i += step) seq.push(padded ? String(i).padStart(beg.length, '0') : String(i));
  } else {
    throw new InventoryError(`invalid host range '[${range}]' in '${pattern}': expected numbers ([1:3], [01:10]) or single letters ([a:c])`, { loc });
  }
  return seq.flatMap((s) => expandHostRange(head + s + tail, loc));
}

export class Inventory implements PatternInventory {
  readonly file: string | undefined;
  private readonly playbookDir: string | undefined;
  private readonly groupsData = new Map<string, GroupData>();
  private readonly hostsData = new Map<string, HostData>();
  private readonly fileVarsCache = new Map<string, VarsLayer[]>();
  private readonly implicit = new Map<string, HostData>();
  /**
   * Connection variables from flags and ansible.cfg (-u → ansible_user, …): below every inventory
   * variable, as in Ansible. Read by connectionSpec only; not part of hostvars.
   */
  connectionDefaults: Record<string, unknown> = {};
  /** Directories whose group_vars/ and host_vars/ apply, one per inventory source, in -i order. */
  private readonly bases: string[] = [];
  /** groupsMap(), built once: it is part of every task's scope on every host (O(groups × hosts) each). */
  private groupsMapCache: Record<string, readonly string[]> | undefined;

  private constructor(file: string | undefined, playbookDir: string | undefined) {
    this.file = file === undefined ? undefined : resolve(file);
    this.playbookDir = playbookDir === undefined ? undefined : resolve(playbookDir);
    this.addGroup('all');
    this.addGroup('ungrouped');
  }

  /** Load an inventory file: YAML (.yml/.yaml/.json or YAML content) or ansible's INI form. */
  static load(file: string, opts: { playbookDir?: string } = {}): Inventory {
    return Inventory.loadSources([file], opts);
  }

  /**
   * Several `-i` sources merged into one inventory, as ansible's InventoryManager: each a file (YAML,
   * INI), a directory (its files, sorted; group_vars/ host_vars/ inside apply), an executable
   * inventory script (`--list` JSON), or a host list `h1,h2,`.
   */
  static loadSources(sources: string[], opts: { playbookDir?: string } = {}): Inventory {
    const first = sources.find((s) => !isHostList(s));
    const inv = new Inventory(first, opts.playbookDir);
    for (const s of sources) inv.parseSource(s);
    inv.reconcile();
    return inv;
  }

  private parseSource(source: string): void {
    if (isHostList(source)) {
      // ansible's host_list plugin: `-i h1,h2,` (a trailing comma makes a one-host list)
      for (const raw of source.split(',')) {
        const h = raw.trim();
        if (!h) continue;
        const { names, port } = splitHostPort(h);
        for (const n of names) this.addHost(n, 'ungrouped', port !== undefined ? { vars: { ansible_port: port }, where: () => undefined } : undefined);
      }
      return;
    }
    const path = resolve(source);
    if (!existsSync(path)) throw new MissingFileError(`inventory not found: ${source}`, { loc: { file: path } });
    if (statSync(path).isDirectory()) {
      this.bases.push(path);
      this.parseDir(path);
      return;
    }
    this.bases.push(dirname(path));
    this.parseFile(path);
  }

  /** An inventory directory: every file, sorted, recursively; ansible's INVENTORY_IGNORE_EXTS and vars dirs skipped. */
  private parseDir(dir: string): void {
    for (const entry of readdirSync(dir).sort()) {
      if (entry.startsWith('.') || IGNORED_EXTS.some((e) => entry.endsWith(e)) || ['group_vars', 'host_vars'].includes(entry)) continue;
      const full = join(dir, entry);
      if (statSync(full).isDirectory()) this.parseDir(full);
      else this.parseFile(full);
    }
  }

  private parseFile(file: string): void {
    if (isExecutable(file)) {
      this.parseScript(file);
      return;
    }
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new MissingFileError(`inventory not found: ${file}`, { loc: { file }, cause: e });
    }
    // A whole-file vault: decide YAML or INI on the plaintext (the YAML path decrypts again, from cache).
    text = maybeDecryptFile(text, file);
    const ext = extname(file).toLowerCase();
    if (ext === '.ini' || (!['.yml', '.yaml', '.json'].includes(ext) && looksLikeIni(text))) this.parseIni(text, file);
    else this.parseYaml(file);
  }

  /**
   * ansible's script plugin: `SCRIPT --list` prints {group: {hosts, vars, children} | [hosts], _meta:
   * {hostvars}}; without _meta, `SCRIPT --host H` per host. The script runs on the control node only.
   */
  private parseScript(file: string): void {
    const run = (args: string[]): unknown => {
      const r = spawnSync(file, args, { encoding: 'utf8', timeout: 60_000, cwd: dirname(file) });
      if (r.error || r.status !== 0) {
        throw new InventoryError(`inventory script ${basename(file)} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr ?? '').trim().split('\n')[0] ?? ''}`, { loc: { file } });
      }
      try {
        return JSON.parse(r.stdout);
      } catch (e) {
        throw new InventoryError(`inventory script ${basename(file)} ${args.join(' ')} did not print JSON: ${(e as Error).message}`, { loc: { file }, cause: e });
      }
    };
    const data = run(['--list']);
    if (!isMapping(data)) throw new InventoryError(`inventory script ${basename(file)} --list must print a JSON object, found ${describe(data)}`, { loc: { file } });
    const where = () => ({ file });
    const meta = isMapping(data._meta) ? data._meta : undefined;
    const seen = new Set<string>();
    for (const [name, g] of Object.entries(data)) {
      if (name === '_meta') continue;
      this.checkGroupName(name, { file });
      this.addGroup(name);
      const group = Array.isArray(g) ? { hosts: g } : isMapping(g) ? g : {};
      for (const h of Array.isArray(group.hosts) ? group.hosts : []) {
        this.addHost(String(h), name, undefined, { file });
        seen.add(String(h));
      }
      if (isMapping(group.vars)) this.groupsData.get(name)!.layers.push({ vars: group.vars, where });
      for (const c of Array.isArray(group.children) ? group.children : []) {
        this.addGroup(String(c));
        this.addChild(name, String(c), { file });
      }
    }
    for (const h of seen) {
      const hv = meta ? (isMapping(meta.hostvars) ? meta.hostvars[h] : undefined) : run(['--host', h]);
      if (isMapping(hv) && Object.keys(hv).length) this.hostsData.get(h)!.layers.push({ vars: hv, where });
    }
  }

  /** No inventory: only the implicit localhost exists. */
  static empty(opts: { playbookDir?: string } = {}): Inventory {
    const inv = new Inventory(undefined, opts.playbookDir);
    inv.reconcile();
    return inv;
  }

  // ---- building -------------------------------------------------------------------------------

  private addGroup(name: string): GroupData {
    let g = this.groupsData.get(name);
    this.groupsMapCache = undefined;
    if (!g) {
      g = { name, hosts: [], children: [], parents: [], layers: [], depth: 0 };
      this.groupsData.set(name, g);
    }
    return g;
  }

  private checkGroupName(name: string, loc?: SourceLocation): void {
    if (name === '' || BAD_GROUP_CHARS.test(name)) {
      throw new InventoryError(`invalid group name '${name}': expected letters, digits, '_', '-' or '.' (no spaces or pattern characters : , [ ] ! & ~ * ?)`, { loc });
    }
  }

  private addHost(name: string, group: string, vars: VarsLayer | undefined, loc?: SourceLocation): void {
    if (!(HOST_NAME.test(name) || (IPV6.test(name) && name.split(':').length > 2))) {
      throw new InventoryError(`invalid host name '${name}': expected a hostname, IPv4 or IPv6 address (letters, digits, '.', '-', '_')`, { loc });
    }
    let h = this.hostsData.get(name);
    if (!h) {
      h = { name, direct: new Set(), layers: [] };
      this.hostsData.set(name, h);
    }
    h.direct.add(group);
    this.groupsMapCache = undefined;
    const g = this.groupsData.get(group)!;
    if (!g.hosts.includes(name)) g.hosts.push(name);
    if (vars) h.layers.push(vars);
  }

  private addChild(parent: string, child: string, loc?: SourceLocation): void {
    if (child === 'all') throw new InventoryError(`group 'all' cannot be a child of '${parent}': every group is already a child of all`, { loc });
    if (parent === child || this.isAncestor(child, parent)) {
      throw new InventoryError(`group '${child}' as a child of '${parent}' creates a cycle (${this.cyclePath(child, parent).join(' -> ')})`, { loc });
    }
    const p = this.groupsData.get(parent)!;
    const c = this.groupsData.get(child)!;
    this.groupsMapCache = undefined;
    if (!p.children.includes(child)) p.children.push(child);
    if (!c.parents.includes(parent)) c.parents.push(parent);
  }

  /** Is `a` an ancestor of `b` (or b itself)? */
  private isAncestor(a: string, b: string): boolean {
    return this.cyclePath(a, b).length > 0;
  }
  /** A path a -> … -> b through children edges, or [] if none. */
  private cyclePath(a: string, b: string): string[] {
    if (a === b) return [a, a];
    const prev = new Map<string, string>();
    const queue = [a];
    while (queue.length) {
      const cur = queue.shift()!;
      for (const c of this.groupsData.get(cur)?.children ?? []) {
        if (prev.has(c) || c === a) continue;
        prev.set(c, cur);
        if (c === b) {
          const path = [b];
          let x = b;
          while (x !== a) path.unshift((x = prev.get(x)!));
          return [...path, a];
        }
        queue.push(c);
      }
    }
    return [];
  }

  private parseYaml(file: string): void {
    const y = loadYamlFile(file, 'inventory');
    const top = y.value;
    if (top === null) return; // empty inventory: only implicit localhost
    if (!isMapping(top)) {
      throw new InventoryError(`inventory must be a mapping of group names (e.g. 'all:') to groups, found ${describe(top)}`, {
        loc: locOf(top) ?? { file, line: 1, col: 1 },
      });
    }
    for (const [name, data] of Object.entries(top)) this.parseGroup(name, data, top, file);
  }

  private parseGroup(name: string, data: unknown, container: Record<string, unknown>, file: string): void {
    const loc = keyLoc(container, name) ?? { file };
    this.checkGroupName(name, loc);
    this.addGroup(name);
    if (data === null) return;
    if (!isMapping(data)) {
      throw new InventoryError(`group '${name}' must be a mapping with hosts:, children: or vars:, found ${describe(data)}`, { loc });
    }
    for (const [key, value] of Object.entries(data)) {
      const kloc = keyLoc(data, key) ?? loc;
      if (!GROUP_KEYS.includes(key)) {
        const near = closest(key, GROUP_KEYS);
        throw new InventoryError(`unknown key '${key}' in group '${name}': expected hosts, children or vars`, {
          loc: kloc,
          hint: near ? `did you mean '${near}'?` : `to put a host in the group write 'hosts: { ${key}: }'`,
        });
      }
      if (value === null) continue;
      if (!isMapping(value)) {
        const form = key === 'hosts' ? 'host names to vars (or nothing)' : key === 'children' ? 'group names to groups (or nothing)' : 'variable names to values';
        throw new InventoryError(`'${key}:' of group '${name}' must be a mapping of ${form}, found ${describe(value)}`, { loc: locOf(value) ?? kloc });
      }
      if (key === 'vars') {
        this.groupsData.get(name)!.layers.push({ vars: value, where: (k) => keyLoc(value, k) });
      } else if (key === 'children') {
        for (const [child, cdata] of Object.entries(value)) {
          // link before descending, so a cycle is reported where it closes (the innermost entry)
          const cloc = keyLoc(value, child);
          this.checkGroupName(child, cloc);
          this.addGroup(child);
          this.addChild(name, child, cloc);
          this.parseGroup(child, cdata, value, file);
        }
      } else {
        for (const [pattern, hvars] of Object.entries(value)) {
          const hloc = keyLoc(value, pattern);
          if (hvars !== null && !isMapping(hvars)) {
            throw new InventoryError(`vars of host '${pattern}' in group '${name}' must be a mapping of variable names to values, found ${describe(hvars)}`, {
              loc: locOf(hvars) ?? hloc,
            });
          }
          const { names, port } = splitHostPort(pattern, hloc);
          const layer: VarsLayer | undefined = hvars ? { vars: hvars, where: (k) => keyLoc(hvars, k) } : undefined;
          for (const h of names) {
            // `host:port` in the inventory sets ansible_port below the host's own vars
            if (port !== undefined) this.addHost(h, name, { vars: { ansible_port: port }, where: () => hloc }, hloc);
            this.addHost(h, name, layer, hloc);
          }
        }
      }
    }
  }

  /** ansible's INI inventory: [group], [group:vars], [group:children], `host k=v …` lines. */
  private parseIni(text: string, file: string): void {
    type Section = { group: string; kind: 'hosts' | 'vars' | 'children' };
    let section: Section = { group: 'ungrouped', kind: 'hosts' };
    const pendingChildren: { parent: string; child: string; loc: SourceLocation }[] = [];
    text.split(/\r?\n/).forEach((raw, i) => {
      const loc = { file, line: i + 1, col: 1 };
      const line = raw.trim();
      if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
      const sm = /^\[([^\]]*)\]\s*(?:[#;].*)?$/.exec(line);
      if (sm) {
        const [gname, kind = 'hosts'] = sm[1]!.split(':') as [string, string | undefined];
        if (!['hosts', 'vars', 'children'].includes(kind)) {
          const near = closest(kind, ['vars', 'children']) ?? ['vars', 'children'].find((c) => kind !== '' && c.startsWith(kind));
          throw new InventoryError(`unknown section suffix ':${kind}' in '[${sm[1]}]': expected [group], [group:vars] or [group:children]`, {
            loc,
            hint: near ? `did you mean ':${near}'?` : undefined,
          });
        }
        this.checkGroupName(gname, loc);
        this.addGroup(gname);
        section = { group: gname, kind: kind as Section['kind'] };
        return;
      }
      if (line.startsWith('[')) throw new InventoryError(`invalid section header '${line}': expected [group], [group:vars] or [group:children]`, { loc });
      if (section.kind === 'children') {
        this.checkGroupName(line, loc);
        this.addGroup(line);
        pendingChildren.push({ parent: section.group, child: line, loc });
      } else if (section.kind === 'vars') {
        const eq = line.indexOf('=');
        if (eq <= 0) throw new InventoryError(`expected 'name=value' in [${section.group}:vars], found '${line}'`, { loc });
        const k = line.slice(0, eq).trim();
        const vars = { [k]: iniValue(line.slice(eq + 1).trim()) };
        this.groupsData.get(section.group)!.layers.push({ vars, where: () => loc });
      } else {
        const tokens = shlexSplit(line, { comments: true, error: () => new InventoryError(`unterminated quote in '${line}'`, { loc }) });
        const { names, port } = splitHostPort(tokens[0]!, loc);
        const vars: Record<string, unknown> = {};
        if (port !== undefined) vars['ansible_port'] = port;
        for (const t of tokens.slice(1)) {
          const eq = t.indexOf('=');
          if (eq <= 0) throw new InventoryError(`expected 'name=value' host variables after '${tokens[0]}', found '${t}'`, { loc });
          vars[t.slice(0, eq)] = iniValue(t.slice(eq + 1));
        }
        const layer: VarsLayer | undefined = Object.keys(vars).length ? { vars, where: () => loc } : undefined;
        for (const h of names) this.addHost(h, section.group, layer, loc);
      }
    });
    for (const c of pendingChildren) this.addChild(c.parent, c.child, c.loc);
  }

  /** ansible's reconcile_inventory: parentless groups under all, depths, ungrouped membership. */
  private reconcile(): void {
    const all = this.groupsData.get('all')!;
    for (const g of this.groupsData.values()) {
      if (g.name !== 'all' && g.parents.length === 0) this.addChild('all', g.name);
    }
    const visit = (g: GroupData, depth: number): void => {
      if (g.name !== 'all' && depth <= g.depth) return;
      g.depth = depth;
      for (const c of g.children) visit(this.groupsData.get(c)!, depth + 1);
    };
    visit(all, 0);
    const ungrouped = this.groupsData.get('ungrouped')!;
    this.groupsMapCache = undefined;
    for (const h of this.hostsData.values()) {
      const other = [...h.direct].filter((g) => g !== 'all' && g !== 'ungrouped');
      if (other.length === 0) {
        h.direct.add('ungrouped');
        if (!ungrouped.hosts.includes(h.name)) ungrouped.hosts.push(h.name);
      } else if (h.direct.has('ungrouped')) {
        h.direct.delete('ungrouped');
        ungrouped.hosts = ungrouped.hosts.filter((x) => x !== h.name);
      }
    }
  }

  // ---- changes during a run (add_host, group_by) ------------------------------------------------

  /**
   * add_host: the host (new, or one the inventory has) joins `groups` (created under `all` when new)
   * and gets `vars` above its inventory variables, as Ansible's inventory.add_host/set_variable.
   */
  addRuntimeHost(name: string, groups: string[], vars: Record<string, unknown>): void {
    for (const g of groups) this.addRuntimeGroup(g, []);
    this.addHost(name, groups[0] ?? 'ungrouped', Object.keys(vars).length ? { vars: { ...vars }, where: () => undefined } : undefined);
    for (const g of groups.slice(1)) this.addHost(name, g, undefined);
    this.reconcile();
  }

  /** group_by: group `name` (created if new) with `parents` (each created under `all` if new), `host` in it. */
  addRuntimeGroup(name: string, parents: string[], host?: string): void {
    if (!HOST_NAME.test(name)) throw new InventoryError(`invalid group name '${name}' (letters, digits, '.', '-', '_')`);
    this.addGroup(name);
    for (const p of parents) {
      if (p === 'all') continue;
      this.addGroup(p);
      if (!this.groupsData.get(p)!.parents.length) this.addChild('all', p);
      this.addChild(p, name);
    }
    if (!this.groupsData.get(name)!.parents.length) this.addChild('all', name);
    if (host !== undefined && this.hostsData.has(host)) this.addHost(host, name, undefined);
    this.reconcile();
  }

  // ---- queries --------------------------------------------------------------------------------

  /** All hosts of the inventory in order of first appearance (implicit localhost excluded). */
  hosts(): string[] {
    return [...this.hostsData.keys()];
  }

  groupNames(): string[] {
    return [...this.groupsData.keys()];
  }

  hasHost(name: string): boolean {
    return this.hostsData.has(name);
  }

  implicitHost(name: string): boolean {
    return LOCALHOST_NAMES.includes(name) && !this.hostsData.has(name);
  }

  group(name: string): InvGroup | undefined {
    const g = this.groupsData.get(name);
    if (!g) return undefined;
    const vars: Record<string, unknown> = {};
    for (const l of g.layers) Object.assign(vars, l.vars);
    return { name, hosts: [...g.hosts], children: [...g.children], parents: [...g.parents], vars, depth: g.depth };
  }

  /** Groups of a host incl. ancestors, sorted by (depth, ansible_group_priority, name) as ansible's sort_groups. */
  private sortedGroups(host: HostData): GroupData[] {
    const seen = new Set<string>();
    const walk = (n: string): void => {
      if (seen.has(n)) return;
      seen.add(n);
      for (const p of this.groupsData.get(n)?.parents ?? []) walk(p);
    };
    for (const g of host.direct) walk(g);
    if (!this.implicit.has(host.name)) seen.add('all');
    const prio = (g: GroupData): number => {
      const v = this.groupVar(g, 'ansible_group_priority');
      return typeof v === 'number' ? v : 1;
    };
    return [...seen]
      .map((n) => this.groupsData.get(n)!)
      .sort((a, b) => a.depth - b.depth || prio(a) - prio(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  private groupVar(g: GroupData, key: string): unknown {
    let v: unknown;
    for (const l of g.layers) if (key in l.vars) v = l.vars[key];
    return v;
  }

  private hostData(name: string): HostData | undefined {
    const h = this.hostsData.get(name);
    if (h) return h;
    if (!this.implicitHost(name)) return undefined;
    let imp = this.implicit.get(name);
    if (!imp) {
      // ansible's implicit localhost: local connection, member of no group (so not in `all`)
      const vars = { ansible_connection: 'local' };
      imp = { name, direct: new Set(), layers: [{ vars, where: () => undefined }] };
      this.implicit.set(name, imp);
    }
    return imp;
  }

  host(name: string): InvHost | undefined {
    const h = this.hostData(name);
    if (!h) return undefined;
    if (this.implicit.has(name)) return { name, groups: [] };
    return { name, groups: this.sortedGroups(h).map((g) => g.name) };
  }

  /** All hosts of a group including its descendants', in inventory order. */
  groupMembers(name: string): string[] | undefined {
    const g = this.groupsData.get(name);
    if (!g) return undefined;
    if (name === 'all') return this.hosts();
    const members = new Set<string>();
    const seen = new Set<string>();
    const walk = (gd: GroupData): void => {
      if (seen.has(gd.name)) return;
      seen.add(gd.name);
      for (const h of gd.hosts) members.add(h);
      for (const c of gd.children) walk(this.groupsData.get(c)!);
    };
    walk(g);
    return this.hosts().filter((h) => members.has(h));
  }

  /** The `groups` magic variable: every group (incl. all and ungrouped) → its hosts and descendants' hosts. */
  groupsMap(): Record<string, readonly string[]> {
    if (this.groupsMapCache) return this.groupsMapCache;
    const out: Record<string, readonly string[]> = {};
    for (const n of this.groupsData.keys()) out[n] = Object.freeze(this.groupMembers(n)!);
    return (this.groupsMapCache = Object.freeze(out));
  }

  private varsFileLayers(kind: 'group_vars' | 'host_vars', name: string, base: string | undefined): VarsLayer[] {
    if (base === undefined) return [];
    const dir = join(base, kind);
    const key = `${dir}\0${name}`;
    let layers = this.fileVarsCache.get(key);
    if (!layers) {
      layers = loadVarsDirLayers(dir, name).map(({ file, vars }) => ({ vars, where: (k: string) => keyLoc(vars, k) ?? { file } }));
      this.fileVarsCache.set(key, layers);
    }
    return layers;
  }

  /** Directories whose group_vars/ and host_vars/ apply: beside the inventory, then beside the playbook. */
  private varsBases(): { inv: string[]; play: string | undefined } {
    const inv = [...new Set(this.bases)];
    const play = this.playbookDir !== undefined && !inv.includes(this.playbookDir) ? this.playbookDir : undefined;
    return { inv, play };
  }

  /**
   * A host's inventory variables, merged lowest → highest as ansible's default precedence:
   * inventory-file group vars (all, then groups by depth/priority/name) < inventory-dir group_vars/all
   * < playbook-dir group_vars/all < inventory-dir group_vars/<group>… < playbook-dir group_vars/<group>…
   * < inventory-file host vars < inventory-dir host_vars/ < playbook-dir host_vars/.
   * Magic vars (inventory_hostname, groups, …) are not added here.
   */
  hostVars(name: string): Record<string, unknown> {
    const h = this.hostData(name);
    if (!h) throw new InventoryError(`no host '${name}' in the inventory`, { loc: this.file ? { file: this.file } : undefined });
    const layers = this.hostLayers(h);
    const out: Record<string, unknown> = {};
    const origin = new Map<string, VarsLayer>();
    for (const l of layers) {
      for (const [k, v] of Object.entries(l.vars)) {
        out[k] = v;
        origin.set(k, l);
      }
    }
    validateConnectionVars(name, out, origin);
    return out;
  }

  private hostLayers(h: HostData): VarsLayer[] {
    const { inv, play } = this.varsBases();
    const groups = this.implicit.has(h.name) ? [this.groupsData.get('all')!] : this.sortedGroups(h);
    const rest = groups.filter((g) => g.name !== 'all');
    return [
      ...this.groupsData.get('all')!.layers,
      ...rest.flatMap((g) => g.layers),
      ...inv.flatMap((b) => this.varsFileLayers('group_vars', 'all', b)),
      ...this.varsFileLayers('group_vars', 'all', play),
      ...rest.flatMap((g) => inv.flatMap((b) => this.varsFileLayers('group_vars', g.name, b))),
      ...rest.flatMap((g) => this.varsFileLayers('group_vars', g.name, play)),
      ...h.layers,
      ...inv.flatMap((b) => this.varsFileLayers('host_vars', h.name, b)),
      ...this.varsFileLayers('host_vars', h.name, play),
    ];
  }

  /** Hosts and unmatched terms of a pattern, in inventory order (implicit localhost last). */
  match(pattern: string, loc?: SourceLocation): PatternMatch {
    return matchPattern(pattern, this, loc);
  }

  /**
   * Hosts matching an ansible host pattern, in inventory order. A term naming no host or group
   * throws in strict mode; otherwise it is skipped and reported through opts.warnings.
   */
  select(pattern: string, loc?: SourceLocation, opts: SelectOptions = {}): string[] {
    const { hosts, unmatched } = this.match(pattern, loc);
    for (const u of unmatched) {
      if (opts.strict) {
        const near = closest(u, [...this.groupsData.keys(), ...this.hostsData.keys()]);
        throw new InventoryError(`no host or group matches '${u}'`, { loc, hint: near ? `did you mean '${near}'?` : undefined });
      }
      opts.warnings?.push(`Could not match supplied host pattern, ignoring: ${u}`);
    }
    return hosts;
  }
}

function splitHostPort(pattern: string, loc?: SourceLocation): { names: string[]; port?: number } {
  let base = pattern;
  let port: number | undefined;
  // `host:port`, but not a bare IPv6 address (several colons outside brackets)
  const m = /^(.*[^:]):(\d+)$/.exec(pattern);
  if (m && !m[1]!.replace(/\[[^\]]*\]/g, '').includes(':')) {
    base = m[1]!;
    port = Number(m[2]);
  }
  return { names: expandHostRange(base, loc), port };
}

function validateConnectionVars(host: string, vars: Record<string, unknown>, origin: Map<string, VarsLayer>): void {
  const templated = (v: unknown): boolean => typeof v === 'string' && v.includes('{{');
  if ('ansible_port' in vars && !templated(vars['ansible_port'])) {
    const v = vars['ansible_port'];
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > 65535) {
      throw new InventoryError(`ansible_port of host '${host}' must be an integer 1..65535, found ${describe(v)}`, {
        loc: origin.get('ansible_port')?.where('ansible_port'),
      });
    }
  }
  if ('ansible_connection' in vars && !templated(vars['ansible_connection'])) {
    const v = vars['ansible_connection'];
    if (typeof v !== 'string' || !isConnectionName(v)) {
      const near = typeof v === 'string' ? closest(v, connectionNames()) : undefined;
      throw new InventoryError(`ansible_connection of host '${host}' must be one of ${connectionNames().join(', ')}, found ${describe(v)}`, {
        loc: origin.get('ansible_connection')?.where('ansible_connection'),
        hint: near ? `did you mean '${near}'?` : undefined,
      });
    }
  }
}

/** ansible's INVENTORY_IGNORE_EXTS default (REJECT_EXTS + .orig .ini .cfg .retry): skipped in inventory directories. */
const IGNORED_EXTS = ['~', '.orig', '.ini', '.cfg', '.retry', '.pyc', '.pyo', '.swp', '.bak', '.rpm', '.md', '.txt', '.rst'];

/** `-i h1,h2,`: a comma and no such file. */
function isHostList(source: string): boolean {
  return source.includes(',') && !existsSync(source);
}

/** An inventory script: executable with a `#!` line (an executable YAML file stays YAML). */
function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return readFileSync(file).subarray(0, 2).toString() === '#!';
  } catch {
    return false;
  }
}

/** INI when the first meaningful line is a [section] or a `host key=value` line rather than YAML. */
function looksLikeIni(text: string): boolean {
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';') || line === '---') continue;
    if (line.startsWith('[')) return true;
    return !/^[^\s=]+:(\s|$)/.test(line);
  }
  return false;
}

/** ansible's INI values: `ast.literal_eval` where it parses (lib/loaders/pyliteral.ts), else the string. */
function iniValue(v: string): unknown {
  return pyLiteral(v);
}

