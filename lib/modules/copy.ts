// copy: put a control-node file, a directory tree, inline content or (remote_src) a file already on
// the host at dest. Checksums are compared before anything is sent; each file's write is atomic
// (temp file in the same directory, attributes, rename); big files are streamed, never held whole.

import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { ArgumentError, MissingFileError } from '../errors.js';
import { defineModule, ModuleFailure, type ModuleContext, type Plan } from './types.js';
import { applyPut, bufferSource, fileSource, planPut, putProbe, type PutArgs, type PutSource, type PutState } from './util/put-file.js';
import { PUT_FILE_ARGS, checkValidateArg } from './util/file-args.js';
import { applyTree, planTree, type TreeState } from './util/copy-tree.js';
import { applyRemoteTree, planRemoteTree, type RemoteTreeState } from './util/remote-tree.js';
import { probeFile } from './util/remote-file.js';
import { pyJson } from '../engine/jinja/pyjson.js';
import type { FilterCtx } from '../engine/jinja/filters.js';

export interface CopyArgs extends PutArgs {
  src?: string;
  /** A string, or a mapping/list written as JSON (as Ansible does). */
  content?: unknown;
  remote_src: boolean;
  local_follow: boolean;
}

type CopyState = { put: PutState } | { tree: TreeState } | { remoteTree: RemoteTreeState };

function srcName(src: string): string {
  return basename(src.replace(/\/+$/, ''));
}

/** Ansible writes a mapping or list as Python's json.dumps does (", " and ": ", \\uXXXX escapes). */
function contentBytes(content: unknown): Buffer {
  if (typeof content === 'string') return Buffer.from(content, 'utf8');
  // pyJson reads nothing of its filter context but fail()
  const ctx = { fail: (m: string): never => { throw new ModuleFailure(`content: ${m}`); } } as Pick<FilterCtx, 'fail'> as FilterCtx;
  return Buffer.from(pyJson(ctx, content, {}), 'utf8');
}

/** The control-node source: a directory (tree copy) or a file. */
function localSource(ctx: ModuleContext, args: CopyArgs): { abs: string; dir: boolean } {
  const abs = ctx.findFile('files', args.src!);
  try {
    return { abs, dir: statSync(abs).isDirectory() };
  } catch (e) {
    throw new MissingFileError(`copy: src not found: ${args.src} (looked at ${abs})`, { loc: ctx.loc, cause: e });
  }
}

async function planRemoteSrc(ctx: ModuleContext, args: CopyArgs): Promise<Plan<CopyState>> {
  const tree = async (): Promise<Plan<CopyState>> => {
    const p = await planRemoteTree(ctx, { ...args, src: args.src! });
    return { ...p, state: p.state && { remoteTree: p.state } };
  };
  // "dir/" can only be a directory: straight to the tree's one request
  if (args.src!.endsWith('/')) return tree();
  const p = await probeFile(ctx, args.src!, { follow: true });
  if (!p.exists) throw new ModuleFailure(`Source ${args.src} not found`);
  if (p.type === 'directory') return tree();
  if (p.type !== 'file' || p.sha256 === undefined) throw new ModuleFailure(`Source ${args.src} is not a regular file`);
  // sha1 (the result's checksum) is not probed: the remote copy is reported with its sha256
  const src: PutSource = { size: p.size ?? 0, sha256: p.sha256, sha1: p.sha256, remote: args.src };
  const put = await planPut(ctx, args, src, srcName(args.src!));
  return { ...put, state: put.state && { put: put.state } };
}

