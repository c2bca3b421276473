// ansible's script inventory plugin: an executable that prints the inventory as JSON.
import { accessSync, constants, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { basename, dirname } from 'node:path';
import { InventoryError } from '../errors.js';
import { describeValue, isPlainObject } from '../value-kind.js';
import type { InventoryGraph } from './inventory-graph.js';

/**
 * ansible's script plugin: `SCRIPT --list` prints {group: {hosts, vars, children} | [hosts], _meta:
 * {hostvars}}; without _meta, `SCRIPT --host H` per host. The script runs on the control node only.
 */
export function parseScriptInventory(inv: InventoryGraph, file: string): void {
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
  if (!isPlainObject(data)) throw new InventoryError(`inventory script ${basename(file)} --list must print a JSON object, found ${describeValue(data, { scalar: 'a' })}`, { loc: { file } });
  const where = () => ({ file });
  const meta = isPlainObject(data._meta) ? data._meta : undefined;
  const seen = new Set<string>();
  for (const [name, g] of Object.entries(data)) {
    if (name === '_meta') continue;
    inv.checkGroupName(name, { file });
    inv.addGroup(name);
    const group = Array.isArray(g) ? { hosts: g } : isPlainObject(g) ? g : {};
    for (const h of Array.isArray(group.hosts) ? group.hosts : []) {
      inv.addHost(String(h), name, undefined, { file });
      seen.add(String(h));
    }
    if (isPlainObject(group.vars)) inv.groupsData.get(name)!.layers.push({ vars: group.vars, where });
    for (const c of Array.isArray(group.children) ? group.children : []) {
      inv.addGroup(String(c));
      inv.addChild(name, String(c), { file });
    }
  }
  for (const h of seen) {
    const hv = meta ? (isPlainObject(meta.hostvars) ? meta.hostvars[h] : undefined) : run(['--host', h]);
    if (isPlainObject(hv) && Object.keys(hv).length) inv.hostsData.get(h)!.layers.push({ vars: hv, where });
  }
}

/** An inventory script: executable with a `#!` line (an executable YAML file stays YAML). */
export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return readFileSync(file).subarray(0, 2).toString() === '#!';
  } catch {
    return false;
  }
}
