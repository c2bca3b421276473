// alternatives against dpkg's real update-alternatives, confined to a test directory: a wrapper
// first on PATH adds --altdir/--admindir there, and every link and path is in it (the control
// node's own alternatives are never read or changed). Parsers are also checked on recorded
// --query and --display output. Live, against Ansible, on lab hosts: test/e2e/system-settings.test.ts.
import t from 'tap';
import { chmodSync, mkdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import mod, { parseDisplay, parseQuery, type AlternativesArgs } from '../../lib/modules/alternatives.js';
import { validateArgs } from '../../lib/modules/args.js';
import { fakeContext, runTask } from '../helpers/fake-ctx.js';
import { RecordingConnection } from '../helpers/recording.js';
import { LocalConnection } from '../../lib/executor/local.js';

const args = (a: Record<string, unknown>): AlternativesArgs => {
  const v = validateArgs(mod, a) as unknown as AlternativesArgs;
  mod.validate!(v);
  return v;
};

const QUERY = `Name: editor
Link: /usr/bin/editor
Slaves:
 editor.1.gz /usr/share/man/man1/editor.1.gz
Status: manual
Best: /usr/bin/vim.basic
Value: /bin/nano

Alternative: /bin/nano
Priority: 40
Slaves:
 editor.1.gz /usr/share/man/man1/nano.1.gz

Alternative: /usr/bin/vim.basic
Priority: 50
`;

const DISPLAY = `editor - manual mode
  link best version is /usr/bin/vim.basic
  link currently points to /bin/nano
  link editor is /usr/bin/editor
  slave editor.1.gz is /usr/share/man/man1/editor.1.gz
/bin/nano - priority 40
  slave editor.1.gz: /usr/share/man/man1/nano.1.gz
/usr/bin/vim.basic - priority 50
  slave editor.1.gz: (null)
`;

t.test('--query and --display read the same group', async (t) => {
  const want = {
    mode: 'manual',
    current: '/bin/nano',
    link: '/usr/bin/editor',
    alternatives: new Map([
      ['/bin/nano', { priority: 40, subcommands: [{ name: 'editor.1.gz', path: '/usr/share/man/man1/nano.1.gz', link: '/usr/share/man/man1/editor.1.gz' }] }],
      ['/usr/bin/vim.basic', { priority: 50, subcommands: [] }],
    ]),
  };
  t.same(parseQuery(QUERY), want);
  t.same(parseDisplay(DISPLAY), want);
});

t.test('bad arguments fail before anything runs', async (t) => {
  t.throws(() => args({ name: 'x y', path: '/a' }), /group name/);
  t.throws(() => args({ name: '-x', path: '/a' }), /group name/);
  t.throws(() => args({ name: 'x', path: 'a' }), /absolute/);
  t.throws(() => args({ name: 'x', path: '/a', state: 'on' }), /must be one of/);
  t.throws(() => args({ name: 'x', path: '/a', subcommands: [{ name: 'y', path: '/b' }] }), /missing required argument: link/);
  t.throws(() => args({ name: 'x', path: '/a', subcommands: [{ name: 'y', path: '/b', link: '/c', extra: 1 }] }), /unsupported parameters: extra/);
  t.equal(args({ name: 'x', path: '/a', slaves: [{ name: 'y', path: '/b', link: '/c' }] }).subcommands?.length, 1, 'slaves is an alias');
  t.equal(args({ name: 'x', path: '/a' }).state, 'selected', 'default state');
});

t.test('register, select, auto, reinstall, remove with the real update-alternatives', async (t) => {
  const d = t.testdir({ alt: {}, admin: {}, bin: {}, 'tool-a': '#!/bin/sh\necho a\n', 'tool-b': '#!/bin/sh\necho b\n', 'man-a': 'a', 'man-b': 'b' });
  const real = spawnSync('sh', ['-c', 'command -v update-alternatives'], { encoding: 'utf8' }).stdout.trim();
  if (real === '') return t.skip('no update-alternatives');
  writeFileSync(join(d, 'bin', 'update-alternatives'), `#!/bin/sh\nexec ${real} --altdir ${d}/alt --admindir ${d}/admin "$@"\n`);
  chmodSync(join(d, 'bin', 'update-alternatives'), 0o755);
  mkdirSync(join(d, 'links'));
  const oldPath = process.env.PATH;
  process.env.PATH = `${d}/bin:${oldPath}`;
  t.teardown(() => void (process.env.PATH = oldPath));
  const name = 'bosun-test-tool';
  const A = join(d, 'tool-a');
  const B = join(d, 'tool-b');
  const link = join(d, 'links', 'tool');
  const run = async (a: Record<string, unknown>, opts: { check?: boolean; diff?: boolean } = {}) => {
    const conn = new RecordingConnection(new LocalConnection());
    const r = await runTask(mod, { ...fakeContext(opts), conn, control: conn }, args({ name, ...a }));
    return { o: r.outcome, labels: conn.labels };
  };
  const current = (): string => readlinkSync(join(d, 'alt', name));
  const query = (): string => spawnSync(join(d, 'bin', 'update-alternatives'), ['--query', name], { encoding: 'utf8' }).stdout;

  // a new group without link cannot be installed
  await t.rejects(run({ path: A }), /missing the link/);
  await t.rejects(run({ path: join(d, 'nope'), link }), /Specified path .*nope does not exist/);

  const chk = await run({ path: A, link, priority: 10, state: 'present' }, { check: true, diff: true });
  t.equal(chk.o.changed, true, 'check mode predicts the install');
  t.match(chk.o.diff?.[0]?.before, 'state: absent');
  t.match(chk.o.diff?.[0]?.after, `state: present\npath: ${A}\npriority: 10\nlink: ${link}\n`);
  t.equal(query(), '', 'and changes nothing');

  const i1 = await run({ path: A, link, priority: 10, state: 'present', subcommands: [{ name: 'tool.1', path: join(d, 'man-a'), link: join(d, 'links', 'tool.1') }] });
  t.equal(i1.o.changed, true);
  t.equal(i1.o.msg, `Install alternative '${A}' for '${name}'.`);
  t.equal(current(), A, 'the only alternative, in auto mode');
  t.equal(readlinkSync(join(d, 'links', 'tool.1')), join(d, 'alt', 'tool.1'), 'the follower link');

  const i2 = await run({ path: B, link, priority: 20, state: 'present' });
  t.equal(i2.o.changed, true);
  t.equal(current(), B, 'auto picks the higher priority');

  const again = await run({ path: A, link, priority: 10, state: 'present', subcommands: [{ name: 'tool.1', path: join(d, 'man-a'), link: join(d, 'links', 'tool.1') }] });
  t.equal(again.o.changed, false, 'same priority and followers: nothing');
  t.same(again.labels, ["alternatives:read"], "one request");

  const sel = await run({ path: A }, { diff: true });
  t.equal(sel.o.changed, true);
  t.equal(sel.o.msg, `Set alternative '${A}' for '${name}'.`);
  t.equal(current(), A, 'selected');
  t.match(query(), /Status: manual/);
  t.equal((await run({ path: A })).o.changed, false, 'selected again: nothing');
  t.equal((await run({ path: B, state: 'present' })).o.changed, false, 'present for a registered one: nothing');

  const au = await run({ path: A, state: 'auto' });
  t.equal(au.o.msg, `Set alternative to auto for '${name}'.`);
  t.equal(current(), B);
  t.equal((await run({ path: A, state: 'auto' })).o.changed, false, 'auto again: nothing');

  // a new priority reinstalls; without subcommands the followers go, as with Ansible
  const pr = await run({ path: A, priority: 30, state: 'present' });
  t.equal(pr.o.changed, true);
  t.match(query(), new RegExp(`Alternative: ${A}\nPriority: 30\n`));
  t.notMatch(query(), /man-a/);
  t.equal(current(), A);

  const rm = await run({ path: A, state: 'absent' });
  t.equal(rm.o.msg, `Remove alternative '${A}' from '${name}'.`);
  t.equal(current(), B);
  t.equal((await run({ path: A, state: 'absent' })).o.changed, false, 'absent again: nothing');
  await run({ path: B, state: 'absent' });
  t.equal(query(), '', 'the group is gone with its last alternative');
});

t.test('the FQCN roles use resolves to this module', async (t) => {
  const { canonicalModuleName } = await import('../../lib/modules/index.js');
  t.equal(canonicalModuleName('community.general.alternatives'), 'alternatives');
});
