// Variable precedence, lowest → highest (lib/engine/vars.ts header):
//   role defaults < inventory all < parent group < child group < host vars < play vars < vars_files
//   < role vars < block vars < task vars < set_fact < register < extra vars
// One end-to-end run per level: the variable is defined at that level and at every level below it,
// and the value seen by a task must be that level's.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { run } from '../helpers/run.js';
import { buildScope, dataLayer, isDataLayer, parseKeyValues } from '../../lib/engine/vars.js';
import { TemplateEngine } from '../../lib/engine/template.js';
import { TemplateError } from '../../lib/errors.js';
import { processSecrets } from '../../lib/output/mask.js';

const LEVELS = [
  'role defaults',
  'inventory all',
  'parent group',
  'child group',
  'host vars',
  'play vars',
  'vars_files',
  'role vars',
  'block vars',
  'task vars',
  'set_fact',
  'register',
  'extra vars',
] as const;
type Level = (typeof LEVELS)[number];

/** The variable is `v`, a mapping whose `stdout` names the level (so `register` can define it too). */
type Fixture = NonNullable<Parameters<typeof t.testdir>[0]>;

function tree(levels: Set<Level>): { files: Fixture; args: string[] } {
  const v = (l: Level) => (levels.has(l) ? { v: { stdout: l } } : {});
  const inventory = {
    all: {
      vars: { ansible_connection: 'local', ...v('inventory all') },
      children: {
        parent: {
          vars: v('parent group'),
          children: { child: { vars: v('child group'), hosts: { h1: v('host vars') } } },
        },
      },
    },
  };
  const tasks: unknown[] = [];
  if (levels.has('set_fact')) tasks.push({ set_fact: { v: { stdout: 'set_fact' } } });
  if (levels.has('register')) tasks.push({ command: 'echo register', register: 'v', changed_when: false });
  tasks.push({
    name: 'block',
    vars: v('block vars'),
    block: [{ name: 'write', copy: { dest: '{{ out }}/v', content: '{{ v.stdout }}' }, vars: v('task vars') }],
  });
  const play = [{ hosts: 'h1', gather_facts: false, vars: v('play vars'), vars_files: ['vf.yml'], roles: ['r'], tasks }];
  const files: Fixture = {
    'inventory.yml': stringify(inventory),
    'play.yml': stringify(play),
    'vf.yml': stringify(v('vars_files')),
    out: {},
    roles: {
      r: {
        defaults: { 'main.yml': stringify(v('role defaults')) },
        vars: { 'main.yml': stringify(v('role vars')) },
        tasks: { 'main.yml': '- debug: { msg: role ran }\n' },
      },
    },
  };
  const args = levels.has('extra vars') ? ['-e', JSON.stringify({ v: { stdout: 'extra vars' } })] : [];
  return { files, args };
}

LEVELS.forEach((level, i) => {
  const name = i === 0 ? `${level} alone` : `${level} overrides ${LEVELS[i - 1]}`;
  t.test(name, async (t) => {
    const { files, args } = tree(new Set(LEVELS.slice(0, i + 1)));
    const dir = t.testdir(files);
    const out = join(dir, 'out');
    const r = await run([join(dir, 'play.yml'), '-i', join(dir, 'inventory.yml'), '-e', `out=${out}`, ...args]);
    t.equal(r.code, 0, r.stdout + r.stderr);
    t.equal(readFileSync(join(out, 'v'), 'utf8'), level);
  });
});

t.test('group_vars/ and host_vars/ beside the inventory rank as their group and host', async (t) => {
  const dir = t.testdir({
    'inventory.yml': 'all:\n  vars: { ansible_connection: local }\n  children:\n    g:\n      hosts:\n        h1: {}\n',
    group_vars: { 'all.yml': 'a: all\nb: all\nc: all\n', 'g.yml': 'b: group\nc: group\n' },
    host_vars: { 'h1.yml': 'c: host\n' },
    'play.yml': '- hosts: h1\n  gather_facts: false\n  tasks:\n    - copy: { dest: "{{ out }}/abc", content: "{{ a }} {{ b }} {{ c }}" }\n',
    out: {},
  });
  const r = await run([join(dir, 'play.yml'), '-i', join(dir, 'inventory.yml'), '-e', `out=${join(dir, 'out')}`]);
  t.equal(r.code, 0, r.stdout + r.stderr);
  t.equal(readFileSync(join(dir, 'out', 'abc'), 'utf8'), 'all group host');
});

