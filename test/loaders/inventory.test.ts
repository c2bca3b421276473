import t, { type Test } from 'tap';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Inventory, expandHostRange } from '../../lib/loaders/inventory.js';
import { InventoryError, MissingFileError, ParseError, type BosunError } from '../../lib/errors.js';

const FIX = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'inventory');
const LAYERED = join(FIX, 'layered', 'inventory', 'hosts.yml');
const PLAYBOOKS = join(FIX, 'layered', 'playbooks');

// Layer i of the fixture sets k<i>..k14; k<i> must therefore come from layer i (see the fixture header).
const LAYERS = [
  'inv-file:all',
  'inv-file:datacenter',
  'inv-file:etcd',
  'inv-file:etcd_leader',
  'inv-dir:group_vars/all',
  'play-dir:group_vars/all',
  'inv-dir:group_vars/datacenter',
  'inv-dir:group_vars/etcd',
  'inv-dir:group_vars/etcd_leader',
  'play-dir:group_vars/datacenter',
  'play-dir:group_vars/etcd',
  'inv-file:host node1',
  'inv-dir:host_vars/node1',
  'play-dir:host_vars/node1',
];

/** Write `yaml` as an inventory in a fresh dir and load it (or return the error it throws). */
function loadText(t: Test, yaml: string, name = 'hosts.yml'): { inv?: Inventory; err?: BosunError; file: string } {
  const dir = t.testdir({ [name]: yaml });
  const file = join(dir, name);
  try {
    return { inv: Inventory.load(file), file };
  } catch (e) {
    return { err: e as BosunError, file };
  }
}

t.test('structure: hosts, groups, depths, ranges, ungrouped', async (t) => {
  const inv = Inventory.load(LAYERED, { playbookDir: PLAYBOOKS });
  t.equal(inv.file, LAYERED);
  t.same(inv.hosts(), ['lonely', 'node1', 'node2', 'node3', 'www01', 'www02']);
  t.same(inv.groupNames(), ['all', 'ungrouped', 'datacenter', 'etcd', 'etcd_leader', 'web', 'monitoring']);
  const depths = Object.fromEntries(inv.groupNames().map((g) => [g, inv.group(g)!.depth]));
  t.same(depths, { all: 0, ungrouped: 1, datacenter: 1, monitoring: 1, etcd: 2, web: 2, etcd_leader: 3 });
  const etcd = inv.group('etcd')!;
  t.same(etcd.hosts, ['node1', 'node2', 'node3'], 'node[1:3] expanded, direct hosts only');
  t.same(etcd.children, ['etcd_leader']);
  t.same(etcd.parents, ['datacenter']);
  t.same(inv.group('datacenter')!.parents, ['all']);
  t.same([...inv.group('all')!.children].sort(), ['datacenter', 'monitoring', 'ungrouped']);
  t.same(inv.group('ungrouped')!.hosts, ['lonely'], 'host directly under all is ungrouped');
  t.same(inv.group('web')!.vars, { role: 'web' });
  t.equal(inv.group('nope'), undefined);
  // host in several groups: groups sorted by depth then name, ancestors and all included
  t.same(inv.host('node1')!.groups, ['all', 'datacenter', 'etcd', 'etcd_leader']);
  t.same(inv.host('node2')!.groups, ['all', 'datacenter', 'monitoring', 'etcd']);
  t.same(inv.host('node3')!.groups, ['all', 'datacenter', 'etcd', 'web']);
  t.same(inv.host('lonely')!.groups, ['all', 'ungrouped']);
  t.equal(inv.host('ghost'), undefined);
});

t.test('groups magic var', async (t) => {
  const inv = Inventory.load(LAYERED);
  t.same(inv.groupsMap(), {
    all: ['lonely', 'node1', 'node2', 'node3', 'www01', 'www02'],
    ungrouped: ['lonely'],
    datacenter: ['node1', 'node2', 'node3', 'www01', 'www02'],
    etcd: ['node1', 'node2', 'node3'],
    etcd_leader: ['node1'],
    web: ['node3', 'www01', 'www02'],
    monitoring: ['node2'],
  });
});

