// `bosun role init NAME [--path roles]` (ansible-galaxy role init): a role skeleton that already runs —
// a templated config file, a handler, defaults, meta, a README and a lab test playbook. It never
// overwrites anything: an existing role directory is an error.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { OptionsError } from '../errors.js';
import { flagsOf, parseArgsError } from './hints.js';
import type { IO } from './io.js';

export const ROLE_HELP = `usage: bosun role init NAME [--path DIR]

  Creates DIR/NAME (default DIR: roles) with tasks/ handlers/ defaults/ vars/ templates/ files/ meta/,
  README.md and tests/lab.yml; refuses to overwrite an existing directory.`;

/** Role names become variable prefixes (NAME_config_path), so they must be identifiers. */
const ROLE_NAME = /^[a-z_][a-z0-9_]*$/;

export function roleFiles(name: string, rolesDir: string): Record<string, string> {
  const v = (k: string) => `${name}_${k}`;
  // commands in comments and README are relative to where `bosun role init` ran
  const pb = relative(process.cwd(), join(rolesDir, name, 'tests', 'lab.yml'));
  const rp = relative(process.cwd(), rolesDir) || '.';
  return {
    'tasks/main.yml': `---
# Tasks of role ${name}. Variables come from defaults/main.yml (lowest precedence: override them
# in the inventory, group_vars/, the play, or -e).
- name: ${name} configuration file
  template:
    src: ${name}.conf.hbs
    dest: "{{ ${v('config_path')} }}"
    mode: "0644"
  notify: ${name} configuration changed
`,
    'handlers/main.yml': `---
# Runs once at the end of the play on hosts where a task notified it (e.g. restart a service).
- name: ${name} configuration changed
  debug:
    msg: "{{ ${v('config_path')} }} changed on {{ inventory_hostname }}"
`,
    'defaults/main.yml': `---
# Every variable the role reads, with its default. Document each one in README.md.
${v('config_path')}: /etc/${name}.conf
${v('greeting')}: hello from ${name}
`,
    'vars/main.yml': `---
# Role variables that callers are not meant to override (higher precedence than inventory vars).
`,
    [`templates/${name}.conf.hbs`]: `# Managed by bosun (role ${name}); local changes are overwritten.
# Templates are Handlebars, strict: an undefined variable fails the task with file and line.
host={{inventory_hostname}}
greeting={{${v('greeting')}}}
`,
    'files/.gitkeep': '',
    'meta/main.yml': `---
# Roles that must run before this one (each runs once per play).
dependencies: []
`,
    'tests/lab.yml': `---
# Lab test of role ${name}:
#   bosun lab up 2 && bosun lab inventory > lab.yml
#   bosun run ${pb} -i lab.yml --roles-path ${rp}
# A second run must report changed=0.
- name: role ${name} on the lab
  hosts: all
  roles:
    - ${name}
  tasks:
    - name: the configuration file exists
      stat:
        path: "{{ ${v('config_path')} }}"
      register: ${v('conf')}
    - name: check it
      # in --check the template task changed nothing, so the file may legitimately be missing
      when: not ansible_check_mode
      assert:
        that:
          - ${v('conf')}.stat.exists
        fail_msg: "{{ ${v('config_path')} }} is missing"
`,
    'README.md': `# Role ${name}

What the role does, in two sentences.

## Variables (defaults/main.yml)

| variable | default | meaning |
|---|---|---|
| \`${v('config_path')}\` | \`/etc/${name}.conf\` | where the configuration file goes |
| \`${v('greeting')}\` | \`hello from ${name}\` | written into the file |

## Use

\`\`\`yaml
- hosts: all
  roles:
    - ${name}
\`\`\`

## Test on the lab

\`\`\`sh
bosun lab up 2 && bosun lab inventory > lab.yml
bosun run ${pb} -i lab.yml --roles-path ${rp} --check --diff
bosun run ${pb} -i lab.yml --roles-path ${rp}
bosun run ${pb} -i lab.yml --roles-path ${rp}   # again: changed=0
bosun lab down
\`\`\`
`,
  };
}

/** Creates rolesDir/name; returns the files written (absolute). Throws OptionsError if it exists. */
export function initRole(name: string, rolesDir: string): string[] {
  if (!ROLE_NAME.test(name)) {
    throw new OptionsError(`role name '${name}' is not valid`, { hint: 'use lower-case letters, digits and _ (it prefixes the role\'s variables)' });
  }
  const dir = join(rolesDir, name);
  if (existsSync(dir)) throw new OptionsError(`${dir} already exists; not overwriting anything`, { hint: 'choose another name or --path' });
  const written: string[] = [];
  for (const [rel, text] of Object.entries(roleFiles(name, rolesDir))) {
    const f = join(dir, rel);
    mkdirSync(join(f, '..'), { recursive: true });
    // 'wx': fail rather than overwrite, even if something appeared meanwhile
    writeFileSync(f, text, { flag: 'wx' });
    written.push(f);
  }
  return written;
}

export async function roleCommand(argv: string[], io: IO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { path: { type: 'string', short: 'p' }, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    throw parseArgsError(e, flagsOf(ROLE_HELP), 'bosun role --help');
  }
  const { values: v, positionals: pos } = parsed;
  if (v.help || pos.length === 0) {
    io.out(ROLE_HELP + '\n');
    return v.help ? 0 : 5;
  }
  if (pos[0] !== 'init') throw new OptionsError(`unknown role subcommand '${pos[0]}'`, { hint: 'bosun role init NAME' });
  if (pos.length !== 2) throw new OptionsError('usage: bosun role init NAME [--path DIR]');
  const rolesDir = v.path ?? 'roles';
  const files = initRole(pos[1]!, rolesDir);
  io.out(`created role ${pos[1]} in ${join(rolesDir, pos[1]!)}:\n${files.map((f) => `  ${relative(rolesDir, f)}\n`).join('')}`);
  return 0;
}
