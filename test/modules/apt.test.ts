// apt from recorded output (dpkg-query, apt-cache policy, apt-get -s on a Debian 12 lab host): the
// decision, the requests it costs, the exact command lines it runs, check mode and diff.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import apt from '../../lib/modules/apt.js';
import { validateArgs } from '../../lib/modules/args.js';
import { ArgumentError, ModuleFailure } from '../../lib/errors.js';
import { aptQueryScript, parseAptQuery } from '../../lib/modules/pkg/apt-query.js';
import { parseAptPolicy, parseAptSimulation } from '../../lib/modules/pkg/apt-parse.js';
import { decideInstall, decideRemove } from '../../lib/modules/pkg/apt-decide.js';
import { parseSpec, parseSpecs } from '../../lib/modules/pkg/spec.js';
import { compareDebVersions } from '../../lib/modules/pkg/version.js';
import { changesDiff, describeChanges } from '../../lib/modules/pkg/report.js';
import { fakeContext, runTask } from '../helpers/fake-ctx.js';
import { ScriptedConnection, type Rule } from '../helpers/scripted-conn.js';
import { repoRoot } from '../helpers/run.js';

const fx = (name: string): string => readFileSync(join(repoRoot, 'test/fixtures/pkg/apt', name), 'utf8');
const QUERY = fx('query-mixed.txt');
const SIM_INSTALL = fx('simulate-install.txt');
const SIM_PURGE = fx('simulate-purge.txt');

const args = (a: Record<string, unknown>) => validateArgs(apt, a) as Parameters<typeof apt.plan>[1];

function ctxWith(rules: Rule[], check = false) {
  const conn = new ScriptedConnection(rules);
  return { ctx: { ...fakeContext({ check, diff: true }), conn }, conn };
}

t.test('specs: names are data, never options or globs', async (t) => {
  t.same(parseSpec('hello', 'deb', 'apt'), { raw: 'hello', name: 'hello' });
  t.same(parseSpec('hello=2.10*', 'deb', 'apt'), { raw: 'hello=2.10*', name: 'hello', op: '=', version: '2.10*' });
  t.same(parseSpec('libc6:i386>=2.36', 'deb', 'apt'), { raw: 'libc6:i386>=2.36', name: 'libc6', arch: 'i386', op: '>=', version: '2.36' });
  for (const bad of ['-y', '--purge', 'a b', 'Hello', 'he*', 'x;rm', 'x=', 'x=1=2', "x'y", '']) {
    t.throws(() => parseSpec(bad, 'deb', 'apt'), ArgumentError, JSON.stringify(bad));
  }
  t.same(parseSpec('NetworkManager_x', 'rpm', 'dnf').name, 'NetworkManager_x', 'rpm names may have upper case');
  t.throws(() => parseSpec('-q', 'rpm', 'dnf'), ArgumentError);
  t.same(parseSpecs(['a', ' ', 'b'], 'deb', 'apt').map((s) => s.name), ['a', 'b']);
});

t.test('arguments: Ansible\'s required/exclusive rules, bad values refused before anything runs', async (t) => {
  t.same(args({ pkg: 'hello,tree' }).name, ['hello', 'tree'], 'pkg alias, comma-separated');
  t.equal(args({ name: 'x' }).dpkg_options, 'force-confdef,force-confold');
  t.throws(() => args({ state: 'present' }), /one of the following is required/);
  t.throws(() => args({ name: 'x', deb: '/tmp/x.deb' }), /mutually exclusive/);
  t.throws(() => args({ deb: '/tmp/x.deb', state: 'absent' }), /deb only supports state=present/);
  t.throws(() => args({ deb: 'https://example.org/x.deb' }), /URLs are not fetched/);
  t.throws(() => args({ name: '*' }), /only alone and with state=latest/);
  t.throws(() => args({ name: ['*', 'x'], state: 'latest' }), /only alone/);
  t.throws(() => args({ name: 'x', dpkg_options: 'force-confold,x --y' }), /not a dpkg option/);
  t.throws(() => args({ name: 'x', state: 'build-dep' }), /must be one of: present, absent, latest/);
  t.throws(() => args({ name: '--allow-unauthenticated' }), /invalid package spec/);
  t.doesNotThrow(() => args({ update_cache: true }));
  t.doesNotThrow(() => args({ autoremove: true }));
});

