// lineinfile: ensure one line is present (or every matching line absent) in a text file — Ansible's
// algorithm (ansible.builtin.lineinfile 2.14): the last line matching regexp/search_string is
// replaced, else the line is inserted after/before the last (or first, firstmatch) line matching
// insertafter/insertbefore, else at EOF. Regexes are RE2 (linear time; see ansible-differences.md).

import { ArgumentError } from '../errors.js';
import { compileRegex, RegexError, type RegexMatch, type SafeRegex } from '../engine/safe-regex.js';
import { defineModule, ModuleFailure } from './types.js';
import { applyEdit, editProbe, planEdit, readText, splitLines, type EditArgs, type EditState } from './util/edit-file.js';
import { FILE_ATTR_ARGS, VALIDATE_ARG, checkValidateArg } from './util/file-args.js';

export interface LineinfileArgs extends EditArgs {
  state: 'present' | 'absent';
  regexp?: string;
  search_string?: string;
  line?: string;
  insertafter?: string;
  insertbefore?: string;
  backrefs: boolean;
  create: boolean;
  firstmatch: boolean;
}

export function regex(pattern: string, what: string): SafeRegex {
  try {
    return compileRegex(pattern);
  } catch (e) {
    if (e instanceof RegexError) throw new ArgumentError(`${what} '${pattern}': ${e.message}`);
    throw e;
  }
}

/** Ansible matches against the line with its newline; RE2's `$` is end of text only, so the newline is left out. */
function body(l: string): string {
  return l.endsWith('\n') ? l.slice(0, -1) : l;
}

function stripEol(l: string): string {
  return l.replace(/[\r\n]+$/, '');
}

/** The new content, and Ansible's message; `undefined` content: nothing to change. */
export function lineinfilePresent(text: string, a: LineinfileArgs): { after: string; msg: string } {
  const lines = splitLines(text);
  const line = a.line!;
  let insertafter = a.insertafter;
  const insertbefore = a.insertbefore;
  if (insertafter === undefined && insertbefore === undefined) insertafter = 'EOF';
  const re = a.regexp !== undefined ? regex(a.regexp, 'regexp') : undefined;
  let ins: SafeRegex | undefined;
  if (insertafter !== undefined && insertafter !== 'BOF' && insertafter !== 'EOF') ins = regex(insertafter, 'insertafter');
  else if (insertbefore !== undefined && insertbefore !== 'BOF') ins = regex(insertbefore, 'insertbefore');

  let found = -1;
  let insertAt = -1;
  let match: RegexMatch | null = null;
  let matched = false;
  if (re) {
    for (let i = 0; i < lines.length; i++) {
      const m = re.search(body(lines[i]!));
      if (m) {
        found = i;
        match = m;
        matched = true;
        if (a.firstmatch) break;
      }
    }
  }
  if (a.search_string !== undefined) {
    for (let i = 0; i < lines.length; i++) {
      if (lines[i]!.includes(a.search_string)) {
        found = i;
        matched = true;
        if (a.firstmatch) break;
      }
    }
  }
  if (!matched) {
    for (let i = 0; i < lines.length; i++) {
      if (stripEol(lines[i]!) === line) found = i;
      else if (ins && ins.search(body(lines[i]!))) {
        insertAt = insertafter !== undefined ? i + 1 : i;
        if (a.firstmatch) break;
      }
    }
  }

  const join = (msg: string): { after: string; msg: string } => ({ after: lines.join(''), msg });
  if (found !== -1) {
    let next = a.backrefs && match ? re!.expand(match, line) : line;
    if (!next.endsWith('\n')) next += '\n';
    if (lines[found] !== next) {
      lines[found] = next;
      return join('line replaced');
    }
    return join('');
  }
  // a regexp that matched nothing: with backrefs the line cannot be built, so nothing is done
  if (a.backrefs) return join('');
  if (insertbefore === 'BOF' || insertafter === 'BOF') {
    lines.unshift(line + '\n');
    return join('line added');
  }
  if (insertafter === 'EOF' || insertAt === -1) {
    const last = lines.at(-1);
    if (last !== undefined && !last.endsWith('\n') && !last.endsWith('\r')) lines.push('\n');
    lines.push(line + '\n');
    return join('line added');
  }
  if (insertafter !== undefined) {
    if (insertAt === lines.length) {
      if (stripEol(lines[insertAt - 1]!) === line) return join('');
      lines.push(line + '\n');
      return join('line added');
    }
    if (stripEol(lines[insertAt]!) === line) return join('');
    lines.splice(insertAt, 0, line + '\n');
    return join('line added');
  }
  lines.splice(insertAt, 0, line + '\n');
  return join('line added');
}

