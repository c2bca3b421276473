// dnf and yum from recorded output (rpm -q, dnf repoquery, the --assumeno transaction tables of
// dnf 4 on EL9 and yum 3 on EL7): the lab is Debian, so these replay what the tools print.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import dnf from '../../lib/modules/dnf.js';
import yum from '../../lib/modules/yum.js';
import { validateArgs } from '../../lib/modules/args.js';
import { decide, parseQuery, queryScript, type RpmArgs } from '../../lib/modules/pkg/rpm-module.js';
import { dnfFailure, parseDnfTransaction } from '../../lib/modules/pkg/rpm-parse.js';
import { decideComps, parseCompsSpec, parseCompsTransaction, parseGroupList, parseModuleList } from '../../lib/modules/pkg/rpm-comps.js';
import { parseSpecs } from '../../lib/modules/pkg/spec.js';
import { fakeContext, runTask } from '../helpers/fake-ctx.js';
import { ScriptedConnection, type Rule } from '../helpers/scripted-conn.js';
import { repoRoot } from '../helpers/run.js';

const fx = (name: string): string => readFileSync(join(repoRoot, 'test/fixtures/pkg/dnf', name), 'utf8');
const QUERY = fx('query.txt');
const args = (a: Record<string, unknown>): RpmArgs => validateArgs(dnf, a) as unknown as RpmArgs;

function ctxWith(rules: Rule[], check = false) {
  const conn = new ScriptedConnection(rules);
  return { ctx: { ...fakeContext({ check, diff: true }), conn }, conn };
}

t.test('transaction tables', async (t) => {
  const before = new Map([['curl', '7.76.1-26.el9']]);
  t.same(parseDnfTransaction(fx('assumeno-install.txt'), before), [
    { name: 'tree', action: 'install', after: '1.8.0-10.el9' },
    { name: 'curl', action: 'upgrade', before: '7.76.1-26.el9', after: '7.76.1-26.el9_3.3' },
    { name: 'libcurl', action: 'upgrade', before: undefined, after: '7.76.1-26.el9_3.3' },
    { name: 'python3-setuptools-wheel-compat', action: 'install', after: '53.0.0-12.el9' },
  ], 'a wrapped long name keeps its columns');
  t.same(parseDnfTransaction(fx('assumeno-remove.txt')), [
    { name: 'tree', action: 'remove', before: '1.8.0-10.el9' },
    { name: 'libfoo', action: 'remove', before: '1.0-1.el9' },
  ]);
  t.same(parseDnfTransaction(fx('yum-el7-assumeno.txt')).map((c) => `${c.action} ${c.name} ${c.after}`), [
    'install tree 1.6.0-10.el7', 'upgrade curl 7.29.0-59.el7_9.2', 'upgrade libcurl 7.29.0-59.el7_9.2',
  ], 'yum 3: Updating sections; the load-transaction hint is not a package');
  t.same(parseDnfTransaction('Dependencies resolved.\nNothing to do.\nComplete!\n'), []);
  t.equal(dnfFailure('', 'No match for argument: nosuch\nError: Unable to find a match: nosuch\n', 'dnf'), 'No package nosuch available.');
  t.equal(dnfFailure('', 'Error: Failed to download metadata for repo \'baseos\'\n', 'dnf'), "dnf failed: Failed to download metadata for repo 'baseos'");
});

t.test('decisions', async (t) => {
  const q = parseQuery(QUERY)!;
  t.same(q.installed.map((e) => e.name), ['bash', 'curl'], 'rpm\'s "not installed" lines are not packages');
  const d = (a: Record<string, unknown>) => decide(args(a), parseSpecs(args(a).name, 'rpm', 'dnf'), q.installed, q.available);
  t.same(d({ name: ['bash', 'curl'] }), { verb: undefined, words: [], unsatisfiable: [] }, 'present and installed: nothing');
  t.same(d({ name: ['bash', 'curl', 'tree'] }).words, ['tree']);
  t.same(d({ name: ['curl', 'bash'], state: 'latest' }).words, ['curl-7.76.1-26.el9_3.3'], 'latest: the exact newer version (install upgrades to it)');
  t.same(d({ name: ['curl.x86_64'], state: 'absent' }), { verb: 'remove', words: ['curl.x86_64'], unsatisfiable: [] }, 'name.arch');
  t.same(d({ name: ['tree'], state: 'removed' }).words, [], 'absent and not installed: nothing');
  t.same(d({ name: ['curl=7.76.1'] }).words, [], 'a version without release matches any release');
  t.same(d({ name: ['curl>=8'] }).unsatisfiable, ['curl>=8'], 'no available version satisfies');
  t.same(d({ name: ['tree=1.8.0'] }).words, ['tree-1.8.0'], 'dnf takes name-version');
  t.match(queryScript('dnf', args({ name: ['tree'], state: 'latest', enablerepo: 'crb' })), /dnf -q -C --enablerepo=crb repoquery --latest-limit=1 --qf '%\{name\}\\t.*' -- tree/);
  t.notMatch(queryScript('dnf', args({ name: ['tree'] })), /repoquery/, 'present needs no repoquery');
});

