// Facts in one probe per host (the channel's first request), with Ansible's names and values
// (system.ts, hardware.ts, network.ts) and the groups `gather_subset` selects. The engine gathers
// them at play start (lib/engine/facts.ts injects them as variables); the setup module as a task.
import type { Connection } from '../../../executor/types.js';
import { ModuleFailure, type Facts } from '../../types.js';
import { UnreachableError } from '../../../errors.js';
import { FACT_GROUPS, MIN_GROUPS, ROUTE_V4, ROUTE_V6, factsScript, needsStatic, splitSections, type FactGroup } from './script.js';
import { applyStatic, parserSections } from './sections.js';
import { readStatic, writeStatic, type StaticAnswers } from './cache.js';
import { dateTimeFacts, distributionFacts, dnsFacts, envFacts, lsbFacts, pkgMgrFacts, platformFacts, pythonFacts, serviceMgrFacts, userFacts, type FactDict } from './system.js';
import { cpuFacts, memoryFacts, mountFacts } from './hardware.js';
import { networkFacts } from './network.js';

/** Fields of Facts that are bosun's own (what its modules read), not Ansible facts: never shown as ansible_*. */
const PRIVATE = new Set(['init', 'user']);

/** Names a gather_subset entry may take besides the groups themselves (Ansible's collector names). */
const ALIASES: Record<string, FactGroup[]> = {
  all: [...FACT_GROUPS],
  min: [...MIN_GROUPS],
  hardware: ['hardware'], devices: ['hardware'], mounts: ['hardware'],
  network: ['network'], interfaces: ['network'],
  virtual: [], facter: [], ohai: [], apparmor: [], caps: [], cmdline: [], fips: [], local: [], selinux: [], ssh_pub_keys: [],
};

/**
 * The groups a gather_subset selects, by Ansible's rules: `min` always to start with, `all` adds every
 * group, `!all` removes all but min, `!min` removes min, `!x` removes x unless x is also named.
 */
export function subsetGroups(subset: readonly string[] | undefined): Set<FactGroup> {
  const add = new Set<FactGroup>(MIN_GROUPS);
  const exclude = new Set<FactGroup>();
  const explicit = new Set<FactGroup>();
  for (const raw of subset?.length ? subset : ['all']) {
    const neg = raw.startsWith('!');
    const name = neg ? raw.slice(1) : raw;
    if (neg && name === 'all') {
      for (const g of FACT_GROUPS) if (!MIN_GROUPS.includes(g)) exclude.add(g);
      continue;
    }
    const groups = ALIASES[name] ?? ((FACT_GROUPS as readonly string[]).includes(name) ? [name as FactGroup] : undefined);
    if (!groups) throw new ModuleFailure(`gather_subset: unknown subset '${raw}' (valid: ${[...new Set([...Object.keys(ALIASES), ...FACT_GROUPS])].join(', ')})`);
    for (const g of groups) {
      if (neg) exclude.add(g);
      else add.add(g);
      if (!neg && name !== 'all' && name !== 'min') explicit.add(g);
    }
  }
  for (const g of exclude) if (!explicit.has(g)) add.delete(g);
  // what a collector needs is collected too (Ansible's required_facts)
  if (add.has('pkg_mgr')) add.add('distribution');
  if (add.has('hardware') || add.has('network')) add.add('platform');
  return add;
}

/**
 * The probe's output → the facts (Ansible's names, without the `ansible_` prefix) plus bosun's own
 * `init` and `user`. `cached`: the static answers bosun holds for this host (used when the probe says `hit`).
 */
export function parseFacts(out: string, groups: ReadonlySet<FactGroup> = new Set(FACT_GROUPS), subset: readonly string[] = ['all'], cached?: StaticAnswers): FactDict {
  return parseProbe(out, groups, subset, cached).facts;
}

