// package: the generic package task, run by the host's package manager module (apt, dnf, yum), as
// Ansible's package action does. The manager comes from `use:`, else the ansible_pkg_mgr fact, else
// (no facts gathered) from the host — in the same request as the manager's own query, so a no-op
// still costs one request.
import { ArgumentError } from '../errors.js';
import type { ExecResult } from '../executor/types.js';
import { validateArgs } from './args.js';
import { defineModule, ModuleFailure, type AnyModule, type Facts, type ModuleContext, type Outcome, type Plan, type ReadRequest } from './types.js';
import apt, { aptPlanFrom, aptQueryIsQuick, aptQueryScriptFor, type AptArgs } from './apt.js';
import dnf from './dnf.js';
import yum from './yum.js';
import { queryIsQuick, queryScript, type RpmArgs } from './pkg/rpm-module.js';

type Manager = 'apt' | 'dnf' | 'yum';

export interface PackageArgs {
  name: string[];
  state: 'present' | 'installed' | 'latest' | 'absent' | 'removed';
  use: string;
}

interface PackageState {
  manager: Manager;
  args: Record<string, unknown>;
  inner: Plan;
}

const MODULES: Record<Manager, AnyModule> = { apt, dnf, yum };

function isManager(m: unknown): m is Manager {
  return m === 'apt' || m === 'dnf' || m === 'yum';
}

/** Ansible's pkg_mgr collector for the families bosun knows, from facts already gathered. */
export function managerFromFacts(ctx: Pick<ModuleContext, 'facts' | 'vars'>): string | undefined {
  const af = ctx.vars.ansible_facts as Record<string, unknown> | undefined;
  const given = af?.pkg_mgr ?? ctx.vars.ansible_pkg_mgr ?? ctx.facts.pkg_mgr;
  if (typeof given === 'string' && given !== '' && given !== 'unknown') return given;
  const f = ctx.facts;
  const major = Number.parseInt(f.distribution_major_version, 10);
  if (f.os_family === 'Debian') return 'apt';
  if (f.os_family !== 'RedHat') return undefined;
  if (f.distribution === 'fedora') return Number.isNaN(major) || major >= 23 ? 'dnf' : 'yum';
  if (f.distribution === 'amzn') return Number.isNaN(major) || major >= 2022 ? 'dnf' : 'yum';
  return Number.isNaN(major) || major >= 8 ? 'dnf' : 'yum';
}

/** The manager module's own arguments: Ansible's package passes name and state through. */
function innerArgs(manager: Manager, a: PackageArgs): Record<string, unknown> {
  const state = manager === 'apt' ? ({ installed: 'present', removed: 'absent' } as Record<string, string>)[a.state] ?? a.state : a.state;
  return validateArgs(MODULES[manager], { name: a.name, state });
}

/**
 * One script that finds the manager as Ansible's collector does without facts (the last of
 * /usr/bin/yum, /usr/bin/dnf, /usr/bin/apt-get present wins) and runs that manager's query.
 */
function detectingScript(a: PackageArgs): string {
  const branch = (m: Manager, path: string, script: string): string => `if [ -x ${path} ]; then echo "@@mgr ${m}"\n${script}`;
  return [
    branch('apt', '/usr/bin/apt-get', aptQueryScriptFor(innerArgs('apt', a) as unknown as AptArgs)),
    `el${branch('dnf', '/usr/bin/dnf', queryScript('dnf', innerArgs('dnf', a) as unknown as RpmArgs))}`,
    `el${branch('yum', '/usr/bin/yum', queryScript('yum', innerArgs('yum', a) as unknown as RpmArgs))}`,
    'else echo "@@mgr unknown"; fi',
  ].join('\n');
}

/** plan()'s request when the manager is not known before it asks the host. */
function detectingRequest(a: PackageArgs): ReadRequest {
  return { script: detectingScript(a), opts: { label: 'package:query', readOnly: true } };
}

/**
 * What plan() asks first, for reads(): the manager module's own query when the manager is known
 * from `use` or the facts (the facts alone: a pkg_mgr set in variables is plan()'s, not known
 * here — a miss then costs one ordinary request), else the detecting query when every branch is
 * quick (no apt-cache policy, no repoquery: `latest` and versions make them slow).
 */
