// stat: read-only facts about a path, registered as Ansible's stat registers them (same keys, same
// values for the same file): one request, never changes anything. The host answers with one `stat`
// (lstat, or stat with follow), the shell's test builtins for readable/writeable/executable (access(2)
// as the connecting or become user, like Python's os.access), and only what was asked beyond that:
// a checksum, `file` for the mime type, `lsattr` for the attributes.

import { shq } from '../executor/types.js';
import { defineModule, ModuleFailure, type ReadRequest } from './types.js';
import { parseFields, unhexLink } from './util/remote-file.js';
import { fileAttributes, makedev, modeString, numberKeys, permKeys, typeKeys } from './util/stat-keys.js';
import { ALGOS, type Algo } from './util/transfer.js';

export interface StatArgs {
  path: string;
  get_checksum: boolean;
  checksum_algorithm: Algo;
  get_md5: boolean;
  get_mime: boolean;
  get_attributes: boolean;
  follow: boolean;
}

/** The fully resolved path of the link "$p", hex-encoded: readlink -m resolves as Python's realpath (missing parts kept). */
const REALPATH_HEX = `{ readlink -m -- "$p" 2>/dev/null || readlink -f -- "$p"; } | od -An -v -tx1 | tr -d ' \\n'`;

/** `file`'s answer for "$p", or nothing when `file` is missing or fails (Ansible then says 'unknown'); like Ansible's, not following links. */
const MIME_COMMAND = `{ command -v file >/dev/null 2>&1 && file -b --mime-type --mime-encoding -- "$p" 2>/dev/null; }`;

/** "text/plain; charset=us-ascii" → its two parts, as Ansible's stat splits it; 'unknown' for what does not parse. */
export function parseMime(line: string | undefined): { mimetype: string; charset: string } {
  const parts = (line ?? '').split(';');
  const cs = parts[1]?.split('=')[1];
  if (parts.length !== 2 || cs === undefined) return { mimetype: 'unknown', charset: 'unknown' };
  return { mimetype: parts[0]!.trim(), charset: cs.trim() };
}

/**
 * st_mode in hex, then the numbers Python's os.stat_result holds in Ansible's order (the times with
 * nanoseconds; st_rdev as major and minor), and the owner's names (coreutils prints UNKNOWN for an
 * id without one).
 */
const STAT_PRINTF = `'st=%f %u %g %s %i %d %h %.9X %.9Y %.9Z %b %o %t %T\\npw=%U\\ngr=%G\\n'`;

/** A path starting with ~ (alone or before a slash). */
const tilde = (path: string): boolean => /^~(?=\/|$)/.test(path);

/** The request's script: `key=value` lines, one of them `err=` (the strerror of a failed stat) instead of the rest. */
export function statScript(a: StatArgs): string {
  const L: string[] = [
    // ~ is the home of the user on the host, as Python's expanduser there (~user/ is not expanded)
    tilde(a.path) ? `p="$HOME"${shq(a.path.slice(1))}; printf 'home=%s\\n' "$HOME"` : `p=${shq(a.path)}`,
    // C locale: the times with a '.', and the error's text as Python's strerror has it
    `s=$(LC_ALL=C stat ${a.follow ? '-L ' : ''}--printf ${STAT_PRINTF} -- "$p" 2>&1) || { printf 'err=%s\\n' "\${s##*: }"; exit 0; }`,
    `printf '%s\\n' "$s"`,
    // test -r/-w/-x follow links, as os.access does
    `a=; [ -r "$p" ] && a=r; [ -w "$p" ] && a=\${a}w; [ -x "$p" ] && a=\${a}x; echo "access=$a"`,
  ];
  // a link as stat sees it (not followed): its target as written, and fully resolved
  if (!a.follow) L.push(`if [ -L "$p" ]; then printf 'link='; readlink -- "$p" | od -An -v -tx1 | tr -d ' \\n'; printf '\\nreal='; ${REALPATH_HEX}; echo; fi`);
  // digests of a regular file (as stat sees it) that can be read
  const algos = [...(a.get_md5 ? ['md5'] : []), ...(a.get_checksum ? [a.checksum_algorithm] : [])];
  if (algos.length > 0) {
    L.push(
      `if ${a.follow ? '' : '[ ! -L "$p" ] && '}[ -f "$p" ] && [ -r "$p" ]; then`,
      ...algos.map((x, i) => `  s=$(${x}sum < "$p") && echo "${i === 0 && a.get_md5 ? 'md5' : 'checksum'}=\${s%% *}"`),
      `fi`,
    );
  }
  if (a.get_mime) L.push(`m=$(${MIME_COMMAND}) && echo "mime=$m"`);
  if (a.get_attributes) {
    // where Ansible's get_bin_path looks: PATH, then the sbin directories; only the first two words (version, flags) matter
    L.push(
      `for c in lsattr /sbin/lsattr /usr/sbin/lsattr /usr/local/sbin/lsattr; do command -v "$c" >/dev/null 2>&1 && break; c=; done`,
      `if [ -n "$c" ] && x=$("$c" -vd -- "$p" 2>/dev/null); then set -f; set -- $x; echo "attr=$1 \${2-}"; fi`,
    );
  }
  return L.join('\n') + '\n';
}

