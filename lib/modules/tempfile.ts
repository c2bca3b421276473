// tempfile: a new, private temporary file or directory on the host, named as Python's mkstemp and
// mkdtemp name them (prefix + 8 of [a-z0-9_] + suffix, mode 0600 / 0700). Like Ansible's, it always
// changes and is skipped under --check (what it would create cannot be named before it exists).

import { ArgumentError } from '../errors.js';
import { shq } from '../executor/types.js';
import { defineModule, ModuleFailure } from './types.js';
import { parseFields, parseStat, STAT_FORMAT } from './util/remote-file.js';

export interface TempfileArgs {
  state: 'file' | 'directory';
  path?: string;
  prefix: string;
  suffix: string;
}

/** Python's gettempdir() as the host's environment gives it. */
const DEFAULT_DIR = '${TMPDIR:-${TEMP:-${TMP:-/tmp}}}';

/** One request: create the first free name (O_EXCL for a file, mkdir for a directory), then stat it. */
export function tempfileScript(a: TempfileArgs): string {
  // (a space after "$(": "$((" would start arithmetic)
  const create = a.state === 'directory' ? `mkdir -- "$p"` : `(set -C; : > "$p")`;
  return [
    'umask 077',
    a.path === undefined ? `d="${DEFAULT_DIR}"` : `d=${shq(a.path)}`,
    `if [ ! -d "$d" ]; then echo "[Errno 2] No such file or directory: '$d'" >&2; exit 3; fi`,
    `case $d in */) s=;; *) s=/;; esac`,
    'n=0',
    'while :; do',
    `  r=$(LC_ALL=C tr -dc 'abcdefghijklmnopqrstuvwxyz0123456789_' < /dev/urandom | head -c 8)`,
    `  p="$d$s"${shq(a.prefix)}"$r"${shq(a.suffix)}`,
    `  e=$( ${create} 2>&1) && break`,
    // taken by someone else: another name; any other failure (permissions, read-only) is the answer
    `  if [ ! -e "$p" ] && [ ! -L "$p" ]; then echo "$e" >&2; exit 4; fi`,
    '  n=$((n + 1)); if [ $n -ge 100 ]; then echo "No usable temporary file name found in $d" >&2; exit 4; fi',
    'done',
    `printf 'path='; printf %s "$p" | od -An -v -tx1 | tr -d ' \\n'; echo`,
    `echo "stat=$(stat -c ${STAT_FORMAT} -- "$p")"`,
  ].join('\n') + '\n';
}

export default defineModule<TempfileArgs>({
  name: 'tempfile',
  doc: {
    short: 'Create a temporary file or directory on the host (private to its creator)',
    description:
      'Creates prefix + 8 random characters of [a-z0-9_] + suffix in path (default: $TMPDIR, $TEMP, $TMP or /tmp, as Python\'s gettempdir), ' +
      'with mode 0600 (file) or 0700 (directory), never reusing an existing name. Registers path, state, mode, owner, group, uid, gid and size, as Ansible. ' +
      'Always changed; skipped under --check, as Ansible (the name does not exist before it is created). One request.',
    check: 'none',
    diff: false,
    examples: '- tempfile: { state: directory, suffix: .build }\n  register: build_dir\n- copy: { src: app.tar.gz, dest: "{{ build_dir.path }}/" }',
  },
  args: {
    state: { type: 'str', default: 'file', choices: ['file', 'directory'], description: 'Create a file or a directory.' },
    path: { type: 'path', description: 'Directory to create it in (default: the host\'s temporary directory).' },
    prefix: { type: 'str', default: 'ansible.', description: 'Start of the name.' },
    suffix: { type: 'str', default: '', description: 'End of the name.' },
  },
  validate(a) {
    // a "/" would put the new name in another directory than path
    for (const k of ['prefix', 'suffix'] as const) if (a[k].includes('/')) throw new ArgumentError(`tempfile: ${k} must not contain "/": ${a[k]}`);
  },
  async plan(_ctx, a) {
    return { changed: true, msg: `would create a temporary ${a.state} in ${a.path ?? 'the temporary directory'}` };
  },
  async apply(ctx, a) {
    const r = await ctx.conn.exec(tempfileScript(a), { label: 'tempfile' });
    if (r.exitCode !== 0) throw new ModuleFailure(r.stderr.trim() || `tempfile failed (exit ${r.exitCode})`);
    const f = parseFields(r.raw);
    const path = Buffer.from(f.get('path') ?? '', 'hex').toString('utf8');
    const st = parseStat(f.get('stat'));
    return {
      changed: true,
      msg: `created ${path}`,
      result: { path, uid: st.uid, gid: st.gid, owner: st.owner, group: st.group, mode: st.mode, state: a.state, size: st.size },
    };
  },
});