t.test('parsers on recorded output', async (t) => {
  const q = parseAptQuery(QUERY, ['/var/cache/bosun-lab/apt/pool/hello_2.10-3_amd64.deb'])!;
  t.equal(q.arch, 'amd64');
  t.same(q.dpkg.map((e) => `${e.name} ${e.version} ${e.status}`), ['chrony 4.3-2+deb12u3 ii', 'libc6 2.36-9+deb12u14 ii', 'tree 2.1.0-1 ii']);
  t.same([...q.auto], ['libc6']);
  t.same(q.policy.get('hello'), { candidate: '2.10-3', versions: ['2.10-3'] });
  t.same(q.policy.get('tree'), { installed: '2.1.0-1', candidate: '2.1.0-1', versions: ['2.1.0-1'] });
  t.equal(q.cacheMtime, 1796579000);
  t.equal(q.now, 1796579124);
  t.match(q.debs[0], { name: 'hello', version: '2.10-3', arch: 'amd64', installed: [] });
  t.equal(parseAptQuery(QUERY.replace('@@end', ''), []), undefined, 'a cut-off answer is no answer');

  const inst = parseAptSimulation(SIM_INSTALL, compareDebVersions);
  t.same(inst.map((c) => `${c.action} ${c.name} ${c.after}`), [
    'install lighttpd 1.4.69-1', 'install hello 2.10-3', 'install lighttpd-mod-deflate 1.4.69-1', 'install lighttpd-mod-openssl 1.4.69-1', 'install spawn-fcgi 1.6.4-2',
  ]);
  t.same(parseAptSimulation(SIM_PURGE, compareDebVersions), [{ name: 'tree', action: 'purge', before: '2.1.0-1' }]);
  t.same(
    parseAptSimulation('Inst tree [2.0-1] (2.1.0-1 Debian:12 [amd64])\nInst x [2.0] (1.0 lab [all])\nRemv y [3]\nConf tree (2.1.0-1 Debian:12 [amd64])\n', compareDebVersions),
    [
      { name: 'tree', action: 'upgrade', before: '2.0-1', after: '2.1.0-1' },
      { name: 'x', action: 'downgrade', before: '2.0', after: '1.0' },
      { name: 'y', action: 'remove', before: '3' },
    ],
  );
  const pol = parseAptPolicy('x:\n  Installed: 1.0\n  Candidate: 2.0\n  Version table:\n     2.0 500\n        500 file:/r ./ Packages\n *** 1.0 100\n        100 /var/lib/dpkg/status\n');
  t.same(pol.get('x'), { installed: '1.0', candidate: '2.0', versions: ['2.0', '1.0'] });
});