function firstRead(a: PackageArgs, facts: Facts, check: boolean): ReadRequest[] {
  const known = a.use !== 'auto' ? a.use : managerFromFacts({ facts, vars: {} });
  if (known !== undefined) return isManager(known) ? MODULES[known].reads?.(innerArgs(known, a), { facts, check }) ?? [] : [];
  const quick = aptQueryIsQuick(innerArgs('apt', a) as unknown as AptArgs) && (['dnf', 'yum'] as const).every((m) => queryIsQuick(m, innerArgs(m, a) as unknown as RpmArgs));
  return quick ? [detectingRequest(a)] : [];
}

async function planWith(manager: Manager, ctx: ModuleContext, a: PackageArgs, reply?: ExecResult): Promise<Plan<PackageState>> {
  const args = innerArgs(manager, a);
  let inner: Plan;
  if (!reply) inner = await MODULES[manager].plan(ctx, args);
  else if (manager === 'apt') inner = await aptPlanFrom(ctx, args as unknown as AptArgs, reply);
  else inner = await (manager === 'dnf' ? dnf : yum).planFrom(ctx, args as unknown as RpmArgs, reply);
  return { ...inner, state: { manager, args, inner } };
}

export default defineModule<PackageArgs, PackageState>({
  name: 'package',
  doc: {
    short: 'Manage packages with the host\'s package manager (apt, dnf or yum)',
    description:
      'Runs the apt, dnf or yum module with `name` and `state`. The manager is `use:` when given, else the ' +
      '`ansible_pkg_mgr` fact (`ansible_facts.pkg_mgr`), else what the gathered facts imply (Debian family: apt; ' +
      'RedHat family: dnf from version 8 (Fedora 23), yum before), else — without facts — the host is asked in the ' +
      'same request as the package query (apt-get, dnf, yum: the last present wins, as Ansible\'s collector). ' +
      'Results, check mode and diff are the manager module\'s. Other arguments of the manager modules are not ' +
      'passed through: use the manager module for those.',
    check: 'full',
    diff: true,
    examples: ['- package: { name: [tree, chrony], state: present }', '- package: { name: hello, state: absent, use: apt }'].join('\n'),
  },
  args: {
    name: { type: 'list', elements: 'str', required: true, aliases: ['pkg'], description: 'Package names (with versions as the manager takes them).' },
    state: { type: 'str', default: 'present', choices: ['present', 'installed', 'latest', 'absent', 'removed'], description: 'Wanted state, passed to the manager module.' },
    use: { type: 'str', default: 'auto', description: 'The manager module: `auto` (from facts or the host), `apt`, `dnf` or `yum`.' },
  },
  validate(a) {
    // the manager's own checks (names) run at plan time, once the manager is known
    if (a.use !== 'auto' && !isManager(a.use)) throw new ArgumentError(`package: Could not find a module for ${a.use} (bosun has apt, dnf and yum)`);
  },
  reads: (a, ctx) => firstRead(a, ctx.facts, ctx.check),
  async plan(ctx, a) {
    const known = a.use !== 'auto' ? a.use : managerFromFacts(ctx);
    if (known !== undefined) {
      if (!isManager(known)) throw new ModuleFailure(`package: Could not find a module for ${known} (bosun has apt, dnf and yum)`);
      return planWith(known, ctx, a);
    }
    const q = detectingRequest(a);
    const r = await ctx.conn.exec(q.script, q.opts);
    const m = /^@@mgr (\S+)\n/.exec(r.stdout);
    if (!m || !isManager(m[1])) {
      throw new ModuleFailure('package: Could not detect which package manager to use (no apt-get, dnf or yum). Try gathering facts or setting the "use" option.');
    }
    return planWith(m[1], ctx, a, { ...r, stdout: r.stdout.slice(m[0].length) });
  },
  async apply(ctx, _a, plan): Promise<Outcome> {
    const st = plan.state!;
    return MODULES[st.manager].apply(ctx, st.args, st.inner);
  },
});
