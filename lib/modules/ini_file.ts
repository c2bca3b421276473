// ini_file: one option (or one section) of an INI file — community.general.ini_file's algorithm
// (the version shipped with Debian 12's ansible): options are matched in their section, commented
// ones (`# opt = x`, `;opt`) too, so a default line gets uncommented in place; new options go after
// the section's last non-blank, non-comment line; a missing section is appended at the end.

import { ArgumentError } from '../errors.js';
import { defineModule, ModuleFailure } from './types.js';
import { applyEdit, editProbe, planEdit, readText, splitLines, type EditArgs, type EditState } from './util/edit-file.js';
import { FILE_ATTR_ARGS } from './util/file-args.js';

export interface IniFileArgs extends EditArgs {
  section?: string;
  option?: string;
  value?: string;
  values?: string[];
  state: 'present' | 'absent';
  exclusive: boolean;
  no_extra_spaces: boolean;
  allow_no_value: boolean;
  create: boolean;
}

const WS = /^[ \t]*/;

/** `[#;]? *option *(=|$) *value` (match_opt; active: without the comment character). Returns the value or undefined. */
function matchOpt(option: string, line: string, active: boolean): string | undefined {
  let rest = line;
  if (active) rest = rest.replace(WS, '');
  else {
    if (rest.startsWith('#') || rest.startsWith(';')) rest = rest.slice(1);
    rest = rest.replace(WS, '');
  }
  if (!rest.startsWith(option)) return undefined;
  rest = rest.slice(option.length).replace(WS, '');
  // Python's `$` also matches before the line's final newline
  if (rest === '' || rest === '\n') return '';
  if (!rest.startsWith('=')) return undefined;
  // group 6 is `.*`: up to (not including) the newline
  const v = rest.slice(1).replace(WS, '');
  const nl = v.indexOf('\n');
  return nl < 0 ? v : v.slice(0, nl);
}

const BLANK_OR_COMMENT = /^[ \t]*([#;].*)?$/;

/** The new content and Ansible's message. `text` undefined: the file does not exist yet. */
export function iniEdit(text: string | undefined, a: IniFileArgs): { after: string; changed: boolean; msg: string } {
  const option = a.option;
  let values: string[] = [];
  for (const v of a.value !== undefined ? [a.value] : (a.values ?? [])) if (!values.includes(v)) values.push(v);
  const lines = text === undefined ? [] : splitLines(text);
  let changed = false;
  if (lines.length === 0) lines.push('\n');
  if (lines[lines.length - 1] === '' || !lines[lines.length - 1]!.endsWith('\n')) {
    lines[lines.length - 1] += '\n';
    changed = true;
  }
  // options before the first section belong to a section no file can name
  const FAKE = '\u0000bosun-global';
  lines.unshift(`[${FAKE}]`);
  lines.push('[');
  const section = a.section ? a.section : FAKE;
  let within = false;
  let sectionStart = 0;
  let sectionEnd = 0;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.startsWith(`[${section}]`)) {
      within = true;
      sectionStart = i;
    } else if (l.startsWith('[') && within) {
      sectionEnd = i;
      break;
    }
  }
  const before = lines.slice(0, sectionStart);
  let sec = lines.slice(sectionStart, sectionEnd);
  const after = lines.slice(sectionEnd);
  let touched = sec.map(() => false);
  let msg = 'OK';
  const fmt = (v: string): string => (a.no_extra_spaces ? `${option}=${v}\n` : `${option} = ${v}\n`);
  const update = (i: number, next: string): void => {
    if (sec[i] !== next) {
      changed = true;
      msg = 'option changed';
    }
    sec[i] = next;
    touched[i] = true;
  };
  let noValuePresent = false;

  if (a.state === 'present' && option) {
    for (let i = 0; i < sec.length; i++) {
      const v = matchOpt(option, sec[i]!, false);
      if (v === undefined) continue;
      if (values.length && values.includes(v)) {
        if (!v && a.allow_no_value) {
          update(i, `${option}\n`);
          noValuePresent = true;
        } else update(i, fmt(v));
        values.splice(values.indexOf(v), 1);
      } else if (!values.length && a.allow_no_value) {
        update(i, `${option}\n`);
        noValuePresent = true;
        break;
      }
    }
  }
  if (a.state === 'present' && a.exclusive && !a.allow_no_value) {
    if (values.length > 0) {
      for (let i = 0; i < sec.length; i++) {
        if (!touched[i] && option !== undefined && matchOpt(option, sec[i]!, false) !== undefined) {
          update(i, fmt(values.shift()!));
          if (values.length === 0) break;
        }
      }
    }
    for (let i = sec.length - 1; i > 0; i--) {
      if (!touched[i] && option !== undefined && matchOpt(option, sec[i]!, false) !== undefined) {
        sec.splice(i, 1);
        touched.splice(i, 1);
        changed = true;
        msg = 'option changed';
      }
    }
  }
  if (a.state === 'present') {
    for (let i = sec.length; i > 0; i--) {
      if (!BLANK_OR_COMMENT.test(stripNl(sec[i - 1]!))) {
        if (option && values.length) {
          sec.splice(i, 0, ...values.map(fmt));
          msg = 'option added';
          changed = true;
        } else if (option && !values.length && a.allow_no_value && !noValuePresent) {
          sec.splice(i, 0, `${option}\n`);
          msg = 'option added';
          changed = true;
        }
        break;
      }
    }
  }
  if (a.state === 'absent') {
    if (option) {
      const kept = sec.filter((l) => {
        const v = matchOpt(option, l, true);
        if (v === undefined) return true;
        return a.exclusive ? false : !values.includes(v);
      });
      if ((a.exclusive || values.length > 0) && kept.length !== sec.length) {
        sec = kept;
        touched = sec.map(() => false);
        changed = true;
        msg = 'option changed';
      }
    } else if (sec.length) {
      sec = [];
      msg = 'section removed';
      changed = true;
    }
  }
  const out = [...before, ...sec, ...after];
  out.shift();
  out.pop();
  if (!within && a.state === 'present') {
    out.push(`[${section}]\n`);
    msg = 'section and option added';
    if (option && values.length) out.push(...values.map(fmt));
    else if (option && !values.length && a.allow_no_value) out.push(`${option}\n`);
    else msg = 'only section added';
    changed = true;
  }
  return { after: out.join(''), changed, msg };
}

