// Remote file primitives, each ONE request (one round trip on the persistent SSH channel):
// probeFile (stat + checksum + optional content), writeFile (atomic: temp file in the same directory,
// attributes set before the rename), and attribute changes. Scripts are POSIX sh (dash, busybox);
// every path goes through shq and every payload through stdin, never through the script text.

import { posix } from 'node:path';
import { shq, type Connection, type StdinStream } from '../../executor/types.js';
import { shlexSplit } from '../../executor/shell.js';
import type { ModuleContext } from '../types.js';
import { ModuleFailure } from '../types.js';

export const MAX_CONTENT = 100 * 1024;

export type FileType = 'file' | 'directory' | 'link' | 'other';

export interface FileProbe {
  /** The path actually probed (`dest/basename` when `appendIfDir` applied). */
  path: string;
  exists: boolean;
  /** With `follow`, the type of the link's target (a dangling link stays `link`). */
  type?: FileType;
  /** The probed path itself is a symlink. */
  isLink: boolean;
  /** 4-digit octal, e.g. "0644". */
  mode?: string;
  uid?: number;
  gid?: number;
  owner?: string;
  group?: string;
  size?: number;
  sha256?: string;
  linkTarget?: string;
  /** Only for regular files no larger than maxContent, when wantContent. */
  content?: Buffer;
  /** Whether the parent directory exists (reported only when the path does not exist). */
  parentExists?: boolean;
}

export interface ProbeOptions {
  wantContent?: boolean;
  maxContent?: number;
  /** Compute sha256 of regular files (default true). */
  checksum?: boolean;
  /** Report the link target's type and attributes instead of the link's (like stat -L). */
  follow?: boolean;
  /** If `path` is a directory, probe `path/<appendIfDir>` instead (copy's dest-directory rule). */
  appendIfDir?: string;
}

/** A hex-encoded readlink answer, without the newline readlink adds. */
export function unhexLink(hex: string): string {
  const b = Buffer.from(hex, 'hex');
  return (b.at(-1) === 10 ? b.subarray(0, -1) : b).toString('utf8');
}

export interface Attrs {
  mode?: string;
  owner?: string;
  group?: string;
}

/**
 * A path as a command's operand: one starting with "-" gets "./" so no command (find, mktemp, …)
 * can take it for an option, even where `--` is not understood (find takes no `--` before paths).
 */
export function notOption(path: string): string {
  return path.startsWith('-') ? `./${path}` : path;
}

/** "644" → "0644", "01777" → "1777": the 4-digit form stat's %a gives once padded. */
export function normMode(mode: string): string {
  return Number.parseInt(mode, 8).toString(8).padStart(4, '0');
}

