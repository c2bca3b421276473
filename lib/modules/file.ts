// file: directories, links, attributes, removal, touch. One probe to plan; one script to apply.

import { ArgumentError } from '../errors.js';
import { shq } from '../executor/types.js';
import { defineModule, ModuleFailure, type DiffEntry, type ModuleContext } from './types.js';
import { attrChanges, attrLines, mkdirsLines, normMode, notOption, probeFile, type Attrs, type FileProbe, type ProbeOptions } from './util/remote-file.js';
import { FILE_ATTR_ARGS } from './util/file-args.js';

type State = 'file' | 'directory' | 'absent' | 'link' | 'touch';

export interface FileArgs extends Attrs {
  path: string;
  state?: State;
  src?: string;
  recurse: boolean;
  force: boolean;
}

interface FileState {
  state: State;
  script: string;
  msg: string;
}

type Changes = Record<string, { before: string | undefined; after: string | undefined }>;

function resultOf(path: string, state: State, p: FileProbe, a: Attrs): Record<string, unknown> {
  if (state === 'absent') return { path, state: 'absent' };
  return {
    path,
    state,
    mode: a.mode !== undefined ? normMode(a.mode) : p.mode,
    owner: a.owner ?? p.owner,
    group: a.group ?? p.group,
    ...(state === 'link' ? { src: p.linkTarget } : {}),
  };
}

/** With recurse, one extra read-only request: does anything below differ from the wanted attrs? */
async function recurseDiffers(ctx: ModuleContext, path: string, a: Attrs): Promise<boolean> {
  const tests: string[] = [];
  if (a.owner !== undefined) tests.push(/^\d+$/.test(a.owner) ? `! -uid ${a.owner}` : `! -user ${shq(a.owner)}`);
  if (a.group !== undefined) tests.push(/^\d+$/.test(a.group) ? `! -gid ${a.group}` : `! -group ${shq(a.group)}`);
  if (a.mode !== undefined) tests.push(`! -perm ${shq(normMode(a.mode))}`);
  if (tests.length === 0) return false;
  // find takes no `--` before its paths: a path starting with "-" would be an expression (-delete).
  const r = await ctx.conn.exec(`find ${shq(notOption(path))} ! -type l \\( ${tests.join(' -o ')} \\) -print | head -n 1\n`, { label: 'file:recurse', readOnly: true });
  return r.stdout.trim() !== '';
}

/** "would create X" → "created X". */
export function pastTense(msg: string): string {
  return msg.replace(/^would (\w+)/, (_m, v: string) => (v.endsWith('e') ? v + 'd' : v + 'ed'));
}

function attrScript(path: string, a: Attrs, opts: { recurse?: boolean; noDeref?: boolean } = {}): string[] {
  return attrLines(shq(path), a, opts);
}

function probeOpts(args: FileArgs): ProbeOptions {
  return { checksum: false, follow: args.state !== 'link' && args.state !== 'absent' };
}

