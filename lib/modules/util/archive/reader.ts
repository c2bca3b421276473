// Requests around archive-py.ts: an archive's manifest (control node or host), its comparison with
// dest (read-only, one request), and the extraction (one request: upload, tar/zip, attributes).

import { posix } from 'node:path';
import { shq, type Connection } from '../../../executor/types.js';
import { ModuleFailure } from '../../types.js';
import { locatePython, pythonCommand, runPython } from '../python.js';
import { notOption, type Attrs } from '../remote-file.js';
import { ARCHIVE_PY } from './archive-py.js';

export interface Entry {
  /** Where it lands, relative to dest (after strip-components). */
  path: string;
  /** Its name in the archive. */
  member: string;
  type: 'file' | 'directory' | 'link';
  size: number;
  mode: string;
  sha256?: string;
  link?: string;
}

export interface Selection {
  strip: number;
  include: string[];
  exclude: string[];
}

export interface Checked {
  handler: string;
  entries: Entry[];
  /** Paths (relative to dest) whose content, type or wanted attributes differ; missing ones included. */
  differ: string[];
  /** `creates` exists: nothing to do. */
  creates?: boolean;
  /** dest (not a directory) or the host's src (not a file) is missing: nothing was compared. */
  missing?: 'dest' | 'src';
}

const py = (args: string): string => pythonCommand(ARCHIVE_PY, args, 'unarchive');

function parse<T>(r: { stdout: string; stderr: string; exitCode: number }, what: string): T {
  const first = r.stdout.split('\n', 1)[0] ?? '';
  let o: Record<string, unknown> | undefined;
  try {
    o = first ? (JSON.parse(first) as Record<string, unknown>) : undefined;
  } catch {
    o = undefined;
  }
  if (!o) throw new ModuleFailure(`${what} failed: ${r.stderr.trim().split('\n').slice(-3).join(' ') || `exit ${r.exitCode}`}`);
  if (typeof o.error === 'string') throw new ModuleFailure(`${what}: ${o.error}`);
  return o as T;
}

/** Lines answering for `creates` and a missing dest before anything is read. */
function guardLines(dest: string, creates: string | undefined): string[] {
  return [
    ...(creates !== undefined ? [`if [ -e ${shq(notOption(creates))} ]; then echo '{"creates": true, "handler": "", "entries": [], "differ": []}'; exit 0; fi`] : []),
    `if [ ! -d ${shq(notOption(dest))} ]; then echo '{"missing": "dest", "handler": "", "entries": [], "differ": []}'; exit 0; fi`,
  ];
}

/** The manifest of a control-node archive (read-only, on the control node). */
export async function localManifest(control: Connection, src: string, sel: Selection): Promise<{ handler: string; entries: Entry[] }> {
  const r = await control.exec(py(shq(src)) + '\n', { stdin: JSON.stringify({ op: 'manifest', ...sel }) + '\n', label: 'unarchive:manifest', readOnly: true });
  return parse(r, `reading ${src}`);
}

/** One read-only request on the host: creates, dest, then entries compared (the manifest made there too when `src` is the host's). */
export async function checkOnHost(
  conn: Connection,
  a: { dest: string; creates?: string; attrs: Attrs; sel: Selection },
  from: { remoteSrc: string } | { entries: Entry[]; handler: string },
): Promise<Checked> {
  const remote = 'remoteSrc' in from;
  const req = remote
    ? { op: 'check', dest: a.dest, attrs: a.attrs, ...a.sel }
    : { op: 'compare', dest: a.dest, attrs: a.attrs, entries: from.entries };
  const lines = [...guardLines(a.dest, a.creates)];
  if (remote) lines.push(`if [ ! -f ${shq(notOption(from.remoteSrc))} ]; then echo '{"missing": "src", "handler": "", "entries": [], "differ": []}'; exit 0; fi`);
  lines.push(py(remote ? shq(from.remoteSrc) : "''"), '');
  const r = await conn.exec(lines.join('\n'), { stdin: JSON.stringify(req) + '\n', label: 'unarchive:compare', readOnly: true });
  if (r.exitCode !== 0 && !r.stdout.startsWith('{')) throw new ModuleFailure(r.stderr.trim() || `unarchive: exit ${r.exitCode}`);
  const c = parse<Checked>(r, 'unarchive');
  return remote ? c : { ...c, handler: from.handler, entries: c.creates || c.missing ? [] : from.entries };
}

export interface ExtractResult {
  cmd: string;
  rc: number;
  out: string;
  err: string;
  attrsChanged: string[];
}

/**
 * One request: the archive (uploaded on stdin unless `remoteSrc`) extracted into dest — tar
 * archives by GNU tar with extra_opts (only the selected members when include/exclude narrow it),
 * zip by Python's zipfile — then the wanted attributes set on every extracted path.
 */
