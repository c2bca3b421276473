// copy: put a control-node file (or inline content) on the host. Checksums are compared before
// anything is sent; the write is atomic (temp file in the same directory, attributes, rename).

import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { ArgumentError, MissingFileError } from '../errors.js';
import { defineModule, ModuleFailure, type ModuleContext } from './types.js';
import { applyPut, planPut, putProbe, type PutArgs, type PutState } from './util/put-file.js';
import { PUT_FILE_ARGS, checkValidateArg } from './util/file-args.js';

export interface CopyArgs extends PutArgs {
  src?: string;
  content?: string;
}

function source(ctx: ModuleContext, args: CopyArgs): { data: Buffer; name?: string } {
  if (args.content !== undefined) return { data: Buffer.from(args.content, 'utf8') };
  const abs = ctx.findFile('files', args.src!);
  let isDir = false;
  try {
    isDir = statSync(abs).isDirectory();
  } catch (e) {
    throw new MissingFileError(`copy: src not found: ${args.src} (looked at ${abs})`, { loc: ctx.loc, cause: e });
  }
  if (isDir) throw new ModuleFailure(`copy: src ${abs} is a directory; recursive copy is not supported`);
  return { data: readFileSync(abs), name: srcName(args.src!) };
}

function srcName(src: string): string {
  return basename(src.replace(/\/+$/, ''));
}

export default defineModule<CopyArgs, PutState>({
  name: 'copy',
  doc: {
    short: 'Copy a file or inline content to the host (atomic, checksum-compared)',
    description:
      'Compares the sha256 of the wanted content with the remote file in one request and sends nothing when they match. ' +
      'Writes to a temporary file in the destination directory, sets mode/owner/group, then renames it over dest. ' +
      'If dest ends with "/" or is a directory, the file goes to dest/basename(src). A dest that is a symlink is replaced by a new regular file (mode from umask unless mode is given), or its target is written with follow: true.',
    check: 'full',
    diff: true,
    examples: [
      '- copy: { src: etcd.conf, dest: /etc/default/etcd, mode: "0644", backup: true }',
      '- copy: { content: "{{ ca_pem }}", dest: /etc/etcd/ca.pem, owner: etcd, mode: "0640" }',
    ].join('\n'),
  },
  args: {
    src: { type: 'path', description: 'File on the control node, resolved in the role\'s/playbook\'s files/ (or absolute).' },
    content: { type: 'str', description: 'Inline content to write instead of src (never logged).' },
    dest: { type: 'path', required: true, description: 'Absolute path on the host; a trailing "/" or an existing directory means dest/basename(src).' },
    ...PUT_FILE_ARGS,
  },
  validate(args) {
    if ((args.src === undefined) === (args.content === undefined)) throw new ArgumentError('copy needs exactly one of src or content');
    checkValidateArg(args.validate);
  },
  probes(args) {
    const want = putProbe(args, args.src === undefined ? undefined : srcName(args.src));
    return want ? [want] : [];
  },
  async plan(ctx, args) {
    let src: { data: Buffer; name?: string };
    try {
      src = source(ctx, args);
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
    const { data, name } = src;
    return planPut(ctx, args, data, name);
  },
  apply: (ctx, args, plan) => applyPut(ctx, args, plan),
});
