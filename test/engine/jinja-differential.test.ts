// Differential test: every template of test/fixtures/jinja-diff/cases.yml is rendered by
// ansible-playbook 2.14 (the template module, one run for all cases: each case is a file included
// by one driver template) and by bosun's Jinja engine, with the same variables (vars.yml). The
// outputs must be byte-identical, except the cases listed in KNOWN_DIFFERENCES, each of which is a
// deliberate difference documented in docs/ansible-differences.md (and asserted here as such).
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { renderText } from '../../lib/engine/jinja/index.js';
import { run } from '../helpers/run.js';

const FIX = join(import.meta.dirname, '../fixtures/jinja-diff');
const cases = parse(readFileSync(join(FIX, 'cases.yml'), 'utf8')) as Record<string, string>;
const vars = parse(readFileSync(join(FIX, 'vars.yml'), 'utf8')) as Record<string, unknown>;

/** Deliberate differences (docs/ansible-differences.md, "Templates"): type_debug names no Ansible wrapper types. */
const KNOWN_DIFFERENCES: Record<string, string> = {
  type_debug_f: "strings from vars files are Ansible's AnsibleUnicode; bosun says str",
};

const MARK = (name: string): string => `<<<case ${name}>>>`;

function split(out: string): Record<string, string> {
  const res: Record<string, string> = {};
  const re = /<<<case ([\w-]+)>>>\n/g;
  const marks = [...out.matchAll(re)];
  marks.forEach((m, i) => {
    res[m[1]!] = out.slice(m.index! + m[0].length, i + 1 < marks.length ? marks[i + 1]!.index : out.lastIndexOf('<<<end>>>'));
  });
  return res;
}

let ansible = true;
try {
  execFileSync('ansible-playbook', ['--version'], { stdio: 'ignore' });
} catch {
  ansible = false;
}

t.test('Jinja templates render as ansible-playbook 2.14 renders them', { skip: ansible ? false : 'ansible-playbook is not installed (.ci/setup installs ansible-core)' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-jinja-diff-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'templates'));
  mkdirSync(join(dir, 'files'));
  copyFileSync(join(FIX, 'inc.j2'), join(dir, 'templates/inc.j2'));
  copyFileSync(join(FIX, 'inc_item.j2'), join(dir, 'templates/inc_item.j2'));
  copyFileSync(join(FIX, 'data.txt'), join(dir, 'files/data.txt'));
  // templates the cases import, extend or include (import/from, extends/block)
  for (const f of readdirSync(join(FIX, 'lib'))) copyFileSync(join(FIX, 'lib', f), join(dir, 'templates', f));
  copyFileSync(join(FIX, 'vars.yml'), join(dir, 'vars.yml'));
  let driver = '';
  for (const [name, tpl] of Object.entries(cases)) {
    writeFileSync(join(dir, 'templates', `c_${name}.j2`), tpl);
    driver += `${MARK(name)}\n{% include 'c_${name}.j2' %}\n`;
  }
  driver += '<<<end>>>\n';
  writeFileSync(join(dir, 'templates/all.j2'), driver);
  writeFileSync(
    join(dir, 'site.yml'),
    '- hosts: localhost\n  gather_facts: false\n  vars_files: [vars.yml]\n  tasks:\n    - template: {src: all.j2, dest: "{{ playbook_dir }}/ansible.out"}\n',
  );
  const env = { ...process.env, BOSUN_DIFF_ENV: 'from-env', ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: '0', ANSIBLE_LOCALHOST_WARNING: '0', ANSIBLE_PYTHON_INTERPRETER: 'auto_silent' };
  try {
    execFileSync('ansible-playbook', ['-i', 'localhost,', '-c', 'local', 'site.yml'], { cwd: dir, env, encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    t.fail(`ansible-playbook failed: ${(e as { stdout?: string }).stdout ?? e}`);
    return;
  }
  const want = split(readFileSync(join(dir, 'ansible.out'), 'utf8'));
  process.env.BOSUN_DIFF_ENV = 'from-env';
  const got = split(
    renderText(driver, { ...vars, playbook_dir: dir }, { file: join(dir, 'templates/all.j2') }, { file: true }),
  );
  let same = 0;
  for (const name of Object.keys(cases)) {
    t.ok(Object.hasOwn(want, name), `ansible rendered case ${name}`);
    if (Object.hasOwn(KNOWN_DIFFERENCES, name)) {
      t.not(got[name], want[name], `${name}: a documented difference (${KNOWN_DIFFERENCES[name]}); remove it from the list when it agrees`);
      continue;
    }
    if (got[name] === want[name]) same++;
    t.equal(got[name], want[name], `case ${name}: ${JSON.stringify(cases[name]).slice(0, 80)}`);
  }
  t.equal(same + Object.keys(KNOWN_DIFFERENCES).length, Object.keys(cases).length, `${same} of ${Object.keys(cases).length} cases byte-identical`);
});

