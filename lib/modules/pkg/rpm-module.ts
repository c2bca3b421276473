// dnf and yum: one contract, the tool's name apart (yum on EL8+ is dnf). Planning is one read-only
// request when nothing changes (rpm -q for every named package; `repoquery` for the newest
// available version when `latest` or a version needs it); when something would change, one
// `--assumeno` run prints the transaction table (dependencies included) without doing it.
import { ArgumentError } from '../../errors.js';
import { shq, type ExecResult } from '../../executor/types.js';
import { defineModule, ModuleFailure, type ModuleContext, type Plan, type ReadRequest, type TaskModule } from '../types.js';
import type { PkgChange } from './apt-parse.js';
import { changesDiff, describeChanges } from './report.js';
import { decideComps, parseCompsSpec, parseCompsTransaction, parseGroupList, parseModuleList, type CompsCommand, type CompsSpec } from './rpm-comps.js';
import { dnfFailure, parseDnfTransaction, parseRpmLines, REPOQUERY_QF, RPM_QF, shortEvr, type RpmEntry } from './rpm-parse.js';
import { parseSpecs, type PkgSpec } from './spec.js';
import { compareRpmVersions } from './version.js';

export interface RpmArgs {
  name: string[];
  state: 'present' | 'installed' | 'latest' | 'absent' | 'removed';
  update_cache: boolean;
  enablerepo: string[];
  disablerepo: string[];
  disable_gpg_check: boolean;
  install_weak_deps: boolean;
  autoremove: boolean;
  allow_downgrade: boolean;
  allowerasing: boolean;
  exclude: string[];
}

export interface RpmState {
  /** The dnf commands of the change, in order: module and group ones first, then the packages'. */
  commands: RpmCommand[];
  changes: PkgChange[];
  refreshOnly: boolean;
}

/** One dnf subcommand: `install`/`remove` of packages, or `group …`/`module …` (rpm-comps.ts). */
export interface RpmCommand {
  sub: string[];
  words: string[];
}

const isComps = (n: string): boolean => n.trim().startsWith('@');

function specsOf(a: RpmArgs, tool: string): PkgSpec[] {
  return parseSpecs(a.name.filter((n) => !isComps(n)), 'rpm', tool);
}

/** `@group`, `@^environment`, `@module:stream/profile`. */
function compsOf(a: RpmArgs, tool: string): CompsSpec[] {
  return a.name.filter(isComps).map((n) => parseCompsSpec(n, tool));
}

const compsState = (a: RpmArgs): 'present' | 'latest' | 'absent' => (wantsAbsent(a) ? 'absent' : a.state === 'latest' ? 'latest' : 'present');

const wantsAbsent = (a: RpmArgs): boolean => a.state === 'absent' || a.state === 'removed';

/** Options shared by repoquery, the simulation and the run (so they agree). */
function toolOptions(a: RpmArgs): string[] {
  const o: string[] = [];
  for (const r of a.enablerepo) o.push(`--enablerepo=${r}`);
  for (const r of a.disablerepo) o.push(`--disablerepo=${r}`);
  for (const x of a.exclude) o.push(`--exclude=${x}`);
  if (a.disable_gpg_check) o.push('--nogpgcheck');
  if (!a.install_weak_deps) o.push('--setopt=install_weak_deps=False');
  if (a.allowerasing) o.push('--allowerasing');
  return o;
}

/** The entry a spec names: `name` or `name.arch`. */
function entryFor(entries: readonly RpmEntry[], spec: PkgSpec): RpmEntry | undefined {
  return entries.find((e) => e.name === spec.name || `${e.name}.${e.arch}` === spec.name);
}

function satisfies(spec: PkgSpec, evr: string): boolean {
  // `1.2` matches any release of 1.2 (a version without release compares equal to every release)
  if (spec.op === '=') return compareRpmVersions(evr, spec.version!) === 0;
  if (spec.op === '>=') return compareRpmVersions(evr, spec.version!) >= 0;
  return true;
}