t.test('precedence chain, value by value', async (t) => {
  const inv = Inventory.load(LAYERED, { playbookDir: PLAYBOOKS });
  const v = inv.hostVars('node1');
  LAYERS.forEach((layer, i) => t.equal(v[`k${i + 1}`], layer, `k${i + 1} comes from ${layer}`));
  t.same(v['cfg'], { b: 3 }, 'hash_behaviour=replace: child group dict replaces the parent dict');
  t.equal(v['ansible_host'], '192.0.2.11');
  t.equal(v['dir_only'], 'from-10', 'group_vars/etcd/ directory: earlier file keys survive');
  t.equal(v['nested_file'], true, 'group_vars/etcd/sub/ read recursively');
  t.notOk('hidden' in v, 'hidden files skipped');
  t.notOk('ignored' in v, 'non-vars extensions skipped');
  t.notOk('inventory_hostname' in v, 'no magic vars');
  t.notOk('groups' in v, 'no magic vars');

  // without a playbook dir the play-dir layers vanish and the next lower layer shows through
  const noPlay = Inventory.load(LAYERED).hostVars('node1');
  t.equal(noPlay['k6'], 'inv-dir:group_vars/all');
  t.equal(noPlay['k10'], 'inv-dir:group_vars/etcd_leader');
  t.equal(noPlay['k11'], 'inv-dir:group_vars/etcd_leader');
  t.equal(noPlay['k14'], 'inv-dir:host_vars/node1');

  // same depth: alphabetical, later wins (node3 is in etcd and web, both depth 2 → web)
  t.equal(inv.hostVars('node3')['role'], 'web');
  t.equal(inv.hostVars('node2')['role'], 'etcd');
  t.equal(inv.hostVars('node2')['monitored'], true);
  // node2 is not in etcd_leader: k4 stays at etcd's inventory value
  t.equal(inv.hostVars('node2')['k4'], 'inv-file:etcd');
  // host range vars apply to each host; host_vars/www01.yml overrides inventory-file host vars
  t.equal(inv.hostVars('www02')['ansible_port'], 2222);
  t.equal(inv.hostVars('www01')['ansible_port'], 2201);
  t.throws(() => inv.hostVars('ghost'), InventoryError);
});

t.test('ansible_group_priority breaks ties at the same depth', async (t) => {
  const { inv } = loadText(
    t,
    `all:
  children:
    a: { hosts: { h: }, vars: { x: a, ansible_group_priority: 10 } }
    b: { hosts: { h: }, vars: { x: b } }
`,
  );
  t.equal(inv!.hostVars('h')['x'], 'a');
});

t.test('the guide 3-node example', async (t) => {
  for (const f of ['hosts.yml', 'hosts.ini']) {
    const inv = Inventory.load(join(FIX, 'etcd-guide', f));
    t.same(inv.hosts(), ['node1', 'node2', 'node3'], f);
    t.same(inv.select('etcd'), ['node1', 'node2', 'node3'], f);
    t.same(inv.groupsMap()['etcd'], ['node1', 'node2', 'node3']);
    t.same(inv.groupsMap()['ungrouped'], []);
    t.same(inv.hostVars('node2'), { ansible_host: '10.19.213.102', fqdn: 'node2.mydomain.com' }, f);
    t.same(inv.host('node3')!.groups, ['all', 'etcd']);
  }
});

t.test('INI inventories', async (t) => {
  const { inv } = loadText(
    t,
    `# comment
lonely
[web]
www[1:2]:2200 color="dark blue" debug=True weight=3
[db]
db1
[prod:children]
web
db
[prod:vars]
env=prod
`,
    'hosts',
  );
  t.same(inv!.hosts(), ['lonely', 'www1', 'www2', 'db1']);
  t.same(inv!.groupsMap()['prod'], ['www1', 'www2', 'db1']);
  t.same(inv!.hostVars('www2'), { env: 'prod', ansible_port: 2200, color: 'dark blue', debug: true, weight: 3 });
  t.equal(inv!.group('web')!.depth, 2);
  t.same(inv!.select('ungrouped'), ['lonely']);
  const bad = loadText(t, '[web:child]\nx\n', 'bad.ini');
  t.match(bad.err!.oneLine(), /bad\.ini:1:1: unknown section suffix ':child'.*did you mean ':children'/);
  const bad2 = loadText(t, '[web:vars]\nnovalue\n', 'bad2.ini');
  t.match(bad2.err!.oneLine(), /bad2\.ini:2:1: expected 'name=value'/);
  const bad3 = loadText(t, '[a:children]\nb\n[b:children]\na\n', 'cyc.ini');
  t.match(bad3.err!.oneLine(), /cyc\.ini:4:1: group 'a' as a child of 'b' creates a cycle \(a -> b -> a\)/);
});

