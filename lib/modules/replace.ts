// replace: replace every match of a regular expression in a file (Python re.subn with MULTILINE),
// optionally only in the part after `after` and/or before `before` — Ansible's ansible.builtin.replace.

import { compileRegex, RegexError, type SafeRegex } from '../engine/safe-regex.js';
import { ArgumentError } from '../errors.js';
import { defineModule, ModuleFailure } from './types.js';
import { applyEdit, editProbe, planEdit, readText, type EditArgs, type EditState } from './util/edit-file.js';
import { FILE_ATTR_ARGS, VALIDATE_ARG, checkValidateArg } from './util/file-args.js';

export interface ReplaceArgs extends EditArgs {
  regexp: string;
  replace: string;
  after?: string;
  before?: string;
  encoding: string;
}

function compile(pattern: string, what: string, flags: { multiline?: boolean; dotall?: boolean }): SafeRegex {
  try {
    return compileRegex(pattern, flags);
  } catch (e) {
    if (e instanceof RegexError) throw new ArgumentError(`${what} '${pattern}': ${e.message}`);
    throw e;
  }
}

function sectionPattern(a: Pick<ReplaceArgs, 'after' | 'before'>): string {
  // bosun_pre measures where the subsection starts (RE2 reports group texts, not their offsets)
  if (a.after && a.before) return `(?P<bosun_pre>${a.after})(?P<subsection>.*?)${a.before}`;
  if (a.after) return `(?P<bosun_pre>${a.after})(?P<subsection>.*)`;
  if (a.before) return `(?P<subsection>.*)${a.before}`;
  return '';
}

/** The new text and the number of replacements; `section` undefined: after/before did not match. */
export function replaceEdit(text: string, a: ReplaceArgs): { after: string; count: number; noSection?: string } {
  const pattern = sectionPattern(a);
  let start = 0;
  let end = text.length;
  if (pattern) {
    const m = compile(pattern, 'after/before', { dotall: true }).search(text);
    if (!m) return { after: text, count: 0, noSection: a.after ? pattern.replace(`(?P<bosun_pre>${a.after})`, a.after) : pattern };
    start = m.start + (m.named.bosun_pre?.length ?? 0);
    end = start + (m.named.subsection ?? '').length;
  }
  const section = text.slice(start, end);
  const re = compile(a.regexp, 'regexp', { multiline: true });
  const count = re.findAll(section).length;
  const replaced = re.replace(section, a.replace);
  return { after: text.slice(0, start) + replaced + text.slice(end), count: replaced === section ? 0 : count };
}

export default defineModule<ReplaceArgs, EditState>({
  name: 'replace',
  doc: {
    short: 'Replace all instances of a pattern within a file',
    description:
      "Ansible's replace: every match of regexp (multiline: ^ and $ match at each line) is replaced by replace, which may use " +
      '\\1 and \\g<name>. after/before limit the change to the text after the first match of after and/or before the following match of before. ' +
      'A missing file fails the task. One request to plan; atomic write. Regular expressions are RE2 (linear time).',
    check: 'full',
    diff: true,
    examples: [
      '- replace: { path: /etc/hosts, regexp: \'(\\s+)old\\.host\\.name(\\s+.*)?$\', replace: \'\\1new.host.name\\2\' }',
      '- replace: { path: /etc/apache2/sites-available/default.conf, after: "<VirtualHost [*]>", before: "</VirtualHost>", regexp: "^(.+)$", replace: "# \\\\1" }',
    ].join('\n'),
  },
  args: {
    path: { type: 'path', required: true, aliases: ['dest', 'destfile', 'name'], description: 'The file to modify (a symlink is followed).' },
    regexp: { type: 'str', required: true, description: 'Regular expression to replace (MULTILINE).' },
    replace: { type: 'str', default: '', description: 'Replacement; \\1, \\g<1>, \\g<name> refer to groups. Empty removes the matches.' },
    after: { type: 'str', description: 'Only replace in the text after the first match of this expression (DOTALL).' },
    before: { type: 'str', description: 'Only replace in the text before the match of this expression (DOTALL).' },
    backup: { type: 'bool', default: false, description: 'Keep a copy of the file as PATH.YYYYMMDDhhmmss~ before changing it (result backup_file).' },
    encoding: { type: 'str', default: 'utf-8', choices: ['utf-8', 'utf8'], description: 'The file\'s encoding (only UTF-8 is supported).' },
    ...VALIDATE_ARG,
    ...FILE_ATTR_ARGS,
  },
  validate(a) {
    checkValidateArg(a.validate);
    compile(a.regexp, 'regexp', { multiline: true });
    const p = sectionPattern(a);
    if (p) compile(p, 'after/before', { dotall: true });
  },
  probes: (a) => editProbe(a.path),
  async plan(ctx, a) {
    const read = await readText(ctx, a.path);
    if (read.text === undefined) throw new ModuleFailure(`Path ${a.path} does not exist !`, { rc: 257 });
    const { after, count, noSection } = replaceEdit(read.text, a);
    if (noSection !== undefined) {
      return { changed: false, msg: `Pattern for before/after params did not match the given file: ${noSection}`, result: { rc: 0 } };
    }
    return planEdit(ctx, a, read, count > 0 ? after : undefined, `${count} replacements made`, { backupKey: 'backup_file', result: { rc: 0 } });
  },
  apply: (ctx, a, plan) => applyEdit(ctx, a, plan),
});
