import t, { type Test } from 'tap';
import { join } from 'node:path';
import { parsePattern, resolvePattern, matchPattern, globToRegExp, type PatternInventory } from '../../lib/loaders/patterns.js';
import { Inventory } from '../../lib/loaders/inventory.js';
import { InventoryError } from '../../lib/errors.js';

const YAML = `all:
  hosts:
    solo:
  children:
    etcd:
      hosts:
        node[1:3]:
    web:
      hosts:
        www1:
        node3:
      children:
        canary:
          hosts:
            www2:
    empty:
`;

function inventory(t: Test): Inventory {
  const dir = t.testdir({ 'hosts.yml': YAML });
  return Inventory.load(join(dir, 'hosts.yml'));
}

t.test('parsePattern orders unions, intersections, exclusions', async (t) => {
  t.same(
    parsePattern('!c:&b:a:d[1:]').map((p) => [p.op, p.kind, p.value, p.subscript]),
    [
      ['union', 'name', 'a', undefined],
      ['union', 'name', 'd', { start: 1, end: null }],
      ['intersect', 'name', 'b', undefined],
      ['exclude', 'name', 'c', undefined],
    ],
  );
  t.same(parsePattern('!web').map((p) => [p.op, p.kind]), [['union', 'all'], ['exclude', 'name']], 'only exclusions start from all');
  t.same(parsePattern('~^n.*[0-9]$').map((p) => [p.kind, p.value]), [['regex', '^n.*[0-9]$']]);
  t.same(parsePattern('node*,www?').map((p) => p.kind), ['glob', 'glob']);
  t.same(parsePattern('g[-1]')[0]!.subscript, { start: -1 });
  t.same(parsePattern('g[0:1]')[0]!.subscript, { start: 0, end: 1 });
  t.same(parsePattern('fe80::1').map((p) => p.value), ['fe80::1'], 'bare IPv6 address is one term');
});

t.test('every pattern form resolves in inventory order', async (t) => {
  const inv = inventory(t);
  t.same(inv.hosts(), ['solo', 'node1', 'node2', 'node3', 'www1', 'www2']);
  const cases: [string, string[]][] = [
    ['all', ['solo', 'node1', 'node2', 'node3', 'www1', 'www2']],
    ['*', ['solo', 'node1', 'node2', 'node3', 'www1', 'www2']],
    ['etcd', ['node1', 'node2', 'node3']],
    ['web', ['node3', 'www1', 'www2']],
    ['node2', ['node2']],
    ['ungrouped', ['solo']],
    ['empty', []],
    ['web:etcd', ['node1', 'node2', 'node3', 'www1', 'www2']],
    ['web,solo', ['solo', 'node3', 'www1', 'www2']],
    ['web:&etcd', ['node3']],
    ['etcd:!web', ['node1', 'node2']],
    ['!etcd', ['solo', 'www1', 'www2']],
    ['etcd:!node1:web:&etcd', ['node2', 'node3']],
    ['!web:etcd', ['node1', 'node2']],
    ['etcd[0]', ['node1']],
    ['etcd[-1]', ['node3']],
    ['etcd[1:2]', ['node2', 'node3']],
    ['etcd[0:0]', ['node1']],
    ['etcd[1:]', ['node2', 'node3']],
    ['web[1:]:etcd[0]', ['node1', 'www1', 'www2']],
    ['node*', ['node1', 'node2', 'node3']],
    ['www?', ['www1', 'www2']],
    ['*1', ['node1', 'www1']],
    ['e*', ['node1', 'node2', 'node3']],
    ['~^(node|www)[13]$', ['node1', 'node3', 'www1']],
    ['~ode', []],
    ['~.*ode2', ['node2']],
    ['node1,node1,etcd', ['node1', 'node2', 'node3']],
  ];
  for (const [pattern, want] of cases) {
    t.same(inv.select(pattern), want, pattern);
  }
  t.same(resolvePattern('canary', inv), ['www2']);
});

