// The inventory's group/host graph as the parsers build it: groups, hosts, parent/child edges with
// cycle checks, name validation, and ansible's reconcile_inventory. Queries and variable precedence
// live in inventory.ts (class Inventory extends this).
import { InventoryError, type SourceLocation } from '../errors.js';

/** One source of variables plus a way to find where each key was written. */
export interface VarsLayer {
  vars: Record<string, unknown>;
  where(key: string): SourceLocation | undefined;
}

export interface GroupData {
  name: string;
  hosts: string[];
  children: string[];
  parents: string[];
  layers: VarsLayer[];
  depth: number;
}

export interface HostData {
  name: string;
  direct: Set<string>;
  layers: VarsLayer[];
}

const HOST_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;
const IPV6 = /^[0-9A-Fa-f]*:[0-9A-Fa-f:.]*$/;
// characters that would make a group unusable in a host pattern
const BAD_GROUP_CHARS = /[\s:,[\]!&~*?]/;


export class InventoryGraph {
  // read and extended by the format parsers (inventory-yaml/ini/script.ts)
  readonly groupsData = new Map<string, GroupData>();
  readonly hostsData = new Map<string, HostData>();
  /** groupsMap(), built once: it is part of every task's scope on every host (O(groups × hosts) each). */
  protected groupsMapCache: Record<string, readonly string[]> | undefined;
  /** hostVars() per host, built once: every task's scope on every host asks for it. */
  protected readonly hostVarsCache = new Map<string, Record<string, unknown>>();

  /** The graph or a layer changed: forget what was derived from it. */
  protected changed(): void {
    this.groupsMapCache = undefined;
    this.hostVarsCache.clear();
  }

  addGroup(name: string): GroupData {
    let g = this.groupsData.get(name);
    this.changed();
    if (!g) {
      g = { name, hosts: [], children: [], parents: [], layers: [], depth: 0 };
      this.groupsData.set(name, g);
    }
    return g;
  }

  checkGroupName(name: string, loc?: SourceLocation): void {
    if (name === '' || BAD_GROUP_CHARS.test(name)) {
      throw new InventoryError(`invalid group name '${name}': expected letters, digits, '_', '-' or '.' (no spaces or pattern characters : , [ ] ! & ~ * ?)`, { loc });
    }
  }

  addHost(name: string, group: string, vars: VarsLayer | undefined, loc?: SourceLocation): void {
    if (!(HOST_NAME.test(name) || (IPV6.test(name) && name.split(':').length > 2))) {
      throw new InventoryError(`invalid host name '${name}': expected a hostname, IPv4 or IPv6 address (letters, digits, '.', '-', '_')`, { loc });
    }
    let h = this.hostsData.get(name);
    if (!h) {
      h = { name, direct: new Set(), layers: [] };
      this.hostsData.set(name, h);
    }
    h.direct.add(group);
    this.changed();
    const g = this.groupsData.get(group)!;
    if (!g.hosts.includes(name)) g.hosts.push(name);
    if (vars) h.layers.push(vars);
  }

  addChild(parent: string, child: string, loc?: SourceLocation): void {
    if (child === 'all') throw new InventoryError(`group 'all' cannot be a child of '${parent}': every group is already a child of all`, { loc });
    if (parent === child || this.isAncestor(child, parent)) {
      throw new InventoryError(`group '${child}' as a child of '${parent}' creates a cycle (${this.cyclePath(child, parent).join(' -> ')})`, { loc });
    }
    const p = this.groupsData.get(parent)!;
    const c = this.groupsData.get(child)!;
    this.changed();
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

  /** ansible's reconcile_inventory: parentless groups under all, depths, ungrouped membership. */
  reconcile(): void {
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
    this.changed();
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
}
