// Shared planner for copy and template: compare the wanted bytes' sha256 (computed here) with the
// remote one from a single probe; only then send anything. Unchanged = 1 request (often none: the
// probe was fetched ahead), changed = 2 (3 under --diff: the old content is read to show it).

import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import type { StdinStream } from '../../executor/types.js';
import type { DiffEntry, ModuleContext, Outcome, Plan, ProbeRequest } from '../types.js';
import { ModuleFailure } from '../types.js';
import { contentDiff } from './diff.js';
import { attrChanges, MAX_CONTENT, normMode, probeFile, setAttrs, writeFile, type Attrs, type FileProbe } from './remote-file.js';
import { hashLocalFile, localFileStream } from './transfer.js';

/**
 * What copy/template put on the host: its checksums and size, and either its bytes (inline content,
 * a rendered template, a small file) or the control-node file it is streamed from (a big one).
 */
export interface PutSource {
  size: number;
  sha256: string;
  /** Ansible's `checksum` in results. */
  sha1: string;
  data?: Buffer;
  file?: string;
  /** A file on the host itself (copy's remote_src): copied there, nothing is sent. */
  remote?: string;
}

export function bufferSource(data: Buffer): PutSource {
  return { size: data.length, sha256: createHash('sha256').update(data).digest('hex'), sha1: createHash('sha1').update(data).digest('hex'), data };
}

/** A control-node file: read whole only when small enough to diff, else hashed as a stream and streamed when sent. */
export async function fileSource(path: string): Promise<PutSource> {
  const size = statSync(path).size;
  if (size <= MAX_CONTENT) return bufferSource(readFileSync(path));
  const h = await hashLocalFile(path, ['sha256', 'sha1']);
  return { size, sha256: h.sha256, sha1: h.sha1, file: path };
}

/** The bytes to send: in memory, or streamed from the file. */
export function payload(src: PutSource): Buffer | StdinStream {
  if (src.remote !== undefined) return Buffer.alloc(0);
  return src.data ?? localFileStream(src.file!, 0, src.size);
}

export interface PutArgs extends Attrs {
  dest: string;
  backup?: boolean;
  force?: boolean;
  directory_mode?: string;
  validate?: string;
  /** Write through a symlink at dest to its target (Ansible's `follow`); default: replace the link. */
  follow?: boolean;
}

export interface PutState {
  target: string;
  src: PutSource;
  contentChanged: boolean;
  attrs: Attrs;
  mkdirs: boolean;
}

/**
 * The probe planPut makes (also declared ahead to the engine by copy and template). It never asks
 * for the content: only a file whose checksum differs is read again, and only under --diff.
 */
export function putProbe(args: Pick<PutArgs, 'dest'>, srcName: string | undefined): ProbeRequest | undefined {
  const trailing = args.dest.endsWith('/');
  if (trailing && srcName === undefined) return undefined;
  return {
    path: trailing ? posix.join(args.dest, srcName!) : args.dest,
    opts: { follow: true, appendIfDir: trailing || srcName === undefined ? undefined : srcName },
  };
}

/**
 * `srcName` (basename of src) enables the "dest is a directory → dest/basename" rule. `probed`: dest's
 * probe (putProbe's) when the caller got it in a request of its own (assemble's listing).
 */