function stripNl(l: string): string {
  return l.endsWith('\n') ? l.slice(0, -1) : l;
}

export default defineModule<IniFileArgs, EditState>({
  name: 'ini_file',
  doc: {
    short: 'Manage options and sections of INI files',
    description:
      "community.general.ini_file (also accepted under that name): sets, adds or removes one option in a section, or removes a section. " +
      'A commented-out option (# opt = x) is replaced in place. Without section, options go before the first section. ' +
      'values with exclusive=false keeps other lines of the same option. One request to plan; atomic write.',
    check: 'full',
    diff: true,
    examples: [
      '- ini_file: { path: /etc/php/8.2/fpm/php.ini, section: PHP, option: memory_limit, value: 256M, backup: true }',
      '- ini_file: { path: /etc/yum.conf, section: main, option: proxy, state: absent }',
    ].join('\n'),
  },
  args: {
    path: { type: 'path', required: true, aliases: ['dest'], description: 'The INI file (created when missing unless create=false).' },
    section: { type: 'str', description: 'Section name; omitted or empty: the options before the first section.' },
    option: { type: 'str', description: 'Option name; omitted with state=absent removes the whole section.' },
    value: { type: 'str', description: 'The value of option.' },
    values: { type: 'list', elements: 'str', description: 'Several values of option (one line each).' },
    backup: { type: 'bool', default: false, description: 'Keep a copy of the file as PATH.YYYYMMDDhhmmss~ before changing it (result backup_file).' },
    state: { type: 'str', default: 'present', choices: ['absent', 'present'], description: 'Whether the option (or section) should be there.' },
    exclusive: { type: 'bool', default: true, description: 'Remove other lines of option than values (present), or every line of option (absent).' },
    no_extra_spaces: { type: 'bool', default: false, description: 'Write "option=value" instead of "option = value".' },
    allow_no_value: { type: 'bool', default: false, description: 'Allow an option without a value (a bare "option" line).' },
    create: { type: 'bool', default: true, description: 'Create the file when missing; false fails the task instead.' },
    ...FILE_ATTR_ARGS,
  },
  validate(a) {
    if (a.value !== undefined && a.values !== undefined) throw new ArgumentError('parameters are mutually exclusive: value|values');
    if (a.state === 'present' && !a.allow_no_value && a.value === undefined && !a.values?.length) {
      throw new ArgumentError("Parameter 'value(s)' must be defined if state=present and allow_no_value=False.");
    }
  },
  probes: (a) => editProbe(a.path),
  async plan(ctx, a) {
    const read = await readText(ctx, a.path);
    if (read.text === undefined && !a.create) throw new ModuleFailure(`Destination ${a.path} does not exist!`, { rc: 257 });
    const { after, changed, msg } = iniEdit(read.text, a);
    const result = { path: a.path };
    const plan = planEdit(ctx, a, read, changed ? after : undefined, msg, { backupKey: 'backup_file', result });
    // Ansible reports its msg ('OK') even when nothing changes
    return plan.changed ? plan : { ...plan, msg };
  },
  apply: (ctx, a, plan) => applyEdit(ctx, a, plan),
});
