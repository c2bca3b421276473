// script: run a control-node script on the host with its free-form arguments, as Ansible's script
// action: creates/removes decide first (check mode can tell from them alone), then the file is sent
// on the request's stdin into a private temporary directory, run, and removed in the same request.
// Its content is never in any argv, nor left behind.

import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { ArgumentError, MissingFileError } from '../errors.js';
import { shq } from '../executor/types.js';
import { shlexSplit } from '../executor/shell.js';
import { defineModule, ModuleFailure, type ModuleContext } from './types.js';
import { guardHit, lowLevelResult } from './util/run.js';

export interface ScriptArgs {
  cmd: string;
  creates?: string;
  removes?: string;
  chdir?: string;
  executable?: string;
  decrypt: boolean;
}

interface ScriptState {
  /** The script's path on the control node. */
  local: string;
}

/** Exit code and stderr prefix of the request's own failures (temporary directory, cd), not the script's. */
const SETUP_FAILED = 97;
const SETUP_TAG = 'bosun-script: ';

/**
 * The free-form text split as Ansible does: the first shell word is the script, and the rest of the
 * text is kept as written (its quoting intact) for the host's shell.
 */
export function scriptWords(text: string): { script: string; rest: string } {
  const s = text.trim();
  let i = 0;
  while (i < s.length && !/\s/.test(s[i]!)) {
    const c = s[i]!;
    if (c === "'") {
      const end = s.indexOf("'", i + 1);
      i = end < 0 ? s.length : end + 1;
    } else if (c === '"') {
      for (i++; i < s.length && s[i] !== '"'; i += s[i] === '\\' ? 2 : 1);
      i++;
    } else i += c === '\\' ? 2 : 1;
  }
  i = Math.min(i, s.length);
  // an unterminated quote: shlexSplit says so
  const script = shlexSplit(s.slice(0, i))[0];
  if (script === undefined) throw new ArgumentError('script: the free-form text names no script');
  return { script, rest: s.slice(i) };
}

/** The one request: a private directory, the script from stdin, the command line, the directory removed. */
export function scriptRequest(args: ScriptArgs, name: string): string {
  const { rest } = scriptWords(args.cmd);
  // "$_bs_path" is expanded when the line is evaluated, so the directory mktemp chose needs no quoting
  const line = `${args.executable !== undefined ? `${args.executable} ` : ''}"$_bs_path"${rest}`;
  const fail = (what: string): string => `{ echo '${SETUP_TAG}${what}' >&2; exit ${SETUP_FAILED}; }`;
  return [
    `_bs_dir=$(mktemp -d "\${TMPDIR:-/tmp}/bosun-script.XXXXXXXX") || ${fail('cannot create a temporary directory')}`,
    `trap 'rm -rf -- "$_bs_dir"' EXIT`,
    `trap 'exit 129' HUP INT TERM`,
    `_bs_path=$_bs_dir/${shq(name)}`,
    `{ cat > "$_bs_path" && chmod 0700 "$_bs_path"; } || ${fail('cannot write the script')}`,
    ...(args.chdir !== undefined ? [`cd -- ${shq(args.chdir)} || exit $?`] : []),
    `(eval ${shq(line)}) < /dev/null`,
    'exit $?',
  ].join('\n') + '\n';
}

function localScript(ctx: ModuleContext, script: string): string {
  const fail = (why: string): never => {
    throw new ModuleFailure(`Could not find or access '${script}' on the control node: ${why}`);
  };
  let abs: string;
  try {
    abs = ctx.findFile('files', script);
  } catch (e) {
    if (!(e instanceof MissingFileError)) throw e;
    return fail(e.message);
  }
  try {
    if (statSync(abs).isFile()) return abs;
  } catch {
    return fail(`${abs} cannot be read`);
  }
  return fail(`${abs} is not a file`);
}