t.test('subscript out of range and `[n]` on a name are subscripts, not globs', async (t) => {
  const inv = inventory(t);
  // ansible reads node[1] as "host/group node, index 1"; no group or host 'node' exists
  t.same(inv.select('etcd[2]'), ['node3']);
  t.same(inv.match('node[1]'), { hosts: [], unmatched: ['node[1]'] });
  t.throws(() => inv.select('etcd[3]'), { name: 'InventoryError', message: "host pattern 'etcd[3]': index 3 is out of range (etcd has 3 hosts)" });
  t.same(inv.select('etcd[5:]'), []);
  t.same(inv.select('node[ab]'), [], 'a glob class that matches nothing');
  t.same(inv.select('node[13]'), [], 'numeric brackets are a subscript');
  t.same(inv.select('www[!1]'), ['www2'], 'negated glob class');
});

t.test('unmatched terms are reported, localhost is implicit', async (t) => {
  const inv = inventory(t);
  t.same(matchPattern('etcd:nope:&zz:!yy', inv), { hosts: [], unmatched: ['nope', 'zz', 'yy'] });
  t.same(matchPattern('etcd:!yy', inv), { hosts: ['node1', 'node2', 'node3'], unmatched: ['yy'] });
  t.same(matchPattern('empty', inv), { hosts: [], unmatched: [] }, 'an empty group exists');
  t.same(matchPattern('localhost:etcd[0]', inv), { hosts: ['node1', 'localhost'], unmatched: [] });
  t.same(matchPattern('all:!localhost', inv).hosts, inv.hosts());

  // a minimal inventory without implicitHost: localhost is just unknown
  const plain: PatternInventory = {
    hosts: () => ['a', 'b'],
    groupNames: () => ['all', 'g'],
    groupMembers: (n) => (n === 'all' ? ['a', 'b'] : n === 'g' ? ['b'] : undefined),
    hasHost: (n) => n === 'a' || n === 'b',
  };
  t.same(matchPattern('localhost', plain), { hosts: [], unmatched: ['localhost'] });
  t.same(resolvePattern('g:a', plain), ['a', 'b']);
});

t.test('bad syntax is an InventoryError naming the pattern and what was expected', async (t) => {
  const loc = { file: 'play.yml', line: 2, col: 10 };
  const cases: [string, RegExp][] = [
    ['node[', /^play\.yml:2:10: invalid host pattern 'node\[': unclosed '\[': expected a subscript like \[0\], \[-1\], \[1:3\] or \[2:\]$/],
    ['node]', /invalid host pattern 'node\]': unexpected '\]'/],
    ['a:&', /invalid host pattern 'a:&': expected a host or group name after '&'$/],
    ['a:!', /invalid host pattern 'a:!': expected a host or group name after '!'$/],
    ['a,&', /invalid host pattern 'a,&'/],
    ['etcd[1:x]', /invalid host pattern 'etcd\[1:x\]': bad subscript in 'etcd\[1:x\]': expected \[n\], \[-n\], \[n:m\] or \[n:\] with integers$/],
    ['etcd[]', /bad subscript/],
    ['~', /expected a regular expression after '~'/],
    ['~(', /bad regular expression '\('/],
    ['', /invalid host pattern '': expected a host or group name/],
    ['  ', /expected a host or group name/],
    [',', /expected a host or group name/],
    ['a b', /'a b' contains whitespace/],
  ];
  for (const [p, re] of cases) {
    const err = t.throws(() => parsePattern(p, loc), p) as unknown as InventoryError;
    t.ok(err instanceof InventoryError, `${JSON.stringify(p)} is an InventoryError`);
    t.match(err.oneLine(), re, p);
  }
  t.equal((() => { try { parsePattern('node['); } catch (e) { return (e as InventoryError).exitCode; } return 0; })(), 4);
});

t.test('globToRegExp', async (t) => {
  t.ok(globToRegExp('a.b*').test('a.bcd'));
  t.notOk(globToRegExp('a.b*').test('axbcd'), 'dot is literal');
  t.ok(globToRegExp('h[0-9]').test('h5'));
  t.ok(globToRegExp('h[').test('h['), 'unclosed [ is literal');
  t.notOk(globToRegExp('h?').test('h'));
});