t.test('implicit localhost', async (t) => {
  const inv = Inventory.load(LAYERED);
  t.same(inv.select('localhost'), ['localhost']);
  t.same(inv.select('all'), inv.hosts(), 'implicit localhost is not part of all');
  t.notOk(inv.hosts().includes('localhost'));
  t.same(inv.select('etcd_leader,localhost'), ['node1', 'localhost']);
  t.same(inv.host('localhost'), { name: 'localhost', groups: [] });
  const v = inv.hostVars('localhost');
  t.equal(v['ansible_connection'], 'local');
  t.equal(v['k1'], 'inv-file:all', 'all-group vars still apply to the implicit localhost');
  t.equal(v['k5'], 'inv-dir:group_vars/all');
  t.notOk('role' in v);

  const empty = Inventory.empty();
  t.equal(empty.file, undefined);
  t.same(empty.hosts(), []);
  t.same(empty.select('all'), []);
  t.same(empty.select('localhost'), ['localhost']);
  t.same(empty.select('127.0.0.1'), ['127.0.0.1']);
  t.same(empty.hostVars('localhost'), { ansible_connection: 'local' });
  t.same(empty.groupsMap(), { all: [], ungrouped: [] });

  // a defined localhost is an ordinary host: in all, with its own vars
  const { inv: defined } = loadText(t, 'all:\n  hosts:\n    localhost:\n      ansible_connection: ssh\n');
  t.same(defined!.select('all'), ['localhost']);
  t.equal(defined!.hostVars('localhost')['ansible_connection'], 'ssh');
  t.same(defined!.host('localhost')!.groups, ['all', 'ungrouped']);
});

t.test('select: strict and non-strict unknown names', async (t) => {
  const inv = Inventory.load(LAYERED);
  const warnings: string[] = [];
  t.same(inv.select('etcd:nosuch', undefined, { warnings }), ['node1', 'node2', 'node3']);
  t.same(warnings, ['Could not match supplied host pattern, ignoring: nosuch']);
  t.same(inv.select('nosuch'), []);
  const loc = { file: 'site.yml', line: 3, col: 10 };
  const e = t.throws(() => inv.select('etcd:!nosuch', loc, { strict: true })) as unknown as InventoryError;
  t.ok(e instanceof InventoryError);
  t.equal(e.oneLine(), "site.yml:3:10: no host or group matches 'nosuch'");
  const e2 = t.throws(() => inv.select('etdc', loc, { strict: true })) as unknown as InventoryError;
  t.equal(e2.oneLine(), "site.yml:3:10: no host or group matches 'etdc' (did you mean 'etcd'?)");
  // an existing but empty group is not an unknown name
  const { inv: withEmpty } = loadText(t, 'all:\n  children:\n    spare:\n');
  t.same(withEmpty!.select('spare', loc, { strict: true }), []);
  t.same(withEmpty!.groupsMap()['spare'], []);
  t.throws(() => inv.select('node[', loc), InventoryError);
});