/** Ansible's vault file header (a script Ansible would decrypt before sending it). */
function isVaultFile(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(15);
    return readSync(fd, head, 0, 15, 0) === 15 && head.toString('latin1') === '$ANSIBLE_VAULT;';
  } finally {
    closeSync(fd);
  }
}

export default defineModule<ScriptArgs, ScriptState>({
  name: 'script',
  freeForm: 'cmd',
  doc: {
    short: 'Run a control-node script on the host, with arguments',
    description:
      'The first word of the free-form text is the script (found like copy\'s src: the role\'s files/, then the playbook\'s, or an absolute path); ' +
      'the rest of the text is passed on as written, through the host\'s /bin/sh. The script is sent on the request\'s stdin into a private ' +
      'temporary directory, run (with `EXECUTABLE SCRIPT ARGS` when executable is given, else by its #! line) and removed in the same request. ' +
      'Registers rc, stdout, stderr, stdout_lines, stderr_lines; always changed when it runs; a non-zero rc fails the task. ' +
      'creates/removes skip it (reported skipped, as Ansible); in check mode the task is a change when they do not skip it, and is skipped without them.',
    check: 'partial',
    diff: false,
    examples: [
      '- script: setup-node.sh --role etcd "{{ etcd_name }}"',
      '- script: { cmd: bootstrap.py --once, executable: python3, creates: /var/lib/bootstrap.done, chdir: /var/lib }',
    ].join('\n'),
  },
  args: {
    cmd: { type: 'str', required: true, description: 'The script\'s path followed by its arguments (free form).' },
    creates: { type: 'path', description: 'If this path exists on the host, do not run (skipped).' },
    removes: { type: 'path', description: 'If this path does not exist on the host, do not run (skipped).' },
    chdir: { type: 'path', description: 'Absolute directory on the host to run the script in.' },
    executable: { type: 'str', description: 'Program to run the script with, e.g. python3 or /bin/bash (put before the script path as written).' },
    decrypt: { type: 'bool', default: true, description: 'A vault-encrypted script is refused (bosun does not decrypt files); false sends it as it is.' },
  },
  validate(args) {
    if (!args.cmd.includes('{{')) scriptWords(args.cmd);
  },
  async plan(ctx, args) {
    // Ansible's order: the guard, then chdir, then the script's lookup
    const hit = await guardHit(ctx, { creates: args.creates || undefined, removes: args.removes || undefined });
    if (hit !== undefined) {
      const msg = hit === 'creates' ? `${args.creates} exists, matching creates option` : `${args.removes} does not exist, matching removes option`;
      return { changed: false, msg, result: { skipped: true, msg } };
    }
    if (args.chdir !== undefined && !args.chdir.startsWith('/')) {
      throw new ModuleFailure(`chdir ${args.chdir} must be an absolute path for a Unix-aware remote node`);
    }
    const local = localScript(ctx, scriptWords(args.cmd).script);
    if (args.decrypt && isVaultFile(local)) {
      throw new ModuleFailure(`${local} is vault-encrypted: bosun does not decrypt files (decrypt it, or set decrypt: false to send it as it is)`);
    }
    // with creates/removes, Ansible's check mode takes "not skipped" for a change; without, it cannot tell
    return { changed: true, unpredictable: !args.creates && !args.removes, msg: `would run ${args.cmd}`, state: { local } };
  },
  async apply(ctx, args, plan) {
    const local = plan.state?.local ?? localScript(ctx, scriptWords(args.cmd).script);
    const r = await ctx.conn.exec(scriptRequest(args, basename(local)), { stdin: readFileSync(local), label: 'script' });
    if (r.exitCode === SETUP_FAILED && r.stderr.startsWith(SETUP_TAG)) throw new ModuleFailure(r.stderr.trim().slice(SETUP_TAG.length));
    const result = lowLevelResult(r);
    if (r.exitCode !== 0) return { changed: true, failed: true, msg: 'non-zero return code', result };
    return { changed: true, result };
  },
});