t.test('decisions (Ansible\'s package_status rules)', async (t) => {
  const q = parseAptQuery(QUERY, [])!;
  const specs = (...n: string[]) => parseSpecs(n, 'deb', 'apt');
  t.same(decideInstall(specs('tree', 'chrony'), q, { latest: false, onlyUpgrade: false }), { install: [], remove: [], markManual: [], unsatisfiable: [] }, 'installed: nothing');
  t.same(decideInstall(specs('hello'), q, { latest: false, onlyUpgrade: false }).install, ['hello'], 'present: apt picks (simulation shows the version)');
  t.same(decideInstall(specs('hello'), q, { latest: true, onlyUpgrade: false }).install, ['hello=2.10-3'], 'latest: pinned to the candidate');
  t.same(decideInstall(specs('hello'), q, { latest: false, onlyUpgrade: true }).install, [], 'only_upgrade skips what is not installed');
  t.same(decideInstall(specs('libc6'), q, { latest: false, onlyUpgrade: false }).markManual, [{ name: 'libc6', action: 'mark_manual', before: '2.36-9+deb12u14', after: '2.36-9+deb12u14' }]);
  t.same(decideInstall(specs('tree=2.1*'), q, { latest: false, onlyUpgrade: false }).install, [], 'installed version matches the glob');
  t.same(decideInstall(specs('tree=2.0*'), q, { latest: false, onlyUpgrade: false }).unsatisfiable, ['tree=2.0*']);
  t.same(decideInstall(specs('hello=2.10*'), q, { latest: false, onlyUpgrade: false }).install, ['hello=2.10-3']);
  t.same(decideInstall(specs('tree>=2.0'), q, { latest: false, onlyUpgrade: false }).install, []);
  t.same(decideInstall(specs('tree>=3'), q, { latest: false, onlyUpgrade: false }).unsatisfiable, ['tree>=3']);
  t.same(decideRemove(specs('tree', 'hello', 'chrony=1.0'), q, false).remove, ['tree'], 'absent: only what is installed (and matches a pin)');
  const rc = { ...q, dpkg: [{ name: 'old', arch: 'amd64', version: '1', status: 'rc' }] };
  t.same(decideRemove(specs('old'), rc, false).remove, [], 'config files stay without purge');
  t.same(decideRemove(specs('old'), rc, true).remove, ['old'], 'purge removes config files');
});

const NOOP_QUERY = '@@arch amd64\n@@dpkg\nhello\tamd64\t2.10-3\tii \ntree\tamd64\t2.1.0-1\tii \n@@auto\n@@cache\n1796579000\n1796579124\n@@end\n';
const FRESH_QUERY = '@@arch amd64\n@@dpkg\n@@auto\n@@cache\n1796579000\n1796579124\n@@end\n';

t.test('a no-op is one read-only request', async (t) => {
  const { ctx, conn } = ctxWith([{ label: 'apt:query', reply: { stdout: NOOP_QUERY } }]);
  const r = await runTask(apt, ctx, args({ name: ['hello', 'tree'] }));
  t.equal(r.outcome.changed, false);
  t.same(conn.sent.map((s) => [s.label, s.readOnly]), [['apt:query', true]]);
  t.match(conn.sent[0]!.script, /dpkg-query -W -f='\$\{Package\}\\t.*' -- hello tree /, 'names after --');
  t.notMatch(conn.sent[0]!.script, /apt-cache policy/, 'present needs no candidates');
  t.match(r.outcome.result, { cache_updated: false, cache_update_time: 1796579000, changes: [] });
});

t.test('install: check mode predicts the exact list; the run pins it', async (t) => {
  const rules: Rule[] = [
    { label: 'apt:query', reply: { stdout: FRESH_QUERY } },
    { label: 'apt:simulate-install', reply: { stdout: SIM_INSTALL } },
    { label: 'apt:install', reply: { stdout: 'Setting up hello (2.10-3) ...\n' } },
  ];
  const check = ctxWith(rules, true);
  const c = await runTask(apt, check.ctx, args({ name: ['hello', 'lighttpd'], install_recommends: false }));
  t.equal(c.outcome.changed, true);
  t.equal(c.outcome.msg, 'would install lighttpd (1.4.69-1), hello (2.10-3), lighttpd-mod-deflate (1.4.69-1), lighttpd-mod-openssl (1.4.69-1), spawn-fcgi (1.6.4-2)');
  t.ok(check.conn.sent.every((s) => s.readOnly), 'check mode only reads');
  t.same(c.outcome.diff, [changesDiff(c.plan.state!.work!.changes, 'installed packages (apt)')]);
  t.equal(c.outcome.diff![0]!.after, 'hello 2.10-3\nlighttpd 1.4.69-1\nlighttpd-mod-deflate 1.4.69-1\nlighttpd-mod-openssl 1.4.69-1\nspawn-fcgi 1.6.4-2\n');
  const sim = check.conn.sent[1]!.script;
  t.match(sim, /^DEBIAN_FRONTEND=noninteractive DEBIAN_PRIORITY=critical LC_ALL=C LANG=C apt-get -y -q -s -o Debug::NoLocking=1 /);
  t.match(sim, /-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold -o APT::Install-Recommends=no install -- hello lighttpd$/);

  const real = ctxWith(rules);
  const r = await runTask(apt, real.ctx, args({ name: ['hello', 'lighttpd'], install_recommends: false }));
  t.same(real.conn.sent.map((s) => s.label), ['apt:query', 'apt:simulate-install', 'apt:install']);
  t.equal(real.conn.sent[2]!.script, sim.replace(/-s -o Debug::NoLocking=1 .* -o Dir::Log::Planner=\/dev\/null/, '-o DPkg::Lock::Timeout=60'), 'the run is the simulation without -s');
  t.equal(r.outcome.changed, true);
  t.match(r.outcome.result, { stdout: 'Setting up hello (2.10-3) ...\n', changes: [{ name: 'lighttpd', action: 'install' }] });
  t.match(r.outcome.msg, /^installed lighttpd/);
});