/** How dnf/yum take a spec on their command line: `name-version`, `name >= version`. */
function toolWord(spec: PkgSpec): string {
  if (spec.op === '=') return `${spec.name}-${spec.version}`;
  if (spec.op === '>=') return `${spec.name} >= ${spec.version}`;
  return spec.name;
}

/** The query needs the newest available versions (repoquery): it then loads the repositories' metadata. */
function needsRepoquery(a: RpmArgs, specs: readonly PkgSpec[]): boolean {
  return !wantsAbsent(a) && specs.length > 0 && (a.state === 'latest' || specs.some((s) => s.op !== undefined));
}

/**
 * Whether the query is only `rpm -q` (a few ms, the local database), so it may be fetched ahead
 * (reads()); repoquery and group/module lists load the repositories' metadata (seconds).
 */
export function queryIsQuick(tool: string, a: RpmArgs): boolean {
  return !needsRepoquery(a, specsOf(a, tool)) && compsOf(a, tool).length === 0;
}

export function queryScript(tool: string, a: RpmArgs): string {
  const specs = specsOf(a, tool);
  const words = specs.map((s) => shq(s.name)).join(' ');
  const L = ['export LC_ALL=C', 'echo @@rpm'];
  if (specs.length) L.push(`rpm -q --qf '${RPM_QF}' -- ${words} 2>/dev/null`);
  if (needsRepoquery(a, specs)) {
    // -C: the metadata as it is; planning never downloads (nor writes) anything
    L.push('echo @@avail', `${tool} -q -C ${toolOptions(a).map(shq).join(' ')} repoquery --latest-limit=1 --qf '${REPOQUERY_QF}' -- ${words} 2>/dev/null`);
  }
  const comps = compsOf(a, tool);
  if (comps.length) {
    const modules = [...new Set(comps.filter((c) => !c.environment && !c.name.includes(' ')).map((c) => c.name))];
    L.push('echo @@groups', `${tool} -q -C group list --ids --hidden 2>/dev/null`);
    if (modules.length) L.push('echo @@modules', `${tool} -q -C module list -- ${modules.map(shq).join(' ')} 2>/dev/null`);
  }
  L.push('echo @@end');
  return L.join('\n') + '\n';
}

/** plan()'s first request (the package module sends queryScript itself when it must detect the tool). */
function queryRequest(tool: string, a: RpmArgs): ReadRequest {
  return { script: queryScript(tool, a), opts: { label: `${tool}:query`, readOnly: true } };
}

export function parseQuery(out: string): { installed: RpmEntry[]; available: RpmEntry[]; groups: ReturnType<typeof parseGroupList>; modules: ReturnType<typeof parseModuleList> } | undefined {
  if (!out.includes('@@end')) return undefined;
  const part = (tag: string): string => {
    const i = out.indexOf(`@@${tag}\n`);
    if (i < 0) return '';
    const rest = out.slice(i + tag.length + 3);
    return rest.slice(0, rest.indexOf('@@'));
  };
  return { installed: parseRpmLines(part('rpm')), available: parseRpmLines(part('avail')), groups: parseGroupList(part('groups')), modules: parseModuleList(part('modules')) };
}

