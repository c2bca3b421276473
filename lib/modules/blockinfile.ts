// blockinfile: insert, update or remove a block of lines between two marker lines — Ansible's
// algorithm (ansible.builtin.blockinfile 2.14): an existing marked block is replaced in place;
// otherwise the block goes after the last line matching insertafter (before insertbefore), or at EOF.

import { ArgumentError } from '../errors.js';
import type { SafeRegex } from '../engine/safe-regex.js';
import { regex } from './lineinfile.js';
import { defineModule, ModuleFailure } from './types.js';
import { applyEdit, editProbe, planEdit, readText, splitLines, type EditArgs, type EditState } from './util/edit-file.js';
import { FILE_ATTR_ARGS, VALIDATE_ARG, checkValidateArg } from './util/file-args.js';

export interface BlockinfileArgs extends EditArgs {
  state: 'present' | 'absent';
  marker: string;
  block: string;
  insertafter?: string;
  insertbefore?: string;
  create: boolean;
  marker_begin: string;
  marker_end: string;
}

/** The new content and Ansible's message ('' when unchanged). `text` undefined: the file does not exist yet. */
export function blockinfileEdit(text: string | undefined, a: BlockinfileArgs): { after: string; msg: string } {
  const lines = text === undefined ? [] : splitLines(text);
  const present = a.state === 'present';
  let insertafter = a.insertafter;
  const insertbefore = a.insertbefore;
  if (insertbefore === undefined && insertafter === undefined) insertafter = 'EOF';
  let ins: SafeRegex | undefined;
  if (insertafter !== undefined && insertafter !== 'EOF') ins = regex(insertafter, 'insertafter');
  else if (insertbefore !== undefined && insertbefore !== 'BOF') ins = regex(insertbefore, 'insertbefore');

  const marker0 = a.marker.split('{mark}').join(a.marker_begin) + '\n';
  const marker1 = a.marker.split('{mark}').join(a.marker_end) + '\n';
  let blocklines: string[] = [];
  if (present && a.block !== '') {
    const block = a.block.endsWith('\n') ? a.block : a.block + '\n';
    blocklines = [marker0, ...splitLines(block), marker1];
  }

  let n0: number | undefined;
  let n1: number | undefined;
  lines.forEach((l, i) => {
    if (l === marker0) n0 = i;
    if (l === marker1) n1 = i;
  });
  if (n0 === undefined || n1 === undefined) {
    n0 = undefined;
    if (ins) {
      // A pattern with the multiline flag is searched in the whole text (Ansible's re.MULTILINE case).
      if (/^\(\?[a-z]*m/.test(ins.pattern)) {
        const m = ins.search(text ?? '');
        if (m) n0 = countNl(text ?? '', insertafter !== undefined ? m.end : m.start);
      } else {
        lines.forEach((l, i) => {
          if (ins!.search(l.endsWith('\n') ? l.slice(0, -1) : l)) n0 = i;
        });
      }
      if (n0 === undefined) n0 = lines.length;
      else if (insertafter !== undefined) n0 += 1;
    } else if (insertbefore !== undefined) n0 = 0;
    else n0 = lines.length;
  } else if (n0 < n1) {
    lines.splice(n0, n1 - n0 + 1);
  } else {
    lines.splice(n1, n0 - n1 + 1);
    n0 = n1;
  }
  if (n0 > 0 && n0 - 1 < lines.length && !lines[n0 - 1]!.endsWith('\n')) lines[n0 - 1] += '\n';
  lines.splice(n0, 0, ...blocklines);
  const after = lines.join('');
  let msg = '';
  if (after === text) msg = '';
  else if (text === undefined) msg = 'File created';
  else if (blocklines.length === 0) msg = 'Block removed';
  else msg = 'Block inserted';
  return { after, msg };
}

function countNl(s: string, end: number): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0 && i < end; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

export default defineModule<BlockinfileArgs, EditState>({
  name: 'blockinfile',
  doc: {
    short: 'Insert, update or remove a block of lines surrounded by marker lines',
    description:
      "Ansible's blockinfile: the block sits between '# BEGIN ANSIBLE MANAGED BLOCK' and '# END ANSIBLE MANAGED BLOCK' (marker). " +
      'An existing block is replaced where it is; a new one goes after the last line matching insertafter (before insertbefore; BOF/EOF), ' +
      'at the end by default. An empty block or state=absent removes the block and its markers. One request to plan; atomic write.',
    check: 'full',
    diff: true,
    examples: [
      '- blockinfile:\n    path: /etc/ssh/sshd_config\n    block: |\n      Match User backup\n      PasswordAuthentication no',
      '- blockinfile: { path: /etc/hosts, marker: "# {mark} cluster hosts", block: "{{ hosts_block }}", backup: true }',
    ].join('\n'),
  },
  args: {
    path: { type: 'path', required: true, aliases: ['dest', 'destfile', 'name'], description: 'The file to modify (a symlink is followed).' },
    state: { type: 'str', default: 'present', choices: ['absent', 'present'], description: 'Whether the block should be there or not.' },
    marker: { type: 'str', default: '# {mark} ANSIBLE MANAGED BLOCK', description: 'Marker line template; {mark} becomes marker_begin / marker_end.' },
    block: { type: 'str', default: '', aliases: ['content'], description: 'The text between the markers; empty removes the block.' },
    insertafter: { type: 'str', description: 'EOF (default) or a regular expression: a new block goes after its last match.' },
    insertbefore: { type: 'str', description: 'BOF or a regular expression: a new block goes before its last match.' },
    create: { type: 'bool', default: false, description: 'Create the file when missing; otherwise a missing file fails the task.' },
    backup: { type: 'bool', default: false, description: 'Keep a copy of the file as PATH.YYYYMMDDhhmmss~ before changing it (result backup_file).' },
    marker_begin: { type: 'str', default: 'BEGIN', description: 'Replaces {mark} in the opening marker.' },
    marker_end: { type: 'str', default: 'END', description: 'Replaces {mark} in the closing marker.' },
    ...VALIDATE_ARG,
    ...FILE_ATTR_ARGS,
  },
  validate(a) {
    if (a.insertafter !== undefined && a.insertbefore !== undefined) throw new ArgumentError('parameters are mutually exclusive: insertbefore|insertafter');
    checkValidateArg(a.validate);
    for (const k of ['insertafter', 'insertbefore'] as const) {
      const v = a[k];
      if (v !== undefined && v !== 'EOF' && v !== 'BOF') regex(v, k);
    }
  },
  probes: (a) => editProbe(a.path),
  async plan(ctx, a) {
    const read = await readText(ctx, a.path);
    if (read.text === undefined && !a.create) throw new ModuleFailure(`Path ${a.path} does not exist !`, { rc: 257 });
    if (read.text === undefined && a.state === 'absent') return { changed: false, msg: `File ${a.path} not present` };
    const { after, msg } = blockinfileEdit(read.text, a);
    return planEdit(ctx, a, read, msg ? after : undefined, msg, { backupKey: 'backup_file' });
  },
  apply: (ctx, a, plan) => applyEdit(ctx, a, plan),
});
