// template: render a control-node template with the host's variables, then put it like copy.

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ArgumentError, MissingFileError } from '../errors.js';
import { defineModule } from './types.js';
import { applyPut, planPut, putProbe, type PutArgs, type PutState } from './util/put-file.js';
import { PUT_FILE_ARGS, checkValidateArg } from './util/file-args.js';
import { templateVars } from './util/template-vars.js';

export interface TemplateArgs extends PutArgs {
  src: string;
  newline_sequence: string;
}

const NEWLINES = ['\n', '\r', '\r\n'];
/** Ansible also takes them spelled with backslashes (as single-quoted YAML gives them). */
const SPELLED = ['\\n', '\\r', '\\r\\n'];

function newline(v: string): string {
  const i = SPELLED.indexOf(v);
  return i >= 0 ? NEWLINES[i]! : v;
}

export default defineModule<TemplateArgs, PutState>({
  name: 'template',
  doc: {
    short: 'Render a template with the host\'s variables and write it to the host (atomic, checksum-compared)',
    description:
      'Renders src (resolved in the role\'s/playbook\'s templates/) strictly: an undefined variable fails the task with file and line. ' +
      'The result is compared by sha256 with the remote file and written like copy (validate, backup, mode/owner/group). ' +
      'As Jinja reads it, every newline of the template file (\\n, \\r\\n or \\r) is one newline, written as newline_sequence; values of variables keep their own ' +
      '(a Handlebars .hbs file is written as rendered, or with every newline rewritten when newline_sequence is not "\\n"). ' +
      'As in Ansible, the template also sees template_host, template_path, template_fullpath, template_destpath, template_uid, ' +
      'template_mtime, template_run_date and ansible_managed (ansible.cfg [defaults] ansible_managed, default "Ansible managed").',
    check: 'full',
    diff: true,
    examples: '- template: { src: etcd.env.hbs, dest: /etc/default/etcd, mode: "0644" }\n- template: { src: app.ini.j2, dest: /etc/app/app.ini, newline_sequence: "\\r\\n", validate: "app --check %s", backup: true }',
  },
  args: {
    src: { type: 'path', required: true, description: 'Template file, resolved in templates/ (or absolute).' },
    dest: { type: 'path', required: true, description: 'Path on the host; a trailing "/" or an existing directory means dest/basename(src).' },
    newline_sequence: { type: 'str', default: '\n', description: 'Newline of the written file: "\\n", "\\r" or "\\r\\n" (also spelled with backslashes, as in single quotes).' },
    ...PUT_FILE_ARGS,
  },
  validate(args) {
    checkValidateArg(args.validate);
    if (!NEWLINES.includes(newline(args.newline_sequence))) throw new ArgumentError('newline_sequence needs to be one of: \\n, \\r or \\r\\n');
  },
  probes(args) {
    return [putProbe(args, basename(args.src))!];
  },
  async plan(ctx, args) {
    const abs = ctx.findFile('templates', args.src);
    let text: string;
    try {
      text = readFileSync(abs, 'utf8');
    } catch (e) {
      throw new MissingFileError(`template: src not found: ${args.src} (looked at ${abs})`, { loc: ctx.loc, cause: e });
    }
    // Ansible's template vars (template_host, template_path, …, ansible_managed) over the host's
    const data = Buffer.from(ctx.render(text, abs, { newline: newline(args.newline_sequence), extra: templateVars(args.src, abs, args.dest, ctx.ansibleManaged) }), 'utf8');
    return planPut(ctx, args, data, basename(args.src));
  },
  apply: (ctx, args, plan) => applyPut(ctx, args, plan),
});
