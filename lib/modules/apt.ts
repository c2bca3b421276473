// apt: Debian packages, Ansible's arguments and results. Planning is one read-only request when
// nothing changes (dpkg-query for every named package, apt-mark, apt-cache policy, the cache's
// age); when something would change, one `apt-get --simulate` with the run's own options says
// exactly which packages (dependencies included), and the run pins the versions the plan chose.
import { ArgumentError } from '../errors.js';
import { defineModule, ModuleFailure, type ModuleContext, type Outcome, type Plan, type ReadRequest } from './types.js';
import { shq, type ExecResult } from '../executor/types.js';
import { decideInstall, decideRemove } from './pkg/apt-decide.js';
import { entryFor, aptQueryScript, parseAptQuery, parseAutoclean, type AptQuery } from './pkg/apt-query.js';
import { aptFailure, aptGetCommand, APT_ENV, simulate, type AptGetOptions, type AptVerb } from './pkg/apt-run.js';
import type { PkgChange } from './pkg/apt-parse.js';
import { changesDiff, describeChanges, namesOf } from './pkg/report.js';
import { parseSpecs, specKey, type PkgSpec } from './pkg/spec.js';
import { compareDebVersions } from './pkg/version.js';

export interface AptArgs extends AptGetOptions {
  name?: string[];
  state: 'present' | 'absent' | 'latest';
  update_cache?: boolean;
  update_cache_retries: number;
  update_cache_retry_max_delay: number;
  cache_valid_time: number;
  deb?: string;
  upgrade: 'no' | 'yes' | 'safe' | 'full' | 'dist';
  force_apt_get: boolean;
  /** Optional: the package module's apt branch has neither. */
  clean?: boolean;
  autoclean?: boolean;
}

/** What apply runs, decided by plan (or again by apply after a cache update). */
export interface PkgWork {
  verb?: AptVerb;
  words: string[];
  changes: PkgChange[];
}

export interface AptState {
  cacheDue: boolean;
  cacheMtime: number;
  work?: PkgWork;
  /** Package files `apt-get clean` deletes first (clean). */
  clean: number;
  /** What `apt-get autoclean` deletes last (autoclean; decided again in apply after a cache update). */
  autoclean: string[];
}

const DIFF_LABEL = 'installed packages (apt)';

/** The specs of `name`, without Ansible's `*` (all installed packages, only meaningful with latest). */
function specsOf(a: AptArgs): PkgSpec[] {
  return parseSpecs((a.name ?? []).filter((n) => n.trim() !== '*'), 'deb', 'apt');
}

function debPaths(a: AptArgs): string[] {
  return a.deb === undefined ? [] : a.deb.split(',').map((s) => s.trim()).filter(Boolean);
}

/** The upgrade apt-get runs, if any: `upgrade:` or `name: '*'` with `state: latest`. */
function upgradeVerb(a: AptArgs): AptVerb | undefined {
  if (a.upgrade === 'dist' || a.upgrade === 'full') return 'dist-upgrade';
  if (a.upgrade === 'yes' || a.upgrade === 'safe') return 'upgrade';
  if (a.state === 'latest' && (a.name ?? []).some((n) => n.trim() === '*')) return 'upgrade';
  return undefined;
}

/** Nothing but the cache was asked for: then a cache update is the task's whole change (Ansible's rule). */
function cacheOnly(a: AptArgs): boolean {
  return specsOf(a).length === 0 && debPaths(a).length === 0 && upgradeVerb(a) === undefined && !a.autoremove;
}

/** The query needs candidates (apt-cache policy) for named packages: it then loads the whole package cache (about 2 s on a small host). */
function needsPolicy(a: AptArgs): boolean {
  const specs = specsOf(a);
  return specs.length > 0 && (a.state === 'latest' || specs.some((s) => s.op !== undefined));
}

/**
 * Whether the query is quick and bounded enough to be fetched ahead (reads()): dpkg-query, the
 * extended_states awk, stat and dpkg-deb take a few ms; apt-cache policy does not.
 */
export function aptQueryIsQuick(a: AptArgs): boolean {
  return !needsPolicy(a) && a.autoclean !== true;
}

/** The read-only script that answers everything the plan needs (the package module runs it too). */
export function aptQueryScriptFor(a: AptArgs): string {
  const specs = specsOf(a);
  return aptQueryScript({
    names: [...new Set(specs.map(specKey))],
    auto: a.state !== 'absent',
    policy: needsPolicy(a),
    cache: true, // one stat: cache_update_time is always registered, as Ansible does
    debs: debPaths(a),
    archives: a.clean === true,
    autoclean: a.autoclean === true,
  });
}

