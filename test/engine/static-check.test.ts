// The pre-run checks: undefined variables and template syntax errors, found before any host is touched.
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { loadPlaybook } from '../../lib/loaders/playbook.js';
import { Inventory } from '../../lib/loaders/inventory.js';
import { checkUndefinedVariables, listTasks, templateRoots, templateSyntaxError } from '../../lib/engine/static-check.js';
import { TemplateError } from '../../lib/errors.js';

async function check(t: Test, play: string, extra: Record<string, unknown> = {}, files: Record<string, unknown> = {}) {
  const dir = t.testdir({ 'play.yml': play, ...files });
  const { playbook, definedNames } = await loadPlaybook(join(dir, 'play.yml'));
  const inv = Inventory.empty({ playbookDir: dir });
  return () => checkUndefinedVariables(playbook, inv, definedNames, extra, undefined);
}

t.test('templateRoots: root names with positions; helpers, block params, each-context and default() excluded', async (t) => {
  t.same(templateRoots('no templates'), []);
  t.same(templateRoots('{{ a.b }} and {{c}}'), [
    { name: 'a', line: 1, col: 4 },
    { name: 'c', line: 1, col: 17 },
  ]);
  t.same(templateRoots('{{join list ","}}').map((r) => r.name), ['list']);
  t.same(templateRoots('{{default maybe "x"}}'), [], 'default exists for undefined values');
  t.same(templateRoots('{{#each xs as |x|}}{{x.name}}{{y}}{{/each}}').map((r) => r.name), ['xs']);
  t.same(templateRoots('{{#if flag}}\n{{ v }}{{/if}}').map((r) => [r.name, r.line]), [['flag', 1], ['v', 2]]);
  t.same(templateRoots('{{ @root.x }}{{ this }}'), []);
});

t.test('templateSyntaxError', async (t) => {
  t.equal(templateSyntaxError('plain'), undefined);
  t.equal(templateSyntaxError('{{ ok }}'), undefined);
  t.match(templateSyntaxError('{{#if x}}open'), /Expecting .*got 'EOF'/);
  t.notOk(templateSyntaxError('{{ groups[name] }}'), 'a Jinja subscript');
  t.match(templateSyntaxError('{{ groups[ }}'), /unexpected end of template/, 'Jinja syntax error');
  t.match(templateSyntaxError('{{ x | nosuchfilter }}'), /unknown filter 'nosuchfilter'/, 'unknown filter at check time');
  t.match(templateSyntaxError("{{ lookup('nosuch', 'x') }}"), /unknown lookup 'nosuch'/, 'unknown lookup at check time');
});

t.test('undefined variable in an argument: error at the argument, before running', async (t) => {
  const fn = await check(t, '- hosts: localhost\n  tasks:\n    - copy:\n        dest: /tmp/x\n        content: "port={{ prot }}"\n', {});
  const e = t.throws(fn, TemplateError) as unknown as TemplateError;
  t.match(e.message, "undefined variable 'prot'");
  t.match(e.loc, { line: 5, col: 9 });
});

t.test('names defined anywhere are accepted', async (t) => {
  const play = `- hosts: localhost
  vars: { pv: 1 }
  vars_files: [vf.yml]
  roles: [r]
  tasks:
    - set_fact: { sf: "{{ pv }}" }
    - command: echo hi
      register: reg
    - debug: { msg: "{{ pv }} {{ vf }} {{ rd }} {{ rv }} {{ sf }} {{ reg.stdout }} {{ ev }} {{ inventory_hostname }} {{ tv }}" }
      vars: { tv: 1 }
    - debug: { msg: "{{ thing }}" }
      loop: [1]
      loop_control: { loop_var: thing }
    - debug: { msg: "{{ default nowhere 'x' }}" }
    - block:
        - debug: { msg: "{{ bv }}" }
      vars: { bv: 1 }
`;
  const fn = await check(t, play, { ev: 1 }, {
    'vf.yml': 'vf: 1\n',
    roles: { r: { defaults: { 'main.yml': 'rd: 1\n' }, vars: { 'main.yml': 'rv: 1\n' }, tasks: { 'main.yml': '- debug: { msg: "{{ rd }}" }\n' } } },
  });
  t.doesNotThrow(fn);
  const missingExtra = await check(t, play, {}, {
    'vf.yml': 'vf: 1\n',
    roles: { r: { defaults: { 'main.yml': 'rd: 1\n' }, vars: { 'main.yml': 'rv: 1\n' }, tasks: { 'main.yml': '- debug: { msg: "{{ rd }}" }\n' } } },
  });
  t.throws(missingExtra, /undefined variable 'ev'/);
});

t.test('undefined variables in handlers, rescue and set_fact are found too', async (t) => {
  const h = await check(t, '- hosts: localhost\n  tasks: []\n  handlers:\n    - name: h\n      debug: { msg: "{{ nope }}" }\n');
  t.throws(h, /undefined variable 'nope'/);
  const r = await check(t, '- hosts: localhost\n  tasks:\n    - block: []\n      rescue:\n        - debug: { msg: "{{ nope2 }}" }\n');
  t.throws(r, /undefined variable 'nope2'/);
  const s = await check(t, '- hosts: localhost\n  tasks:\n    - set_fact: { x: "{{ nope3 }}" }\n');
  t.throws(s, /undefined variable 'nope3'/);
  const l = await check(t, '- hosts: localhost\n  tasks:\n    - debug: { msg: hi }\n      loop: "{{ nolist }}"\n');
  t.throws(l, /undefined variable 'nolist'/);
});

t.test('listTasks honours tags and skip-tags, with inherited tags', async (t) => {
  const dir = t.testdir({
    'play.yml': '- hosts: localhost\n  tags: p\n  tasks:\n    - { name: a, debug: {}, tags: x }\n    - { name: b, debug: {} }\n    - block:\n        - { name: c, debug: {} }\n      tags: y\n',
  });
  const { playbook } = await loadPlaybook(join(dir, 'play.yml'));
  const play = playbook.plays[0]!;
  t.same(listTasks(play, [], []), [
    { title: 'a', tags: ['p', 'x'] },
    { title: 'b', tags: ['p'] },
    { title: 'c', tags: ['p', 'y'] },
  ]);
  t.same(listTasks(play, ['y'], []).map((x) => x.title), ['c']);
  t.same(listTasks(play, [], ['x']).map((x) => x.title), ['b', 'c']);
});

t.test("a module's returned facts are defined names: getent's getent_DATABASE, unless the database is templated", async (t) => {
  const ok = await check(t, '- hosts: localhost\n  tasks:\n    - getent: { database: passwd, key: root }\n    - debug: { msg: "{{ getent_passwd.root }} {{ getent_group }}" }\n');
  t.throws(ok, /undefined variable 'getent_group'/, 'only the database read');
  const any = await check(t, '- hosts: localhost\n  vars: { db: group }\n  tasks:\n    - getent: { database: "{{ db }}" }\n    - debug: { msg: "{{ getent_group }}" }\n');
  t.doesNotThrow(any, 'a templated database may define any getent_ name');
});
