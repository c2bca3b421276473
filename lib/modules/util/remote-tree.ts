// copy with remote_src and a directory as src: a tree already on the host copied to dest there, with
// Ansible's trailing-slash rule ("src: dir" → dest/dir/…, "src: dir/" → dest/…). Planned in ONE
// request (every src entry with its counterpart under dest: type, mode, sha256, link target);
// applied in one more (cp of the files whose content differs, mkdir, ln). As Ansible's copy module
// does: a new or changed file gets its content and the source's mode; new directories the source
// directory's mode; what already matches, and whatever dest holds besides, is left alone.
import { posix } from 'node:path';
import { shq } from '../../executor/types.js';
import type { DiffEntry, ModuleContext, Outcome, Plan } from '../types.js';
import { ModuleFailure } from '../types.js';
import { attrLines, mkdirsLines, normMode, notOption, parseStat, sameId, STAT_FORMAT, type Attrs } from './remote-file.js';
import type { PutArgs } from './put-file.js';

export interface RemoteTreeArgs extends PutArgs {
  src: string;
}

type Kind = 'f' | 'd' | 'l' | 'o' | '-';

interface Entry {
  rel: string;
  src: { kind: Kind; mode: string; extra: string };
  dest: { kind: Kind; mode?: string; owner?: string; group?: string; uid?: number; gid?: number; extra: string };
}

type Step =
  | { op: 'mkdir'; path: string; mode: string }
  | { op: 'file'; path: string; from: string; mode: string }
  | { op: 'link'; path: string; target: string }
  | { op: 'attrs'; path: string; mode?: string };

export interface RemoteTreeState {
  root: string;
  /** dest, when it does not exist yet and is made before the tree lands in it (with its missing parents). */
  mkdest?: string;
  /** Its mode ('' = the umask). */
  mkdestMode?: string;
  createRoot?: string;
  steps: Step[];
  /** The path Ansible reports as dest (its attributes too). */
  resultPath: string;
}

/** One record per src entry, NUL-separated fields: rel, src type/mode/extra, dest type/stat/extra. */
const ENTRY_SH = [
  'for f; do',
  '  r=${f#./}; d="$R/$r"',
  '  if [ -L "$f" ]; then st=l; sx=$(readlink -- "$f"); elif [ -d "$f" ]; then st=d; sx=; elif [ -f "$f" ]; then st=f; sx=$(sha256sum < "$f") || exit 1; sx=${sx%% *}; else st=o; sx=; fi',
  '  sm=$(stat -c %a -- "$f") || exit 1',
  '  if [ -L "$d" ]; then dt=l; dx=$(readlink -- "$d"); elif [ -d "$d" ]; then dt=d; dx=; elif [ -f "$d" ]; then dt=f; dx=$(sha256sum < "$d") || exit 1; dx=${dx%% *}; elif [ -e "$d" ]; then dt=o; dx=; else dt=-; dx=; fi',
  `  dm=; [ "$dt" = - ] || dm=$(stat -c ${STAT_FORMAT} -- "$d") || exit 1`,
  `  printf '%s\\0%s\\0%s\\0%s\\0%s\\0%s\\0%s\\0' "$r" "$st" "$sm" "$sx" "$dt" "$dm" "$dx"`,
  'done',
].join('\n');

/** Python's os.path.basename: "" for a path ending with "/". */
function pyBasename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** Python's os.path.join of two parts. */
function pyJoin(a: string, b: string): string {
  return b.startsWith('/') ? b : a === '' || a.endsWith('/') ? a + b : `${a}/${b}`;
}

/** The path Ansible's copy reports as dest (with its attributes): dest joined with basename(src) when dest is a directory. */
function resultPath(src: string, dest: string, destIsDir: boolean): string {
  return destIsDir ? pyJoin(dest, pyBasename(src)) : dest;
}

/** dest's state, the src root's mode, the reported path's stat, then every entry of src (find: parents before children). */
export function remoteTreeScript(src: string, dest: string, root: string): string {
  return [
    `S=${shq(notOption(src))}; D=${shq(dest)}; R=${shq(root)}; export R`,
    `if [ ! -e "$S" ]; then echo ${shq(`Source ${src} not found`)} >&2; exit 3; fi`,
    `if [ -d "$D" ]; then echo "D d"; elif [ -e "$D" ] || [ -L "$D" ]; then echo "D o"; elif [ -d "$(dirname -- "$D")" ]; then echo "D -"; else echo "D x"; fi`,
    `if [ -d "$R" ]; then echo "R d"; elif [ -e "$R" ] || [ -L "$R" ]; then echo "R o"; else echo "R -"; fi`,
    `echo "M $(stat -L -c %a -- "$S")"`,
    `if [ -d "$D" ]; then P=${shq(resultPath(src, dest, true))}; else P="$D"; fi; echo "P $(stat -c ${STAT_FORMAT} -- "$P" 2>/dev/null)"`,
    `cd -- "$S" || exit 3`,
    `find . -mindepth 1 -exec sh -c ${shq(ENTRY_SH)} sh {} + || exit 1`,
  ].join('\n') + '\n';
}