t.test('plan and run: one request on a no-op, the table in check mode, the same options on the run', async (t) => {
  const noop = ctxWith([{ label: 'dnf:query', reply: { stdout: QUERY } }]);
  const r0 = await runTask(dnf, noop.ctx, args({ name: ['bash', 'curl'] }));
  t.equal(r0.outcome.changed, false);
  t.same(noop.conn.sent.map((s) => [s.label, s.readOnly]), [['dnf:query', true]]);
  t.match(noop.conn.sent[0]!.script, /rpm -q --qf '%\{NAME\}\\t%\{EPOCHNUM\}:%\{VERSION\}-%\{RELEASE\}\\t%\{ARCH\}\\n' -- bash curl/);

  const rules: Rule[] = [
    { label: 'dnf:query', reply: { stdout: QUERY } },
    { label: 'dnf:simulate-install', reply: { stdout: fx('assumeno-install.txt'), exitCode: 1, stderr: 'Operation aborted.\n' } },
    { label: 'dnf:install', reply: { stdout: 'Complete!\n' } },
  ];
  const check = ctxWith(rules, true);
  const c = await runTask(dnf, check.ctx, args({ name: ['tree', 'curl'], state: 'latest', install_weak_deps: false }));
  t.equal(c.outcome.changed, true);
  t.ok(check.conn.sent.every((s) => s.readOnly));
  t.equal(check.conn.sent[1]!.script, "LC_ALL=C dnf --assumeno -C --setopt=install_weak_deps=False install -- tree-1.8.0-10.el9 curl-7.76.1-26.el9_3.3");
  t.match(c.outcome.msg, /^would install tree \(1\.8\.0-10\.el9\), python3-setuptools-wheel-compat .*; upgrade curl \(7\.76\.1-26\.el9 → 7\.76\.1-26\.el9_3\.3\)/);
  t.equal(c.outcome.diff![0]!.path, 'installed packages (dnf)');
  t.match(c.outcome.diff![0]!.before, /^curl 7\.76\.1-26\.el9\n/);

  const run = ctxWith(rules);
  const r = await runTask(dnf, run.ctx, args({ name: ['tree', 'curl'], state: 'latest', install_weak_deps: false, update_cache: true }));
  t.equal(run.conn.sent[2]!.script, 'LC_ALL=C dnf -y --refresh --setopt=install_weak_deps=False install -- tree-1.8.0-10.el9 curl-7.76.1-26.el9_3.3 || exit $?\n');
  t.match(r.outcome.result, { results: ['Installed: tree-1.8.0-10.el9', 'Upgraded: curl-7.76.1-26.el9_3.3', 'Upgraded: libcurl-7.76.1-26.el9_3.3', 'Installed: python3-setuptools-wheel-compat-53.0.0-12.el9'] });
});

t.test('yum: the same contract through the yum command', async (t) => {
  const { ctx, conn } = ctxWith([
    { label: 'yum:query', reply: { stdout: QUERY } },
    { label: 'yum:simulate-remove', reply: { stdout: fx('assumeno-remove.txt'), exitCode: 1 } },
  ], true);
  const r = await runTask(yum, ctx, validateArgs(yum, { name: 'curl', state: 'absent' }) as unknown as RpmArgs);
  t.equal(conn.sent[1]!.script, 'LC_ALL=C yum --assumeno -C --setopt=clean_requirements_on_remove=False remove -- curl');
  t.equal(r.outcome.msg, 'would remove tree (1.8.0-10.el9), libfoo (1.0-1.el9)');
  const missing = ctxWith([
    { label: 'yum:query', reply: { stdout: '@@rpm\npackage nosuch is not installed\n@@end\n' } },
    { label: 'yum:simulate-install', reply: { exitCode: 1, stderr: 'No match for argument: nosuch\nError: Unable to find a match: nosuch\n' } },
  ]);
  await t.rejects(runTask(yum, missing.ctx, validateArgs(yum, { name: 'nosuch' }) as unknown as RpmArgs), /^No package nosuch available\.$/);
  t.throws(() => validateArgs(dnf, { name: '-y' }), /invalid package spec/);
  t.throws(() => validateArgs(dnf, { name: 'x', enablerepo: 'a b' }), /not a repository/);
  t.throws(() => validateArgs(dnf, {}), /one of the following is required: name, update_cache/);
});