/** Pure decision: the words for `install`/`remove`, or nothing. */
export function decide(a: RpmArgs, specs: readonly PkgSpec[], installed: readonly RpmEntry[], available: readonly RpmEntry[]): { verb?: 'install' | 'remove'; words: string[]; unsatisfiable: string[] } {
  const words: string[] = [];
  const unsatisfiable: string[] = [];
  if (wantsAbsent(a)) {
    for (const s of specs) {
      const e = entryFor(installed, s);
      if (e && satisfies(s, e.evr)) words.push(s.name);
    }
    return { verb: words.length ? 'remove' : undefined, words, unsatisfiable };
  }
  for (const s of specs) {
    const e = entryFor(installed, s);
    const ok = e !== undefined && satisfies(s, e.evr);
    const avail = available.filter((x) => x.name === s.name || `${x.name}.${x.arch}` === s.name).sort((x, y) => compareRpmVersions(y.evr, x.evr))[0];
    if (ok && (a.state !== 'latest' || !avail || compareRpmVersions(avail.evr, e.evr) <= 0)) continue;
    if (s.op !== undefined && !ok && (avail === undefined || !satisfies(s, avail.evr))) {
      unsatisfiable.push(s.raw);
      continue;
    }
    // latest: the exact newer version, so `install` upgrades it (dnf install of an installed name does nothing)
    words.push(a.state === 'latest' && avail ? `${avail.name}-${shortEvr(avail.evr)}` : toolWord(s));
  }
  return { verb: words.length ? 'install' : undefined, words, unsatisfiable };
}

function command(tool: string, a: RpmArgs, c: RpmCommand, simulate: boolean, first = true): string {
  // --refresh once, on the first command of a run
  const argv = [tool, simulate ? '--assumeno' : '-y', ...(simulate ? ['-C'] : a.update_cache && first ? ['--refresh'] : []), ...toolOptions(a)];
  const verb = c.sub.at(-1);
  if (c.sub.length === 1 && verb === 'install' && a.allow_downgrade) argv.push('--allow-downgrade');
  if (verb === 'remove' && !a.autoremove) argv.push('--setopt=clean_requirements_on_remove=False');
  argv.push(...c.sub, '--', ...c.words);
  return `LC_ALL=C ${argv.map(shq).join(' ')}`;
}

/** Every command simulated in one request, each answer framed by `@@op N` and its exit status. */
function simulationScript(tool: string, a: RpmArgs, cmds: readonly RpmCommand[]): string {
  return cmds.map((c, i) => `echo '@@op ${i}'; ${command(tool, a, c, true)} 2>&1; echo "@@rc $?"`).join('\n') + '\n';
}

const compsCommand = (c: CompsCommand): RpmCommand => ({ sub: c.op.split(' '), words: c.words });

async function plan(tool: string, ctx: ModuleContext, a: RpmArgs, reply: ExecResult): Promise<Plan<RpmState>> {
  const q = parseQuery(reply.stdout);
  if (!q) throw new ModuleFailure(`${tool}: querying the package state failed: ${reply.stderr.trim() || `exit ${reply.exitCode}`}`);
  const specs = specsOf(a, tool);
  const d = decide(a, specs, q.installed, q.available);
  if (d.unsatisfiable.length) throw new ModuleFailure(`No package matching ${d.unsatisfiable.join(', ')} available.`);
  const comps = decideComps(compsState(a), compsOf(a, tool), q.groups, q.modules);
  if (comps.unknown.length) throw new ModuleFailure(`No group ${comps.unknown.join(', ')} available.`);
  const cmds = [...comps.commands.map(compsCommand), ...(d.verb ? [{ sub: [d.verb], words: d.words }] : [])];
  // removals: packages first, then their groups and modules (installs: streams first, then packages)
  if (wantsAbsent(a)) cmds.reverse();
  if (cmds.length === 0) {
    // update_cache alone: nothing to predict (Ansible reports it unchanged) but a run must refresh
    const refreshOnly = a.update_cache && a.name.length === 0 && !ctx.check;
    return { changed: refreshOnly, msg: refreshOnly ? `refresh the ${tool} metadata` : 'all packages are as wanted', result: { results: [], changes: [] }, state: { commands: [], changes: [], refreshOnly } };
  }
  const before = new Map(q.installed.map((e) => [e.name, shortEvr(e.evr)]));
  const label = cmds.length === 1 && cmds[0]!.sub.length === 1 ? `${tool}:simulate-${cmds[0]!.sub[0]}` : `${tool}:simulate`;
  const r = await ctx.conn.exec(cmds.length === 1 && cmds[0]!.sub.length === 1 ? command(tool, a, cmds[0]!, true) : simulationScript(tool, a, cmds), { label, readOnly: true });
  const parts = cmds.length === 1 && cmds[0]!.sub.length === 1 ? [{ out: r.stdout, rc: r.exitCode, err: r.stderr }] : r.stdout.split(/^@@op \d+\n/m).slice(1).map((p) => {
    const m = /^@@rc (\d+)\n?$/m.exec(p);
    return { out: m ? p.slice(0, m.index) : p, rc: m ? Number(m[1]) : -1, err: '' };
  });
  const changes: PkgChange[] = [];
  for (const [i, p] of parts.entries()) {
    const got = [...parseCompsTransaction(p.out), ...parseDnfTransaction(p.out, before)];
    // --assumeno ends with "Operation aborted." and exit 1 after a table; an error has no table
    if (got.length === 0 && p.rc !== 0 && !/^Nothing to do\.?$/m.test(p.out)) {
      throw new ModuleFailure(dnfFailure(p.out, p.err, `${tool} ${cmds[i]!.sub.join(' ')}`), { rc: p.rc, stdout: p.out, stderr: p.err });
    }
    changes.push(...got);
  }
  return {
    changed: changes.length > 0,
    msg: changes.length ? `would ${describeChanges(changes)}` : 'all packages are as wanted',
    diff: changes.length ? [changesDiff(changes, `installed packages (${tool})`)] : undefined,
    result: { results: [], changes },
    state: { commands: changes.length ? cmds : [], changes, refreshOnly: false },
  };
}