function parse(raw: Buffer): { dest: string; root: string; srcMode: string; reported?: string; entries: Entry[] } {
  const text = raw.toString('utf8');
  const head = /^D (\S)\nR (\S)\nM ([0-7]+)\nP ?(.*)\n/.exec(text);
  if (!head) throw new ModuleFailure('copy: the listing of the remote source was cut short');
  const f = text.slice(head[0].length).split('\0');
  if (f.at(-1) === '') f.pop();
  if (f.length % 7 !== 0) throw new ModuleFailure('copy: the listing of the remote source was cut short');
  const entries: Entry[] = [];
  for (let i = 0; i < f.length; i += 7) {
    const st = parseStat(f[i + 5] || undefined);
    entries.push({
      rel: f[i]!,
      src: { kind: f[i + 1] as Kind, mode: normMode(f[i + 2]!), extra: f[i + 3]! },
      dest: { kind: f[i + 4] as Kind, mode: st.mode, owner: st.owner, group: st.group, uid: st.uid, gid: st.gid, extra: f[i + 6]! },
    });
  }
  return { dest: head[1]!, root: head[2]!, srcMode: normMode(head[3]!), reported: head[4] || undefined, entries };
}

/** Ansible's rule: "dir/" → its contents in dest; "dir" → dest/dir. */
export function remoteRoot(src: string, dest: string): string {
  const d = dest.replace(/\/+$/, '') || '/';
  return src.endsWith('/') ? d : posix.join(d, posix.basename(src.replace(/\/+$/, '')));
}

export async function planRemoteTree(ctx: ModuleContext, a: RemoteTreeArgs): Promise<Plan<RemoteTreeState>> {
  const root = remoteRoot(a.src, a.dest);
  const r = await ctx.conn.exec(remoteTreeScript(a.src, a.dest, root), { label: 'copy:remote-tree', readOnly: true });
  if (r.exitCode !== 0) throw new ModuleFailure(r.stderr.trim() || `reading ${a.src} failed (exit ${r.exitCode})`);
  const l = parse(r.raw);
  // "dest/": Ansible first makes it (with its missing parents, directory_mode or the umask), then copies into it
  const slashDest = a.dest.endsWith('/');
  if (l.dest === 'x' && !slashDest) throw new ModuleFailure(`Destination directory ${posix.dirname(a.dest)} does not exist`);
  if (l.dest === 'o' && !a.src.endsWith('/')) throw new ModuleFailure(`dest ${a.dest} exists and is not a directory`);
  if (l.root === 'o') throw new ModuleFailure(`dest ${root} exists and is not a directory`);
  const want = (m: string | undefined, fallback: string): string => (m !== undefined ? normMode(m) : fallback);
  const madeFirst = slashDest && l.dest !== 'd';
  const st: RemoteTreeState = { root, steps: [], resultPath: resultPath(a.src, a.dest, l.dest === 'd' || madeFirst) };
  const diff: DiffEntry[] = [];
  if (l.root === '-') {
    const dm = a.directory_mode !== undefined ? normMode(a.directory_mode) : undefined;
    if (madeFirst) {
      st.mkdest = a.dest.replace(/\/+$/, '');
      st.mkdestMode = dm ?? '';
      // "dir" then lands in it as a new tree (the source root's mode); "dir/" is dest itself
      st.createRoot = a.src.endsWith('/') ? (dm ?? '') : (dm ?? l.srcMode);
    } else if (!a.src.endsWith('/') && l.dest === '-') {
      // "dir" into a new dest: dest and dest/dir are made with the umask
      st.mkdest = a.dest;
      st.mkdestMode = '';
      st.createRoot = dm ?? '';
    } else st.createRoot = dm ?? l.srcMode; // a new tree: the source root's mode (copytree)
    diff.push({ path: root + '/', attrs: { state: { before: 'absent', after: 'directory' } } });
  }
  const owned = (e: Entry['dest']): boolean => sameId(a.owner, e.owner, e.uid) && sameId(a.group, e.group, e.gid);
  for (const e of l.entries) {
    const path = posix.join(root, e.rel);
    const d = e.dest;
    if (e.src.kind === 'd') {
      if (d.kind === '-') {
        st.steps.push({ op: 'mkdir', path, mode: want(a.directory_mode, e.src.mode) });
        diff.push({ path: path + '/', attrs: { state: { before: 'absent', after: 'directory' } } });
      } else if (d.kind !== 'd') throw new ModuleFailure(`${path} exists and is not a directory`);
      else if ((a.directory_mode !== undefined && d.mode !== normMode(a.directory_mode)) || !owned(d)) {
        st.steps.push({ op: 'attrs', path, mode: a.directory_mode });
        diff.push({ path: path + '/', attrs: { mode: { before: d.mode, after: want(a.directory_mode, d.mode!) } } });
      }
    } else if (e.src.kind === 'f') {
      if (d.kind === 'd') throw new ModuleFailure(`dest ${path} is a directory`);
      if (d.kind !== 'f' || d.extra !== e.src.extra) {
        if (d.kind !== '-' && a.force === false) continue;
        st.steps.push({ op: 'file', path, from: posix.join(a.src, e.rel), mode: want(a.mode, e.src.mode) });
        diff.push({ path, summary: `copied from ${posix.join(a.src, e.rel)} on the host`, ...(d.kind === '-' ? { attrs: { state: { before: 'absent', after: 'file' } } } : {}) });
      } else if ((a.mode !== undefined && d.mode !== normMode(a.mode)) || !owned(d)) {
        st.steps.push({ op: 'attrs', path, mode: a.mode });
        diff.push({ path, attrs: { mode: { before: d.mode, after: want(a.mode, d.mode!) } } });
      }
    } else if (e.src.kind === 'l') {
      if (d.kind === 'd') throw new ModuleFailure(`${path} is a directory; cannot replace it by a link`);
      if (d.kind !== 'l' || d.extra !== e.src.extra) {
        st.steps.push({ op: 'link', path, target: e.src.extra });
        diff.push({ path, attrs: { state: { before: d.kind === '-' ? 'absent' : d.kind === 'l' ? `link -> ${d.extra}` : 'file', after: `link -> ${e.src.extra}` } } });
      }
    }
    // sockets, fifos, devices: copied by neither Ansible's walk nor this one
  }
  const changed = st.createRoot !== undefined || st.steps.length > 0;
  const files = st.steps.filter((s) => s.op === 'file').length;
  return {
    changed,
    msg: changed ? `would copy ${a.src} to ${root} on the host: ${files} file(s), ${st.steps.length - files} other change(s)` : `${root} is already up to date (${l.entries.length} entries)`,
    diff: changed ? diff : undefined,
    result: { dest: st.resultPath, src: a.src, md5sum: null, checksum: null, ...pathInfo(parseStat(l.reported)) },
    state: changed ? st : undefined,
  };
}

