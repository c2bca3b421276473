// archive (community.general.archive): pack files and trees on the host into a tar/tar.gz/tar.bz2/
// tar.xz/zip archive, or compress a single file. One request: the host compares what the archive
// would hold (names, types, sha256 of contents, link targets) with what dest holds, and writes only
// when that differs — so a rerun is ok even though compressed bytes carry mtimes.

import { ArgumentError } from '../errors.js';
import { shq } from '../executor/types.js';
import { defineModule, ModuleFailure, type ModuleContext } from './types.js';
import { FILE_ATTR_ARGS } from './util/file-args.js';
import { attrChanges, probeFile, setAttrs, type Attrs } from './util/remote-file.js';
import { pythonCommand } from './util/python.js';
import { PACK_PY } from './util/archive/pack-py.js';

export interface ArchiveArgs extends Attrs {
  path: string[];
  dest?: string;
  format: 'gz' | 'bz2' | 'xz' | 'tar' | 'zip';
  exclude_path: string[];
  force_archive: boolean;
  remove: boolean;
}

interface Packed {
  changed: boolean;
  dest: string;
  dest_state: string;
  arcroot: string;
  archived: string[];
  missing: string[];
  expanded_paths: string[];
}

async function pack(ctx: ModuleContext, a: ArchiveArgs, check: boolean): Promise<Packed> {
  const req = { paths: a.path, exclude: a.exclude_path, dest: a.dest, format: a.format, force_archive: a.force_archive, remove: a.remove, check };
  const r = await ctx.conn.exec(pythonCommand(PACK_PY, "''", 'archive') + '\n', { stdin: JSON.stringify(req) + '\n', label: check ? 'archive:compare' : 'archive:pack', readOnly: check });
  const first = r.stdout.split('\n', 1)[0] ?? '';
  let o: (Packed & { error?: string }) | undefined;
  try {
    o = first ? (JSON.parse(first) as Packed & { error?: string }) : undefined;
  } catch {
    o = undefined;
  }
  if (!o) throw new ModuleFailure(`archive failed: ${r.stderr.trim().split('\n').slice(-3).join(' ') || `exit ${r.exitCode}`}`);
  if (o.error !== undefined) throw new ModuleFailure(o.error, { path: a.path.join(', '), dest: a.dest });
  return o;
}

export default defineModule<ArchiveArgs, Packed>({
  name: 'archive',
  doc: {
    short: 'Pack files or trees on the host into tar, tar.gz, tar.bz2, tar.xz or zip (or compress one file)',
    description:
      'Members are named relative to the common directory of the paths (arcroot), as community.general.archive. ' +
      'Idempotence by content: the host compares the names, types, sha256 of contents and link targets the archive would hold ' +
      'with those dest holds (one read-only request) and rewrites dest only when they differ; mtimes and compression bytes never count. ' +
      'A single file with format gz, bz2 or xz is compressed to PATH.FORMAT unless force_archive. remove deletes the sources after ' +
      'the archive is in place. The host needs python3 (standard library: tarfile, zipfile, gzip, bz2, lzma).',
    check: 'full',
    diff: false,
    examples: [
      '- archive: { path: /etc/etcd, dest: /var/backups/etcd-conf.tar.gz }',
      '- archive: { path: ["/var/log/app/*.log"], dest: /var/backups/logs.zip, format: zip, exclude_path: ["/var/log/app/debug.log"] }',
    ].join('\n'),
  },
  args: {
    path: { type: 'list', elements: 'path', required: true, description: 'Files, directories or glob patterns on the host.' },
    dest: { type: 'path', description: 'The archive; required for several paths, a directory or a glob (default for one file: PATH.FORMAT).' },
    format: { type: 'str', default: 'gz', choices: ['gz', 'bz2', 'xz', 'tar', 'zip'], description: 'gz/bz2/xz: a compressed tar (or one compressed file); tar; zip.' },
    exclude_path: { type: 'list', elements: 'path', default: [], description: 'Paths or globs left out.' },
    force_archive: { type: 'bool', default: false, description: 'Make an archive even of a single file.' },
    remove: { type: 'bool', default: false, description: 'Delete the sources once the archive is written.' },
    ...FILE_ATTR_ARGS,
  },
  validate(a) {
    if (a.path.length === 0) throw new ArgumentError('path needs at least one file, directory or pattern');
  },
  async plan(ctx, a) {
    const p = await pack(ctx, a, true);
    const result = { ...p, state: p.dest_state };
    const attrs: Attrs = { mode: a.mode, owner: a.owner, group: a.group };
    const hasAttrs = attrs.mode !== undefined || attrs.owner !== undefined || attrs.group !== undefined;
    if (!p.changed && (!hasAttrs || Object.keys(attrChanges(await probeFile(ctx, p.dest, { checksum: false }), attrs)).length === 0)) {
      return { changed: false, msg: `${p.dest} already holds ${p.archived.length} path(s)`, result };
    }
    if (!p.changed) return { changed: true, msg: `would set attributes of ${p.dest}`, result, state: p };
    return { changed: true, msg: `would write ${p.dest} (${p.archived.length} path(s))${a.remove ? ' and remove the sources' : ''}`, diff: [{ path: p.dest, summary: `archive of ${p.archived.length} path(s) under ${p.arcroot}` }], result, state: p };
  },
  async apply(ctx, a, plan) {
    const attrs: Attrs = { mode: a.mode, owner: a.owner, group: a.group };
    const p = plan.state!.changed ? await pack(ctx, a, false) : plan.state!;
    await setAttrs(ctx, p.dest, attrs);
    return { changed: true, msg: p.changed ? `wrote ${p.dest} (${p.archived.length} path(s))` : `set attributes of ${shq(p.dest)}`, result: { ...p, changed: true, state: p.dest_state } };
  },
});
