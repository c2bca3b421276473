// Playbook/role loading into the AST: sections, roles and their dependencies, includes, keywords.
import t from 'tap';
import { join, resolve } from 'node:path';
import { loadPlaybook } from '../../lib/loaders/playbook.js';
import type { BlockTask, ModuleTask, TaskNode } from '../../lib/ast.js';
import { MissingFileError, ParseError, UnknownModuleError } from '../../lib/errors.js';

const SITE = resolve('test/fixtures/playbooks/site/site.yml');

function leaves(nodes: TaskNode[]): TaskNode[] {
  return nodes.flatMap((n) => (n.kind === 'block' ? [...leaves(n.block), ...leaves(n.rescue), ...leaves(n.always)] : [n]));
}

t.test('site fixture: sections in order, meta dependency first, handlers and role info', async (t) => {
  const { playbook, definedNames } = await loadPlaybook(SITE);
  t.equal(playbook.file, SITE);
  t.equal(playbook.plays.length, 1);
  const play = playbook.plays[0]!;
  t.match(play, { name: 'site', hosts: 'all', gatherFacts: false, loc: { file: SITE, line: 2, col: 3 } });
  t.same(play.sections.map((s) => s.name), ['roles', 'tasks']);
  t.same(play.roles.map((r) => r.name), ['common', 'app']);
  const app = play.roles.find((r) => r.name === 'app')!;
  t.same(app.defaults, { app_name: 'demo', app_port: 8080, app_features: ['metrics', 'tls'] });
  t.equal(app.path, resolve('test/fixtures/playbooks/site/roles/app'));
  const roleLeaves = leaves(play.sections[0]!.tasks) as ModuleTask[];
  t.same(roleLeaves.map((n) => `${n.role?.name}:${n.name}`), ['common:host directory', 'app:config', 'app:static file']);
  t.same(roleLeaves[1]!.notify, ['restart app']);
  t.same(play.handlers.map((h) => `${h.role?.name}:${h.name}`), ['app:restart app']);
  const tasks = play.sections[1]!.tasks;
  t.equal(tasks[0]!.kind, 'block');
  t.equal((tasks[0] as BlockTask).origin, 'include_tasks');
  t.equal(((tasks[0] as BlockTask).block[0] as ModuleTask).loc.file, resolve('test/fixtures/playbooks/site/tasks/extra.yml'));
  const loop = tasks[1] as ModuleTask;
  t.match(loop, { module: 'copy', loopVar: 'item', loopLabel: '{{ item.name }}' });
  t.equal((loop.loop as unknown[]).length, 2);
  t.match(loop.argLocs.dest, { file: SITE, line: 14, col: 9 });
  t.ok(definedNames.has('cat_out'), 'register names are collected for the static check');
});

t.test('keywords are parsed and typed', async (t) => {
  const dir = t.testdir({
    'play.yml': `- hosts: web:&db
  serial: ["1", "30%", 2]
  max_fail_percentage: "10"
  any_errors_fatal: yes
  tags: [p]
  tasks:
    - name: t
      ansible.builtin.command: echo hi
      args: { chdir: /tmp }
      when: [a, true]
      tags: "x, y"
      become: true
      run_once: on
      delegate_to: localhost
      no_log: true
      check_mode: false
      diff: false
      throttle: 2
      until: r.rc == 0
      retries: 2
      delay: "1"
      register: r
      environment: { A: b }
`,
  });
  const { playbook } = await loadPlaybook(join(dir, 'play.yml'));
  const play = playbook.plays[0]!;
  t.match(play, { hosts: 'web:&db', serial: [1, '30%', 2], maxFailPercentage: 10, anyErrorsFatal: true, tags: ['p'] });
  const task = play.sections[0]!.tasks[0] as ModuleTask;
  t.match(task, {
    module: 'command',
    when: ['a', true],
    tags: ['x', 'y'],
    become: true,
    runOnce: true,
    delegateTo: 'localhost',
    noLog: true,
    checkMode: false,
    diff: false,
    throttle: 2,
    until: ['r.rc == 0'],
    retries: 2,
    delay: 1,
    register: 'r',
    environment: { A: 'b' },
  });
  t.match(task.args, { cmd: 'echo hi', chdir: '/tmp' });
});