/** Ansible's `results` lines: "Installed: tree-1.8.0-10.el9.x86_64" (arch omitted: the table's rows carry none here). */
function resultLines(changes: readonly PkgChange[]): string[] {
  const word: Record<string, string> = { install: 'Installed', upgrade: 'Upgraded', downgrade: 'Downgraded', reinstall: 'Reinstalled', remove: 'Removed' };
  // groups and modules (`@name`) carry no version
  return changes.map((c) => `${word[c.action] ?? c.action}: ${c.name}${c.name.startsWith('@') ? '' : `-${c.after ?? c.before ?? ''}`}`);
}

export function rpmModule(tool: 'dnf' | 'yum'): TaskModule<RpmArgs, RpmState> & { planFrom(ctx: ModuleContext, a: RpmArgs, reply: ExecResult): Promise<Plan<RpmState>> } {
  const mod = defineModule<RpmArgs, RpmState>({
    name: tool,
    doc: {
      short: `Manage packages with ${tool} (install, upgrade, remove)`,
      description:
        `Plans from one read-only request when nothing changes: rpm -q for every named package, plus \`${tool} -C repoquery\` ` +
        'for `latest` and versions. When something would change, `' + tool + ' --assumeno` prints the transaction (dependencies ' +
        'included) without doing it: check mode reports that list, `--diff` the packages before/after. Planning uses the ' +
        'metadata as cached (-C); `update_cache` refreshes it on the run (`--refresh`). Registers `results` (Ansible\'s ' +
        '"Installed: name-version" lines) and `changes`. Specs: `name`, `name.arch`, `name=version` (dnf\'s name-version), ' +
        '`name>=version`; groups `@Group Name` or `@group-id`, environments `@^env-id`, module streams `@name:stream/profile` ' +
        '(decided from `group list` and `module list` in the same request: present installs a group that is not installed and a module whose stream is not enabled ' +
        'or whose profile — the default one when none is named — is not installed; absent removes them, a module also reset; latest upgrades them too). ' +
        'Not supported: URLs and local .rpm files, `list`, `security`/`bugfix`, `download_only`.',
      check: 'full',
      diff: true,
      examples: [`- ${tool}: { name: [tree, chrony], state: present }`, `- ${tool}: { name: httpd, state: latest, update_cache: true }`, `- ${tool}: { name: ["@Development Tools", "@nodejs:18/common"] }`].join('\n'),
    },
    args: {
      name: { type: 'list', elements: 'str', aliases: ['pkg'], default: [], description: 'Package names or specs (`name`, `name.arch`, `name=version`, `name>=version`).' },
      state: { type: 'str', default: 'present', choices: ['present', 'installed', 'latest', 'absent', 'removed'], description: 'Whether installed (`present`/`installed`), at the newest available version, or removed.' },
      update_cache: { type: 'bool', default: false, aliases: ['expire-cache'], description: 'Refresh the repository metadata before installing (`--refresh`).' },
      enablerepo: { type: 'list', elements: 'str', default: [], description: 'Repositories to enable for this task.' },
      disablerepo: { type: 'list', elements: 'str', default: [], description: 'Repositories to disable for this task.' },
      exclude: { type: 'list', elements: 'str', default: [], description: 'Packages to exclude.' },
      disable_gpg_check: { type: 'bool', default: false, description: 'Do not check package signatures (`--nogpgcheck`).' },
      install_weak_deps: { type: 'bool', default: true, description: 'Install weak dependencies (Recommends).' },
      autoremove: { type: 'bool', default: false, description: 'With absent: also remove dependencies nothing needs any more.' },
      allow_downgrade: { type: 'bool', default: false, description: 'Allow installing an older version than the installed one.' },
      allowerasing: { type: 'bool', default: false, description: 'Allow removing installed packages to resolve conflicts.' },
    },
    validate(a) {
      specsOf(a, tool);
      compsOf(a, tool);
      if (a.name.length === 0 && !a.update_cache) throw new ArgumentError(`${tool}: one of the following is required: name, update_cache`);
      for (const r of [...a.enablerepo, ...a.disablerepo, ...a.exclude]) {
        if (!/^[A-Za-z0-9_.:*?+-][A-Za-z0-9_.:*?+-]*$/.test(r)) throw new ArgumentError(`${tool}: '${r}' is not a repository or package pattern`);
      }
    },
    reads: (a) => (queryIsQuick(tool, a) ? [queryRequest(tool, a)] : []),
    async plan(ctx, a) {
      const q = queryRequest(tool, a);
      return plan(tool, ctx, a, await ctx.conn.exec(q.script, q.opts));
    },
    async apply(ctx, a, p) {
      const st = p.state!;
      if (st.refreshOnly) {
        const r = await ctx.conn.exec(`LC_ALL=C ${tool} -q makecache --refresh`, { label: `${tool}:makecache` });
        if (r.exitCode !== 0) throw new ModuleFailure(dnfFailure(r.stdout, r.stderr, `${tool} makecache`), { rc: r.exitCode, stderr: r.stderr });
        return { changed: false, msg: 'Cache updated', result: { results: [], changes: [] } };
      }
      const script = st.commands.map((c, i) => `${command(tool, a, c, false, i === 0)} || exit $?`).join('\n') + '\n';
      const what = st.commands.map((c) => c.sub.join(' ')).join(', ');
      const r = await ctx.conn.exec(script, { label: `${tool}:${st.commands.length === 1 ? st.commands[0]!.sub.join('-') : 'transaction'}` });
      if (r.exitCode !== 0) throw new ModuleFailure(dnfFailure(r.stdout, r.stderr, `${tool} ${what}`), { rc: r.exitCode, stdout: r.stdout, stderr: r.stderr });
      return { changed: true, msg: describeChanges(st.changes, true), result: { results: resultLines(st.changes), changes: st.changes, rc: 0, stdout: r.stdout, stderr: r.stderr } };
    },
  });
  return Object.assign(mod, { planFrom: (ctx: ModuleContext, a: RpmArgs, reply: ExecResult) => plan(tool, ctx, a, reply) });
}