export default defineModule<CopyArgs, CopyState>({
  name: 'copy',
  doc: {
    short: 'Copy a file, a directory tree or inline content to the host (atomic, checksum-compared, streamed)',
    description:
      'Compares the sha256 of the wanted content with the remote file in one request and sends nothing when they match. ' +
      'Writes to a temporary file in the destination directory, sets mode/owner/group, then renames it over dest. ' +
      'If dest ends with "/" or is a directory, the file goes to dest/basename(src). A dest that is a symlink is replaced by a new regular file (mode from umask unless mode is given), or its target is written with follow: true. ' +
      'A directory as src copies the tree, with Ansible\'s trailing-slash rule: "src: dir" makes dest/dir/…, "src: dir/" puts dir\'s contents in dest/… ' +
      '(new and existing directories get directory_mode, owner and group; files get mode, owner and group; the whole tree is planned in one request). ' +
      'Files over 100 KiB are streamed from disk, never held whole in memory. remote_src copies a file or a directory tree that is already on the host ' +
      '(same trailing-slash rule; planned in one request; a new or changed file gets the source file\'s mode unless mode is given, new directories the source directory\'s unless directory_mode is given, as Ansible; what already matches is left alone). ' +
      'content may be a mapping or list: it is written as JSON. The result\'s checksum is the sha1, as Ansible\'s.',
    check: 'full',
    diff: true,
    examples: [
      '- copy: { src: etcd.conf, dest: /etc/default/etcd, mode: "0644", backup: true }',
      '- copy: { content: "{{ ca_pem }}", dest: /etc/etcd/ca.pem, owner: etcd, mode: "0640" }',
      '- copy: { src: site/, dest: /var/www/, directory_mode: "0755" }   # the contents of files/site',
      '- copy: { src: /etc/app/app.conf, dest: /etc/app/app.conf.orig, remote_src: true, force: false }',
    ].join('\n'),
  },
  args: {
    src: { type: 'path', description: 'File or directory on the control node, resolved in the role\'s/playbook\'s files/ (or absolute); with remote_src, a file or directory on the host.' },
    content: { type: 'raw', description: 'Inline content to write instead of src (never logged); a mapping or list is written as JSON.' },
    dest: { type: 'path', required: true, description: 'Absolute path on the host; a trailing "/" or an existing directory means dest/basename(src).' },
    remote_src: { type: 'bool', default: false, description: 'src is on the host, not on the control node.' },
    local_follow: { type: 'bool', default: true, description: 'Follow symlinks in a src tree (false: copy them as links).' },
    ...PUT_FILE_ARGS,
  },
  validate(args) {
    if ((args.src === undefined) === (args.content === undefined)) throw new ArgumentError('copy needs exactly one of src or content');
    if (args.content !== undefined && args.dest.endsWith('/')) throw new ArgumentError('can not use content with a dir as dest');
    if (args.content !== undefined && args.remote_src) throw new ArgumentError('remote_src needs src, not content');
    checkValidateArg(args.validate);
  },
  probes(args) {
    const want = putProbe(args, args.src === undefined ? undefined : srcName(args.src));
    return [...(args.remote_src ? [{ path: args.src!, opts: { follow: true } }] : []), ...(want ? [want] : [])];
  },
  async plan(ctx, args): Promise<Plan<CopyState>> {
    const wrap = (p: Plan<PutState>): Plan<CopyState> => ({ ...p, state: p.state && { put: p.state } });
    if (args.content !== undefined) return wrap(await planPut(ctx, args, bufferSource(contentBytes(args.content))));
    if (args.remote_src) return planRemoteSrc(ctx, args);
    let src: { abs: string; dir: boolean };
    try {
      src = localSource(ctx, args);
    } catch (e) {
      // In check mode an earlier task (cert, template on the control node) may only have *planned* the
      // src file: say what would be copied instead of failing the dry run.
      if (ctx.check && e instanceof MissingFileError) {
        return {
          changed: true,
          msg: `would copy ${args.src} to ${args.dest} (src does not exist yet; an earlier task would create it)`,
          diff: [{ path: args.dest, summary: `src ${args.src} not created yet (check mode)` }],
        };
      }
      throw e;
    }
    if (src.dir) {
      const p = await planTree(ctx, { ...args, src: args.src! }, src.abs);
      return { ...p, state: p.state && { tree: p.state } };
    }
    return wrap(await planPut(ctx, args, await fileSource(src.abs), srcName(args.src!)));
  },
  apply(ctx, args, plan) {
    const st = plan.state;
    if (st && 'tree' in st) return applyTree(ctx, { ...args, src: args.src! }, { ...plan, state: st.tree });
    if (st && 'remoteTree' in st) return applyRemoteTree(ctx, { ...args, src: args.src! }, { ...plan, state: st.remoteTree });
    return applyPut(ctx, args, { ...plan, state: st && 'put' in st ? st.put : undefined });
  },
});
