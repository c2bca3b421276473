// Shared planner for copy and template: compare the wanted bytes' sha256 (computed here) with the
// remote one from a single probe; only then send anything. Unchanged = 1 request (often none: the
// probe was fetched ahead), changed = 2 (3 under --diff: the old content is read to show it).

import { posix } from 'node:path';
import type { DiffEntry, ModuleContext, Outcome, Plan, ProbeRequest } from '../types.js';
import { ModuleFailure } from '../types.js';
import { contentDiff, sha256 } from './diff.js';
import { attrChanges, normMode, probeFile, setAttrs, writeFile, type Attrs, type FileProbe } from './remote-file.js';

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
  data: Buffer;
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

/** `srcName` (basename of src) enables the "dest is a directory → dest/basename" rule. */
export async function planPut(ctx: ModuleContext, args: PutArgs, data: Buffer, srcName?: string): Promise<Plan<PutState>> {
  const attrs: Attrs = { mode: args.mode, owner: args.owner, group: args.group };
  const trailing = args.dest.endsWith('/');
  const want = putProbe(args, srcName);
  if (!want) throw new ModuleFailure(`dest ${args.dest} is a directory; with content, give a file path`);
  const probe = await probeFile(ctx, want.path, want.opts);
  const target = probe.path;
  const checksum = sha256(data);

  if (probe.exists && probe.type === 'directory') {
    throw new ModuleFailure(`dest ${target} is a directory`);
  }
  // A symlink at dest is replaced by a regular file unless `follow` (then its existing target is written).
  const replaceLink = probe.exists && probe.isLink && (!args.follow || probe.type === 'link');
  if (probe.exists && probe.type !== 'file' && !replaceLink) throw new ModuleFailure(`dest ${target} exists and is not a regular file (${probe.type})`);
  const result = (p: FileProbe): Record<string, unknown> => ({
    dest: target,
    checksum,
    size: data.length,
    mode: attrs.mode !== undefined ? normMode(attrs.mode) : p.mode,
    owner: attrs.owner ?? p.owner,
    group: attrs.group ?? p.group,
  });

  if (probe.exists && args.force === false) {
    return { changed: false, msg: `${target} exists and force is false`, result: result(probe) };
  }
  const contentChanged = !probe.exists || replaceLink || probe.sha256 !== checksum;
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
    const before = cur.exists && cur.type === 'file' ? await probeFile(ctx, target, { wantContent: true, follow: true, checksum: false }) : cur;
    Object.assign(diff, contentDiff(target, { ...cur, content: before.content }, data));
  }
  if (!probe.exists) changes.state = { before: 'absent', after: 'file' };
  else if (replaceLink) changes.state = { before: 'link', after: 'file' };
  if (Object.keys(changes).length) diff.attrs = changes;
  const mkdirs = trailing && !probe.exists && probe.parentExists === false;
  let msg: string;
  if (!probe.exists) msg = `would create ${target} (${data.length} bytes)`;
  else if (replaceLink) msg = `would replace the symlink ${target} by a file (${data.length} bytes)`;
  else if (contentChanged) msg = `would update ${target} (${data.length} bytes)`;
  else msg = `would change ${Object.keys(changes).join(', ')} of ${target}`;
  if (!probe.exists && probe.parentExists === false && !mkdirs) msg += ` (directory ${posix.dirname(target)} does not exist yet)`;
  return {
    changed: true,
    msg,
    diff: [diff],
    result: result(cur),
    state: { target, data, contentChanged, attrs, mkdirs },
  };
}

export async function applyPut(ctx: ModuleContext, args: PutArgs, plan: Plan<PutState>): Promise<Outcome> {
  const st = plan.state;
  if (!st) return { changed: false, msg: plan.msg, result: plan.result };
  const result: Record<string, unknown> = { ...plan.result };
  if (st.contentChanged) {
    const w = await writeFile(ctx, st.target, st.data, {
      ...st.attrs,
      backup: args.backup,
      validate: args.validate,
      follow: args.follow,
      mkdirs: st.mkdirs ? { mode: args.directory_mode, owner: args.owner, group: args.group } : false,
    });
    Object.assign(result, { mode: w.mode, owner: w.owner, group: w.group });
    if (w.backupFile) result.backup_file = w.backupFile;
  } else {
    await setAttrs(ctx, st.target, st.attrs);
  }
  return { changed: true, msg: plan.msg?.replace(/^would (\w+)/, (_m, v: string) => (v.endsWith('e') ? v + 'd' : v + 'ed')), result, diff: plan.diff };
}