// A deliberate difference (docs/ansible-differences.md, "Templates"): Ansible 2.14 renders templates in
// a NativeEnvironment, whose output values stay Python objects; super() and self.block() join a
// block's output with a plain str join, which fails on a number. bosun prints it, as Jinja2 does.
t.test('super() over a block printing a number: Ansible 2.14 fails, bosun renders it', { skip: ansible ? false : 'ansible-playbook is not installed' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-jinja-diff-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'templates'));
  writeFileSync(join(dir, 'templates/base.j2'), '{% block b %}n={{ n }}{% endblock %}\n');
  writeFileSync(join(dir, 'templates/child.j2'), "{% extends 'base.j2' %}{% block b %}[{{ super() }}]{% endblock %}\n");
  writeFileSync(join(dir, 'site.yml'), '- hosts: localhost\n  gather_facts: false\n  vars: {n: 5}\n  tasks:\n    - template: {src: child.j2, dest: "{{ playbook_dir }}/out"}\n');
  const env = { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: '0', ANSIBLE_LOCALHOST_WARNING: '0', ANSIBLE_PYTHON_INTERPRETER: 'auto_silent' };
  let out = '';
  try {
    execFileSync('ansible-playbook', ['-i', 'localhost,', '-c', 'local', 'site.yml'], { cwd: dir, env, encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    out = String((e as { stdout?: string }).stdout);
  }
  t.match(out, /expected str instance, int found/, 'Ansible 2.14 fails on the number in the parent block');
  const file = join(dir, 'templates/child.j2');
  t.equal(renderText(readFileSync(file, 'utf8'), { n: 5 }, { file }, { file: true }), '[n=5]\n', 'bosun renders it as Jinja2 does');
});

// Where import/extends/include find templates, through the template module of a role: Ansible's
// search path is the role (templates/ first), the playbook directory and the top template's own
// directory — not the directory of the template naming another. Both tools render the same role.
t.test('a role template in a subdirectory finds what it names as Ansible does', { skip: ansible ? false : 'ansible-playbook is not installed' }, async (t) => {
  const dir = t.testdir({
    'site.yml': '- hosts: localhost\n  connection: local\n  gather_facts: false\n  vars: {port: 8080, tree: [{name: a, sub: [{name: b}]}, {name: c}]}\n  roles: [web]\n',
    templates: { 'layout.j2': "# layout from the playbook's templates/\n{% block main %}{% endblock %}\n{% include 'role_root.j2' %}\n" },
    roles: {
      web: {
        'role_root.j2': '(found at the role root)',
        tasks: { 'main.yml': '- template: {src: sub/site.conf.j2, dest: "{{ out }}/site.conf"}\n' },
        templates: {
          'macros.j2': '{% macro kv(k, v) %}{{ k }} = {{ v }}{% endmacro %}',
          sub: {
            'site.conf.j2': "{% extends 'layout.j2' %}\n{% from 'macros.j2' import kv %}\n{% block main %}\n{{ kv('port', port) }}\n{% for s in tree recursive %}\n{{ '  ' * loop.depth0 }}[{{ s.name }}] {{ loop.depth }}.{{ loop.index }}\n{% if s.sub is defined %}{{ loop(s.sub) }}{% endif %}\n{% endfor %}\n{% endblock %}\n",
          },
        },
      },
    },
    a: {},
    b: {},
  });
  const env = { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: '0', ANSIBLE_LOCALHOST_WARNING: '0', ANSIBLE_PYTHON_INTERPRETER: 'auto_silent' };
  execFileSync('ansible-playbook', ['-i', 'localhost,', 'site.yml', '-e', `out=${join(dir, 'a')}`], { cwd: dir, env, encoding: 'utf8', stdio: 'pipe' });
  const want = readFileSync(join(dir, 'a/site.conf'), 'utf8');
  t.match(want, /\[b\] 2\.1/, 'Ansible rendered the whole template (not vacuous)');
  const r = await run([join(dir, 'site.yml'), '-i', 'localhost,', '-e', `out=${join(dir, 'b')}`]);
  t.equal(r.code, 0, r.stdout + r.stderr);
  t.equal(readFileSync(join(dir, 'b/site.conf'), 'utf8'), want, 'byte-identical');
});
