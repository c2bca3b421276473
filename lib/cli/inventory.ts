// `bosun inventory -i INV --graph [GROUP] | --host NAME | --list` (ansible-inventory). Variables are the
// host's merged inventory variables (group_vars/host_vars included), with secrets masked: values of keys
// that look like passwords/secrets/keys, vault-encrypted values and PEM private keys print as ***.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { OptionsError, InventoryError, closest } from '../errors.js';
import { Inventory } from '../loaders/inventory.js';
import { Masker } from '../output/mask.js';
import { loadAnsibleSettings } from '../loaders/ansible-cfg.js';
import { isSecretKey } from '../engine/secret-vars.js';
import { configureVault, isVaulted } from '../vault/vault.js';
import { flagsOf, parseArgsError } from './hints.js';
import type { IO } from './io.js';

export const INVENTORY_HELP = `usage: bosun inventory -i INVENTORY (--graph [GROUP] | --host HOST | --list) [--vars] [--vault-password-file F]

  --graph [GROUP]   the group tree (all by default), as ansible-inventory --graph; --vars adds group
                    vars and each host's variables not set by its groups in the inventory file
  --host HOST       the host's merged inventory variables as JSON (secrets masked)
  --list            every group and host, with _meta.hostvars, as ansible-inventory --list (secrets masked)`;

export const MASK = '***';

// One rule for what is a secret-looking key: the run masks the same values this command does.
export { isSecretKey };