/** Ansible's add_path_info of the reported path (nothing when it does not exist yet: check mode). */
function pathInfo(s: ReturnType<typeof parseStat>): Record<string, unknown> {
  return s.mode === undefined ? {} : { uid: s.uid, gid: s.gid, owner: s.owner, group: s.group, mode: s.mode, state: 'directory', size: s.size };
}

export async function applyRemoteTree(ctx: ModuleContext, a: RemoteTreeArgs, plan: Plan<RemoteTreeState>): Promise<Outcome> {
  const st = plan.state;
  const L: string[] = [];
  const own: Attrs = { owner: a.owner, group: a.group };
  if (st) {
    const mk = (path: string, mode: string): string[] => [
      `if [ ! -d ${shq(path)} ]; then mkdir -- ${shq(path)} || exit 8; fi`,
      ...attrLines(shq(path), { ...own, mode: mode || undefined }),
    ];
    if (st.mkdest) L.push(...mkdirsLines(st.mkdest, { ...own, mode: st.mkdestMode || undefined }));
    if (st.createRoot !== undefined) L.push(...mk(st.root, st.createRoot));
    for (const s of st.steps) {
      if (s.op === 'mkdir') L.push(...mk(s.path, s.mode));
      else if (s.op === 'link') L.push(`rm -f -- ${shq(s.path)} && ln -s -- ${shq(s.target)} ${shq(s.path)} || exit 9`);
      else if (s.op === 'attrs') L.push(...attrLines(shq(s.path), { ...own, mode: s.mode }));
      else {
        // a temp file beside the target, then a rename: a reader never sees half a file
        L.push(
          `t=$(mktemp ${shq(posix.dirname(s.path) + '/.bosun-tmp.XXXXXXXX')}) || exit 4`,
          `cat < ${shq(notOption(s.from))} > "$t" || { rm -f -- "$t"; exit 5; }`,
          ...attrLines('"$t"', { ...own, mode: s.mode }).map((x) => x.replace('|| exit 9', '|| { rm -f -- "$t"; exit 9; }')),
          `if [ -L ${shq(s.path)} ]; then rm -f -- ${shq(s.path)}; fi`,
          `mv -f -- "$t" ${shq(s.path)} || { rm -f -- "$t"; exit 7; }`,
        );
      }
    }
  }
  L.push(`echo "stat=$(stat -c ${STAT_FORMAT} -- ${shq(st?.resultPath ?? a.dest)})"`);
  const r = await ctx.conn.exec(L.join('\n') + '\n', { label: 'copy:remote-tree' });
  if (r.exitCode !== 0) throw new ModuleFailure(r.stderr.trim() || `copying ${a.src} failed (exit ${r.exitCode})`);
  const s = parseStat(/^stat=(.*)$/m.exec(r.stdout)?.[1]);
  return {
    changed: true,
    msg: plan.msg?.replace(/^would copy/, 'copied'),
    result: { ...plan.result, ...pathInfo(s) },
    diff: plan.diff,
  };
}