/** plan()'s one read-only request, also declared ahead (reads()): the two must be the same request. */
function statRequest(a: StatArgs): ReadRequest {
  return { script: statScript(a), opts: { label: 'stat', readOnly: true, text: true } };
}

/** The host's answer → Ansible's `stat` dictionary, keys in Ansible's order. */
export function parseStatAnswer(a: StatArgs, raw: Buffer): Record<string, unknown> {
  const f = parseFields(raw);
  const err = f.get('err');
  if (err !== undefined) {
    // only a missing path is an answer; anything else (not a directory, permission denied, a loop) fails, as Ansible
    if (err === 'No such file or directory') return { exists: false };
    throw new ModuleFailure(err);
  }
  const st = (f.get('st') ?? '').split(' ');
  if (st.length !== 14) throw new ModuleFailure(`cannot inspect ${a.path}: unexpected answer from stat`);
  const [hexMode, blocks, blksize, major, minor] = [st[0]!, ...st.slice(10)];
  const mode = Number.parseInt(hexMode, 16);
  const types = typeKeys(mode);
  const access = f.get('access') ?? '';
  const out: Record<string, unknown> = {
    exists: true,
    // (Python strips the home's trailing slashes before it appends the rest)
    path: tilde(a.path) ? (f.get('home') ?? '').replace(/\/+$/, '') + a.path.slice(1) || '/' : a.path,
    mode: modeString(mode),
    ...types,
    ...numberKeys(st.slice(1, 10)),
    ...permKeys(mode),
    // os.stat_result's Linux extras, which Ansible's stat copies in
    blocks: Number(blocks),
    block_size: Number(blksize),
    device_type: makedev(major!, minor!),
    readable: access.includes('r'),
    writeable: access.includes('w'),
    executable: access.includes('x'),
  };
  if (types.islnk && f.has('link')) {
    out.lnk_source = unhexLink(f.get('real') ?? '');
    out.lnk_target = unhexLink(f.get('link')!);
  }
  // no name for the id: Ansible leaves the key out
  const pw = f.get('pw');
  const gr = f.get('gr');
  if (pw !== undefined && pw !== 'UNKNOWN') out.pw_name = pw;
  if (gr !== undefined && gr !== 'UNKNOWN') out.gr_name = gr;
  if (f.has('md5')) out.md5 = f.get('md5');
  if (f.has('checksum')) out.checksum = f.get('checksum');
  if (a.get_mime) Object.assign(out, parseMime(f.get('mime')));
  if (a.get_attributes) Object.assign(out, fileAttributes(f.get('attr')));
  return out;
}