export default defineModule<FileArgs, FileState>({
  name: 'file',
  doc: {
    short: 'Manage directories, symlinks, file attributes; remove or touch paths',
    description:
      'state=directory creates missing parents (each new one gets mode/owner/group); state=absent removes (recursively for ' +
      'directories); state=link makes a symlink to src (changed when the target differs); state=touch creates or updates ' +
      'times (always changed); state=file only changes attributes of an existing file. Without state: the current state, ' +
      'link if src is given, else file (which fails if the path does not exist, as in Ansible).',
    check: 'full',
    diff: true,
    examples: [
      '- file: { path: /etc/etcd/pki, state: directory, owner: etcd, group: etcd, mode: "0700" }',
      '- file: { path: /etc/etcd/etcd.conf, state: absent }',
      '- file: { src: /opt/etcd-v3.5/etcd, dest: /usr/local/bin/etcd, state: link }',
    ].join('\n'),
  },
  args: {
    path: { type: 'path', required: true, aliases: ['dest', 'name'], description: 'Path on the host.' },
    state: { type: 'str', choices: ['file', 'directory', 'absent', 'link', 'touch'], description: 'Wanted state (see description).' },
    ...FILE_ATTR_ARGS,
    src: { type: 'path', description: 'Target of the link (state=link), written as given (relative targets stay relative).' },
    recurse: { type: 'bool', default: false, description: 'With state=directory, apply mode/owner/group to everything below too.' },
    force: { type: 'bool', default: false, description: 'With state=link, replace an existing regular file (never a directory).' },
  },
  validate(args) {
    if (args.state === 'link' && args.src === undefined) throw new ArgumentError("file: state=link needs src");
    if (args.recurse && args.state !== undefined && args.state !== 'directory') throw new ArgumentError('file: recurse needs state=directory');
  },
  probes(args) {
    return [{ path: args.path, opts: probeOpts(args) }];
  },
  async plan(ctx, args) {
    const path = args.path;
    const a: Attrs = { mode: args.mode, owner: args.owner, group: args.group };
    const p = await probeFile(ctx, path, probeOpts(args));
    let state: State | undefined = args.state;
    if (state === undefined) {
      if (args.src !== undefined) state = 'link';
      else state = p.exists && p.type === 'directory' ? 'directory' : 'file';
    }
    const noop = (msg: string) => ({ changed: false, msg, result: resultOf(path, state!, p, a) });
    const plan = (changes: Changes, lines: string[], msg: string) => {
      const diff: DiffEntry[] = Object.keys(changes).length ? [{ path, attrs: changes }] : [];
      return {
        changed: true,
        msg,
        diff,
        result: resultOf(path, state!, p, a),
        state: { state: state!, script: lines.join('\n') + '\n', msg },
      };
    };
    const was = p.exists ? (p.isLink ? 'link' : p.type!) : 'absent';

    switch (state) {
      case 'absent': {
        if (!p.exists) return noop(`${path} is already absent`);
        const rm = p.type === 'directory' && !p.isLink ? 'rm -rf' : 'rm -f';
        return plan({ state: { before: was, after: 'absent' } }, [`${rm} -- ${shq(path)} || exit 1`], `would remove ${path}`);
      }
      case 'file': {
        if (!p.exists) throw new ModuleFailure(`file (${path}) is absent, cannot continue`, { path, state: 'absent' });
        if (p.type !== 'file') throw new ModuleFailure(`file (${path}) is ${p.type}, cannot continue`, { path, state: p.type });
        const changes = attrChanges(p, a);
        if (!Object.keys(changes).length) return noop(`${path} already has the wanted attributes`);
        return plan(changes, attrScript(path, a), `would change ${Object.keys(changes).join(', ')} of ${path}`);
      }
      case 'directory': {
        if (p.exists && p.type !== 'directory') throw new ModuleFailure(`${path} already exists as a ${p.type}, not a directory`, { path });
        if (!p.exists) {
          return plan(
            { state: { before: 'absent', after: 'directory' }, ...attrChanges(p, a) },
            mkdirsLines(path, a),
            `would create directory ${path}`,
          );
        }
        const changes = attrChanges(p, a);
        const deep = args.recurse && (await recurseDiffers(ctx, path, a));
        if (!Object.keys(changes).length && !deep) return noop(`${path} is already a directory with the wanted attributes`);
        if (deep && !Object.keys(changes).length) changes.recurse = { before: 'some entries differ', after: 'all entries match' };
        return plan(changes, attrScript(path, a, { recurse: args.recurse }), `would change attributes of ${path}${args.recurse ? ' recursively' : ''}`);
      }
      case 'link': {
        const src = args.src!;
        const changes = attrChanges(p, { owner: a.owner, group: a.group });
        if (p.exists && p.isLink && p.linkTarget === src) {
          if (!Object.keys(changes).length) return noop(`${path} already links to ${src}`);
          return plan(changes, attrScript(path, a, { noDeref: true }), `would change owner/group of link ${path}`);
        }
        const lines: string[] = [];
        if (p.exists && !p.isLink) {
          if (p.type === 'directory') throw new ModuleFailure(`refusing to replace directory ${path} with a link to ${src}`, { path });
          if (!args.force) throw new ModuleFailure(`${path} exists as a ${p.type}; set force: true to replace it with a link to ${src}`, { path });
          lines.push(`rm -f -- ${shq(path)} || exit 1`);
        }
        lines.push(`ln -sfn -- ${shq(src)} ${shq(path)} || exit 1`, ...attrScript(path, { owner: a.owner, group: a.group }, { noDeref: true }));
        const ch: Changes = { src: { before: p.linkTarget, after: src } };
        if (was !== 'link') ch.state = { before: was, after: 'link' };
        return plan({ ...ch, ...changes }, lines, `would link ${path} -> ${src}`);
      }
      case 'touch': {
        const changes: Changes = p.exists ? attrChanges(p, a) : { state: { before: 'absent', after: 'file' }, ...attrChanges(p, a) };
        if (p.exists && p.type === 'directory') changes.times = { before: 'old', after: 'now' };
        return plan(changes, [`touch -- ${shq(path)} || exit 1`, ...attrScript(path, a)], p.exists ? `would update times of ${path}` : `would create ${path}`);
      }
    }
  },
  async apply(ctx, args, plan) {
    const st = plan.state;
    if (!st) return { changed: false, msg: plan.msg, result: plan.result };
    const r = await ctx.conn.exec(st.script, { label: 'file' });
    if (r.exitCode !== 0) {
      return { changed: false, failed: true, msg: r.stderr.trim() || `file: ${args.path}: exit ${r.exitCode}`, result: plan.result };
    }
    return { changed: true, msg: pastTense(st.msg), diff: plan.diff, result: plan.result };
  },
});
