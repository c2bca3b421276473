// make: runs a Makefile target, as community.general.make: `make -q` first says whether the target
// is up to date (exit 0: nothing to do); otherwise make runs it. Check mode stops after `make -q`,
// which is what Ansible's check mode runs too (GNU make still runs `+` recipe lines and $(shell …)
// under -q: a Makefile that writes there writes in check mode, as with Ansible). Planning is one
// request; a change is one more.

import { ArgumentError } from '../errors.js';
import { shq } from '../executor/types.js';
import { defineModule, ModuleFailure, type ModuleContext, type Plan } from './types.js';

export interface MakeArgs {
  chdir: string;
  target?: string;
  params?: Record<string, unknown>;
  file?: string;
  jobs?: number;
  make?: string;
}

/** make's words after the binary: -j, -f, the target, NAME=VALUE (Ansible's order); `shown`: an absent target as '' (Ansible's command). */
export function makeWords(a: MakeArgs, shown = false): string[] {
  const w: string[] = [];
  if (a.jobs !== undefined) w.push('-j', String(a.jobs));
  if (a.file !== undefined) w.push('-f', a.file);
  if (a.target !== undefined || shown) w.push(a.target ?? '');
  for (const [k, v] of Object.entries(a.params ?? {})) w.push(`${k}=${pyStr(v)}`);
  return w;
}

/** Python's str() of a YAML value, as Ansible builds NAME=VALUE. */
function pyStr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** shlex.quote, for the registered command (Ansible quotes an absent target as ''). */
function pyQuote(s: string): string {
  if (s === '') return "''";
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'"'"'`)}'`;
}

/** The make binary: the one given, else gmake when the host has it, else make. */
function binLine(a: MakeArgs): string {
  if (a.make !== undefined) return `mk=${shq(a.make)}`;
  return 'mk=$(command -v gmake || command -v make) || { echo "Failed to find required executable make in paths: $PATH" >&2; exit 127; }';
}

/** Runs make in chdir with the words (and -q when asking); prints the binary first. */
function makeScript(a: MakeArgs, question: boolean): string {
  const words = [...makeWords(a), ...(question ? ['-q'] : [])];
  return [binLine(a), `cd -- ${shq(a.chdir)} || exit 1`, 'printf \'%s\\n\' "$mk"', `"$mk" ${words.map(shq).join(' ')}`, ''].join('\n');
}

function split(out: string): { bin: string; rest: string } {
  const nl = out.indexOf('\n');
  return nl < 0 ? { bin: out, rest: '' } : { bin: out.slice(0, nl), rest: out.slice(nl + 1) };
}

/** Ansible's sanitize_output: trailing new lines dropped. */
const clean = (s: string): string => s.replace(/[\r\n]+$/, '');

function result(a: MakeArgs, bin: string, stdout: string, stderr: string): Record<string, unknown> {
  return {
    stdout,
    stderr,
    target: a.target ?? null,
    params: a.params ?? null,
    chdir: a.chdir,
    file: a.file ?? null,
    jobs: a.jobs ?? null,
    command: [bin, ...makeWords(a, true)].map(pyQuote).join(' '),
  };
}

async function plan(ctx: ModuleContext, a: MakeArgs): Promise<Plan> {
  // -q runs no recipe (bar `+` lines): the same question Ansible asks in and out of check mode
  const r = await ctx.conn.exec(makeScript(a, true), { label: 'make:question', readOnly: true });
  const { bin, rest } = split(r.stdout);
  if (bin === '' || r.exitCode === 127) throw new ModuleFailure(r.stderr.trim() || 'make not found', { rc: r.exitCode });
  if (r.exitCode === 1 && /^cd: /m.test(r.stderr) && rest === '') throw new ModuleFailure(`cannot change into ${a.chdir}: ${r.stderr.trim()}`, { rc: 1 });
  const res = result(a, bin, clean(rest), clean(r.stderr));
  // no msg: Ansible's make registers none
  ctx.log(2, `make -q: ${a.target ?? 'the default target'} ${r.exitCode === 0 ? 'is up to date' : `is not up to date (exit ${r.exitCode})`}`);
  return { changed: r.exitCode !== 0, result: res };
}

export default defineModule<MakeArgs>({
  name: 'make',
  doc: {
    short: 'Run targets in a Makefile',
    description:
      'community.general.make: in chdir, `make -q` (with -j, -f, the target and NAME=VALUE params, in Ansible\'s order) says whether the ' +
      'target is up to date; if it is not, make runs it (a failure fails the task with its output). Check mode reports the answer of ' +
      '`make -q` (note: GNU make still runs recipe lines marked `+` or using $(MAKE), and $(shell …), under -q, as under Ansible). ' +
      'gmake is preferred when the host has it, unless make names the binary. Registers stdout, stderr, command and the arguments.',
    check: 'full',
    diff: false,
    examples: [
      '- make: { chdir: /opt/src/tool }',
      '- community.general.make: { chdir: /opt/src/tool, target: install, params: { PREFIX: /usr/local }, jobs: 2 }',
      '- make: { chdir: /opt/src/tool, target: all, file: /opt/src/tool/GNUmakefile }',
    ].join('\n'),
  },
  args: {
    chdir: { type: 'path', required: true, description: 'Directory to run make in.' },
    target: { type: 'str', description: 'The target to run (install, all); the Makefile\'s default target when not given.' },
    params: { type: 'dict', description: 'Variables passed as NAME=VALUE arguments.' },
    file: { type: 'path', description: 'A Makefile other than the default (make -f FILE).' },
    jobs: { type: 'int', description: 'Number of jobs to run at once (make -j N).' },
    make: { type: 'path', description: 'The make binary to use.' },
  },
  validate(a) {
    // make takes no `--` before targets: a value starting with a dash would be read as an option
    if (a.target !== undefined && (a.target.startsWith('-') || a.target.includes('\n'))) throw new ArgumentError(`target ${JSON.stringify(a.target)} cannot start with a dash or hold a new line`);
    for (const k of Object.keys(a.params ?? {})) {
      if (k === '' || k.startsWith('-') || /[=\s]/.test(k)) throw new ArgumentError(`params: ${JSON.stringify(k)} is not a make variable name`);
    }
    if (a.jobs !== undefined && a.jobs < 1) throw new ArgumentError('jobs must be 1 or more');
  },
  plan,
  async apply(ctx, a) {
    const r = await ctx.conn.exec(makeScript(a, false), { label: 'make:run' });
    const { bin, rest } = split(r.stdout);
    const res = result(a, bin, clean(rest), clean(r.stderr));
    if (r.exitCode !== 0) {
      throw new ModuleFailure(clean(r.stderr) || `make failed (exit ${r.exitCode})`, { ...res, rc: r.exitCode, cmd: res.command });
    }
    return { changed: true, result: res };
  },
});