export default defineModule<StatArgs>({
  name: 'stat',
  doc: {
    short: 'Retrieve facts about a path (type, mode, owner, size, times, access, checksum, mime type, attributes)',
    description:
      "Registers {stat: {...}} with Ansible's keys and values: exists, path, mode, isdir, ischr, isblk, isreg, isfifo, islnk, issock, uid, gid, size, " +
      'inode, dev, nlink, atime, mtime, ctime (floats), wusr, rusr, xusr, wgrp, rgrp, xgrp, woth, roth, xoth, isuid, isgid, blocks, block_size, ' +
      'device_type, readable, writeable, executable (as the connecting or become user), lnk_source and lnk_target (a link not followed), ' +
      'pw_name, gr_name, checksum (and md5 with get_md5), mimetype and charset (get_mime), version, attributes and attr_flags (get_attributes). ' +
      'A missing path gives {exists: false}; with follow, so does a dangling link. Any other error (a path through a file, a directory ' +
      'the user may not search) fails the task with the system\'s message, as Ansible. ' +
      'checksum is computed on the host with checksum_algorithm (sha1 by default, as Ansible), for readable regular files only. ' +
      'mimetype and charset are what `file --mime-type --mime-encoding` says (not following links, as Ansible), "unknown" when the host has no `file`. ' +
      'The attributes are `lsattr -vd`\'s (null, [] and "" when it is missing or fails: a link, a device). ' +
      'Never changes anything; runs in check mode too; one request (often none: fetched ahead with an earlier task\'s read).',
    check: 'full',
    diff: false,
    examples: '- stat: { path: /etc/etcd/pki/ca.pem, checksum_algorithm: sha256, get_mime: false, get_attributes: false }\n  register: ca',
  },
  args: {
    path: { type: 'path', required: true, aliases: ['dest', 'name'], description: 'Path on the host; a leading ~ is the home of the user there.' },
    get_checksum: { type: 'bool', default: true, description: 'Hash regular files the user can read (result key checksum).' },
    checksum_algorithm: { type: 'str', default: 'sha1', choices: ALGOS, aliases: ['checksum', 'checksum_algo'], description: 'Algorithm of the checksum.' },
    get_md5: { type: 'bool', default: false, description: 'Also add the md5 of regular files the user can read (result key md5; Ansible keeps it for old playbooks).' },
    get_mime: { type: 'bool', default: true, aliases: ['mime', 'mime_type', 'mime-type'], description: 'Add mimetype and charset, from `file` on the host.' },
    get_attributes: {
      type: 'bool',
      default: true,
      aliases: ['attr', 'attributes'],
      description: 'Add version, attributes and attr_flags, from `lsattr` on the host (one more process: turn it off where existence is the question).',
    },
    follow: { type: 'bool', default: false, description: 'Report on the target of a symlink instead of the link.' },
  },
  // one quick read (a stat and builtins; a checksum is bounded by the file): fetched ahead with other reads
  reads: (args) => [statRequest(args)],
  async plan(ctx, args) {
    const q = statRequest(args);
    const r = await ctx.conn.exec(q.script, q.opts);
    if (r.exitCode !== 0) throw new ModuleFailure(`cannot inspect ${args.path}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
    const stat = parseStatAnswer(args, r.raw);
    const what = stat.exists ? `${args.path} exists (${kindOf(stat)})` : `${args.path} does not exist`;
    return { changed: false, msg: what, result: { stat } };
  },
  async apply(_ctx, _args, plan) {
    return { changed: false, msg: plan.msg, result: plan.result };
  },
});

function kindOf(s: Record<string, unknown>): string {
  const kinds: Array<[string, string]> = [
    ['isreg', 'file'],
    ['isdir', 'directory'],
    ['islnk', 'link'],
    ['isfifo', 'fifo'],
    ['ischr', 'character device'],
    ['isblk', 'block device'],
    ['issock', 'socket'],
  ];
  return kinds.find(([k]) => s[k] === true)?.[1] ?? 'other';
}