function parseQueryReply(a: AptArgs, r: ExecResult): AptQuery {
  const q = parseAptQuery(r.stdout, debPaths(a));
  if (!q) throw new ModuleFailure(`apt: querying the package state failed: ${r.stderr.trim() || `exit ${r.exitCode}`}`, { rc: r.exitCode, stderr: r.stderr });
  if (q.arch === '') throw new ModuleFailure('apt: dpkg is not installed on this host (is it a Debian-family system? see the package module)');
  return q;
}

/** plan()'s first request (and apply's after a cache update). */
function queryRequest(a: AptArgs): ReadRequest {
  return { script: aptQueryScriptFor(a), opts: { label: 'apt:query', readOnly: true } };
}

async function query(ctx: ModuleContext, a: AptArgs): Promise<AptQuery> {
  const q = queryRequest(a);
  return parseQueryReply(a, await ctx.conn.exec(q.script, q.opts));
}

/** The `deb:` files that would change the host, as apt-get words; fails like Ansible on a downgrade. */
function debWords(a: AptArgs, q: AptQuery): string[] {
  const words: string[] = [];
  for (const d of q.debs) {
    if (d.error !== undefined || !d.name || !d.version) throw new ModuleFailure(`apt: deb ${d.path}: ${d.error ?? 'not a Debian package'}`);
    const e = entryFor(d.installed, d.name, d.arch === 'all' ? undefined : d.arch, q.arch);
    if (e && 'iWt'.includes(e.status[1] ?? 'n')) {
      const c = compareDebVersions(d.version, e.version);
      if (c === 0) continue;
      if (c < 0 && !a.allow_downgrade && !a.force) {
        throw new ModuleFailure(`apt: deb ${d.path}: a later version of ${d.name} is already installed (${e.version} > ${d.version}); set allow_downgrade`);
      }
    }
    // apt-get installs a file (and its dependencies) when the word is a path
    words.push(d.path.startsWith('/') || d.path.startsWith('./') ? d.path : `./${d.path}`);
  }
  return words;
}

/** Decides the package work from a query: at most one simulation request. */
async function planWork(ctx: ModuleContext, a: AptArgs, q: AptQuery): Promise<PkgWork> {
  const upgrade = upgradeVerb(a);
  if (upgrade) return { verb: upgrade, words: [], changes: await simulate(ctx, upgrade, [], a) };
  if (a.deb !== undefined) {
    const words = debWords(a, q);
    return words.length ? { verb: 'install', words, changes: await simulate(ctx, 'install', words, a) } : { words: [], changes: [] };
  }
  const specs = specsOf(a);
  if (specs.length === 0) {
    // autoremove alone
    return a.autoremove ? { verb: 'autoremove', words: [], changes: await simulate(ctx, 'autoremove', [], a) } : { words: [], changes: [] };
  }
  if (a.state === 'absent') {
    const d = decideRemove(specs, q, a.purge);
    return d.remove.length ? { verb: 'remove', words: d.remove, changes: await simulate(ctx, 'remove', d.remove, a) } : { words: [], changes: [] };
  }
  const d = decideInstall(specs, q, { latest: a.state === 'latest', onlyUpgrade: a.only_upgrade });
  if (d.unsatisfiable.length) throw new ModuleFailure(`no available installation candidate for ${d.unsatisfiable.join(', ')}`);
  const changes = d.install.length ? await simulate(ctx, 'install', d.install, a) : [];
  // an installed package apt-get already lists is marked manual by that install
  const touched = new Set(changes.map((c) => c.name));
  const marks = d.markManual.filter((m) => !touched.has(m.name));
  return { verb: d.install.length ? 'install' : undefined, words: d.install, changes: [...changes, ...marks] };
}

function cacheResult(updated: boolean, mtime: number): Record<string, unknown> {
  return { cache_updated: updated, cache_update_time: mtime };
}

function describe(work: PkgWork | undefined, cacheDue: boolean, done: boolean, clean = 0, autoclean: readonly string[] = []): string {
  const parts: string[] = [];
  const files = (n: number): string => `${n} package file${n === 1 ? '' : 's'}`;
  if (clean > 0) parts.push(done ? `${files(clean)} cleaned from the apt cache` : `clean ${files(clean)} from the apt cache`);
  if (cacheDue) parts.push(done ? 'apt cache updated' : 'update the apt cache');
  if (work && work.changes.length) parts.push(describeChanges(work.changes, done));
  if (autoclean.length) parts.push(`${done ? 'autocleaned' : 'autoclean'} ${files(autoclean.length)} no longer downloadable`);
  if (parts.length === 0) return 'all packages are as wanted';
  return (done ? '' : 'would ') + parts.join(', then ');
}