/** Deep copy with secret-looking keys and vault values replaced by ***. */
export function maskVars(v: unknown, masker = new Masker(), depth = 0): unknown {
  // decrypted vault values are masked by the Masker (the loader registered them); still-encrypted text is hidden too
  if (typeof v === 'string') return isVaulted(v) || v.trimStart().startsWith('$ANSIBLE_VAULT;') ? MASK : masker.text(v);
  if (v === null || typeof v !== 'object') return v;
  // deeper than anyone writes by hand: hidden rather than shown unmasked
  if (depth > 50) return MASK;
  if (Array.isArray(v)) return v.map((x) => maskVars(x, masker, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    out[k] = isSecretKey(k) && x !== null && x !== '' && (typeof x !== 'object' || Array.isArray(x)) ? MASK : maskVars(x, masker, depth + 1);
  }
  return out;
}

function sortedNames(xs: Iterable<string>): string[] {
  return [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Hosts directly in a group as ansible sees them: hosts of no group are in `ungrouped`, not directly in `all`. */
function directHosts(inv: Inventory, group: string): string[] {
  if (group === 'all') return [];
  const g = inv.group(group);
  if (!g) return [];
  if (group === 'ungrouped') {
    // hosts listed only under `all` count as ungrouped, like ansible's reconcile_inventory
    const grouped = new Set(inv.groupNames().filter((n) => n !== 'all' && n !== 'ungrouped').flatMap((n) => inv.group(n)!.hosts));
    const allDirect = inv.group('all')!.hosts;
    return [...new Set([...g.hosts, ...allDirect.filter((h) => !grouped.has(h))])];
  }
  return g.hosts;
}

function childGroups(inv: Inventory, group: string): string[] {
  const g = inv.group(group)!;
  if (group !== 'all') return g.children;
  // every top-level group is a child of all
  return inv.groupNames().filter((n) => n !== 'all' && (inv.group(n)!.parents.length === 0 || inv.group(n)!.parents.includes('all')));
}

/** ansible-inventory --graph: `@all:`, `  |--@group:`, `  |  |--host`; children and hosts sorted by name. */
export function renderGraph(inv: Inventory, root = 'all', withVars = false): string {
  if (!inv.group(root)) {
    const near = closest(root, inv.groupNames());
    throw new InventoryError(`no group '${root}' in the inventory`, { hint: near ? `did you mean '${near}'?` : undefined });
  }
  const lines: string[] = [];
  const varLines = (vars: Record<string, unknown>, prefix: string): void => {
    const masked = maskVars(vars) as Record<string, unknown>;
    for (const k of sortedNames(Object.keys(masked))) lines.push(`${prefix}|--{${k} = ${typeof masked[k] === 'string' ? masked[k] : JSON.stringify(masked[k])}}`);
  };
  const walk = (name: string, prefix: string, seen: Set<string>): void => {
    lines.push(`${prefix}@${name}:`);
    if (seen.has(name)) return; // a cycle would be an inventory error; never loop
    const next = new Set(seen).add(name);
    const inner = prefix === '' ? '  ' : prefix.replace(/\|--$/, '|  ');
    for (const c of sortedNames(childGroups(inv, name))) walk(c, `${inner}|--`, next);
    for (const h of sortedNames(directHosts(inv, name))) {
      lines.push(`${inner}|--${h}`);
      if (withVars) varLines(inv.host(h) ? hostOwnVars(inv, h) : {}, `${inner}|  `);
    }
    if (withVars) varLines(inv.group(name)!.vars, inner);
  };
  walk(root, '', new Set());
  return lines.join('\n') + '\n';
}

/** Variables set on the host itself (ansible's --graph --vars shows the host's own, not inherited, vars). */
function hostOwnVars(inv: Inventory, host: string): Record<string, unknown> {
  const all = inv.hostVars(host);
  const inherited: Record<string, unknown> = {};
  for (const g of inv.host(host)!.groups) Object.assign(inherited, inv.group(g)?.vars ?? {});
  const own: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(all)) if (!(k in inherited) || JSON.stringify(inherited[k]) !== JSON.stringify(v)) own[k] = v;
  return own;
}

export function hostJson(inv: Inventory, host: string): Record<string, unknown> {
  if (!inv.hasHost(host)) {
    const near = closest(host, inv.hosts());
    throw new InventoryError(`no host '${host}' in the inventory`, { loc: inv.file ? { file: inv.file } : undefined, hint: near ? `did you mean '${near}'?` : undefined });
  }
  return maskVars(inv.hostVars(host)) as Record<string, unknown>;
}

export function listJson(inv: Inventory): Record<string, unknown> {
  // as ansible-inventory 2.14: object keys sorted, lists in definition order (all's children: ungrouped
  // first), hosts without variables absent from hostvars
  const hostvars = sortedNames(inv.hosts())
    .map((h) => [h, hostJson(inv, h)] as const)
    .filter(([, v]) => Object.keys(v).length > 0);
  const out: Record<string, unknown> = { _meta: { hostvars: Object.fromEntries(hostvars) } };
  for (const name of sortedNames(inv.groupNames())) {
    const entry: Record<string, unknown> = {};
    const hosts = directHosts(inv, name);
    const children = childGroups(inv, name);
    if (children.length) entry.children = children;
    if (hosts.length) entry.hosts = hosts;
    if (name === 'all' || Object.keys(entry).length) out[name] = entry;
  }
  return out;
}

export async function inventoryCommand(argv: string[], io: IO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        inventory: { type: 'string', short: 'i', multiple: true },
        graph: { type: 'boolean' },
        host: { type: 'string' },
        list: { type: 'boolean' },
        vars: { type: 'boolean' },
        'vault-password-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw parseArgsError(e, flagsOf(INVENTORY_HELP), 'bosun inventory --help');
  }
  const { values: v, positionals: pos } = parsed;
  if (v.help) {
    io.out(INVENTORY_HELP + '\n');
    return 0;
  }
  const modes = [v.graph, v.host !== undefined, v.list].filter(Boolean).length;
  if (modes !== 1) throw new OptionsError('bosun inventory needs exactly one of --graph, --host HOST, --list (see bosun inventory --help)');
  const cfg = loadAnsibleSettings().settings;
  const sources = v.inventory ?? cfg.inventory ?? [];
  if (!sources.length) throw new OptionsError('bosun inventory needs -i INVENTORY (or inventory in ansible.cfg)');
  for (const i of sources) if (!i.includes(',') && !existsSync(i)) throw new OptionsError(`inventory not found: ${i}`);
  if (pos.length > (v.graph ? 1 : 0)) throw new OptionsError(`unexpected argument: ${pos.join(' ')}`);
  configureVault(v['vault-password-file'] ?? (process.env.BOSUN_VAULT_PASSWORD_FILE || undefined) ?? cfg.vaultPasswordFile);
  const inv = Inventory.loadSources(sources);
  if (v.graph) io.out(renderGraph(inv, pos[0] ?? 'all', v.vars ?? false));
  else if (v.host !== undefined) io.out(JSON.stringify(hostJson(inv, v.host), null, 4) + '\n');
  else io.out(JSON.stringify(listJson(inv), null, 4) + '\n');
  return 0;
}
