// ansible's YAML inventory plugin: `all:`/group mappings with hosts:, children: and vars:.
import { InventoryError, closest } from '../errors.js';
import { describeValue, isPlainObject } from '../value-kind.js';
import { loadYamlFile, keyLoc, locOf } from './yaml.js';
import type { InventoryGraph, VarsLayer } from './inventory-graph.js';
import { splitHostPort } from './host-range.js';

const GROUP_KEYS = ['hosts', 'children', 'vars'];

export function parseYamlInventory(inv: InventoryGraph, file: string): void {
  const y = loadYamlFile(file, 'inventory');
  const top = y.value;
  if (top === null) return; // empty inventory: only implicit localhost
  if (!isPlainObject(top)) {
    throw new InventoryError(`inventory must be a mapping of group names (e.g. 'all:') to groups, found ${describeValue(top, { scalar: 'a' })}`, {
      loc: locOf(top) ?? { file, line: 1, col: 1 },
    });
  }
  for (const [name, data] of Object.entries(top)) parseGroup(inv, name, data, top, file);
}

function parseGroup(inv: InventoryGraph, name: string, data: unknown, container: Record<string, unknown>, file: string): void {
  const loc = keyLoc(container, name) ?? { file };
  inv.checkGroupName(name, loc);
  inv.addGroup(name);
  if (data === null) return;
  if (!isPlainObject(data)) {
    throw new InventoryError(`group '${name}' must be a mapping with hosts:, children: or vars:, found ${describeValue(data, { scalar: 'a' })}`, { loc });
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
    if (!isPlainObject(value)) {
      const form = key === 'hosts' ? 'host names to vars (or nothing)' : key === 'children' ? 'group names to groups (or nothing)' : 'variable names to values';
      throw new InventoryError(`'${key}:' of group '${name}' must be a mapping of ${form}, found ${describeValue(value, { scalar: 'a' })}`, { loc: locOf(value) ?? kloc });
    }
    if (key === 'vars') {
      inv.groupsData.get(name)!.layers.push({ vars: value, where: (k) => keyLoc(value, k) });
    } else if (key === 'children') {
      for (const [child, cdata] of Object.entries(value)) {
        // link before descending, so a cycle is reported where it closes (the innermost entry)
        const cloc = keyLoc(value, child);
        inv.checkGroupName(child, cloc);
        inv.addGroup(child);
        inv.addChild(name, child, cloc);
        parseGroup(inv, child, cdata, value, file);
      }
    } else {
      for (const [pattern, hvars] of Object.entries(value)) {
        const hloc = keyLoc(value, pattern);
        if (hvars !== null && !isPlainObject(hvars)) {
          throw new InventoryError(`vars of host '${pattern}' in group '${name}' must be a mapping of variable names to values, found ${describeValue(hvars, { scalar: 'a' })}`, {
            loc: locOf(hvars) ?? hloc,
          });
        }
        const { names, port } = splitHostPort(pattern, hloc);
        const layer: VarsLayer | undefined = hvars ? { vars: hvars, where: (k) => keyLoc(hvars, k) } : undefined;
        for (const h of names) {
          // `host:port` in the inventory sets ansible_port below the host's own vars
          if (port !== undefined) inv.addHost(h, name, { vars: { ansible_port: port }, where: () => hloc }, hloc);
          inv.addHost(h, name, layer, hloc);
        }
      }
    }
  }
}
