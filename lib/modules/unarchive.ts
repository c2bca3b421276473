// unarchive: unpack a tar(.gz/.bz2/.xz) or zip archive into a directory on the host. Whether
// anything changes is decided by content: the archive's manifest (each member's type, size,
// sha256, link target; after strip-components and include/exclude) is compared with dest in one
// read-only request, so a rerun, and check mode, say exactly which paths would change.

import { readFileSync, statSync } from 'node:fs';
import { ArgumentError, MissingFileError } from '../errors.js';
import { defineModule, ModuleFailure, type ModuleContext } from './types.js';
import { FILE_ATTR_ARGS } from './util/file-args.js';
import type { Attrs } from './util/remote-file.js';
import { checkOnHost, extract, localManifest, stripComponents, type Checked, type Selection } from './util/archive/reader.js';

export interface UnarchiveArgs extends Attrs {
  src: string;
  dest: string;
  remote_src: boolean;
  creates?: string;
  list_files: boolean;
  extra_opts: string[];
  include: string[];
  exclude: string[];
}

interface UnarchiveState {
  checked: Checked;
  /** The control-node archive's path (not read again before apply). */
  local?: string;
}

const MAX_SHOWN = 20;

export default defineModule<UnarchiveArgs, UnarchiveState>({
  name: 'unarchive',
  doc: {
    short: 'Unpack a tar.gz, tar.bz2, tar.xz, tar or zip archive into a directory on the host',
    description:
      'src is on the control node (sent to the host only when something must change) or, with remote_src, already on the host. ' +
      'Idempotence is by content: the archive\'s members (type, size, sha256, link target; after --strip-components in extra_opts ' +
      'and include/exclude) are compared with dest in one read-only request; only when one differs is the archive extracted ' +
      '(GNU tar with extra_opts for tar archives, Python\'s zipfile for zip: no unzip needed). Check mode and --diff list the paths ' +
      'that would change. Members with absolute paths or ".." are refused. mode/owner/group apply to every extracted path ' +
      '(as Ansible). The host needs python3 (Python standard library) to read archives.',
    check: 'full',
    diff: true,
    examples: [
      '- unarchive:',
      '    src: etcd-v3.5.17-linux-amd64.tar.gz     # files/ of the role or playbook',
      '    dest: /usr/local/bin',
      '    extra_opts: [--strip-components=1]',
      '    include: ["*/etcd", "*/etcdctl"]',
      '- unarchive: { src: /opt/app.zip, dest: /opt/app, remote_src: true, creates: /opt/app/bin/app }',
    ].join('\n'),
  },
  args: {
    src: { type: 'path', required: true, description: 'Archive on the control node (role/playbook files/ or absolute), or on the host with remote_src.' },
    dest: { type: 'path', required: true, description: 'Existing directory on the host to unpack into.' },
    remote_src: { type: 'bool', default: false, description: 'src is already on the host.' },
    creates: { type: 'path', description: 'If this path exists on the host, do nothing.' },
    list_files: { type: 'bool', default: false, description: 'Return the paths in the archive (as they land, relative to dest) in files.' },
    extra_opts: { type: 'list', elements: 'str', default: [], description: 'Options for tar (e.g. --strip-components=1); --strip-components is also applied when comparing. Not for zip.' },
    include: { type: 'list', elements: 'str', default: [], description: 'Only these members (shell patterns on member names).' },
    exclude: { type: 'list', elements: 'str', default: [], description: 'Leave out these members (shell patterns on member names).' },
    ...FILE_ATTR_ARGS,
  },
  validate(a) {
    if (a.include.length && a.exclude.length) throw new ArgumentError('parameters are mutually exclusive: include|exclude');
    try {
      stripComponents(a.extra_opts);
    } catch (e) {
      throw new ArgumentError((e as Error).message);
    }
  },
  async plan(ctx, a) {
    const sel: Selection = { strip: stripComponents(a.extra_opts), include: a.include, exclude: a.exclude };
    const attrs: Attrs = { mode: a.mode, owner: a.owner, group: a.group };
    let checked: Checked;
    let local: string | undefined;
    if (a.remote_src) {
      checked = await checkOnHost(ctx.conn, { dest: a.dest, creates: a.creates, attrs, sel }, { remoteSrc: a.src });
    } else {
      local = localSource(ctx, a.src);
      const m = await localManifest(ctx.control, local, sel);
      checked = await checkOnHost(ctx.conn, { dest: a.dest, creates: a.creates, attrs, sel }, m);
    }
    const result: Record<string, unknown> = { dest: a.dest, src: a.src, handler: checked.handler };
    if (checked.creates) return { changed: false, msg: `skipped, since ${a.creates} exists`, result: { dest: a.dest, src: a.src } };
    if (checked.missing) {
      const what = checked.missing === 'dest' ? `Destination '${a.dest}' is not a directory` : `Source '${a.src}' does not exist`;
      // In check mode an earlier task (file, get_url) may only have planned it: say what would
      // happen instead of failing the dry run (as copy does for a src not made yet).
      if (!ctx.check) throw new ModuleFailure(what, { dest: a.dest, src: a.src });
      return { changed: true, msg: `would unpack ${a.src} into ${a.dest} (${what} yet: an earlier task would create it)`, diff: [{ path: a.dest, summary: `${what} yet (check mode)` }], result: { dest: a.dest, src: a.src } };
    }
    if (checked.handler === 'ZipArchive' && a.extra_opts.length) throw new ModuleFailure('extra_opts are tar options; bosun unpacks zip archives with Python (no unzip): leave them out');
    if (a.list_files) result.files = checked.entries.map((e) => e.path);
    if (checked.differ.length === 0) return { changed: false, msg: `${a.dest} already holds the ${checked.entries.length} paths of ${a.src}`, result };
    const shown = checked.differ.slice(0, MAX_SHOWN).join('\n') + (checked.differ.length > MAX_SHOWN ? `\n… and ${checked.differ.length - MAX_SHOWN} more` : '');
    return {
      changed: true,
      msg: `would unpack ${a.src} into ${a.dest} (${checked.differ.length} of ${checked.entries.length} paths differ)`,
      diff: [{ path: a.dest, summary: `${checked.differ.length} path(s) would be written:\n${shown}` }],
      result,
      state: { checked, local },
    };
  },
  async apply(ctx, a, plan) {
    const st = plan.state!;
    const sel: Selection = { strip: stripComponents(a.extra_opts), include: a.include, exclude: a.exclude };
    const attrs: Attrs = { mode: a.mode, owner: a.owner, group: a.group };
    const src = st.local !== undefined ? { data: readFileSync(st.local) } : { remoteSrc: a.src };
    const x = await extract(ctx.conn, { dest: a.dest, attrs, sel, extraOpts: a.extra_opts, checked: st.checked }, src);
    const result = { ...plan.result, extract_results: { cmd: x.cmd, rc: x.rc, out: x.out, err: x.err } };
    if (x.rc !== 0) throw new ModuleFailure(`failed to unpack ${a.src} to ${a.dest}`, result);
    return { changed: true, msg: `unpacked ${a.src} into ${a.dest} (${st.checked.differ.length} paths written or updated)`, result };
  },
});

function localSource(ctx: ModuleContext, src: string): string {
  const abs = ctx.findFile('files', src);
  let size: number;
  try {
    size = statSync(abs).size;
  } catch (e) {
    throw new MissingFileError(`unarchive: src not found: ${src} (looked at ${abs})`, { loc: ctx.loc, cause: e });
  }
  if (size === 0) throw new ModuleFailure(`Invalid archive '${src}', the file is 0 bytes`);
  return abs;
}