/** Runs apt-get update (with Ansible's retries); returns the cache's new mtime. */
async function updateCache(ctx: ModuleContext, a: AptArgs): Promise<number> {
  let last = '';
  for (let i = 0; i < Math.max(1, a.update_cache_retries); i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, Math.min(2 ** (i - 1), a.update_cache_retry_max_delay) * 1000));
    const r = await ctx.conn.exec(
      `${APT_ENV} apt-get -q -o DPkg::Lock::Timeout=${a.lock_timeout} update || exit $?\n` +
        'stat -c %Y /var/lib/apt/periodic/update-success-stamp 2>/dev/null || stat -c %Y /var/lib/apt/lists',
      { label: 'apt:update' },
    );
    if (r.exitCode === 0) return Number(r.stdout.trim().split('\n').pop()) || 0;
    last = r.stderr.trim() || r.stdout.trim();
  }
  throw new ModuleFailure(`Failed to update apt cache: ${last || 'unknown reason'}`);
}

/** The plan from the query's answer (also the package module's, which sends the query itself). */
export async function aptPlanFrom(ctx: ModuleContext, a: AptArgs, reply: ExecResult): Promise<Plan<AptState>> {
  return planFromQuery(ctx, a, parseQueryReply(a, reply));
}

async function planFromQuery(ctx: ModuleContext, a: AptArgs, q: AptQuery): Promise<Plan<AptState>> {
  const checkCache = a.update_cache === true || a.cache_valid_time > 0;
  const cacheMtime = q.cacheMtime ?? 0;
  const cacheDue = checkCache && !(cacheMtime + a.cache_valid_time >= (q.now ?? Date.now() / 1000));
  const clean = a.clean === true ? (q.archives ?? 0) : 0;
  if (cacheDue && !ctx.check) {
    // what to install (and to autoclean) is decided against the updated cache, in apply
    const then = !cacheOnly(a) ? ', then the packages' : a.autoclean === true ? ', then autoclean' : '';
    return { changed: true, msg: describe(undefined, true, false, clean) + then, state: { cacheDue, cacheMtime, clean, autoclean: [] } };
  }
  const work = await planWork(ctx, a, q);
  const autoclean = a.autoclean === true ? (q.autoclean ?? []) : [];
  const result = { ...cacheResult(false, cacheMtime), changes: work.changes };
  // Ansible: with packages to manage, a cache update alone is not a change
  const changed = work.changes.length > 0 || clean > 0 || autoclean.length > 0 || (cacheDue && cacheOnly(a));
  return {
    changed,
    msg: describe(work, cacheDue, false, clean, autoclean),
    diff: work.changes.length ? [changesDiff(work.changes, DIFF_LABEL)] : undefined,
    result: cacheDue ? { ...result, cache_updated: true } : result,
    state: { cacheDue, cacheMtime, work, clean, autoclean },
  };
}

