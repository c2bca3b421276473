// Which hosts a play runs on, in which serial batches, and how each is reached: shared by the
// runner and by the prestart (prestart.ts), which needs them before the runner exists.
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import type { Play } from '../ast.js';
import type { Inventory } from '../loaders/inventory.js';
import type { ConnectionSpec } from '../executor/types.js';
import { shlexSplit } from '../executor/shell.js';
import { InventoryError } from '../errors.js';
import type { TemplateEngine } from './template.js';
import { buildScope, type Vars } from './vars.js';
import { checkControlDir, parsePersist } from '../executor/control-master.js';

/** Hosts of a play, after --limit. `hosts:` may use play vars and extra vars (as Ansible). */
export function selectPlayHosts(
  play: Pick<Play, 'hosts' | 'vars' | 'loc' | 'order'>,
  inventory: Inventory,
  templates: TemplateEngine | undefined,
  extraVars: Vars,
  limit: string | undefined,
): string[] {
  let pattern = play.hosts;
  if (pattern.includes('{{')) {
    if (!templates) throw new Error('templated hosts: pattern without a template engine');
    // e.g. "{{default etcd_group 'etcd'}}"
    const v = buildScope([play.vars, extraVars], {}, templates);
    pattern = String(templates.renderString(pattern, v, play.loc.file, play.loc.line ?? 1));
  }
  let hosts = inventory.select(pattern, play.loc);
  if (limit) {
    const lim = new Set(inventory.select(limit));
    hosts = hosts.filter((h) => lim.has(h));
  }
  return orderHosts(hosts, play.order);
}

/**
 * The play keyword `order:` as Ansible's inventory.get_hosts(order=…): names sorted as Python sorts
 * strings (code points, not locale), the inventory's order reversed, or shuffled.
 */
export function orderHosts(hosts: string[], order: Play['order']): string[] {
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  switch (order) {
    case undefined:
    case 'inventory':
      return hosts;
    case 'reverse_inventory':
      return [...hosts].reverse();
    case 'sorted':
      return [...hosts].sort(byName);
    case 'reverse_sorted':
      return [...hosts].sort(byName).reverse();
    case 'shuffle': {
      const out = [...hosts];
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [out[i], out[j]] = [out[j]!, out[i]!];
      }
      return out;
    }
  }
}

/** `serial:` batches (a single batch without it). */
export function serialBatches(play: Pick<Play, 'serial'>, hosts: string[]): string[][] {
  if (!play.serial) return [hosts];
  const out: string[][] = [];
  let i = 0;
  let k = 0;
  while (i < hosts.length) {
    const s = play.serial[Math.min(k, play.serial.length - 1)]!;
    let n = typeof s === 'number' ? s : Math.max(1, Math.floor((hosts.length * Number(s.slice(0, -1))) / 100));
    if (n <= 0) n = hosts.length;
    out.push(hosts.slice(i, i + n));
    i += n;
    k++;
  }
  return out;
}

/** How to reach a host, from Ansible's connection variables. */
export function connectionSpec(inventory: Inventory, name: string, trace?: (line: string) => void): ConnectionSpec {
  const v = { ...inventory.connectionDefaults, ...inventory.hostVars(name) };
  const str = (k: string): string | undefined => (v[k] === undefined || v[k] === null ? undefined : String(v[k]));
  const implicitLocal = inventory.implicitHost?.(name) && (name === 'localhost' || name === '127.0.0.1');
  const connection = str('ansible_connection') ?? (implicitLocal ? 'local' : 'ssh');
  const key = str('ansible_ssh_private_key_file') ?? str('ansible_private_key_file');
  return {
    name,
    connection,
    address: str('ansible_host') ?? name,
    port: v.ansible_port !== undefined ? Number(v.ansible_port) : undefined,
    user: str('ansible_user') ?? str('ansible_ssh_user'),
    privateKeyFile: key ? key.replace(/^~(?=\/)/, homedir()) : undefined,
    commonArgs: sshArgs(name, str('ansible_ssh_common_args'), str('ansible_ssh_extra_args')),
    become: v.ansible_become === true || v.ansible_become === 'true' || v.ansible_become === 'yes',
    becomeUser: str('ansible_become_user'),
    connectTimeoutSec: v.ansible_timeout !== undefined ? Number(v.ansible_timeout) : 10,
    // connection reuse across runs (lib/executor/control-master.ts); unset: the run-wide setting
    controlPersistSec: v.bosun_ssh_control_persist !== undefined ? parsePersist(v.bosun_ssh_control_persist, `host ${name}: bosun_ssh_control_persist`) : undefined,
    controlPathDir: controlDirVar(name, str('ansible_control_path_dir')),
    hostKeyChecking: hostKeyChecking(v.ansible_host_key_checking ?? v.ansible_ssh_host_key_checking ?? process.env.ANSIBLE_HOST_KEY_CHECKING),
    trace,
  };
}

function sshArgs(name: string, common: string | undefined, extra: string | undefined): string[] | undefined {
  const split = (s: string, v: string) => shlexSplit(s, { error: (m) => new InventoryError(`${v} of host '${name}': ${m}`) });
  const all = [...(common ? split(common, 'ansible_ssh_common_args') : []), ...(extra ? split(extra, 'ansible_ssh_extra_args') : [])];
  return all.length ? all : undefined;
}

/** ansible_control_path_dir, ~ expanded; checked before any host is touched. */
function controlDirVar(host: string, dir: string | undefined): string | undefined {
  if (!dir) return undefined;
  const d = resolve(dir.replace(/^~(?=\/|$)/, homedir()));
  checkControlDir(d, `host ${host}: ansible_control_path_dir`);
  return d;
}

/**
 * Ansible's host_key_checking from the inventory variable or ANSIBLE_HOST_KEY_CHECKING: only an
 * explicit false-like value (false/no/off/0/n/f, any case) turns checking off.
 */
export function hostKeyChecking(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (typeof v === 'boolean') return v;
  return !['false', 'no', 'off', '0', 'n', 'f'].includes(String(v).trim().toLowerCase());
}