t.test('update_cache alone: a run refreshes, reported unchanged (Ansible); check mode predicts no change', async (t) => {
  const rules: Rule[] = [
    { label: 'dnf:query', reply: { stdout: '@@rpm\n@@end\n' } },
    { label: 'dnf:makecache', reply: { stdout: 'Metadata cache created.\n' } },
  ];
  const check = ctxWith(rules, true);
  t.equal((await runTask(dnf, check.ctx, args({ update_cache: true }))).outcome.changed, false);
  const run = ctxWith(rules);
  const r = await runTask(dnf, run.ctx, args({ update_cache: true }));
  t.same(run.conn.sent.map((s) => s.label), ['dnf:query', 'dnf:makecache']);
  t.equal(r.outcome.changed, false);
  t.equal(r.outcome.msg, 'Cache updated');
});

// groups and module streams: `group list --ids --hidden` and `module list` in the query's request,
// then `dnf group …`/`dnf module …` simulated with --assumeno (their tables in dnf 4's format)
const COMPS_QUERY = `@@rpm\n@@groups\n${fx('group-list.txt')}@@modules\n${fx('module-list.txt')}@@end\n`;

t.test('group and module lists', async (t) => {
  const g = parseGroupList(fx('group-list.txt'));
  t.same(g.find((x) => x.id === 'development'), { name: 'Development Tools', id: 'development', environment: false, installed: false });
  t.same(g.find((x) => x.id === 'minimal-environment'), { name: 'Minimal Install', id: 'minimal-environment', environment: true, installed: true });
  t.equal(g.length, 10);
  const m = parseModuleList(fx('module-list.txt'));
  t.same(m.map((x) => `${x.name}:${x.stream}${x.enabled ? ' e' : ''}${x.disabled ? ' x' : ''}`), ['nodejs:18 e', 'nodejs:20', 'postgresql:15', 'postgresql:16', 'redis:7 x'], 'a stream listed by two repositories is one');
  t.same(m[0]!.profiles, [
    { name: 'common', isDefault: true, installed: true },
    { name: 'development', isDefault: false, installed: false },
    { name: 'minimal', isDefault: false, installed: false },
    { name: 's2i', isDefault: false, installed: false },
  ]);
  t.same(parseCompsSpec('@nodejs:20/minimal', 'dnf'), { raw: '@nodejs:20/minimal', name: 'nodejs', stream: '20', profile: 'minimal', environment: false });
  t.same(parseCompsSpec('@^server-product-environment', 'dnf'), { raw: '@^server-product-environment', name: 'server-product-environment', environment: true });
  t.throws(() => validateArgs(dnf, { name: '@-rf' }), /invalid group or module spec/);
  t.throws(() => validateArgs(dnf, { name: '@a;b' }), /invalid group or module spec/);
});

t.test('group and module decisions', async (t) => {
  const g = parseGroupList(fx('group-list.txt'));
  const m = parseModuleList(fx('module-list.txt'));
  const d = (state: 'present' | 'latest' | 'absent', names: string[]) => decideComps(state, names.map((n) => parseCompsSpec(n, 'dnf')), g, m);
  t.same(d('present', ['@nodejs', '@nodejs:18', '@nodejs:18/common', '@Container Management', '@headless-management', '@^minimal-environment']), { commands: [], unknown: [] }, 'enabled with the default profile installed; installed groups (by name or id)');
  t.same(d('present', ['@nodejs:18/development', '@postgresql:15/client', '@postgresql', '@development tools', '@^server-product-environment']).commands, [
    { op: 'module install', words: ['nodejs:18/development', 'postgresql:15/client', 'postgresql'] },
    { op: 'group install', words: ['development', '^server-product-environment'] },
  ], 'a profile not installed, a stream not enabled; groups by id (names case-insensitive)');
  t.same(d('present', ['@nodejs:20']).commands, [{ op: 'module install', words: ['nodejs:20'] }], 'another stream than the enabled one: dnf decides (it refuses to switch)');
  t.same(d('absent', ['@nodejs', '@redis', '@postgresql', '@container-management', '@development']).commands, [
    { op: 'module remove', words: ['nodejs', 'redis'] },
    { op: 'module reset', words: ['nodejs', 'redis'] },
    { op: 'group remove', words: ['container-management'] },
  ], 'absent: an enabled or disabled module is removed and reset; only installed groups go');
  t.same(d('latest', ['@nodejs:18', '@headless-management']).commands, [
    { op: 'module update', words: ['nodejs:18'] },
    { op: 'group upgrade', words: ['headless-management'] },
  ]);
  t.same(d('present', ['@No Such Group', '@nosuch:1']).unknown, ['@No Such Group', '@nosuch:1']);
});

