// copy with a directory as src: Ansible's tree semantics. `src: dir` lands in dest/dir/…, `src: dir/`
// puts dir's contents in dest/…; every file is compared by checksum, directories get directory_mode
// and owner/group, symlinks that are not followed become links. Planned from ONE request (every
// destination path probed in a batch, probe-batch.ts); applied with one request for directories,
// one per file whose content changes (streamed when big), and one for links and attributes.
import { readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename, join, posix } from 'node:path';
import { shq } from '../../executor/types.js';
import type { DiffEntry, ModuleContext, Outcome, Plan } from '../types.js';
import { ModuleFailure } from '../types.js';
import { contentDiff } from './diff.js';
import { batchProbeScript, parseBatch, type BatchItem } from './probe-batch.js';
import { attrChanges, attrLines, mkdirsLines, probeOnce, writeFile, type Attrs, type FileProbe } from './remote-file.js';
import { fileSource, payload, type PutArgs, type PutSource } from './put-file.js';

export interface TreeEntry {
  /** Path below the destination root, "/"-separated. */
  rel: string;
  kind: 'dir' | 'file' | 'link';
  /** The control-node file to send (kind file). */
  local?: string;
  /** Link target (kind link). */
  target?: string;
}

/**
 * The source tree, parents before children, names sorted. Symlinks are followed (Ansible's
 * local_follow) unless `follow` is false or the link points at one of its own ancestors (a loop):
 * those, and dangling links, are copied as links.
 */
export function walkLocal(root: string, follow: boolean): TreeEntry[] {
  const out: TreeEntry[] = [];
  const walk = (dir: string, rel: string, ancestors: Set<string>): void => {
    for (const d of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const abs = join(dir, d.name);
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (d.isSymbolicLink()) {
        let real: string | undefined;
        try {
          real = realpathSync(abs);
        } catch {
          real = undefined; // dangling
        }
        const st = real === undefined ? undefined : statSync(real);
        if (!follow || !st || ancestors.has(real!) || !(st.isFile() || st.isDirectory())) {
          out.push({ rel: r, kind: 'link', target: readlinkSync(abs) });
        } else if (st.isFile()) out.push({ rel: r, kind: 'file', local: real });
        else {
          out.push({ rel: r, kind: 'dir' });
          walk(real!, r, new Set([...ancestors, real!]));
        }
      } else if (d.isDirectory()) {
        out.push({ rel: r, kind: 'dir' });
        walk(abs, r, new Set([...ancestors, realpathSync(abs)]));
      } else if (d.isFile()) out.push({ rel: r, kind: 'file', local: abs });
      // sockets, fifos, devices: Ansible's walk skips what is neither file, dir nor link too
    }
  };
  walk(root, '', new Set([realpathSync(root)]));
  return out;
}

interface FileStep {
  path: string;
  src: PutSource;
  content: boolean;
  attrs: Attrs;
}

export interface TreeState {
  root: string;
  createRoot: boolean;
  dirs: Array<{ path: string; create: boolean; attrs: Attrs }>;
  files: FileStep[];
  links: Array<{ path: string; target: string }>;
}

/** Many probes in one request; whatever the batch cannot answer is asked alone. */
async function probeAll(ctx: ModuleContext, items: BatchItem[]): Promise<FileProbe[]> {
  if (items.length === 0) return [];
  const r = await ctx.conn.exec(batchProbeScript(items), { label: 'copy:probe-tree', readOnly: true, text: true });
  const got = r.exitCode === 0 ? parseBatch(items, r.raw) : items.map(() => undefined);
  const out: FileProbe[] = [];
  for (let i = 0; i < items.length; i++) out.push(got[i] ?? (await probeOnce(ctx.conn, items[i]!.path, items[i]!.opts)));
  return out;
}

export interface TreeArgs extends PutArgs {
  src: string;
  local_follow: boolean;
}

/** dest/ + (src without "/": its basename). */
export function treeRoot(args: Pick<TreeArgs, 'src' | 'dest'>, abs: string): string {
  const dest = args.dest.replace(/\/+$/, '') || '/';
  return args.src.endsWith('/') ? dest : posix.join(dest, basename(abs));
}