t.test('latest asks for candidates and pins them; an auto package is marked manual', async (t) => {
  const q = '@@arch amd64\n@@dpkg\ntree\tamd64\t2.0-1\tii \nlibc6\tamd64\t2.36-9\tii \n@@auto\nlibc6\n@@policy\ntree:\n  Installed: 2.0-1\n  Candidate: 2.1.0-1\n  Version table:\n     2.1.0-1 500\n *** 2.0-1 100\nlibc6:\n  Installed: 2.36-9\n  Candidate: 2.36-9\n  Version table:\n *** 2.36-9 100\n@@cache\n0\n10\n@@end\n';
  const { ctx, conn } = ctxWith([
    { label: 'apt:query', reply: { stdout: q } },
    { label: 'apt:simulate-install', reply: { stdout: 'Inst tree [2.0-1] (2.1.0-1 lab [amd64])\n' } },
    { label: 'apt:install', reply: {} },
    { label: 'apt:mark', reply: { stdout: 'libc6 set to manually installed.\n' } },
  ]);
  const r = await runTask(apt, ctx, args({ name: ['tree', 'libc6'], state: 'latest' }));
  t.match(conn.sent[0]!.script, /apt-cache -o Debug::NoLocking=1 -o Dir::Cache::pkgcache= .* policy -- tree libc6/);
  t.match(conn.sent[1]!.script, /install -- tree=2\.1\.0-1$/);
  t.equal(conn.sent[3]!.script, 'DEBIAN_FRONTEND=noninteractive DEBIAN_PRIORITY=critical LC_ALL=C LANG=C apt-mark manual -- libc6');
  t.equal(r.outcome.msg, 'upgraded tree (2.0-1 → 2.1.0-1); marked as manually installed libc6');
  t.equal(describeChanges(r.plan.state!.work!.changes), 'upgrade tree (2.0-1 → 2.1.0-1); mark as manually installed libc6');
});

t.test('absent with purge: only installed packages, simulated with the same options', async (t) => {
  const q = '@@arch amd64\n@@dpkg\ntree\tamd64\t2.1.0-1\tii \n@@cache\n0\n10\n@@end\n';
  const { ctx, conn } = ctxWith([
    { label: 'apt:query', reply: { stdout: q } },
    { label: 'apt:simulate-remove', reply: { stdout: SIM_PURGE } },
  ], true);
  const r = await runTask(apt, ctx, args({ name: ['tree', 'hello'], state: 'absent', purge: true, autoremove: true }));
  t.notMatch(conn.sent[0]!.script, /apt-mark|apt-cache/, 'absent reads only dpkg');
  t.match(conn.sent[1]!.script, /--auto-remove --purge remove -- tree$/);
  t.equal(r.outcome.msg, 'would purge tree (2.1.0-1)');
  t.equal(r.outcome.diff![0]!.before, 'tree 2.1.0-1\n');
  t.equal(r.outcome.diff![0]!.after, '');
});