t.test("add_host changes an existing host's variables for the tasks after it (inventory variables are not kept stale)", async (t) => {
  const dir = t.testdir({
    'inventory.yml': 'all:\n  vars: { ansible_connection: local }\n  hosts:\n    h1: { level: inventory }\n',
    group_vars: { 'grouped.yml': 'gv: group\n' },
    'play.yml': `- hosts: h1
  gather_facts: false
  tasks:
    - copy: { dest: "{{ out }}/before", content: "{{ level }}" }
    - add_host: { name: h1, level: added }
    - copy: { dest: "{{ out }}/after", content: "{{ level }} {{ gv | default('none') }}" }
    - group_by: { key: grouped }
    - copy: { dest: "{{ out }}/grouped", content: "{{ level }} {{ gv | default('none') }}" }
`,
    out: {},
  });
  const r = await run([join(dir, 'play.yml'), '-i', join(dir, 'inventory.yml'), '-e', `out=${join(dir, 'out')}`]);
  t.equal(r.code, 0, r.stdout + r.stderr);
  t.equal(readFileSync(join(dir, 'out', 'before'), 'utf8'), 'inventory');
  t.equal(readFileSync(join(dir, 'out', 'after'), 'utf8'), 'added none');
  t.equal(readFileSync(join(dir, 'out', 'grouped'), 'utf8'), 'added group', "group_by: the new group's group_vars apply");
});

t.test('buildScope: later layers win, templates render lazily against the whole scope, magic wins', async (t) => {
  const te = new TemplateEngine();
  const scope = buildScope(
    [{ a: 'low', dir: '/etc/x', file: '{{ dir }}/x.conf' }, undefined, { a: 'high', dir: '/opt/y' }],
    { inventory_hostname: 'h1' },
    te,
  );
  t.equal(scope.a, 'high');
  t.equal(scope.file, '/opt/y/x.conf', 'a lower-layer template sees the higher-layer value');
  const magic = buildScope([{ inventory_hostname: 'spoofed' }], { inventory_hostname: 'h1' }, te);
  t.equal(magic.inventory_hostname, 'h1');
  const loop = buildScope([{ x: '{{ y }}', y: '{{ x }}' }], {}, te);
  t.throws(() => loop.x, TemplateError);
  t.throws(() => loop.x, /recursive loop detected in variable 'x'/);
});

t.test('parseKeyValues (-e k=v)', async (t) => {
  t.same(parseKeyValues('a=1 b="two words" c=\'x y\' d='), { a: '1', b: 'two words', c: 'x y', d: '' });
  t.equal(parseKeyValues('not a pair'), undefined);
  t.equal(parseKeyValues('a=1 junk'), undefined);
});

t.test('data layers (facts, register, set_fact, loop items) are never rendered', async (t) => {
  const engine = new TemplateEngine();
  const operator = { pw: 'secret', greeting: 'hi {{ pw }}' };
  const host = dataLayer({ out: { stdout: '{{ pw }} {{ .Name }}', rc: 0 }, told: 'x {{ pw }}' });
  t.ok(isDataLayer(host));
  t.notOk(isDataLayer(operator));
  const scope = buildScope([operator, host], {}, engine);
  t.equal(scope.greeting, 'hi secret', 'operator text is a template');
  t.same(scope.out, { stdout: '{{ pw }} {{ .Name }}', rc: 0 }, 'host data is kept as it came');
  t.equal(scope.told, 'x {{ pw }}');
  t.equal(engine.renderString('{{ out.stdout }}!', scope, 'f'), '{{ pw }} {{ .Name }}!', 'using it yields the text, once');
  // a later operator layer still renders over an earlier data layer
  t.equal(buildScope([operator, host, { told: '{{ pw }}' }], {}, engine).told, 'secret');
});

t.test('a secret-looking variable is registered for masking, a templated one once rendered', async (t) => {
  const scope = buildScope([{ base: 'vars-base-1', db_password: '{{ base }}-2', api_token: 'vars-plain-3' }], {}, new TemplateEngine());
  t.ok(processSecrets.has('vars-plain-3'), 'plain value: when the scope is built');
  t.notOk(processSecrets.has('vars-base-1-2'), 'not rendered yet');
  t.equal(scope.db_password, 'vars-base-1-2');
  t.ok(processSecrets.has('vars-base-1-2'), 'rendered value: when it is resolved');
  t.notOk(processSecrets.has('vars-base-1'), 'other variables are not secrets');
});
