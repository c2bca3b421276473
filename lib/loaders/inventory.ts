// Ansible inventories (YAML, plus the common INI form), group_vars/host_vars and variable precedence.
// Semantics follow ansible's yaml/ini inventory plugins, InventoryData.reconcile_inventory and
// VariableManager's default VARIABLE_PRECEDENCE.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { InventoryError, MissingFileError, closest, type SourceLocation } from '../errors.js';
import { describeValue } from '../value-kind.js';
import { keyLoc } from './yaml.js';
import { loadVarsDirLayers } from './vars-files.js';
import { maybeDecryptFile } from '../vault/vault.js';
import { connectionNames, isConnectionName } from '../executor/registry.js';
import { LOCALHOST_NAMES, matchPattern, type PatternInventory, type PatternMatch } from './patterns.js';
import { InventoryGraph, type GroupData, type HostData, type VarsLayer } from './inventory-graph.js';
import { splitHostPort } from './host-range.js';
import { parseYamlInventory } from './inventory-yaml.js';
import { looksLikeIni, parseIniInventory } from './inventory-ini.js';
import { isExecutable, parseScriptInventory } from './inventory-script.js';

export { expandHostRange } from './host-range.js';

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

export class Inventory extends InventoryGraph implements PatternInventory {
  readonly file: string | undefined;
  private readonly playbookDir: string | undefined;
  private readonly fileVarsCache = new Map<string, VarsLayer[]>();
  private readonly implicit = new Map<string, HostData>();
  /**
   * Connection variables from flags and ansible.cfg (-u → ansible_user, …): below every inventory
   * variable, as in Ansible. Read by connectionSpec only; not part of hostvars.
   */
  connectionDefaults: Record<string, unknown> = {};
  /** Directories whose group_vars/ and host_vars/ apply, one per inventory source, in -i order. */
  private readonly bases: string[] = [];

  private constructor(file: string | undefined, playbookDir: string | undefined) {
    super();
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
      this.changed();
      return;
    }
    this.bases.push(dirname(path));
    this.parseFile(path);
    this.changed(); // parsers add layers to groups and hosts directly
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
      parseScriptInventory(this, file);
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
    if (ext === '.ini' || (!['.yml', '.yaml', '.json'].includes(ext) && looksLikeIni(text))) parseIniInventory(this, text, file);
    else parseYamlInventory(this, file);
  }


  /** No inventory: only the implicit localhost exists. */
  static empty(opts: { playbookDir?: string } = {}): Inventory {
    const inv = new Inventory(undefined, opts.playbookDir);
    inv.reconcile();
    return inv;
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
    for (const g of [name, ...parents]) this.checkGroupName(g);
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
    const hit = this.hostVarsCache.get(name);
    if (hit) return hit;
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
    // shared by every caller until the inventory changes: frozen, so no caller can alter another's view
    Object.freeze(out);
    this.hostVarsCache.set(name, out);
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

function validateConnectionVars(host: string, vars: Record<string, unknown>, origin: Map<string, VarsLayer>): void {
  const templated = (v: unknown): boolean => typeof v === 'string' && v.includes('{{');
  if ('ansible_port' in vars && !templated(vars['ansible_port'])) {
    const v = vars['ansible_port'];
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > 65535) {
      throw new InventoryError(`ansible_port of host '${host}' must be an integer 1..65535, found ${describeValue(v, { scalar: 'a' })}`, {
        loc: origin.get('ansible_port')?.where('ansible_port'),
      });
    }
  }
  if ('ansible_connection' in vars && !templated(vars['ansible_connection'])) {
    const v = vars['ansible_connection'];
    if (typeof v !== 'string' || !isConnectionName(v)) {
      const near = typeof v === 'string' ? closest(v, connectionNames()) : undefined;
      throw new InventoryError(`ansible_connection of host '${host}' must be one of ${connectionNames().join(', ')}, found ${describeValue(v, { scalar: 'a' })}`, {
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