t.test('update_cache: due → apply updates, then decides against the new lists', async (t) => {
  const rules: Rule[] = [
    { label: 'apt:query', reply: { stdout: NOOP_QUERY.replace('1796579000', '1000') } },
    { label: 'apt:update', reply: { stdout: 'Hit:1 file:/r ./ InRelease\n1796579200\n' } },
  ];
  const real = ctxWith(rules);
  const r = await runTask(apt, real.ctx, args({ name: 'hello', update_cache: true, cache_valid_time: 3600 }));
  t.same(real.conn.sent.map((s) => s.label), ['apt:query', 'apt:update', 'apt:query']);
  t.equal(r.outcome.changed, false, 'packages as wanted: a cache update alone is no change (Ansible)');
  t.match(r.outcome.result, { cache_updated: true, cache_update_time: 1796579200 });

  const check = ctxWith(rules, true);
  const c = await runTask(apt, check.ctx, args({ update_cache: true }));
  t.equal(c.outcome.changed, true, 'cache only: the update is the change');
  t.equal(c.outcome.msg, 'would update the apt cache');
  t.same(check.conn.sent.map((s) => s.label), ['apt:query']);

  const fresh = ctxWith([{ label: 'apt:query', reply: { stdout: NOOP_QUERY } }]);
  const f = await runTask(apt, fresh.ctx, args({ update_cache: true, cache_valid_time: 3600 }));
  t.equal(f.outcome.changed, false, 'cache younger than cache_valid_time: nothing');
});

t.test('clean first, autoclean last: each a change only when it deletes package files', async (t) => {
  const AUTOCLEAN = 'Reading package lists...\nDel tree 2.0-1 [47.0 kB]\nDel hello 2.9-1 [53.1 kB]\n';
  const q = (archives: number, del: string) => `@@arch amd64\n@@dpkg\nhello\tamd64\t2.10-3\tii \n@@auto\n@@cache\n0\n10\n@@archives\n${archives}\n@@autoclean\n${del}@@end\n`;
  t.same(parseAptQuery(q(3, AUTOCLEAN), [])!.autoclean, ['tree 2.0-1', 'hello 2.9-1']);
  t.equal(parseAptQuery(q(3, ''), [])!.archives, 3);

  const check = ctxWith([{ label: 'apt:query', reply: { stdout: q(3, AUTOCLEAN) } }], true);
  const c = await runTask(apt, check.ctx, args({ name: 'hello', clean: true, autoclean: true }));
  t.equal(c.outcome.changed, true);
  t.equal(c.outcome.msg, 'would clean 3 package files from the apt cache, then autoclean 2 package files no longer downloadable');
  t.same(check.conn.sent.map((s) => [s.label, s.readOnly]), [['apt:query', true]], 'both planned in the one read-only query');
  const script = check.conn.sent[0]!.script;
  t.match(script, /apt-config shell A Dir::Cache::archives\/d/, 'the archives directory apt is configured with');
  t.match(script, /apt-get -s -q -o Debug::NoLocking=1 .* autoclean/, 'autoclean simulated without the lock');
  t.equal(apt.reads!(args({ name: 'hello', autoclean: true })).length, 0, 'an autoclean simulation loads the cache: not fetched ahead');
  t.equal(apt.reads!(args({ name: 'hello', clean: true })).length, 1, 'counting the archives is quick');

  const real = ctxWith([
    { label: 'apt:query', reply: { stdout: q(3, AUTOCLEAN) } },
    { label: 'apt:clean', reply: {} },
    { label: 'apt:autoclean', reply: { stdout: AUTOCLEAN } },
  ]);
  const r = await runTask(apt, real.ctx, args({ name: 'hello', clean: true, autoclean: true }));
  t.same(real.conn.sent.map((s) => s.label), ['apt:query', 'apt:clean', 'apt:autoclean'], 'clean, (no package work), autoclean');
  t.equal(real.conn.sent[1]!.script, 'DEBIAN_FRONTEND=noninteractive DEBIAN_PRIORITY=critical LC_ALL=C LANG=C apt-get -q -o DPkg::Lock::Timeout=60 clean');
  t.equal(r.outcome.changed, true);
  t.equal(r.outcome.msg, '3 package files cleaned from the apt cache, then autocleaned 2 package files no longer downloadable');

  const none = ctxWith([{ label: 'apt:query', reply: { stdout: q(0, '') } }]);
  const n = await runTask(apt, none.ctx, args({ clean: true, autoclean: true }));
  t.equal(n.outcome.changed, false, 'nothing to delete: no change, nothing run (Ansible: clean is always a change)');
  t.same(none.conn.sent.map((s) => s.label), ['apt:query']);

  // after a cache update, autoclean is decided against the new lists (the plan's list was empty)
  const upd = ctxWith([{ label: 'apt:query', reply: { stdout: q(0, '') } }]);
  const plan = await apt.plan(upd.ctx, args({ autoclean: true, update_cache: true }));
  t.equal(plan.msg, 'would update the apt cache, then autoclean');
  const after = new ScriptedConnection([
    { label: 'apt:update', reply: { stdout: '20\n' } },
    { label: 'apt:query', reply: { stdout: q(0, 'Del tree 2.0-1 [47.0 kB]\n') } },
    { label: 'apt:autoclean', reply: { stdout: 'Del tree 2.0-1 [47.0 kB]\n' } },
  ]);
  const o = await apt.apply({ ...upd.ctx, conn: after }, args({ autoclean: true, update_cache: true }), plan);
  t.same(after.sent.map((s) => s.label), ['apt:update', 'apt:query', 'apt:autoclean']);
  t.equal(o.changed, true);
  t.equal(o.msg, 'apt cache updated, then autocleaned 1 package file no longer downloadable');

  t.doesNotThrow(() => args({ clean: true }), 'clean alone is a task (Ansible 2.14 requires another action with it)');
  t.doesNotThrow(() => args({ autoclean: true }));
});