export default defineModule<AptArgs, AptState>({
  name: 'apt',
  doc: {
    short: 'Manage apt packages (install, remove, upgrade; .deb files; the apt cache)',
    description:
      'Plans from one read-only request when nothing changes: dpkg-query for every named package (plus the ' +
      'auto-installed marks, apt-cache policy for `latest` and version pins, and the cache age when asked). When something ' +
      'would change, `apt-get --simulate` with the same options lists exactly which packages change, dependencies ' +
      'included: check mode reports that list, `--diff` shows the packages before/after, and the run pins the ' +
      'versions the plan chose. Registers `changes` (name, action, before, after), `stdout`, `stderr`, ' +
      '`cache_updated`, `cache_update_time`. An installed package that was installed automatically is marked manual ' +
      '(reported as a change; Ansible does it silently); the dependencies a `deb:` file brings are marked manual, as ' +
      'Ansible\'s apt leaves them. Versions: `name=1.2-3`, `name=1.2*`, `name>=1.2`. ' +
      'apt-get runs with DEBIAN_FRONTEND=noninteractive and `--force-confdef,--force-confold` (dpkg_options). ' +
      '`clean` runs `apt-get clean` first and `autoclean` runs `apt-get autoclean` last; each is a change only when it ' +
      'deletes package files (the plan counts them, and simulates autoclean). ' +
      'Not supported: `state: build-dep|fixed`, name globs, `deb:` URLs, `policy_rc_d`.',
    check: 'full',
    diff: true,
    examples: [
      '- apt: { name: [hello, tree], state: present, update_cache: true, cache_valid_time: 3600 }',
      '- apt: { name: chrony=4.3*, install_recommends: false }',
      '- apt: { name: lighttpd, state: absent, purge: true, autoremove: true }',
      '- apt: { deb: /tmp/mypkg_1.0_all.deb }',
      '- apt: { autoremove: true, autoclean: true }',
    ].join('\n'),
  },
  args: {
    name: { type: 'list', elements: 'str', aliases: ['pkg', 'package'], description: 'Package names or specs (`name=version`, `name>=version`, `name:arch`); a list or comma-separated. `*` with `state: latest` upgrades every package.' },
    state: { type: 'str', default: 'present', choices: ['present', 'absent', 'latest'], description: '`present`: installed (any version unless pinned); `latest`: the candidate version; `absent`: removed.' },
    update_cache: { type: 'bool', aliases: ['update-cache'], description: 'Run `apt-get update` first (only when older than `cache_valid_time`).' },
    update_cache_retries: { type: 'int', default: 5, description: 'Attempts of `apt-get update`.' },
    update_cache_retry_max_delay: { type: 'int', default: 12, description: 'Longest pause between attempts, in seconds (exponential back-off).' },
    cache_valid_time: { type: 'int', default: 0, description: 'Seconds the cache stays valid; a non-zero value implies update_cache.' },
    purge: { type: 'bool', default: false, description: 'With `absent` (and autoremove): purge configuration files too.' },
    deb: { type: 'path', description: 'Path of a .deb file on the host (comma-separated for several); dependencies come from apt. Only `state: present`.' },
    default_release: { type: 'str', aliases: ['default-release'], description: 'apt-get -t RELEASE.' },
    install_recommends: { type: 'bool', aliases: ['install-recommends'], description: 'Install recommended packages (default: apt\'s own setting).' },
    force: { type: 'bool', default: false, description: 'Allow downgrades, held and essential packages (what apt\'s deprecated --force-yes meant).' },
    allow_downgrade: { type: 'bool', default: false, aliases: ['allow-downgrade', 'allow_downgrades', 'allow-downgrades'], description: 'Allow installing an older version than the installed one.' },
    allow_change_held_packages: { type: 'bool', default: false, description: 'Allow changing held packages.' },
    allow_unauthenticated: { type: 'bool', default: false, aliases: ['allow-unauthenticated'], description: 'Allow packages that cannot be authenticated.' },
    autoremove: { type: 'bool', default: false, description: 'Remove packages no longer needed (`--auto-remove`; alone: `apt-get autoremove`).' },
    fail_on_autoremove: { type: 'bool', default: false, description: 'Fail rather than remove packages (`--no-remove`).' },
    only_upgrade: { type: 'bool', default: false, description: 'Only upgrade installed packages; never install new ones.' },
    upgrade: { type: 'str', default: 'no', choices: ['no', 'yes', 'safe', 'full', 'dist'], description: '`yes`/`safe`: `apt-get upgrade --with-new-pkgs`; `full`/`dist`: `apt-get dist-upgrade`.' },
    dpkg_options: { type: 'str', default: 'force-confdef,force-confold', description: 'Comma-separated dpkg options (without --).' },
    lock_timeout: { type: 'int', default: 60, description: 'Seconds to wait for the dpkg lock.' },
    force_apt_get: { type: 'bool', default: false, description: 'Accepted for Ansible compatibility: bosun always uses apt-get.' },
    clean: { type: 'bool', default: false, description: 'First delete the downloaded package files (`apt-get clean`). A change only when there were some.' },
    autoclean: { type: 'bool', default: false, description: 'Last delete the downloaded package files that can no longer be downloaded (`apt-get autoclean`). A change only when there were some.' },
  },
  validate(a) {
    const specs = specsOf(a); // throws on a bad name
    const named = (a.name ?? []).length > 0;
    if (!named && a.deb === undefined && a.update_cache !== true && a.upgrade === 'no' && !a.autoremove && !a.clean && !a.autoclean) {
      throw new ArgumentError('apt: one of the following is required: name, deb, update_cache, upgrade, autoremove, autoclean, clean');
    }
    if ([named, a.deb !== undefined, a.upgrade !== 'no'].filter(Boolean).length > 1) {
      throw new ArgumentError('apt: parameters are mutually exclusive: deb|name|upgrade');
    }
    if (a.deb !== undefined && a.state !== 'present') throw new ArgumentError('apt: deb only supports state=present');
    if (a.deb !== undefined && a.deb.includes('://')) throw new ArgumentError('apt: deb must be a file on the host (URLs are not fetched; use get_url first)');
    if ((a.name ?? []).some((n) => n.trim() === '*') && (a.state !== 'latest' || specs.length > 0)) {
      throw new ArgumentError("apt: name '*' means every installed package: only alone and with state=latest");
    }
    for (const o of a.dpkg_options.split(',')) if (!/^[a-z][a-z0-9-]*$/.test(o.trim())) throw new ArgumentError(`apt: dpkg_options: '${o}' is not a dpkg option name`);
    if (a.default_release !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._/+-]*$/.test(a.default_release)) throw new ArgumentError(`apt: default_release '${a.default_release}' is not a release name`);
  },

  reads: (a) => (aptQueryIsQuick(a) ? [queryRequest(a)] : []),
  async plan(ctx, a): Promise<Plan<AptState>> {
    return planFromQuery(ctx, a, await query(ctx, a));
  },

  async apply(ctx, a, plan): Promise<Outcome> {
    const st = plan.state!;
    let mtime = st.cacheMtime;
    let work = st.work;
    let autoclean = st.autoclean;
    let cacheUpdated = false;
    let stdout = '';
    let stderr = '';
    // clean first, as Ansible's (before the cache update and the packages)
    if (st.clean > 0) {
      const r = await ctx.conn.exec(`${APT_ENV} apt-get -q -o DPkg::Lock::Timeout=${a.lock_timeout} clean`, { label: 'apt:clean' });
      if (r.exitCode !== 0) throw new ModuleFailure(`apt-get clean failed: ${r.stderr.trim() || `exit ${r.exitCode}`}`, { rc: r.exitCode, stdout: r.stdout, stderr: r.stderr });
      stdout += r.stdout;
      stderr += r.stderr;
    }
    if (st.cacheDue) {
      mtime = await updateCache(ctx, a);
      cacheUpdated = mtime !== st.cacheMtime;
      const q = await query(ctx, a);
      work = await planWork(ctx, a, q);
      autoclean = a.autoclean === true ? (q.autoclean ?? []) : [];
    }
    work ??= { words: [], changes: [] };
    if (work.verb && work.changes.some((c) => c.action !== 'mark_manual')) {
      const cmd = aptGetCommand(work.verb, work.words, a, false);
      // Ansible installs a deb's dependencies by name, which marks them manually installed (a later
      // autoremove keeps them); so does bosun, in the same request
      const deps = a.deb !== undefined ? namesOf(work.changes, 'install') : [];
      const mark = deps.length ? ` && ${APT_ENV} apt-mark manual -- ${deps.map(shq).join(' ')} >/dev/null` : '';
      const r = await ctx.conn.exec(cmd + mark, { label: `apt:${work.verb}` });
      stdout += r.stdout;
      stderr += r.stderr;
      if (r.exitCode !== 0) {
        throw new ModuleFailure(aptFailure(r.stderr, `'apt-get ${work.verb} ${work.words.join(' ')}'`.replace(/ '$/, "'")), { rc: r.exitCode, stdout, stderr });
      }
    }
    const marks = namesOf(work.changes, 'mark_manual');
    if (marks.length) {
      const r = await ctx.conn.exec(`${APT_ENV} apt-mark manual -- ${marks.map(shq).join(' ')}`, { label: 'apt:mark' });
      if (r.exitCode !== 0) throw new ModuleFailure(`'apt-mark manual ${marks.join(' ')}' failed: ${r.stderr.trim()}`, { rc: r.exitCode, stderr: r.stderr });
    }
    if (autoclean.length) {
      // last, as apt-get autoclean after an install: what the new lists no longer offer
      const r = await ctx.conn.exec(`${APT_ENV} apt-get -y -q -o DPkg::Lock::Timeout=${a.lock_timeout} autoclean`, { label: 'apt:autoclean' });
      if (r.exitCode !== 0) throw new ModuleFailure(`'apt-get autoclean' failed: ${r.stderr.trim() || `exit ${r.exitCode}`}`, { rc: r.exitCode, stdout: r.stdout, stderr: r.stderr });
      autoclean = parseAutoclean(r.stdout);
      stdout += r.stdout;
      stderr += r.stderr;
    }
    const changed = work.changes.length > 0 || st.clean > 0 || autoclean.length > 0 || (cacheUpdated && cacheOnly(a));
    return {
      changed,
      msg: describe(work, st.cacheDue, true, st.clean, autoclean),
      diff: work.changes.length ? [changesDiff(work.changes, DIFF_LABEL)] : undefined,
      result: { ...cacheResult(cacheUpdated, mtime), changes: work.changes, stdout, stderr },
    };
  },
});