/** parseFacts, plus the static answers the probe ran afresh (to be cached). */
function parseProbe(out: string, groups: ReadonlySet<FactGroup>, subset: readonly string[], cached?: StaticAnswers): { facts: FactDict; fresh?: StaticAnswers } {
  const s = splitSections(out);
  const fresh = applyStatic(s, cached);
  parserSections(s, ROUTE_V4, ROUTE_V6);
  const get = (k: string) => s.get(k) ?? '';
  const own = new Map<string, string>();
  for (const l of get('bosun').split('\n')) {
    const i = l.indexOf('=');
    if (i > 0) own.set(l.slice(0, i), l.slice(i + 1).trim());
  }
  const f: FactDict = {};
  const py = groups.has('python') || groups.has('platform') ? pythonFacts(get('python')) : {};
  if (groups.has('platform')) Object.assign(f, platformFacts(get('uname'), get('machine_id'), py.python_version as string | undefined));
  if (groups.has('distribution')) Object.assign(f, distributionFacts(get('os_release'), get('dist_files')));
  if (groups.has('lsb')) Object.assign(f, lsbFacts(get('lsb'), /==\/etc\/lsb-release\n([\s\S]*?)(?:\n==|$)/.exec(get('dist_files'))?.[1]));
  if (groups.has('pkg_mgr') && groups.has('distribution')) Object.assign(f, pkgMgrFacts(get('pkg_mgr'), f));
  if (groups.has('service_mgr')) Object.assign(f, serviceMgrFacts(get('service_mgr')));
  if (groups.has('user')) Object.assign(f, userFacts(get('user')));
  if (groups.has('python') && py.python) f.python = py.python;
  if (groups.has('date_time')) Object.assign(f, dateTimeFacts(get('date_time')));
  if (groups.has('env')) Object.assign(f, envFacts(get('env')));
  if (groups.has('dns')) Object.assign(f, dnsFacts(get('dns')));
  if (groups.has('hardware')) {
    Object.assign(f, memoryFacts(get('meminfo')), cpuFacts(get('cpuinfo'), get('cpu_extra'), String(f.architecture ?? '')));
    Object.assign(f, mountFacts(get('mtab'), get('findmnt'), get('lsblk'), get('statfs')));
  }
  if (groups.has('network')) Object.assign(f, networkFacts(get('net'), get('ip_primary'), get('ip_secondary'), get('route4'), get('route6')));
  f.gather_subset = [...subset];
  f.module_setup = true;
  const init = own.get('init');
  // only what was gathered: a fact outside the subset stays undefined, as in Ansible
  f.init = init === 'systemd' || init === 'sysv' ? init : 'unknown';
  f.user = own.get('user') ?? '';
  return { facts: f, fresh };
}

export async function gatherFacts(conn: Connection, subset?: readonly string[]): Promise<FactDict> {
  const groups = subsetGroups(subset);
  // the inventory name and where it leads: labs and inventories reuse names like node1
  const who = conn.target ? `${conn.host}@${conn.target}` : conn.host;
  const cached = needsStatic(groups) ? readStatic(conn.kind, who) : undefined;
  // text: the probe prints no NUL (the environment comes as hex) and leaves no job behind
  const r = await conn.exec(factsScript(groups, cached?.sig), { label: 'facts', timeoutMs: 60_000, readOnly: true, text: true });
  if (r.exitCode !== 0) throw new UnreachableError(`fact probe failed on ${conn.host}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  const { facts, fresh } = parseProbe(r.stdout, groups, subset?.length ? subset : ['all'], cached);
  if (fresh) writeStatic(conn.kind, who, fresh);
  return facts;
}

/** The facts as `ansible_facts` holds them (no bosun-private fields). */
export function ansibleFacts(f: FactDict | undefined): FactDict {
  const out: FactDict = {};
  if (!f) return out;
  for (const [k, v] of Object.entries(f)) if (!PRIVATE.has(k)) out[k] = v;
  return out;
}

/**
 * The facts as setup's result prints them and as Ansible injects them as variables: `ansible_` +
 * name, except gather_subset and module_setup, which Ansible's setup returns unprefixed.
 */
export function prefixedFacts(f: FactDict | undefined): FactDict {
  const out: FactDict = {};
  for (const [k, v] of Object.entries(ansibleFacts(f))) out[k === 'gather_subset' || k === 'module_setup' ? k : `ansible_${k}`] = v;
  return out;
}

export const UNKNOWN_FACTS: Facts = {
  os_family: 'unknown', distribution: 'unknown', distribution_version: '', distribution_major_version: '',
  hostname: '', fqdn: '', init: 'unknown', architecture: '', user: '',
};