t.test('failures read like Ansible\'s', async (t) => {
  const { ctx } = ctxWith([
    { label: 'apt:query', reply: { stdout: FRESH_QUERY } },
    { label: 'apt:simulate-install', reply: { exitCode: 100, stderr: 'E: Unable to locate package nosuchpkg\n' } },
  ], true);
  await t.rejects(runTask(apt, ctx, args({ name: 'nosuchpkg' })), { constructor: ModuleFailure, message: "No package matching 'nosuchpkg' is available" });
  const noDpkg = ctxWith([{ label: 'apt:query', reply: { stdout: '@@arch \n@@end\n' } }]);
  await t.rejects(runTask(apt, noDpkg.ctx, args({ name: 'x' })), /dpkg is not installed/);
  const q = '@@arch amd64\n@@cache\n0\n10\n@@deb 0\nPackage: hello\nVersion: 2.9-1\nArchitecture: amd64\n@@debdpkg 0\nhello\tamd64\t2.10-3\tii \n@@end\n';
  const down = ctxWith([{ label: 'apt:query', reply: { stdout: q } }]);
  await t.rejects(runTask(apt, down.ctx, args({ deb: '/srv/hello_2.9-1_amd64.deb' })), /a later version of hello is already installed/);
  const same = ctxWith([{ label: 'apt:query', reply: { stdout: q.replace('2.9-1', '2.10-3') } }]);
  t.equal((await runTask(apt, same.ctx, args({ deb: '/srv/hello.deb' }))).outcome.changed, false, 'the same version of a deb: nothing');
  const bad = ctxWith([{ label: 'apt:query', reply: { stdout: "@@arch amd64\n@@cache\n0\n10\n@@deberr 0\ndpkg-deb: error: failed to read archive '/x.deb'\n@@end\n" } }]);
  await t.rejects(runTask(apt, bad.ctx, args({ deb: '/x.deb' })), /deb \/x\.deb: dpkg-deb: error: failed to read archive/);
});

t.test('the query script quotes every name and file', async (t) => {
  const s = aptQueryScript({ names: ['a+b', 'c:i386'], auto: true, policy: true, cache: false, debs: ["/tmp/it's.deb"] });
  t.match(s, /-- a\+b c:i386 /);
  t.match(s, /f='\/tmp\/it'\\''s\.deb'/);
  t.match(s, /dpkg-deb -f -- "\$f" Package Version Architecture/);
});