t.test('comps transactions: check mode lists packages, profiles, streams and groups; the run does it in one request', async (t) => {
  t.same(parseCompsTransaction(fx('assumeno-module-install.txt')), [
    { name: '@postgresql/client', action: 'install', after: 'installed' },
    { name: '@postgresql:15', action: 'install', after: 'enabled' },
  ]);
  t.same(parseDnfTransaction(fx('assumeno-module-install.txt')).map((c) => c.name), ['postgresql', 'libpq'], 'profile and stream rows are not packages');
  t.same(parseCompsTransaction(fx('assumeno-module-reset.txt')), [{ name: '@nodejs', action: 'remove', before: 'enabled' }]);

  const rules: Rule[] = [
    { label: 'dnf:query', reply: { stdout: COMPS_QUERY } },
    {
      label: 'dnf:simulate',
      reply: (s) => ({ stdout: `@@op 0\n${fx('assumeno-module-install.txt')}@@rc 1\n@@op 1\n${fx('assumeno-group-install.txt')}@@rc 1\n@@op 2\n${fx('assumeno-install.txt')}@@rc 1\n`, exitCode: s.includes('group') ? 0 : 1 }),
    },
    { label: 'dnf:transaction', reply: { stdout: 'Complete!\n' } },
  ];
  const check = ctxWith(rules, true);
  const a = args({ name: ['@postgresql:15/client', '@RPM Development Tools', 'tree'] });
  const c = await runTask(dnf, check.ctx, a);
  t.equal(c.outcome.changed, true);
  t.same(check.conn.sent.map((s) => [s.label, s.readOnly]), [['dnf:query', true], ['dnf:simulate', true]], 'two read-only requests');
  t.match(check.conn.sent[0]!.script, /dnf -q -C group list --ids --hidden 2>\/dev\/null\necho @@modules\ndnf -q -C module list -- postgresql 2>\/dev\/null/);
  t.match(check.conn.sent[1]!.script, /'@@op 0'; LC_ALL=C dnf --assumeno -C module install -- postgresql:15\/client 2>&1; echo "@@rc \$\?"\necho '@@op 1'; LC_ALL=C dnf --assumeno -C group install -- rpm-development-tools 2>&1/);
  t.match(c.outcome.msg, /^would install @postgresql\/client \(installed\), @postgresql:15 \(enabled\), postgresql \(15\.6-1\.module\+el9\.4\.0\+20\+6e6f0b5c\), libpq \(13\.11-1\.el9\), @RPM Development Tools \(installed\), rpm-build/);
  t.match(c.outcome.diff![0]!.after, /^@RPM Development Tools installed\n/m);

  const run = ctxWith(rules);
  const r = await runTask(dnf, run.ctx, args({ name: ['@postgresql:15/client', '@RPM Development Tools', 'tree'], update_cache: true }));
  t.equal(run.conn.sent[2]!.script, [
    'LC_ALL=C dnf -y --refresh module install -- postgresql:15/client || exit $?',
    "LC_ALL=C dnf -y group install -- rpm-development-tools || exit $?",
    'LC_ALL=C dnf -y install -- tree || exit $?',
    '',
  ].join('\n'), 'modules, then groups, then packages; --refresh once');
  t.match(r.outcome.result, { results: ['Installed: @postgresql/client', 'Installed: @postgresql:15'] });

  const noop = ctxWith([{ label: 'dnf:query', reply: { stdout: COMPS_QUERY } }]);
  const n = await runTask(dnf, noop.ctx, args({ name: ['@nodejs:18', '@container-management'] }));
  t.same([n.outcome.changed, noop.conn.stats.requests], [false, 1], 'installed already: one request');

  const rm = ctxWith([
    { label: 'dnf:query', reply: { stdout: COMPS_QUERY } },
    { label: 'dnf:simulate', reply: { stdout: `@@op 0\n${fx('assumeno-module-remove.txt')}@@rc 1\n@@op 1\n${fx('assumeno-module-reset.txt')}@@rc 1\n` } },
  ], true);
  const x = await runTask(dnf, rm.ctx, args({ name: ['@nodejs'], state: 'absent' }));
  t.equal(x.outcome.msg, 'would remove @nodejs/common (installed), nodejs (1:18.19.0-1.module+el9.3.0+16+0f3b23be), nodejs-libs (1:18.19.0-1.module+el9.3.0+16+0f3b23be), @nodejs (enabled)');
  t.match(rm.conn.sent[1]!.script, /module remove --setopt=clean_requirements_on_remove=False -- nodejs 2>&1|--setopt=clean_requirements_on_remove=False module remove -- nodejs 2>&1/);

  const unknown = ctxWith([{ label: 'dnf:query', reply: { stdout: COMPS_QUERY } }]);
  await t.rejects(runTask(dnf, unknown.ctx, args({ name: ['@Nope'] })), /^No group @Nope available\.$/);
});