t.test('same group defined twice merges; host vars from several groups merge', async (t) => {
  const { inv } = loadText(
    t,
    `all:
  children:
    a:
      hosts: { h1: { x: 1, y: 1 } }
      vars: { g: 1 }
    b:
      children:
        a:
          hosts: { h2: }
          vars: { g2: 2 }
      hosts: { h1: { y: 2 } }
`,
  );
  t.same(inv!.group('a')!.hosts, ['h1', 'h2']);
  t.same(inv!.group('a')!.vars, { g: 1, g2: 2 });
  t.same(inv!.group('a')!.parents.sort(), ['all', 'b']);
  t.equal(inv!.group('a')!.depth, 2, 'depth is the longest path from all');
  t.same(inv!.hostVars('h1'), { g: 1, g2: 2, x: 1, y: 2 });
  // a host listed under ungrouped and in a real group is not ungrouped (ansible's reconcile)
  const { inv: u } = loadText(t, 'ungrouped:\n  hosts: { h: , k: }\ng:\n  hosts: { h: }\n');
  t.same(u!.groupsMap()['ungrouped'], ['k']);
  t.same(u!.host('h')!.groups, ['all', 'g']);
});

t.test('top-level groups other than all, host:port, empty inventory', async (t) => {
  const { inv } = loadText(t, `etcd:\n  hosts:\n    e1:2379:\n    "fd00::1":\nweb:\n  hosts: { w1: }\n`);
  t.same(inv!.hosts(), ['e1', 'fd00::1', 'w1']);
  t.equal(inv!.hostVars('e1')['ansible_port'], 2379);
  t.same([...inv!.group('all')!.children].sort(), ['etcd', 'ungrouped', 'web']);
  const { inv: empty } = loadText(t, '# nothing yet\n');
  t.same(empty!.hosts(), []);
  t.same(empty!.select('localhost'), ['localhost']);
});

t.test('host ranges', async (t) => {
  t.same(expandHostRange('node[1:3]'), ['node1', 'node2', 'node3']);
  t.same(expandHostRange('node[01:10]').slice(0, 2), ['node01', 'node02']);
  t.equal(expandHostRange('node[01:10]').at(-1), 'node10');
  t.same(expandHostRange('[a:c].example'), ['a.example', 'b.example', 'c.example']);
  t.same(expandHostRange('n[0:6:3]'), ['n0', 'n3', 'n6']);
  t.same(expandHostRange('n[:1]'), ['n0', 'n1']);
  t.same(expandHostRange('r[1:2]-[a:b]'), ['r1-a', 'r1-b', 'r2-a', 'r2-b']);
  t.same(expandHostRange('plain'), ['plain']);
  t.throws(() => expandHostRange('n[3:1]'), /begin must be <= end/);
  t.throws(() => expandHostRange('n[01:100]'), /same width/);
  t.throws(() => expandHostRange('n[1:]'), /end value/);
  t.throws(() => expandHostRange('n[1:x]'), /expected numbers/);
  t.throws(() => expandHostRange('n[1]'), /expected \[start:end\]/);
  t.throws(() => expandHostRange('n[1:2:0]'), /step must be a positive integer/);
  t.throws(() => expandHostRange('n[1:2'), /unbalanced/);
});