t.test('import_playbook, pre/post tasks, role params and include_role tasks_from', async (t) => {
  const dir = t.testdir({
    'main.yml': '- import_playbook: other.yml\n- hosts: localhost\n  pre_tasks: [{ debug: { msg: pre } }]\n  roles:\n    - role: r\n      r_param: 5\n  post_tasks: [{ debug: { msg: post } }]\n',
    'other.yml': '- name: other\n  hosts: all\n  tasks:\n    - include_role: { name: r, tasks_from: extra }\n',
    roles: { r: { tasks: { 'main.yml': '- debug: { msg: main }\n', 'extra.yml': '- name: extra\n  debug: { msg: extra }\n' } } },
  });
  const { playbook } = await loadPlaybook(join(dir, 'main.yml'));
  t.same(playbook.plays.map((p) => p.name), ['other', 'localhost']);
  const inc = leaves(playbook.plays[0]!.sections[0]!.tasks) as ModuleTask[];
  t.same(inc.map((n) => n.name), ['extra']);
  const second = playbook.plays[1]!;
  t.same(second.sections.map((s) => s.name), ['pre_tasks', 'roles', 'post_tasks']);
  t.match(second.sections[1]!.tasks[0]!.vars, { r_param: 5 });
});

t.test('errors carry classes and locations', async (t) => {
  const load = async (yaml: string, files: Record<string, unknown> = {}) => {
    const dir = t.testdir({ 'p.yml': yaml, ...files });
    return loadPlaybook(join(dir, 'p.yml'));
  };
  await t.rejects(load('- hosts: x\n  tasks:\n    - copyy: {}\n'), UnknownModuleError);
  await t.rejects(load('- hosts: x\n  tasks:\n    - import_tasks: "{{ f }}.yml"\n'), { message: /import_tasks file names must be literal .*include_tasks takes one/ });
  await t.rejects(load('- hosts: x\n  tasks:\n    - import_role: { name: "{{ r }}" }\n'), { message: /import_role role names must be literal/ });
  await t.rejects(load('- hosts: x\n  tasks:\n    - import_role: { name: r, tasks_from: "{{ f }}" }\n', { roles: { r: { tasks: { 'main.yml': '- debug: {}\n' } } } }), { message: /import_role tasks_from must be literal/ });
  await t.rejects(load('- hosts: x\n  roles: [nope]\n'), MissingFileError);
  await t.rejects(load('- hosts: x\n  tasks:\n    - rescue: []\n'), { message: /need a 'block'/ });
  await t.rejects(load('- hosts: x\n  tasks:\n    - block: []\n      debug: {}\n'), { message: /a block cannot also have a module/ });
  await t.rejects(load('- hosts: x\n  tasks:\n    - debug: {}\n      loop_control: { lable: x }\n'), { message: /unknown loop_control key 'lable'/ });
  await t.rejects(load('- import_playbook: p.yml\n'), { message: /import_playbook cycle/ });
  await t.rejects(load('- hosts: x\n  debug: {}\n'), { message: /unknown play keyword 'debug'/, hint: /tasks go under/ });
  await t.rejects(load('- hosts: x\n  tasks:\n    - debug: {}\n      notify: hx\n  handlers:\n    - name: hy\n      debug: {}\n'), { message: /no handler named 'hx'/ });
  await t.rejects(load('- hosts: x\n  tasks:\n    - include_role: { tasks_from: y }\n'), ParseError);
  await t.rejects(loadPlaybook('/nonexistent/p.yml'), MissingFileError);
  // a notify with a listen topic, a role-qualified handler name and a templated name are all fine
  await t.resolves(
    load(
      '- hosts: x\n  roles: [r]\n  tasks:\n    - debug: {}\n      notify: [topic, "r : rh", "{{ dyn }}"]\n  handlers:\n    - name: h\n      debug: {}\n      listen: topic\n',
      { roles: { r: { handlers: { 'main.yml': '- name: rh\n  debug: {}\n' } } } },
    ),
  );
});
