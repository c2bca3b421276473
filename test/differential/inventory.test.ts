// Differential suite for inventories: `ansible-inventory --list` / `--host` 2.14 against
// `bosun inventory`, on the same sources (files, directories, scripts, host lists, several -i).
// Compared as parsed JSON (ansible sorts object keys; lists must agree in order).
import t from 'tap';
import { join } from 'node:path';
import { ansibleInstalled, runAnsible, runBosun, workDir } from '../helpers/differential.js';
import { repoRoot } from '../helpers/run.js';

const SCRIPT = `#!/bin/sh
if [ "$1" = "--list" ]; then
  echo '{"sgroup": {"hosts": ["s1", "s2"], "vars": {"sv": 1}, "children": ["schild"]}, "schild": ["s3"], "_meta": {"hostvars": {"s1": {"x": "y"}}}}'
else
  echo '{}'
fi
`;
const SCRIPT_NO_META = `#!/bin/sh
if [ "$1" = "--list" ]; then echo '{"g": ["n1", "n2"]}'; else echo "{\\"who\\": \\"$2\\"}"; fi
`;

interface Case {
  name: string;
  files: Record<string, string>;
  args: string[];
}

const cases: Case[] = [
  {
    name: 'directory: files sorted, subdirectories, group_vars inside, .ini files ignored',
    files: {
      'dir/01-hosts.yml': 'all:\n  children:\n    web:\n      hosts:\n        w1: {port_no: 80}\n        w2:\n    db:\n      hosts:\n        d1:\n',
      'dir/02-extra': '[db]\nd2\n',
      'dir/03.ini': '[x]\nignored_ini\n',
      'dir/group_vars/db.yml': 'dbv: 1\n',
      'dir/sub/more': '[web]\nw3 a=true b=0x10 c="[1, 2]" d=True e=1.5 f=hello\n[web:vars]\nwv=None\n',
    },
    args: ['-i', 'dir'],
  },
  { name: 'inventory script with _meta', files: { 'inv.sh': SCRIPT }, args: ['-i', 'inv.sh'] },
  { name: 'inventory script without _meta (--host per host)', files: { 'inv.sh': SCRIPT_NO_META }, args: ['-i', 'inv.sh'] },
  { name: 'host list', files: {}, args: ['-i', 'h1,h2,'] },
  { name: 'one-host list', files: {}, args: ['-i', 'solo,'] },
  {
    name: 'several -i: merged in order, later vars win',
    files: { 'a.yml': 'all:\n  hosts:\n    x1: {v: a}\n  children:\n    g: {hosts: {x2: }}\n', 'b.ini': '[g]\nx1 v=b\nx3\n', 'group_vars/g.yml': 'gv: 1\n' },
    args: ['-i', 'a.yml', '-i', 'b.ini', '-i', 'extra,'],
  },
  {
    name: 'INI values as ast.literal_eval',
    files: {
      'hosts': [
        '[g]',
        "n1 a=true b=True c=0x10 d=010 e='quoted' f=\"[1, 'two']\" g=\"{'k': None}\" h=1_000 i=-3 j=1.5e3 k=yes l=/usr/bin/python3",
        '[g:vars]',
        'x = False',
        "y = (1, 2)",
        'z = some words here',
      ].join('\n') + '\n',
    },
    args: ['-i', 'hosts'],
  },
  {
    name: 'project fixture: layered group_vars/host_vars',
    files: {},
    args: ['-i', join(repoRoot, 'test/fixtures/inventory/layered/inventory/hosts.yml')],
  },
  { name: 'project fixture: etcd guide (INI)', files: {}, args: ['-i', join(repoRoot, 'test/fixtures/inventory/etcd-guide/hosts.ini')] },
  { name: 'project fixture: etcd guide (YAML)', files: {}, args: ['-i', join(repoRoot, 'test/fixtures/inventory/etcd-guide/hosts.yml')] },
];

t.ok(ansibleInstalled(), 'ansible-core is installed (.ci/setup installs it)');

t.test('ansible-inventory --list and bosun inventory --list agree', async (t) => {
  // ansible-inventory's start-up is the cost: three at a time; bosun runs in-process meanwhile
  const dirs = cases.map((c) => workDir(c.files));
  const ansible: Array<Awaited<ReturnType<typeof runAnsible>>> = [];
  for (let i = 0; i < cases.length; i += 3) {
    ansible.push(...(await Promise.all(cases.slice(i, i + 3).map((c, k) => runAnsible('ansible-inventory', [...c.args, '--list'], dirs[i + k]!)))));
  }
  for (const [i, c] of cases.entries()) {
    const a = ansible[i]!;
    const b = await runBosun(['inventory', ...c.args, '--list'], dirs[i]!);
    t.test(c.name, async (t) => {
      t.equal(a.code, 0, `ansible-inventory ran (${a.stderr.trim().split('\n')[0] ?? ''})`);
      t.equal(b.code, 0, `bosun inventory ran (${b.stderr.trim()})`);
      t.same(JSON.parse(b.stdout), JSON.parse(a.stdout), '--list (hostvars included)');
    });
  }
});