export async function planPut(ctx: ModuleContext, args: PutArgs, input: Buffer | PutSource, srcName?: string, probed?: FileProbe): Promise<Plan<PutState>> {
  const src = Buffer.isBuffer(input) ? bufferSource(input) : input;
  const attrs: Attrs = { mode: args.mode, owner: args.owner, group: args.group };
  const trailing = args.dest.endsWith('/');
  const want = putProbe(args, srcName);
  if (!want) throw new ModuleFailure(`dest ${args.dest} is a directory; with content, give a file path`);
  const probe = probed ?? (await probeFile(ctx, want.path, want.opts));
  const target = probe.path;

  if (probe.exists && probe.type === 'directory') {
    throw new ModuleFailure(`dest ${target} is a directory`);
  }
  // A symlink at dest is replaced by a regular file unless `follow` (then its existing target is written).
  const replaceLink = probe.exists && probe.isLink && (!args.follow || probe.type === 'link');
  if (probe.exists && probe.type !== 'file' && !replaceLink) throw new ModuleFailure(`dest ${target} exists and is not a regular file (${probe.type})`);
  const result = (p: FileProbe): Record<string, unknown> => ({
    dest: target,
    checksum: src.sha1,
    size: src.size,
    mode: attrs.mode !== undefined ? normMode(attrs.mode) : p.mode,
    owner: attrs.owner ?? p.owner,
    group: attrs.group ?? p.group,
  });

  if (probe.exists && args.force === false) {
    return { changed: false, msg: `${target} exists and force is false`, result: result(probe) };
  }
  const contentChanged = !probe.exists || replaceLink || probe.sha256 !== src.sha256;
  // What is replaced is the link, not its target: nothing of the target (mode, owner, content in
  // --diff) is kept or shown.
  const cur: FileProbe = replaceLink ? { path: target, exists: false, isLink: false } : probe;
  const changes = attrChanges(cur, attrs);
  const changed = contentChanged || Object.keys(changes).length > 0;
  if (!changed) {
    return { changed: false, msg: `${target} is already up to date`, result: result(probe) };
  }
  const diff: DiffEntry = { path: target };
  // Content is only fetched (and shown) under --diff, and only for a file that differs: the
  // checksums decided the rest.
  if (contentChanged && ctx.diff) {
    const before = cur.exists && cur.type === 'file' && src.data ? await probeFile(ctx, target, { wantContent: true, follow: true, checksum: false }) : cur;
    if (src.data) Object.assign(diff, contentDiff(target, { ...cur, content: before.content }, src.data));
    else diff.summary = src.remote !== undefined ? `copied from ${src.remote} on the host (${src.size} bytes)` : 'file larger than 100 KiB, diff skipped';
  }
  if (!probe.exists) changes.state = { before: 'absent', after: 'file' };
  else if (replaceLink) changes.state = { before: 'link', after: 'file' };
  if (Object.keys(changes).length) diff.attrs = changes;
  const mkdirs = trailing && !probe.exists && probe.parentExists === false;
  let msg: string;
  if (!probe.exists) msg = `would create ${target} (${src.size} bytes)`;
  else if (replaceLink) msg = `would replace the symlink ${target} by a file (${src.size} bytes)`;
  else if (contentChanged) msg = `would update ${target} (${src.size} bytes)`;
  else msg = `would change ${Object.keys(changes).join(', ')} of ${target}`;
  if (!probe.exists && probe.parentExists === false && !mkdirs) msg += ` (directory ${posix.dirname(target)} does not exist yet)`;
  return {
    changed: true,
    msg,
    diff: [diff],
    result: result(cur),
    state: { target, src, contentChanged, attrs, mkdirs },
  };
}

export async function applyPut(ctx: ModuleContext, args: PutArgs, plan: Plan<PutState>): Promise<Outcome> {
  const st = plan.state;
  if (!st) return { changed: false, msg: plan.msg, result: plan.result };
  const result: Record<string, unknown> = { ...plan.result };
  if (st.contentChanged) {
    const w = await writeFile(ctx, st.target, payload(st.src), {
      ...st.attrs,
      backup: args.backup,
      validate: args.validate,
      follow: args.follow,
      copyFrom: st.src.remote,
      mkdirs: st.mkdirs ? { mode: args.directory_mode, owner: args.owner, group: args.group } : false,
    });
    Object.assign(result, { mode: w.mode, owner: w.owner, group: w.group });
    if (w.backupFile) result.backup_file = w.backupFile;
  } else {
    await setAttrs(ctx, st.target, st.attrs);
  }
  return { changed: true, msg: plan.msg?.replace(/^would (\w+)/, (_m, v: string) => (v.endsWith('e') ? v + 'd' : v + 'ed')), result, diff: plan.diff };
}
