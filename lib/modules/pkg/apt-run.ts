// apt-get command lines, the same for the simulation that plans and the run that applies, so the
// run does exactly what the plan predicted; and the simulation request itself.
import { shq } from '../../executor/types.js';
import { ModuleFailure, type ModuleContext } from '../types.js';
import { aptErrors, parseAptSimulation, type PkgChange } from './apt-parse.js';
import { compareDebVersions } from './version.js';

/** The arguments that shape an apt-get transaction (apt module's names). */
export interface AptGetOptions {
  install_recommends?: boolean;
  default_release?: string;
  allow_downgrade: boolean;
  allow_change_held_packages: boolean;
  allow_unauthenticated: boolean;
  force: boolean;
  only_upgrade: boolean;
  fail_on_autoremove: boolean;
  autoremove: boolean;
  purge: boolean;
  dpkg_options: string;
  lock_timeout: number;
}

/**
 * Options for apt's read-only uses: no lock (no root needed, never waits for another apt) and no
 * binary cache files nor planner log (apt would otherwise write /var/cache/apt/*.bin and
 * /var/log/apt/eipp.log.xz even when it only simulates: a change to the host).
 */
export const NO_WRITE = ['-o', 'Debug::NoLocking=1', '-o', 'Dir::Cache::pkgcache=', '-o', 'Dir::Cache::srcpkgcache=', '-o', 'Dir::Log::Planner=/dev/null'];

export type AptVerb = 'install' | 'remove' | 'autoremove' | 'upgrade' | 'dist-upgrade';

/** Environment of every apt run, as Ansible sets it: no prompts, parseable C-locale output. */
export const APT_ENV = 'DEBIAN_FRONTEND=noninteractive DEBIAN_PRIORITY=critical LC_ALL=C LANG=C';

export function aptGetCommand(verb: AptVerb, words: readonly string[], o: AptGetOptions, simulate: boolean): string {
  const argv = ['apt-get', '-y', '-q'];
  // a simulation needs no lock (and no root): it never waits for another apt
  if (simulate) argv.push('-s', ...NO_WRITE);
  else argv.push('-o', `DPkg::Lock::Timeout=${o.lock_timeout}`);
  for (const opt of o.dpkg_options.split(',').map((s) => s.trim()).filter(Boolean)) argv.push('-o', `Dpkg::Options::=--${opt}`);
  if (o.install_recommends !== undefined) argv.push('-o', `APT::Install-Recommends=${o.install_recommends ? 'yes' : 'no'}`);
  if (o.default_release) argv.push('-t', o.default_release);
  if (o.allow_downgrade || o.force) argv.push('--allow-downgrades');
  if (o.allow_change_held_packages || o.force) argv.push('--allow-change-held-packages');
  if (o.force) argv.push('--allow-remove-essential');
  if (o.allow_unauthenticated) argv.push('--allow-unauthenticated');
  if (o.fail_on_autoremove) argv.push('--no-remove');
  if (verb === 'install' && o.only_upgrade) argv.push('--only-upgrade');
  if ((verb === 'install' || verb === 'remove') && o.autoremove) argv.push('--auto-remove');
  if ((verb === 'remove' || verb === 'autoremove') && o.purge) argv.push('--purge');
  if (verb === 'upgrade') argv.push('--with-new-pkgs');
  argv.push(verb);
  if (words.length) argv.push('--', ...words);
  return `${APT_ENV} ${argv.map(shq).join(' ')}`;
}

/** Ansible's wording for the usual apt errors; else apt's own first error. */
export function aptFailure(stderr: string, what: string): string {
  const errs = aptErrors(stderr);
  const missing = errs.map((e) => /^Unable to locate package (\S+)/.exec(e)?.[1]).find(Boolean);
  if (missing) return `No package matching '${missing}' is available`;
  const noCand = errs.map((e) => /^Package '?([^' ]+)'? has no installation candidate/.exec(e)?.[1]).find(Boolean);
  if (noCand) return `no available installation candidate for ${noCand}`;
  return `${what} failed: ${errs.join('; ') || stderr.trim().split('\n').pop() || 'unknown error'}`;
}

/** One read-only request: what `apt-get VERB` would do, as a list of package changes. */
export async function simulate(ctx: ModuleContext, verb: AptVerb, words: readonly string[], o: AptGetOptions): Promise<PkgChange[]> {
  const r = await ctx.conn.exec(aptGetCommand(verb, words, o, true), { label: `apt:simulate-${verb}`, readOnly: true });
  if (r.exitCode !== 0) {
    throw new ModuleFailure(aptFailure(r.stderr, `apt-get ${verb} (simulated)`), { rc: r.exitCode, stdout: r.stdout, stderr: r.stderr });
  }
  return parseAptSimulation(r.stdout, compareDebVersions);
}
