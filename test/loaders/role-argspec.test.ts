// Role argument specs as the loader reads them (lib/loaders/role-argspec.ts): the validation task
// Ansible 2.11+ puts first in a role's entry point, where it goes and what it carries, when there is
// none (rolespec_validate: false, an entry point without a spec), and a malformed spec file refused
// at its line before anything runs.
import t from 'tap';
import { join } from 'node:path';
import { loadPlaybook } from '../../lib/loaders/playbook.js';
import type { BlockTask, ModuleTask, TaskNode } from '../../lib/ast.js';
import { ParseError } from '../../lib/errors.js';

function leaves(nodes: TaskNode[]): TaskNode[] {
  return nodes.flatMap((n) => (n.kind === 'block' ? [...leaves(n.block), ...leaves(n.rescue), ...leaves(n.always)] : [n]));
}

const SPEC = `argument_specs:
  main:
    short_description: The svc role
    options:
      svc_name: {type: str, required: true}
  other:
    options:
      other_x: {type: int}
`;

function roles(extra: Record<string, string> = {}): Record<string, unknown> {
  return {
    roles: {
      svc: { meta: { 'argument_specs.yml': SPEC, 'main.yml': 'dependencies: [base]\n' }, tasks: { 'main.yml': '- debug: {msg: main}\n', 'other.yml': '- debug: {msg: other}\n', 'plain.yml': '- debug: {msg: plain}\n' } },
      base: { meta: { 'main.yml': 'argument_specs:\n  main:\n    options:\n      base_x: {type: int}\n' }, tasks: { 'main.yml': '- debug: {msg: base}\n' } },
      ...extra,
    },
  };
}

const names = (nodes: TaskNode[]) => leaves(nodes).map((n) => `${n.role?.name ?? ''}:${n.name ?? (n as ModuleTask).module}`);

t.test('roles: the validation task first in the role (after its dependencies), with the role parameters', async (t) => {
  const dir = t.testdir({
    ...roles(),
    'site.yml': '- hosts: all\n  roles:\n    - role: svc\n      svc_name: x\n      when: true\n      tags: [t]\n      vars: {v: 1}\n',
  });
  const { playbook } = await loadPlaybook(join(dir, 'site.yml'));
  const tasks = playbook.plays[0]!.sections[0]!.tasks;
  t.same(names(tasks), [
    "base:Validating arguments against arg spec 'main'",
    'base:debug',
    "svc:Validating arguments against arg spec 'main' - The svc role",
    'svc:debug',
  ]);
  const check = leaves(tasks)[2] as ModuleTask;
  t.equal(check.module, 'validate_argument_spec');
  t.same(check.tags, ['always'], 'tagged always, as Ansible');
  t.same(check.args.provided_arguments, { svc_name: 'x' }, 'role keywords are not parameters');
  t.same(check.args.argument_spec, { svc_name: { type: 'str', required: true } });
  t.match(check.args.validate_args_context, { type: 'role', name: 'svc', argument_spec_name: 'main', path: join(dir, 'roles', 'svc') });
  t.match(check.loc, { file: join(dir, 'roles', 'svc', 'meta', 'argument_specs.yml'), line: 2 }, 'at its entry point');
});

t.test('import_role/include_role: tasks_from picks the entry point; rolespec_validate: false and entry points without a spec have none', async (t) => {
  const dir = t.testdir({
    ...roles(),
    'site.yml': `- hosts: all
  tasks:
    - import_role: {name: svc, tasks_from: other}
    - import_role: {name: svc, tasks_from: plain}
    - import_role: {name: svc, rolespec_validate: false}
    - include_role: {name: svc, rolespec_validate: no}
    - include_role: {name: svc}
`,
  });
  const { playbook } = await loadPlaybook(join(dir, 'site.yml'));
  const blocks = playbook.plays[0]!.sections[0]!.tasks as BlockTask[];
  const own = (b: BlockTask) => names(b.block).filter((n) => n.startsWith('svc:'));
  t.same(own(blocks[0]!), ["svc:Validating arguments against arg spec 'other'", 'svc:debug']);
  t.same(own(blocks[1]!), ['svc:debug'], 'no spec for plain');
  t.same(own(blocks[2]!), ['svc:debug'], 'import_role rolespec_validate: false');
  t.same(own(blocks[3]!), ['svc:debug'], 'include_role rolespec_validate: no');
  t.same(own(blocks[4]!), ["svc:Validating arguments against arg spec 'main' - The svc role", 'svc:debug']);
  t.same((leaves(blocks[4]!.block).find((n) => n.role?.name === 'svc') as ModuleTask).args.provided_arguments, {}, 'include_role has no role parameters');
  t.same(names(blocks[2]!.block).slice(0, 1), ["base:Validating arguments against arg spec 'main'"], "a dependency's own check stays");
});

t.test('meta/argument_specs.yml wins over meta/main.yml', async (t) => {
  const dir = t.testdir({
    roles: { r: { meta: { 'argument_specs.yaml': 'argument_specs:\n  main:\n    options: {a: {}}\n', 'main.yml': 'argument_specs:\n  main:\n    options: {b: {}}\n' }, tasks: { 'main.yml': '- debug: {msg: r}\n' } } },
    'site.yml': '- hosts: all\n  roles: [r]\n',
  });
  const { playbook } = await loadPlaybook(join(dir, 'site.yml'));
  t.same((leaves(playbook.plays[0]!.sections[0]!.tasks)[0] as ModuleTask).args.argument_spec, { a: {} });
});

t.test('a role with a spec and no tasks still validates', async (t) => {
  const dir = t.testdir({ roles: { r: { meta: { 'argument_specs.yml': 'argument_specs:\n  main:\n    options: {a: {required: true}}\n' } } }, 'site.yml': '- hosts: all\n  roles: [r]\n' });
  const { playbook } = await loadPlaybook(join(dir, 'site.yml'));
  t.same(names(playbook.plays[0]!.sections[0]!.tasks), ["r:Validating arguments against arg spec 'main'"]);
});

t.test('a malformed spec file: one error at its line, nothing loaded', async (t) => {
  const cases: Array<[string, RegExp, number]> = [
    ['argument_specs:\n  main:\n    options:\n      a: {type: integer}\n', /entry point 'main': unknown type "integer"/, 4],
    ['argument_specs:\n  main:\n    options:\n      a:\n        type: dict\n        options:\n          b: {required: true, default: 1}\n', /option 'b' of option 'a' of entry point 'main': required and default are mutually exclusive/, 7],
    ['argument_specs:\n  main: [a]\n', /entry point 'main' must be a mapping/, 2],
    ['argument_specs: [main]\n', /argument_specs must be a mapping of entry points/, 1],
    ['main:\n  options: {}\n', /must be a mapping with argument_specs:.*Ansible would validate nothing/, 1],
    ['argument_specs:\n  main:\n    short_description: [x]\n', /short_description of entry point 'main' must be text/, 3],
  ];
  for (const [text, re, line] of cases) {
    const dir = t.testdir({ roles: { r: { meta: { 'argument_specs.yml': text }, tasks: { 'main.yml': '- debug: {msg: r}\n' } } }, 'site.yml': '- hosts: all\n  roles: [r]\n' });
    const e = await loadPlaybook(join(dir, 'site.yml')).catch((err: unknown) => err);
    t.ok(e instanceof ParseError, text);
    t.match((e as ParseError).message, re);
    t.match((e as ParseError).loc, { file: join(dir, 'roles', 'r', 'meta', 'argument_specs.yml'), line }, `${text}: at line ${line}`);
  }
});