export async function extract(
  conn: Connection,
  a: { dest: string; attrs: Attrs; sel: Selection; extraOpts: string[]; checked: Checked },
  src: { remoteSrc: string } | { data: Buffer },
): Promise<ExtractResult> {
  const zip = a.checked.handler === 'ZipArchive';
  const narrowed = a.sel.include.length > 0 || a.sel.exclude.length > 0;
  const tarWords = ['tar', '-x', '-f', '"$arc"', '-C', '"$d"', ...a.extraOpts.map(shq)];
  if (narrowed) tarWords.push('--no-recursion', '--no-wildcards', '--verbatim-files-from', '-T', '"$list"');
  const cmdShown = zip ? `python3 zipfile extract to ${a.dest}` : tarWords.join(' ').replace('"$arc"', 'SRC').replace('"$d"', a.dest).replace('"$list"', 'MEMBERS');
  const attrsReq = { op: 'attrs', dest: a.dest, paths: attrPaths(a.checked.entries), ...a.attrs };
  const hasAttrs = a.attrs.mode !== undefined || a.attrs.owner !== undefined || a.attrs.group !== undefined;
  const upload = !('remoteSrc' in src);
  const lines = [
    `d=${shq(notOption(a.dest))}`,
    `if [ ! -d "$d" ]; then echo ${shq(`Destination '${a.dest}' is not a directory`)} >&2; exit 3; fi`,
    `arc= list=`,
    `trap 'rm -f -- \${list:+"$list"} ${upload ? '${arc:+"$arc"}' : ''}' EXIT`,
    `trap 'exit 129' HUP INT TERM PIPE`,
    // the first stdin line is the attributes request; the archive's bytes follow it
    `IFS= read -r req || exit 5`,
    locatePython('unarchive'),
  ];
  if (upload) lines.push(`arc=$(mktemp "\${TMPDIR:-/tmp}/.bosun-arc.XXXXXXXX") || exit 4`, `cat > "$arc" || exit 5`);
  else lines.push(`arc=${shq(notOption((src as { remoteSrc: string }).remoteSrc))}`);
  if (narrowed && !zip) {
    lines.push(`list=$(mktemp "\${TMPDIR:-/tmp}/.bosun-list.XXXXXXXX") || exit 4`, `cat > "$list" <<'BOSUN_LIST_EOF'`, ...a.checked.entries.map((e) => e.member), 'BOSUN_LIST_EOF');
  }
  if (zip) {
    const zreq = JSON.stringify({ op: 'extract_zip', dest: a.dest, ...a.sel });
    lines.push(`out=$(printf '%s\\n' ${shq(zreq)} | ${runPython(ARCHIVE_PY, '"$arc"', ' 2>&1')}`, ')');
  } else {
    lines.push(`out=$(${tarWords.join(' ')} 2>&1 </dev/null)`);
  }
  lines.push(`rc=$?`, `printf 'rc=%s\\n' "$rc"`, `printf '%s' "$out" | od -An -v -tx1 | tr -d ' \\n' | sed 's/^/out=/'; echo`, `[ $rc -eq 0 ] || exit 0`);
  if (hasAttrs) lines.push(`printf '%s\\n' "$req" | ${runPython(ARCHIVE_PY, "''")}`);
  lines.push('');
  const stdin = Buffer.concat([Buffer.from(JSON.stringify(attrsReq) + '\n'), upload ? (src as { data: Buffer }).data : Buffer.alloc(0)]);
  const r = await conn.exec(lines.join('\n'), { stdin, label: 'unarchive:extract' });
  if (r.exitCode !== 0) throw new ModuleFailure(r.stderr.trim() || `unarchive: exit ${r.exitCode}`);
  const f = new Map(
    r.stdout
      .split('\n')
      .filter((l) => /^(rc|out)=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
  );
  const rc = Number(f.get('rc') ?? -1);
  const out = Buffer.from(f.get('out') ?? '', 'hex').toString('utf8');
  let attrsChanged: string[] = [];
  if (rc === 0 && hasAttrs) {
    const last = r.stdout.trim().split('\n').at(-1) ?? '';
    attrsChanged = parse<{ changed: string[] }>({ stdout: last, stderr: r.stderr, exitCode: r.exitCode }, 'setting attributes').changed;
  }
  return { cmd: cmdShown, rc, out: rc === 0 ? out : '', err: rc === 0 ? '' : out, attrsChanged };
}

/** Every extracted path and the top-level directories above them (Ansible sets attributes on both). */
export function attrPaths(entries: Entry[]): string[] {
  const set = new Set(entries.map((e) => e.path));
  for (const e of entries) if (e.path.includes('/')) set.add(e.path.split('/')[0]!);
  return [...set];
}

/** `--strip-components=N`, `--strip-components N`, `--strip=N` in extra_opts (what the comparison must know). */
export function stripComponents(extraOpts: string[]): number {
  for (let i = 0; i < extraOpts.length; i++) {
    const o = extraOpts[i]!;
    const m = /^--strip(?:-components)?(?:=(.*))?$/.exec(o);
    if (!m) continue;
    const v = m[1] ?? extraOpts[i + 1];
    if (v === undefined || !/^\d+$/.test(v)) throw new ModuleFailure(`extra_opts: ${o} needs a number`);
    return Number(v);
  }
  return 0;
}

/** dest/path for a list of relative paths. */
export const under = (dest: string, paths: string[]): string[] => paths.map((p) => posix.join(dest, p));