t.test('errors carry file:line:col', async (t) => {
  const cases: [string, string, RegExp][] = [
    ['- all\n', 'top level not a mapping', /:1:1: inventory must be a mapping of group names .* found a list$/],
    ['all:\n  hosts:\n    - node1\n', 'hosts list', /:3:5: 'hosts:' of group 'all' must be a mapping of host names to vars \(or nothing\), found a list$/],
    ['all:\n  children:\n    - etcd\n', 'children list', /:3:5: 'children:' of group 'all' must be a mapping of group names/],
    ['all:\n  vars:\n    - a=1\n', 'vars list', /:3:5: 'vars:' of group 'all' must be a mapping of variable names to values, found a list$/],
    ['all:\n  children:\n    etcd:\n      host:\n        node1:\n', 'unknown key', /:4:7: unknown key 'host' in group 'etcd': expected hosts, children or vars \(did you mean 'hosts'\?\)$/],
    ['etcd:\n  node1:\n', 'host written as a key', /:2:3: unknown key 'node1' in group 'etcd'.*hosts: \{ node1: \}/],
    ['all:\n  hosts:\n    bad host:\n', 'invalid host name', /:3:5: invalid host name 'bad host'/],
    ['all:\n  hosts:\n    "node!":\n', 'invalid host name', /:3:5: invalid host name 'node!'/],
    ['all:\n  hosts:\n    node[3:1]:\n', 'bad range', /:3:5: invalid host range '\[3:1\]' in 'node\[3:1\]': begin must be <= end$/],
    ['all:\n  hosts:\n    h1: [1, 2]\n', 'host vars list', /:3:9: vars of host 'h1' in group 'all' must be a mapping/],
    ['web: [a, b]\n', 'group not a mapping', /:1:1: group 'web' must be a mapping with hosts:, children: or vars:, found a list$/],
    ['"my group":\n  hosts: { a: }\n', 'bad group name', /:1:1: invalid group name 'my group'/],
    ['a:\n  children:\n    b:\n      children:\n        c:\n          children:\n            a:\n', 'cycle', /:7:13: group 'a' as a child of 'c' creates a cycle \(a -> b -> c -> a\)$/],
    ['a:\n  children:\n    a:\n', 'self cycle', /:3:5: group 'a' as a child of 'a' creates a cycle/],
    ['a:\n  children:\n    all:\n', 'all as child', /:3:5: group 'all' cannot be a child of 'a'/],
    ['all:\n  hosts: [\n', 'yaml syntax', /:\d+:\d+: YAML syntax error/],
  ];
  for (const [text, what, re] of cases) {
    const { err, file } = loadText(t, text);
    t.ok(err instanceof ParseError, `${what}: ParseError`);
    t.ok(err?.oneLine().startsWith(file + ':'), `${what}: starts with the file`);
    t.match(err?.oneLine() ?? '', re, what);
    if (what !== 'yaml syntax') t.ok(err instanceof InventoryError, `${what}: InventoryError`);
  }
  t.throws(() => Inventory.load('/nonexistent/hosts.yml'), MissingFileError);
  // A directory is an inventory source (every file in it, recursively). A file in it that is no inventory is an error
  // naming that file — ansible-inventory 2.14 warns "Unable to parse … as an inventory source" and goes on (see
  // docs/ansible-differences.md).
  const dir = t.testdir({ 'hosts.yml': 'web:\n  hosts:\n    w1:\n', playbooks: { 'site.yml': '- hosts: all\n' } });
  t.throws(() => Inventory.load(dir), { name: 'InventoryError', loc: { file: join(dir, 'playbooks', 'site.yml'), line: 1, col: 1 } });
});

t.test('ansible_port and ansible_connection are validated where they were written', async (t) => {
  const dir = t.testdir({
    'hosts.yml': `all:
  vars:
    ansible_connection: ssh
  hosts:
    p0: { ansible_port: 0 }
    p1: { ansible_port: "22x" }
    ok: { ansible_port: "2222" }
    tpl: { ansible_port: "{{ base_port + 1 }}" }
    c1: { ansible_connection: winrm }
    fromfile:
`,
    host_vars: { 'fromfile.yml': '# port from a host_vars file\nansible_port: 70000\n' },
  });
  const inv = Inventory.load(join(dir, 'hosts.yml'));
  const f = join(dir, 'hosts.yml');
  const msg = (h: string): string => {
    try {
      inv.hostVars(h);
      return 'no error';
    } catch (e) {
      return (e as InventoryError).oneLine();
    }
  };
  t.equal(msg('p0'), `${f}:5:11: ansible_port of host 'p0' must be an integer 1..65535, found a number (0)`);
  t.equal(msg('p1'), `${f}:6:11: ansible_port of host 'p1' must be an integer 1..65535, found a string ("22x")`);
  t.equal(msg('c1'), `${f}:9:11: ansible_connection of host 'c1' must be one of local, nsenter, ssh, found a string ("winrm")`);
  t.equal(msg('fromfile'), `${join(dir, 'host_vars', 'fromfile.yml')}:2:1: ansible_port of host 'fromfile' must be an integer 1..65535, found a number (70000)`);
  t.equal(inv.hostVars('ok')['ansible_port'], '2222');
  t.equal(inv.hostVars('tpl')['ansible_port'], '{{ base_port + 1 }}', 'templated values are left to the engine');
});
