// package: which manager runs the task (use:, the pkg_mgr fact, facts, or the host), and that an
// undetermined manager still costs one request on a no-op.
import t from 'tap';
import pkg, { managerFromFacts } from '../../lib/modules/package.js';
import { validateArgs } from '../../lib/modules/args.js';
import { ArgumentError } from '../../lib/errors.js';
import { UNKNOWN_FACTS } from '../../lib/engine/facts.js';
import type { Facts } from '../../lib/modules/types.js';
import { fakeContext, runTask } from '../helpers/fake-ctx.js';
import { ScriptedConnection, type Rule } from '../helpers/scripted-conn.js';

const args = (a: Record<string, unknown>) => validateArgs(pkg, a) as Parameters<typeof pkg.plan>[1];
const facts = (f: Partial<Facts>) => ({ facts: { ...UNKNOWN_FACTS, ...f }, vars: {} });

t.test('the manager from facts, as Ansible\'s pkg_mgr collector decides', async (t) => {
  t.equal(managerFromFacts(facts({ os_family: 'Debian' })), 'apt');
  t.equal(managerFromFacts(facts({ os_family: 'RedHat', distribution: 'rocky', distribution_major_version: '9' })), 'dnf');
  t.equal(managerFromFacts(facts({ os_family: 'RedHat', distribution: 'centos', distribution_major_version: '7' })), 'yum');
  t.equal(managerFromFacts(facts({ os_family: 'RedHat', distribution: 'fedora', distribution_major_version: '22' })), 'yum');
  t.equal(managerFromFacts(facts({ os_family: 'RedHat', distribution: 'amzn', distribution_major_version: '2' })), 'yum');
  t.equal(managerFromFacts(facts({ os_family: 'unknown' })), undefined);
  t.equal(managerFromFacts({ facts: UNKNOWN_FACTS, vars: { ansible_facts: { pkg_mgr: 'zypper' } } }), 'zypper', 'a gathered fact wins');
  t.equal(managerFromFacts({ facts: { ...UNKNOWN_FACTS, os_family: 'Debian' }, vars: { ansible_pkg_mgr: 'dnf' } }), 'dnf');
});

const APT_NOOP = '@@arch amd64\n@@dpkg\nhello\tamd64\t2.10-3\tii \n@@auto\n@@cache\n1\n2\n@@end\n';

t.test('no facts: the host says which manager, in the query\'s own request', async (t) => {
  const conn = new ScriptedConnection([{ label: 'package:query', reply: { stdout: `@@mgr apt\n${APT_NOOP}` } }]);
  const ctx = { ...fakeContext({ facts: UNKNOWN_FACTS }), conn };
  const r = await runTask(pkg, ctx, args({ name: 'hello' }));
  t.equal(r.outcome.changed, false);
  t.equal(conn.sent.length, 1, 'one request');
  t.ok(conn.sent[0]!.readOnly);
  const script = conn.sent[0]!.script;
  t.match(script, /^if \[ -x \/usr\/bin\/apt-get \]; then echo "@@mgr apt"\n/);
  t.match(script, /elif \[ -x \/usr\/bin\/dnf \]; then echo "@@mgr dnf"\n.*rpm -q/s);
  t.match(script, /elif \[ -x \/usr\/bin\/yum \]; then/);

  const dnfHost = new ScriptedConnection([
    { label: 'package:query', reply: { stdout: '@@mgr dnf\n@@rpm\npackage tree is not installed\n@@end\n' } },
    { label: 'dnf:simulate-install', reply: { stdout: 'Installing:\n tree  x86_64  1.8.0-10.el9  baseos  55 k\n\nTransaction Summary\n', exitCode: 1 } },
  ] satisfies Rule[]);
  const c = await runTask(pkg, { ...fakeContext({ check: true, facts: UNKNOWN_FACTS }), conn: dnfHost }, args({ name: 'tree', state: 'installed' }));
  t.equal(c.outcome.msg, 'would install tree (1.8.0-10.el9)');

  const none = new ScriptedConnection([{ label: 'package:query', reply: { stdout: '@@mgr unknown\n' } }]);
  await t.rejects(runTask(pkg, { ...fakeContext({ facts: UNKNOWN_FACTS }), conn: none }, args({ name: 'x' })), /Could not detect which package manager to use/);
});

t.test('use: and facts pick the module without asking the host', async (t) => {
  const conn = new ScriptedConnection([{ label: 'apt:query', reply: { stdout: APT_NOOP } }]);
  const r = await runTask(pkg, { ...fakeContext({ facts: UNKNOWN_FACTS }), conn }, args({ name: 'hello', use: 'apt' }));
  t.equal(r.outcome.changed, false);
  t.same(conn.sent.map((s) => s.label), ['apt:query']);
  const deb = new ScriptedConnection([{ label: 'apt:query', reply: { stdout: APT_NOOP } }]);
  await runTask(pkg, { ...fakeContext(), conn: deb }, args({ name: 'hello', state: 'installed' }));
  t.same(deb.sent.map((s) => s.label), ['apt:query'], 'Debian facts: apt');
  t.throws(() => args({ name: 'x', use: 'pacman' }), ArgumentError);
  const zyp = { ...fakeContext({ vars: { ansible_pkg_mgr: 'zypper' } }), conn: deb };
  await t.rejects(runTask(pkg, zyp, args({ name: 'x' })), /Could not find a module for zypper/);
});
