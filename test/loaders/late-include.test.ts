// Templated includes in the loader: the late node (nothing loaded before the run), its load per
// rendered values (cached; a missing file is a reason, not an error), and the names the load-time
// check learns from the files a template can name (lib/loaders/late-include.ts).
import t from 'tap';
import { join } from 'node:path';
import { loadPlaybook } from '../../lib/loaders/playbook.js';
import { collectNames, noteLateNames, templatePattern } from '../../lib/loaders/late-include.js';
import type { BlockTask } from '../../lib/ast.js';

t.test('templatePattern: the text around {{ }} is literal, the rest anything', async (t) => {
  const re = templatePattern('/d/setup-{{ ansible_os_family }}.yml');
  t.ok(re.test('/d/setup-Debian.yml'));
  t.ok(re.test('/d/setup-Red.Hat.yml'));
  t.notOk(re.test('/d/setupXDebian.yml'), 'the dash is literal');
  t.notOk(re.test('/d/setup-Debian.yaml'), 'so is the extension');
  t.ok(templatePattern('{{ a }}/{{ b }}').test('x/y'));
});

t.test('collectNames: register, set_fact (mapping and k=v), blocks, literal task files; * for what may define anything', async (t) => {
  const dir = t.testdir({ 'sub.yml': '- debug: {}\n  register: from_sub\n' });
  const names = new Set<string>();
  collectNames(
    [
      { command: 'x', register: 'r1' },
      { set_fact: { f1: 1, cacheable: true } },
      { 'ansible.builtin.set_fact': 'f2=1 f3="a b"' },
      { block: [{ debug: {}, register: 'r2' }], rescue: [{ set_fact: { f4: 1 } }] },
      { include_tasks: 'sub.yml' },
      { import_tasks: { file: 'sub.yml' } },
      { include_tasks: 'absent.yml' },
    ],
    names,
    dir,
  );
  t.same([...names].sort(), ['f1', 'f2', 'f3', 'f4', 'from_sub', 'r1', 'r2']);
  const any = new Set<string>();
  collectNames([{ include_vars: 'x.yml' }], any, dir);
  t.ok(any.has('*'), 'include_vars may define any name');
  const templated = new Set<string>();
  collectNames([{ include_tasks: '{{ x }}.yml' }], templated, dir);
  t.ok(templated.has('*'), 'so may a templated include inside');
});

t.test('noteLateNames: from every file the template can name; * when it names none', async (t) => {
  const dir = t.testdir({
    'setup-Debian.yml': '- command: a\n  register: deb_out\n',
    'setup-RedHat.yml': '- set_fact: { rh_fact: 1 }\n',
    'other.yml': '- command: a\n  register: not_this\n',
    roles: {
      web: { tasks: { 'main.yml': '- debug: {}\n  register: web_out\n', 'extra.yml': '- debug: {}\n  register: web_extra\n' }, defaults: { 'main.yml': 'web_port: 80\n' } },
      db: { tasks: { 'main.yml': '- debug: {}\n  register: db_out\n' } },
    },
  });
  const names = new Set<string>();
  noteLateNames(names, { file: 'setup-{{ os }}.yml', dir });
  t.same([...names].sort(), ['deb_out', 'rh_fact']);
  const roles = new Set<string>();
  noteLateNames(roles, { role: 'w{{ x }}', rolesPath: [join(dir, 'roles')], public: true });
  t.same([...roles].sort(), ['web_extra', 'web_out', 'web_port'], 'the matching role: its task files, its defaults when public');
  const from = new Set<string>();
  noteLateNames(from, { role: '{{ r }}', tasksFrom: 'extra', rolesPath: [join(dir, 'roles')], public: false });
  t.same([...from], ['web_extra'], 'a literal tasks_from names one file');
  const none = new Set<string>();
  noteLateNames(none, { file: 'nothing-{{ x }}.yml', dir });
  t.same([...none], ['*']);
  const bad = new Set<string>();
  noteLateNames(bad, { file: '{{ x }}.yml', dir: t.testdir({ 'a.yml': '- [unclosed\n' }) });
  t.ok(bad.has('*'), 'a candidate that does not parse: any name');
});

t.test('the loader: a templated include is a late node; load() loads it as a literal one, once per values', async (t) => {
  const dir = t.testdir({
    'p.yml': `- hosts: x
  tasks:
    - include_tasks: "setup-{{ os }}.yml"
      vars: { v: 1 }
      ignore_errors: true
    - include_role: { name: "{{ item }}", tasks_from: "{{ mode }}", public: true }
      loop: [web]
    - debug: { msg: "{{ deb_out }}" }
`,
    'setup-Debian.yml': '- command: a\n  register: deb_out\n',
    roles: { web: { tasks: { 'main.yml': '- debug: {}\n', 'fast.yml': '- name: fast\n  debug: {}\n' }, handlers: { 'main.yml': '- name: h\n  debug: {}\n' } } },
  });
  const { playbook, definedNames } = await loadPlaybook(join(dir, 'p.yml'));
  t.ok(definedNames.has('deb_out'), 'the candidate file registers deb_out: the later literal task passes the check');
  const [inc, role] = playbook.plays[0]!.sections[0]!.tasks as BlockTask[];
  t.same(inc!.block, [], 'nothing loaded before the run');
  t.same(inc!.include!.late!.args, { file: 'setup-{{ os }}.yml' });
  t.equal(inc!.include!.ignoreErrors, true, "the include's own ignore_errors is kept");
  t.match(inc!.include!.late!.at, { file: join(dir, 'p.yml'), line: 3 });
  const a = await inc!.include!.late!.load({ file: 'setup-Debian.yml' });
  t.ok('node' in a && a.node.include!.file === join(dir, 'setup-Debian.yml'), 'loaded as a literal include');
  t.ok('node' in a && a.node.block.length === 1 && a.node.vars?.v === 1, 'its tasks and vars');
  t.equal(await inc!.include!.late!.load({ file: 'setup-Debian.yml' }), a, 'cached per rendered values');
  t.same(await inc!.include!.late!.load({ file: 'setup-Plan9.yml' }), { reason: `Could not find or access '${join(dir, 'setup-Plan9.yml')}' on the Ansible Controller.` });
  t.same(role!.include!.late!.args, { name: '{{ item }}', tasks_from: '{{ mode }}' });
  t.match(role!.include!.role, { name: '{{ item }}', public: true });
  const r = await role!.include!.late!.load({ name: 'web', tasks_from: 'fast' });
  t.ok('node' in r && r.node.block.map((n) => n.name).join() === 'fast', 'the role with its tasks_from');
  t.ok('node' in r && r.handlers.length === 1, 'its handlers, for the runner');
  await t.rejects(role!.include!.late!.load({ name: 'nope', tasks_from: 'fast' }), { message: /role 'nope' not found/ });
});