/** Lines of `key=value`, then `---` and the raw content. Values never contain newlines (link targets are hex). */
export function parseFramed(raw: Buffer): { fields: Map<string, string>; content?: Buffer } {
  const fields = new Map<string, string>();
  let pos = 0;
  while (pos < raw.length) {
    let nl = raw.indexOf(10, pos);
    if (nl < 0) nl = raw.length;
    const line = raw.subarray(pos, nl).toString('utf8');
    pos = nl + 1;
    if (line === '---') return { fields, content: raw.subarray(Math.min(pos, raw.length)) };
    const eq = line.indexOf('=');
    if (eq > 0) fields.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return { fields };
}

export function parseStat(v: string | undefined): Pick<FileProbe, 'mode' | 'uid' | 'gid' | 'owner' | 'group' | 'size'> {
  if (!v) return {};
  const [mode, uid, gid, owner, group, size] = v.split(' ');
  return {
    mode: normMode(mode ?? ''),
    uid: Number(uid),
    gid: Number(gid),
    owner,
    group,
    size: Number(size),
  };
}

export const STAT_FORMAT = "'%a %u %g %U %G %s'";

export function probeScript(path: string, opts: ProbeOptions = {}): string {
  const max = opts.maxContent ?? MAX_CONTENT;
  const L = opts.follow ? '-L ' : '';
  // the parent, as `dirname` would say, is known here: no process for it there
  const lines = [`p=${shq(path)}; d=${shq(posix.dirname(path))}`];
  if (opts.appendIfDir !== undefined) {
    const inner = posix.join(path, opts.appendIfDir);
    lines.push(`if [ -d "$p" ]; then p=${shq(inner)}; d=${shq(posix.dirname(inner))}; echo appended=1; fi`);
  }
  const typeTests = opts.follow
    ? `if [ -d "$p" ]; then t=directory; elif [ -f "$p" ]; then t=file; elif [ -L "$p" ]; then t=link; elif [ -e "$p" ]; then t=other; else t=; fi`
    : `if [ -L "$p" ]; then t=link; elif [ -d "$p" ]; then t=directory; elif [ -f "$p" ]; then t=file; elif [ -e "$p" ]; then t=other; else t=; fi`;
  lines.push(
    typeTests,
    `if [ -z "$t" ]; then echo exists=0; if [ -d "$d" ]; then echo parent=1; else echo parent=0; fi; exit 0; fi`,
    `echo exists=1; echo "type=$t"`,
    `[ -L "$p" ] && echo islink=1`,
    // A dangling link cannot be stat'ed with -L: fall back to the link itself.
    `st=$(stat ${L}-c ${STAT_FORMAT} -- "$p" 2>/dev/null || stat -c ${STAT_FORMAT} -- "$p") || exit 1`,
    `echo "stat=$st"`,
    `if [ -L "$p" ]; then printf 'link='; readlink -- "$p" | od -An -v -tx1 | tr -d ' \\n'; echo; fi`,
  );
  if (opts.checksum !== false) {
    lines.push(`if [ "$t" = file ]; then s=$(sha256sum < "$p") || exit 1; echo "sha256=\${s%% *}"; fi`);
  }
  if (opts.wantContent) {
    lines.push(`if [ "$t" = file ] && [ "\${st##* }" -le ${max} ]; then echo ---; exec cat < "$p"; fi`);
  }
  return lines.join('\n') + '\n';
}

export function parseProbe(path: string, raw: Buffer, opts: ProbeOptions = {}): FileProbe {
  const { fields, content } = parseFramed(raw);
  const probed = fields.get('appended') === '1' ? posix.join(path, opts.appendIfDir ?? '') : path;
  if (fields.get('exists') !== '1') {
    return { path: probed, exists: false, isLink: false, parentExists: fields.get('parent') === '1' };
  }
  const hex = fields.get('link');
  let linkTarget: string | undefined;
  if (hex !== undefined) linkTarget = unhexLink(hex);
  return {
    path: probed,
    exists: true,
    type: fields.get('type') as FileType,
    isLink: fields.get('islink') === '1',
    ...parseStat(fields.get('stat')),
    sha256: fields.get('sha256'),
    linkTarget,
    content,
  };
}

/** One request: existence, type, mode, owner, group, size, sha256, link target and (optionally) content. */
export async function probeFile(ctx: ModuleContext, path: string, opts: ProbeOptions = {}): Promise<FileProbe> {
  if (ctx.probe) return ctx.probe(path, opts);
  return probeOnce(ctx.conn, path, opts);
}

/** One probe, one request. */
export async function probeOnce(conn: Connection, path: string, opts: ProbeOptions = {}): Promise<FileProbe> {
  // without content the answer is text (link targets in hex): answered from a shell variable
  const r = await conn.exec(probeScript(path, opts), { label: 'probe', readOnly: true, text: !opts.wantContent });
  if (r.exitCode !== 0) {
    throw new ModuleFailure(`cannot inspect ${path}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  }
  return parseProbe(path, r.raw, opts);
}

/** Shell lines changing `target` (a shell word, e.g. "$p") to attrs; chown first since it may clear setuid bits. */
export function attrLines(target: string, a: Attrs, opts: { recurse?: boolean; noDeref?: boolean } = {}): string[] {
  const flags = `${opts.recurse ? '-R ' : ''}${opts.noDeref ? '-h ' : ''}`;
  const out: string[] = [];
  if (a.owner !== undefined && a.group !== undefined) out.push(`chown ${flags}${shq(`${a.owner}:${a.group}`)} -- ${target} || exit 9`);
  else if (a.owner !== undefined) out.push(`chown ${flags}${shq(a.owner)} -- ${target} || exit 9`);
  else if (a.group !== undefined) out.push(`chgrp ${flags}${shq(a.group)} -- ${target} || exit 9`);
  if (a.mode !== undefined) out.push(`chmod ${opts.recurse ? '-R ' : ''}${shq(a.mode)} -- ${target} || exit 9`);
  return out;
}

/** Lines creating each missing directory from the top down, giving each new one the attrs (Ansible does the same). */
export function mkdirsLines(dir: string, a: Attrs = {}): string[] {
  const parts: string[] = [];
  let d = posix.normalize(dir);
  while (d !== '/' && d !== '.' && d !== '') {
    parts.unshift(d);
    d = posix.dirname(d);
  }
  if (parts.length === 0) return [];
  return [
    `for d in ${parts.map(shq).join(' ')}; do`,
    `  if [ ! -d "$d" ]; then mkdir -- "$d" || exit 8; echo "created=1"`,
    ...attrLines('"$d"', a).map((l) => '    ' + l),
    `  fi`,
    `done`,
  ];
}

export interface WriteOptions extends Attrs {
  backup?: boolean;
  /**
   * Ansible's `validate`: a command with `%s`, run on the temp file before the rename; a non-zero
   * exit keeps the old file and fails the task. Split into words like Ansible (no shell): each word
   * is quoted, `%s` becomes the temp file.
   */
  validate?: string;
  /** Create missing parent directories (with these attrs) instead of failing. */
  mkdirs?: Attrs | false;
  /**
   * A symlink at `path`: false (Ansible's default) replaces the link itself by a regular file that is
   * treated as new (umask mode, the connecting user's owner): never the link's own 0777, and nothing
   * of the target is copied to it. true writes through to the link's (existing) target, keeping the
   * target's mode and owner; a dangling link is replaced like a new file (Ansible does the same).
   */
  follow?: boolean;
  /** Fill the new file from this path on the host (copy's remote_src) instead of from stdin. */
  copyFrom?: string;
}

export interface WriteResult {
  backupFile?: string;
  mode?: string;
  owner?: string;
  group?: string;
  uid?: number;
  gid?: number;
  size?: number;
}

export function writeScript(path: string, opts: WriteOptions = {}): string {
  const dir = posix.dirname(path);
  const lines = [
    `p=${shq(notOption(path))}`,
    `d=${shq(notOption(dir))}`,
    ...(opts.mkdirs ? mkdirsLines(dir, opts.mkdirs) : []),
    `if [ ! -d "$d" ]; then echo "Destination directory $d does not exist" >&2; exit 3; fi`,
    // follow: operate on the existing target (its directory holds the temp file, so the rename stays atomic).
    ...(opts.follow ? [`if [ -L "$p" ] && [ -e "$p" ]; then q=$(readlink -f -- "$p" && echo x) || exit 3; q=\${q%x}; p=\${q%?}; d=$(dirname -- "$p"); fi`] : []),
    `if [ -d "$p" ] && [ ! -L "$p" ]; then echo "$p is a directory" >&2; exit 3; fi`,
    `bak=`,
    `tmp=$(mktemp "$d/.bosun-tmp.XXXXXXXX") || exit 4`,
    // The temp files go on any exit (failure, signal); after the renames rm -f finds nothing.
    `trap 'rm -f -- "$tmp" \${bak:+"$bak"}' EXIT`,
    `trap 'exit 129' HUP INT TERM PIPE`,
    opts.copyFrom === undefined ? `cat > "$tmp" || exit 5` : `cat < ${shq(notOption(opts.copyFrom))} > "$tmp" || exit 5`,
    ...replaceAttrLines(opts),
  ];
  if (opts.validate !== undefined) {
    lines.push(
      `v=$(${validateCommand(opts.validate)} 2>&1 </dev/null); rc=$?`,
      `if [ $rc -ne 0 ]; then printf 'failed to validate: rc:%s error:%s\\n' "$rc" "$v" >&2; exit 10; fi`,
    );
  }
  if (opts.backup) lines.push(...backupLines());
  lines.push(
    // fsync the data before the rename where coreutils supports `sync FILE` (≥ 8.24); harmless elsewhere.
    `sync -- "$tmp" 2>/dev/null || :`,
    `mv -f -- "$tmp" "$p" || exit 7`,
    `echo "stat=$(stat -c ${STAT_FORMAT} -- "$p")"`,
  );
  return lines.join('\n') + '\n';
}

/**
 * Lines giving "$tmp" (the new content of "$p") its attributes before it replaces "$p": those asked
 * for, the rest kept from the replaced file, or from the umask for a new one.
 */
export function replaceAttrLines(opts: Attrs): string[] {
  const preserve: string[] = [];
  if (opts.mode === undefined) preserve.push(`chmod "$(stat -c %a -- "$p")" "$tmp" || exit 9`);
  if (opts.owner === undefined || opts.group === undefined) {
    // Keep the current owner/group of a replaced file (only root can change them; ignore otherwise).
    preserve.push(`chown "$(stat -c %u:%g -- "$p")" "$tmp" 2>/dev/null || :`);
  }
  return [
    // Attributes are kept only from a regular file: a (remaining) symlink's own mode is 0777 and its
    // owner whoever planted it, so a link is replaced like a new file.
    `if [ -e "$p" ] && [ ! -L "$p" ]; then`,
    ...(preserve.length ? preserve : [':']),
    `else`,
    opts.mode === undefined ? `  chmod "$(printf %04o $(( 0666 & ~$(umask) )))" "$tmp" || exit 9` : '  :',
    `fi`,
    ...attrLines('"$tmp"', { mode: opts.mode, owner: opts.owner, group: opts.group }),
  ];
}

/**
 * Lines copying "$p" to "$p.YYYYMMDDhhmmss~" (in directory "$d") and printing `backup=HEX`; "$bak"
 * is the temp name, for the caller's EXIT trap. Never writes to the predictable name (a link
 * planted there would be written through and chowned by cp): copies to a fresh mktemp name in the
 * same directory, then renames over it, which replaces whatever sits at that name.
 */
export function backupLines(): string[] {
  return [
    `if [ -f "$p" ]; then`,
    `  ts=$(date +%Y%m%d%H%M%S); bk="$p.$ts~"`,
    `  if [ -d "$bk" ] && [ ! -L "$bk" ]; then echo "backup name $bk is a directory" >&2; exit 6; fi`,
    `  bak=$(mktemp "$d/.bosun-bak.XXXXXXXX") || exit 6`,
    `  cp -p -- "$p" "$bak" || exit 6`,
    `  mv -f -- "$bak" "$bk" || exit 6`,
    `  printf 'backup='; printf %s "$bk" | od -An -v -tx1 | tr -d ' \\n'; echo`,
    `fi`,
  ];
}

/** `key=value` lines of a script's output (writeFile's and others'), the values hex-decoded where noted. */
export function parseFields(raw: Buffer): Map<string, string> {
  return parseFramed(raw).fields;
}

/** The validate command as shell text: every word quoted, `%s` (the file to check) → "$tmp". */
export function validateCommand(cmd: string): string {
  const words = shlexSplit(cmd);
  if (!cmd.includes('%s')) throw new ModuleFailure(`validate must contain %s: ${cmd}`);
  if (words.length === 0) throw new ModuleFailure('validate is empty');
  return words.map((w) => w.split('%s').map((part) => (part === '' ? '' : shq(part))).join('"$tmp"')).join(' ');
}

/** Atomically replaces `path` with `data` (one request). Throws ModuleFailure with the remote reason. */
export async function writeFile(ctx: ModuleContext, path: string, data: Buffer | StdinStream, opts: WriteOptions = {}): Promise<WriteResult> {
  const r = await ctx.conn.exec(writeScript(path, opts), { stdin: opts.copyFrom === undefined ? data : undefined, label: 'write' });
  if (r.exitCode !== 0) {
    throw new ModuleFailure(r.stderr.trim() || `writing ${path} failed (exit ${r.exitCode})`);
  }
  const { fields } = parseFramed(r.raw);
  const bk = fields.get('backup');
  const st = parseStat(fields.get('stat'));
  return { backupFile: bk ? Buffer.from(bk, 'hex').toString('utf8') : undefined, ...st };
}

/** chown/chgrp/chmod in one request. */
export async function setAttrs(
  ctx: ModuleContext,
  path: string,
  a: Attrs,
  opts: { recurse?: boolean; noDeref?: boolean } = {},
): Promise<void> {
  const lines = attrLines(shq(path), a, opts);
  if (lines.length === 0) return;
  const r = await ctx.conn.exec(lines.join('\n') + '\n', { label: 'attrs' });
  if (r.exitCode !== 0) throw new ModuleFailure(r.stderr.trim() || `changing attributes of ${path} failed (exit ${r.exitCode})`);
}

/** Whether the probed owner matches a wanted name or numeric id. */
export function sameId(want: string | undefined, name: string | undefined, id: number | undefined): boolean {
  return want === undefined || want === name || want === String(id);
}

/** Attribute differences between a probe and the wanted attrs (only for attrs that were asked for). */
export function attrChanges(p: FileProbe, want: Attrs): Record<string, { before: string | undefined; after: string | undefined }> {
  const out: Record<string, { before: string | undefined; after: string | undefined }> = {};
  if (want.mode !== undefined && (!p.exists || p.mode !== normMode(want.mode))) out.mode = { before: p.mode, after: normMode(want.mode) };
  if (want.owner !== undefined && (!p.exists || !sameId(want.owner, p.owner, p.uid))) out.owner = { before: p.owner, after: want.owner };
  if (want.group !== undefined && (!p.exists || !sameId(want.group, p.group, p.gid))) out.group = { before: p.group, after: want.group };
  return out;
}