export async function planTree(ctx: ModuleContext, args: TreeArgs, abs: string): Promise<Plan<TreeState>> {
  const root = treeRoot(args, abs);
  const entries = walkLocal(abs, args.local_follow);
  const dirAttrs: Attrs = { mode: args.directory_mode, owner: args.owner, group: args.group };
  const fileAttrs: Attrs = { mode: args.mode, owner: args.owner, group: args.group };
  const paths = entries.map((e) => posix.join(root, e.rel));
  const probes = await probeAll(ctx, [{ path: root, opts: { checksum: false } }, ...entries.map((e, i) => ({ path: paths[i]!, opts: { checksum: e.kind === 'file' } }))]);
  const [rootProbe, ...rest] = probes as [FileProbe, ...FileProbe[]];
  if (rootProbe.exists && rootProbe.type !== 'directory') throw new ModuleFailure(`dest ${root} exists and is not a directory`);

  const st: TreeState = { root, createRoot: !rootProbe.exists, dirs: [], files: [], links: [] };
  const diff: DiffEntry[] = [];
  if (st.createRoot) diff.push({ path: root + '/', attrs: { state: { before: 'absent', after: 'directory' } } });
  const fileResults: Array<Record<string, unknown>> = [];
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const p = rest[i]!;
    const path = paths[i]!;
    if (e.kind === 'dir') {
      if (p.exists && p.type !== 'directory') throw new ModuleFailure(`${path} exists and is not a directory (${p.type})`);
      const changes = attrChanges(p, dirAttrs);
      if (!p.exists) changes.state = { before: 'absent', after: 'directory' };
      if (Object.keys(changes).length) {
        st.dirs.push({ path, create: !p.exists, attrs: dirAttrs });
        diff.push({ path: path + '/', attrs: changes });
      }
    } else if (e.kind === 'link') {
      if (p.exists && p.type === 'directory') throw new ModuleFailure(`${path} is a directory; cannot replace it by a link`);
      if (!p.exists || !p.isLink || p.linkTarget !== e.target) {
        st.links.push({ path, target: e.target! });
        diff.push({ path, attrs: { state: { before: p.exists ? (p.isLink ? `link -> ${p.linkTarget}` : p.type) : 'absent', after: `link -> ${e.target}` } } });
      }
    } else {
      if (p.exists && p.type === 'directory') throw new ModuleFailure(`dest ${path} is a directory`);
      const src = await fileSource(e.local!);
      fileResults.push({ dest: path, checksum: src.sha1, size: src.size });
      if (p.exists && args.force === false) continue;
      const content = !p.exists || p.isLink || p.sha256 !== src.sha256;
      const cur: FileProbe = p.isLink ? { path, exists: false, isLink: false } : p;
      const changes = attrChanges(cur, fileAttrs);
      if (!content && Object.keys(changes).length === 0) continue;
      if (!cur.exists) changes.state = { before: 'absent', after: 'file' };
      st.files.push({ path, src, content, attrs: fileAttrs });
      diff.push({ path, ...(Object.keys(changes).length ? { attrs: changes } : {}) });
    }
  }
  // Under --diff, the old content of the small files that change, in one more read
  if (ctx.diff) {
    const changedFiles = st.files.filter((f) => f.content);
    const olds = await probeAll(ctx, changedFiles.map((f) => ({ path: f.path, opts: { checksum: false, wantContent: true } })));
    changedFiles.forEach((f, i) => {
      const d = diff.find((x) => x.path === f.path)!;
      if (f.src.data) Object.assign(d, contentDiff(f.path, olds[i]!, f.src.data));
      else d.summary = 'file larger than 100 KiB, diff skipped';
    });
  }
  const changed = st.createRoot || st.dirs.length > 0 || st.files.length > 0 || st.links.length > 0;
  // Ansible: one file copied → that file's result; otherwise dest (with "/"), src and changed
  const result: Record<string, unknown> =
    fileResults.length === 1 && entries.length === 1 ? fileResults[0]! : { dest: args.dest.endsWith('/') ? args.dest : args.dest + '/', src: args.src.endsWith('/') ? abs.replace(/\/?$/, '/') : abs.replace(/\/+$/, '') };
  const sent = st.files.filter((f) => f.content).length;
  const made = st.dirs.filter((d) => d.create).length + (st.createRoot ? 1 : 0);
  const touched = st.files.length - sent + st.dirs.length - made + (st.createRoot ? 1 : 0);
  const counts = [
    sent && `${sent} file(s)`,
    made && `${made} new director${made === 1 ? 'y' : 'ies'}`,
    st.links.length && `${st.links.length} link(s)`,
    touched && `attributes of ${touched} path(s)`,
  ].filter(Boolean);
  return {
    changed,
    msg: changed ? `would copy ${abs} to ${root}: ${counts.join(', ')}` : `${root} is already up to date (${entries.length} entries)`,
    diff: changed ? diff : undefined,
    result,
    state: changed ? st : undefined,
  };
}

export async function applyTree(ctx: ModuleContext, args: TreeArgs, plan: Plan<TreeState>): Promise<Outcome> {
  const st = plan.state;
  if (!st) return { changed: false, msg: plan.msg, result: plan.result };
  // 1. directories, parents first (the walk's order)
  const dirLines: string[] = [];
  const newDir = (path: string, a: Attrs): string[] => [`if [ ! -d ${shq(path)} ]; then mkdir -- ${shq(path)} || exit 8; fi`, ...attrLines(shq(path), a)];
  // the root and its missing parents each get directory_mode, owner and group (as Ansible's makedirs)
  if (st.createRoot) dirLines.push(...mkdirsLines(st.root, { mode: args.directory_mode, owner: args.owner, group: args.group }));
  for (const d of st.dirs) dirLines.push(...(d.create ? newDir(d.path, d.attrs) : attrLines(shq(d.path), d.attrs)));
  if (dirLines.length) await script(ctx, dirLines, 'copy:dirs');
  // 2. contents, one request each (streamed)
  for (const f of st.files.filter((x) => x.content)) {
    await writeFile(ctx, f.path, payload(f.src), { ...f.attrs, backup: args.backup, validate: args.validate });
  }
  // 3. links and attribute-only changes
  const last: string[] = [];
  for (const l of st.links) last.push(`ln -sfn -- ${shq(l.target)} ${shq(l.path)} || exit 9`);
  for (const f of st.files.filter((x) => !x.content)) last.push(...attrLines(shq(f.path), f.attrs));
  if (last.length) await script(ctx, last, 'copy:links');
  return { changed: true, msg: plan.msg?.replace(/^would copy/, 'copied'), result: plan.result, diff: plan.diff };
}

async function script(ctx: ModuleContext, lines: string[], label: string): Promise<void> {
  const r = await ctx.conn.exec(lines.join('\n') + '\n', { label });
  if (r.exitCode !== 0) throw new ModuleFailure(r.stderr.trim() || `${label} failed (exit ${r.exitCode})`);
}