export function lineinfileAbsent(text: string, a: LineinfileArgs): { after: string; found: number } {
  const re = a.regexp !== undefined ? regex(a.regexp, 'regexp') : undefined;
  let found = 0;
  const kept = splitLines(text).filter((l) => {
    let hit: boolean;
    if (re) hit = re.search(body(l)) !== null;
    else if (a.search_string !== undefined) hit = l.includes(a.search_string);
    else hit = stripEol(l) === a.line;
    if (hit) found++;
    return !hit;
  });
  return { after: kept.join(''), found };
}

export default defineModule<LineinfileArgs, EditState>({
  name: 'lineinfile',
  doc: {
    short: 'Ensure a particular line is in a file, or replace an existing line using a regular expression',
    description:
      "Ansible's lineinfile: with regexp (or search_string) the last matching line is replaced (the first with firstmatch); " +
      'otherwise the line is added after the last line matching insertafter (or before insertbefore; BOF/EOF), at the end by default. ' +
      'state=absent removes every matching line. One request to plan (the file is read once); the write is atomic (temp file, validate, rename). ' +
      'Regular expressions are RE2 (linear time): no look-around or backreferences in the pattern.',
    check: 'full',
    diff: true,
    examples: [
      '- lineinfile: { path: /etc/selinux/config, regexp: "^SELINUX=", line: "SELINUX=enforcing" }',
      '- lineinfile: { path: /etc/sudoers, regexp: "^%wheel", line: "%wheel ALL=(ALL) NOPASSWD: ALL", validate: "visudo -cf %s" }',
      '- lineinfile: { path: /etc/hosts, line: "10.0.0.5 db", create: true, mode: "0644" }',
      '- lineinfile: { path: /etc/environment, regexp: "^PROXY=", state: absent }',
    ].join('\n'),
  },
  args: {
    path: { type: 'path', required: true, aliases: ['dest', 'destfile', 'name'], description: 'The file to modify (a symlink is followed).' },
    state: { type: 'str', default: 'present', choices: ['absent', 'present'], description: 'Whether the line should be there or not.' },
    regexp: { type: 'str', aliases: ['regex'], description: 'Regular expression searched in every line: present replaces the last match, absent removes all matches.' },
    search_string: { type: 'str', description: 'Literal string searched in every line (instead of regexp).' },
    line: { type: 'str', aliases: ['value'], description: 'The line to insert or replace (required with state=present). With backrefs, \\1 and \\g<name> refer to regexp groups.' },
    insertafter: { type: 'str', description: 'EOF (default), or a regular expression: insert after its last match (first with firstmatch). Used only when regexp/search_string match nothing.' },
    insertbefore: { type: 'str', description: 'BOF, or a regular expression: insert before its last match (first with firstmatch).' },
    backrefs: { type: 'bool', default: false, description: 'Expand backreferences of regexp in line; when regexp matches nothing, the file is left unchanged.' },
    create: { type: 'bool', default: false, description: 'Create the file when missing (state=present); otherwise a missing file fails the task.' },
    backup: { type: 'bool', default: false, description: 'Keep a copy of the file as PATH.YYYYMMDDhhmmss~ before changing it (result backup).' },
    firstmatch: { type: 'bool', default: false, description: 'insertafter/insertbefore (and regexp) use the first matching line instead of the last.' },
    ...VALIDATE_ARG,
    ...FILE_ATTR_ARGS,
  },
  validate(a) {
    const both = (x: keyof LineinfileArgs, y: keyof LineinfileArgs): void => {
      if (a[x] !== undefined && a[y] !== undefined && a[x] !== false) throw new ArgumentError(`parameters are mutually exclusive: ${x}|${y}`);
    };
    both('insertbefore', 'insertafter');
    both('regexp', 'search_string');
    both('backrefs', 'search_string');
    checkValidateArg(a.validate);
    if (a.regexp !== undefined) regex(a.regexp, 'regexp');
    if (a.state === 'present') {
      if (a.backrefs && a.regexp === undefined) throw new ArgumentError('regexp is required with backrefs=true');
      if (a.line === undefined) throw new ArgumentError('line is required with state=present');
    } else if (a.regexp === undefined && a.search_string === undefined && a.line === undefined) {
      throw new ArgumentError('one of line, search_string, or regexp is required with state=absent');
    }
  },
  probes: (a) => editProbe(a.path),
  async plan(ctx, a) {
    const read = await readText(ctx, a.path);
    const result = { backup: '' };
    if (a.state === 'absent') {
      if (read.text === undefined) return { changed: false, msg: 'file not present', result };
      const { after, found } = lineinfileAbsent(read.text, a);
      return planEdit(ctx, a, read, found ? after : undefined, `${found} line(s) removed`, { backupKey: 'backup', result: { ...result, found } });
    }
    if (read.text === undefined && !a.create) throw new ModuleFailure(`Destination ${a.path} does not exist !`, { rc: 257 });
    const { after, msg } = lineinfilePresent(read.text ?? '', a);
    return planEdit(ctx, a, read, msg ? after : undefined, msg, { backupKey: 'backup', result });
  },
  apply: (ctx, a, plan) => applyEdit(ctx, a, plan),
});
