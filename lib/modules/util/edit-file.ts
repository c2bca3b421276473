// Shared planner for the modules that edit a text file in place (lineinfile, blockinfile, replace,
// ini_file): one probe reads the file (content included), the module computes the new text on the
// control node, and apply writes it in one request (temp file, validate, backup, attributes, rename).
// A no-op is the probe alone — often fetched ahead with other tasks' probes.

import type { DiffEntry, ModuleContext, Outcome, Plan, ProbeRequest } from '../types.js';
import { ModuleFailure } from '../types.js';
import { isText } from './diff.js';
import { attrChanges, probeFile, setAttrs, writeFile, type Attrs, type FileProbe, type ProbeOptions } from './remote-file.js';

/** Files larger than this are refused rather than edited (the whole file travels to the control node). */
export const MAX_EDIT = 8 * 1024 * 1024;

/** The probe every editing module makes (also declared ahead in `probes()`: the same options, or the prefetch misses). */
export const EDIT_PROBE: ProbeOptions = { wantContent: true, maxContent: MAX_EDIT, follow: true };

export function editProbe(path: string): ProbeRequest[] {
  return [{ path, opts: EDIT_PROBE }];
}

export interface EditArgs extends Attrs {
  path: string;
  backup: boolean;
  validate?: string;
}

export interface EditState {
  /** New content, when it changes. */
  data?: Buffer;
  attrs: Attrs;
  /** Parent directories to create first (create: true on a missing path). */
  mkdirs: boolean;
  /** Result key of the backup's name: `backup` (lineinfile) or `backup_file` (the others). */
  backupKey: 'backup' | 'backup_file';
}

export interface Read {
  probe: FileProbe;
  /** Undefined when the file does not exist. */
  text?: string;
}

/** One request: the file's attributes and content (following a symlink, as Ansible edits realpath(dest)). */
export async function readText(ctx: ModuleContext, path: string): Promise<Read> {
  const probe = await probeFile(ctx, path, EDIT_PROBE);
  if (!probe.exists) return { probe };
  if (probe.type === 'directory') throw new ModuleFailure(`Path ${path} is a directory !`, { rc: 256 });
  if (probe.type !== 'file') throw new ModuleFailure(`Path ${path} is not a regular file (${probe.type})`);
  if (probe.content === undefined) {
    throw new ModuleFailure(`${path} is larger than ${MAX_EDIT / 1024 / 1024} MiB (${probe.size} bytes): not edited in place`);
  }
  if (!isText(probe.content)) throw new ModuleFailure(`${path} is not UTF-8 text: not edited in place`);
  return { probe, text: probe.content.toString('utf8') };
}

/** Python's readlines(): lines split after each "\n", the newline kept; no empty last element. */
export function splitLines(text: string): string[] {
  const out: string[] = [];
  let pos = 0;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const end = nl < 0 ? text.length : nl + 1;
    out.push(text.slice(pos, end));
    pos = end;
  }
  return out;
}

const ATTR_MSG = 'ownership, perms or SE linux context changed';

/**
 * The plan of an edit: `after` is the wanted content (undefined: content unchanged), `msg` Ansible's
 * message for the content change. Attribute changes join the message as Ansible's check_file_attrs does.
 */
export function planEdit(
  ctx: ModuleContext,
  args: EditArgs,
  read: Read,
  after: string | undefined,
  msg: string,
  opts: { backupKey: 'backup' | 'backup_file'; result?: Record<string, unknown> },
): Plan<EditState> {
  const { probe, text } = read;
  const contentChanged = after !== undefined && after !== text;
  const attrs: Attrs = { mode: args.mode, owner: args.owner, group: args.group };
  const changes = attrChanges(probe, attrs);
  const attrChanged = Object.keys(changes).length > 0 && (probe.exists || contentChanged);
  const result: Record<string, unknown> = { ...opts.result };
  if (!contentChanged && !attrChanged) return { changed: false, msg: '', result };
  let message = contentChanged ? msg : '';
  if (attrChanged) message += (message ? ' and ' : '') + ATTR_MSG;
  const diff: DiffEntry = { path: args.path };
  if (contentChanged) Object.assign(diff, { before: text ?? '', after });
  if (!probe.exists) changes.state = { before: 'absent', after: 'file' };
  if (attrChanged || !probe.exists) diff.attrs = changes;
  return {
    changed: true,
    msg: message,
    diff: [diff],
    result,
    state: {
      data: contentChanged ? Buffer.from(after!, 'utf8') : undefined,
      attrs,
      mkdirs: !probe.exists && probe.parentExists === false,
      backupKey: opts.backupKey,
    },
  };
}

export async function applyEdit(ctx: ModuleContext, args: EditArgs, plan: Plan<EditState>): Promise<Outcome> {
  const st = plan.state;
  if (!st) return { changed: false, msg: plan.msg, result: plan.result };
  const result: Record<string, unknown> = { ...plan.result };
  if (st.data) {
    const w = await writeFile(ctx, args.path, st.data, {
      ...st.attrs,
      backup: args.backup,
      validate: args.validate,
      follow: true,
      // Ansible creates missing parents with default modes (os.makedirs)
      mkdirs: st.mkdirs ? {} : false,
    });
    if (w.backupFile) result[st.backupKey] = w.backupFile;
  } else {
    await setAttrs(ctx, args.path, st.attrs);
  }
  return { changed: true, msg: plan.msg, result, diff: plan.diff };
}
