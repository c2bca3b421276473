import t from 'tap';
import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import copy from '../../lib/modules/copy.js';
import { validateArgs } from '../../lib/modules/args.js';
import { ModuleFailure } from '../../lib/modules/types.js';
import { runTask } from '../helpers/fake-ctx.js';
import { moduleContext } from '../helpers/module-ctx.js';
import type { CopyArgs } from '../../lib/modules/copy.js';

const args = (raw: Record<string, unknown>) => validateArgs(copy, raw, {}) as unknown as CopyArgs;
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const sha1 = (b: Buffer | string) => createHash('sha1').update(b).digest('hex');

/** Every file under dir with its bytes and mode: "byte-identical tree" comparisons. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of readdirSync(dir, { recursive: true }).map(String).sort()) {
    const p = join(dir, n);
    const st = statSync(p);
    out[n] = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${st.isFile() ? sha(readFileSync(p)) : 'dir'}`;
  }
  return out;
}

t.test('content: create, unchanged in one request, diff, attrs', async (t) => {
  const dir = t.testdir({});
  const dest = join(dir, 'etcd.conf');
  const a = args({ content: 'A=1\n', dest, mode: '0640', owner: 'nobody', group: 'nogroup' });

  const check = moduleContext({ check: true, diff: true });
  const snap = snapshot(dir);
  const p0 = await copy.plan(check, a);
  t.equal(p0.changed, true);
  t.same(p0.diff, [{ path: dest, before: '', after: 'A=1\n', attrs: { mode: { before: undefined, after: '0640' }, owner: { before: undefined, after: 'nobody' }, group: { before: undefined, after: 'nogroup' }, state: { before: 'absent', after: 'file' } } }]);
  t.same(snapshot(dir), snap, 'plan changes nothing');

  const ctx = moduleContext({ diff: true });
  const { outcome } = await runTask(copy, ctx, a);
  t.equal(ctx.conn.stats.requests, 2, 'changed: probe + write');
  t.equal(outcome.changed, true);
  t.equal(outcome.msg, `created ${dest} (4 bytes)`);
  t.same(outcome.result, { dest, checksum: sha1('A=1\n'), size: 4, mode: '0640', owner: 'nobody', group: 'nogroup' });
  t.equal(readFileSync(dest, 'utf8'), 'A=1\n');
  t.equal((statSync(dest).mode & 0o7777).toString(8), '640');
  t.equal(statSync(dest).uid, 65534);

  const again = moduleContext({ diff: true });
  const p2 = await copy.plan(again, a);
  t.equal(p2.changed, false);
  t.equal(p2.msg, `${dest} is already up to date`);
  t.equal(again.conn.stats.requests, 1, 'unchanged: exactly one request');
  t.equal(p2.result?.checksum, sha1('A=1\n'));

  // content change with diff
  const b = args({ content: 'A=2\nB=3\n', dest, mode: '0640', owner: 'nobody', group: 'nogroup' });
  const p3 = await copy.plan(moduleContext({ diff: true }), b);
  t.same(p3.diff, [{ path: dest, before: 'A=1\n', after: 'A=2\nB=3\n' }]);
  // mode-only change
  const c = args({ content: 'A=1\n', dest, mode: '0600' });
  const p4 = await copy.plan(moduleContext({ diff: true }), c);
  t.same(p4.diff, [{ path: dest, attrs: { mode: { before: '0640', after: '0600' } } }]);
  t.equal(p4.msg, `would change mode of ${dest}`);
  const r4 = await runTask(copy, moduleContext(), c);
  t.equal(r4.outcome.changed, true);
  t.equal((statSync(dest).mode & 0o7777).toString(8), '600');
  t.equal(readFileSync(dest, 'utf8'), 'A=1\n');
  t.equal((await copy.plan(moduleContext(), c)).changed, false);
});

t.test('no diff requested: content is not fetched', async (t) => {
  const dir = t.testdir({ 'x.conf': 'old secret\n' });
  const p = await copy.plan(moduleContext(), args({ content: 'new\n', dest: join(dir, 'x.conf') }));
  t.equal(p.changed, true);
  t.same(p.diff, [{ path: join(dir, 'x.conf') }]);
});

t.test('src from files/, dest directory and trailing slash, backup, force', async (t) => {
  const dir = t.testdir({ files: { 'app.conf': 'x=1\n' }, out: { 'app.conf': 'x=0\n' } });
  const base = { baseDir: join(dir, 'files') };
  // dest is an existing directory → dest/basename(src)
  const a = args({ src: 'app.conf', dest: join(dir, 'out'), backup: true });
  const { outcome } = await runTask(copy, moduleContext(base), a);
  t.equal(outcome.result?.dest, join(dir, 'out', 'app.conf'));
  t.equal(readFileSync(join(dir, 'out', 'app.conf'), 'utf8'), 'x=1\n');
  t.equal(readFileSync(outcome.result?.backup_file as string, 'utf8'), 'x=0\n');
  const ctx = moduleContext(base);
  t.equal((await copy.plan(ctx, a)).changed, false);
  t.equal(ctx.conn.stats.requests, 1);

  // trailing slash: parents created with directory_mode
  const b = args({ src: 'app.conf', dest: join(dir, 'new', 'deep') + '/', directory_mode: '0750' });
  await runTask(copy, moduleContext(base), b);
  t.equal(readFileSync(join(dir, 'new/deep/app.conf'), 'utf8'), 'x=1\n');
  t.equal((statSync(join(dir, 'new/deep')).mode & 0o777).toString(8), '750');

  // force: false never replaces
  const f = args({ content: 'other', dest: join(dir, 'out', 'app.conf'), force: false });
  const pf = await copy.plan(moduleContext(), f);
  t.equal(pf.changed, false);
  t.match(pf.msg, /force is false/);

  await t.rejects(copy.plan(moduleContext(base), args({ src: 'nope.conf', dest: join(dir, 'x') })), { code: 'E_MISSING_FILE' });
  await t.rejects(copy.plan(moduleContext(), args({ content: 'x', dest: join(dir, 'out') })), ModuleFailure, 'content onto a directory');
  t.throws(() => args({ content: 'x', dest: join(dir, 'out') + '/' }), /can not use content with a dir as dest/);
  t.throws(() => args({ dest: '/x' }), /exactly one of src or content/);
  t.throws(() => args({ dest: '/x', src: 'a', content: 'b' }), /exactly one of src or content/);
});

t.test('binary and large files: summaries; byte-exact nasty names and content', async (t) => {
  const dir = t.testdir({});
  const name = join(dir, "n a'me \"$x\" `y` \\z\nü日本.bin");
  const data = Buffer.concat([Buffer.from("it's \"q\" $HOME `id` \\\n\u00fc\r\n"), Buffer.from([0, 255, 0, 10])]);
  writeFileSync(join(dir, 'src.bin'), data);
  const a = args({ src: join(dir, 'src.bin'), dest: name });
  const p = await copy.plan(moduleContext({ diff: true }), a);
  t.same(p.diff?.[0]?.summary, `binary file, 0 bytes → ${data.length} bytes`);
  await runTask(copy, moduleContext(), a);
  t.ok(readFileSync(name).equals(data), 'byte-exact');
  t.equal((await copy.plan(moduleContext(), a)).changed, false);

  const big = join(dir, 'big.txt');
  writeFileSync(big, 'a'.repeat(150 * 1024));
  const pb = await copy.plan(moduleContext({ diff: true }), args({ content: 'small\n', dest: big }));
  t.equal(pb.diff?.[0]?.summary, 'file larger than 100 KiB, diff skipped');
  t.equal(pb.diff?.[0]?.before, undefined);

  const text = Buffer.from("line 'one' \"two\" $three `four` \\five\nünïcødé\n");
  await runTask(copy, moduleContext(), args({ content: text.toString(), dest: join(dir, 't.txt') }));
  t.ok(readFileSync(join(dir, 't.txt')).equals(text));
  const left = readdirSync(dir).filter((n) => n.includes('.bosun-tmp'));
  t.same(left, []);
});

t.test('failure: missing parent directory leaves nothing behind', async (t) => {
  const dir = t.testdir({});
  const a = args({ content: 'x', dest: join(dir, 'no', 'such', 'f') });
  const p = await copy.plan(moduleContext(), a);
  t.equal(p.changed, true);
  t.match(p.msg, /does not exist yet/);
  await t.rejects(copy.apply(moduleContext(), a, p), { message: `Destination directory ${join(dir, 'no', 'such')} does not exist` });
  t.same(readdirSync(dir), []);
});

/** lstat summary of every entry: type, mode, owner, content (links: their target text). */
function layout(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of readdirSync(dir).sort()) {
    const p = join(dir, n);
    const st = lstatSync(p);
    out[n] = st.isSymbolicLink()
      ? `link -> ${readlinkSync(p)}`
      : `file ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${readFileSync(p, 'utf8').trim()}`;
  }
  return out;
}

/** dest symlinks: to a 0640 nobody-owned file, to a 0600 file (follow), dangling (both ways), one with equal content. */
function linkFarm(dir: string): void {
  writeFileSync(join(dir, 'target'), 'old\n', { mode: 0o640 });
  chmodSync(join(dir, 'target'), 0o640);
  chownSync(join(dir, 'target'), 65534, 65534);
  symlinkSync('target', join(dir, 'link'));
  writeFileSync(join(dir, 't2'), 'old2\n');
  chmodSync(join(dir, 't2'), 0o600);
  chownSync(join(dir, 't2'), 65534, 0);
  symlinkSync('t2', join(dir, 'link2'));
  symlinkSync('nowhere', join(dir, 'dang'));
  symlinkSync('nowhere2', join(dir, 'dang2'));
  writeFileSync(join(dir, 'same'), 'new\n');
  chmodSync(join(dir, 'same'), 0o604);
  symlinkSync('same', join(dir, 'link3'));
}
const farmTasks: Array<[string, boolean]> = [['link', false], ['link2', true], ['dang', false], ['dang2', true], ['link3', true]];

t.test('dest symlink: replaced by a new file (umask mode, never 0777) unless follow, which writes the target keeping its mode/owner', async (t) => {
  const dir = t.testdir({});
  linkFarm(dir);
  const umaskMode = (0o666 & ~process.umask()).toString(8);
  // check mode: the link's target is never read for --diff (it may point at anything)
  const pc = await copy.plan(moduleContext({ check: true, diff: true }), args({ content: 'new\n', dest: join(dir, 'link') }));
  t.equal(pc.changed, true);
  t.match(pc.msg, /replace the symlink/);
  t.same(pc.diff?.[0]?.attrs?.state, { before: 'link', after: 'file' });
  t.equal(pc.diff?.[0]?.before, '', 'diff from empty, not from the target');
  for (const [name, follow] of farmTasks) {
    const { outcome } = await runTask(copy, moduleContext(), args({ content: 'new\n', dest: join(dir, name), follow }));
    t.equal(outcome.changed, name !== 'link3', `${name} changed`);
  }
  const l = layout(dir);
  t.equal(l.link, `file ${umaskMode} 0:0 new`, 'link replaced by a new file: umask mode, not 0777, not the target owner');
  t.equal(l.target, 'file 640 65534:65534 old', 'target untouched');
  t.equal(l.link2, 'link -> t2', 'follow: the link stays');
  t.equal(l.t2, 'file 600 65534:0 new', 'follow: target written, its mode and owner kept');
  t.equal(l.dang, `file ${umaskMode} 0:0 new`);
  t.equal(l.dang2, `file ${umaskMode} 0:0 new`, 'follow on a dangling link: replaced like a new file');
  t.equal(l.link3, 'link -> same', 'follow, same content: unchanged');
  t.same(readdirSync(dir).filter((n) => n.startsWith('.bosun')), []);
  // second run: idempotent
  for (const [name, follow] of farmTasks) {
    t.equal((await copy.plan(moduleContext(), args({ content: 'new\n', dest: join(dir, name), follow }))).changed, false, `${name} second run`);
  }
});

t.test('dest symlink: the same final layout as ansible-playbook 2.14 (copy, follow false/true)', async (t) => {
  const which = spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' });
  if (which.status !== 0) return t.skip('ansible-playbook not installed (.ci/setup installs ansible-core)');
  const root = t.testdir({ ans: {}, bos: {} });
  linkFarm(join(root, 'ans'));
  linkFarm(join(root, 'bos'));
  const tasks = farmTasks.map(([n, f]) => `    - copy: { content: "new\\n", dest: "${join(root, 'ans', n)}", follow: ${f} }`);
  writeFileSync(join(root, 'pb.yml'), `- hosts: localhost\n  gather_facts: false\n  tasks:\n${tasks.join('\n')}\n`);
  const a = spawnSync('ansible-playbook', ['-c', 'local', '-i', 'localhost,', join(root, 'pb.yml')], {
    encoding: 'utf8',
    env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCALHOST_WARNING: 'false', ANSIBLE_INVENTORY_UNPARSED_WARNING: 'false' },
  });
  t.equal(a.status, 0, a.stdout + a.stderr);
  for (const [n, follow] of farmTasks) await runTask(copy, moduleContext(), args({ content: 'new\n', dest: join(root, 'bos', n), follow }));
  t.same(layout(join(root, 'bos')), layout(join(root, 'ans')));
});

t.test('backup: a symlink planted at the predictable DEST.<timestamp>~ name is replaced, never written through', async (t) => {
  const dir = t.testdir({});
  const dest = join(dir, 'app.conf');
  writeFileSync(dest, 'secret=1\n');
  chmodSync(dest, 0o600);
  const victim = join(dir, 'victim');
  writeFileSync(victim, 'precious\n');
  chmodSync(victim, 0o644);
  chownSync(victim, 65534, 65534);
  // plant links for the next few seconds' names (the timestamp has a one-second resolution)
  const stamp = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const now = Date.now();
  const planted: string[] = [];
  for (let s = -1; s < 5; s++) {
    const local = new Date(now + s * 1000 - new Date().getTimezoneOffset() * 60_000);
    const p = `${dest}.${stamp(local)}~`;
    symlinkSync(victim, p);
    planted.push(p);
  }
  const { outcome } = await runTask(copy, moduleContext(), args({ content: 'secret=2\n', dest, backup: true }));
  const bk = outcome.result?.backup_file as string;
  t.ok(planted.includes(bk), `backup name ${bk} was one of the planted links`);
  t.equal(readFileSync(victim, 'utf8'), 'precious\n', 'link target not written');
  t.equal(statSync(victim).uid, 65534, 'link target not chowned');
  t.equal((statSync(victim).mode & 0o777).toString(8), '644');
  t.notOk(lstatSync(bk).isSymbolicLink(), 'the backup replaced the link');
  t.equal(readFileSync(bk, 'utf8'), 'secret=1\n');
  t.equal((statSync(bk).mode & 0o777).toString(8), '600', 'backup keeps the old mode');
  t.equal(readFileSync(dest, 'utf8'), 'secret=2\n');
  t.same(readdirSync(dir).filter((n) => n.startsWith('.bosun')), [], 'no temp file left');
});

t.test('validate: runs on the temp file before the rename; a failure keeps dest and leaves no temp file', async (t) => {
  const dir = t.testdir({ dest: 'old\n' });
  const dest = join(dir, 'dest');
  t.throws(() => args({ content: 'x', dest, validate: 'visudo -c' }), /validate must contain %s/);
  const bad = await runTask(copy, moduleContext(), args({ content: 'broken\n', dest, validate: 'grep -q "^good$" %s' })).catch((e: unknown) => e);
  t.type(bad, ModuleFailure);
  t.match((bad as Error).message, /^failed to validate: rc:1/);
  t.equal(readFileSync(dest, 'utf8'), 'old\n', 'dest untouched');
  t.same(readdirSync(dir), ['dest'], 'no temp file left');
  const good = await runTask(copy, moduleContext(), args({ content: 'good\n', dest, validate: 'grep -q "^good$" %s' }));
  t.equal(good.outcome.changed, true);
  t.equal(readFileSync(dest, 'utf8'), 'good\n');
});

t.test('remote_src with a directory: the trailing-slash rule, source modes, one request to plan, idempotent', async (t) => {
  const dir = t.testdir({ tree: { 'f.txt': 'f\n', sub: { g: 'g\n', deeper: { h: 'h\n' } }, empty: {} }, pre: { tree: { 'f.txt': 'stale\n', 'keep.txt': 'k\n' } } });
  chmodSync(join(dir, 'tree', 'f.txt'), 0o750);
  chmodSync(join(dir, 'tree', 'sub'), 0o700);
  symlinkSync('f.txt', join(dir, 'tree', 'ln'));
  const a = (raw: Record<string, unknown>) => validateArgs(copy, { remote_src: true, ...raw }, {}) as unknown as CopyArgs;
  const src = join(dir, 'tree');

  // "dir/" into a new dest: its contents, the root with the source's mode
  const c1 = await runTask(copy, moduleContext({ diff: true }), a({ src: src + '/', dest: join(dir, 'c1') }));
  t.equal(c1.outcome.changed, true);
  t.equal(readFileSync(join(dir, 'c1', 'sub', 'deeper', 'h'), 'utf8'), 'h\n');
  t.equal(statSync(join(dir, 'c1', 'f.txt')).mode & 0o777, 0o750, "the source file's mode");
  t.equal(statSync(join(dir, 'c1', 'sub')).mode & 0o777, 0o700, "a new directory gets the source directory's");
  t.equal(statSync(join(dir, 'c1', 'empty')).isDirectory(), true, 'empty directories too');
  t.equal(readlinkSync(join(dir, 'c1', 'ln')), 'f.txt', 'links recreated as links');
  t.match(c1.outcome.result, { dest: join(dir, 'c1'), src: src + '/', checksum: null, md5sum: null, state: 'directory', mode: /^0\d{3}$/ });
  t.ok(c1.plan.diff?.some((d) => d.path === join(dir, 'c1', 'sub', 'g')), 'diff names every file copied');
  const noop = moduleContext();
  const c1b = await runTask(copy, noop, a({ src: src + '/', dest: join(dir, 'c1') }));
  t.equal(c1b.outcome.changed, false, 'idempotent');
  t.equal(noop.conn.stats.requests, 1, 'a no-op is one request');
  t.match(c1b.outcome.result, { dest: join(dir, 'c1') + '/', state: 'directory' }, 'dest reported as Ansible: joined with basename("dir/"), i.e. ""');

  // "dir" into an existing directory: dest/dir; a stale file replaced, an extra one left alone
  const c2 = await runTask(copy, moduleContext(), a({ src, dest: join(dir, 'pre') }));
  t.equal(c2.outcome.changed, true);
  t.equal(readFileSync(join(dir, 'pre', 'tree', 'f.txt'), 'utf8'), 'f\n');
  t.equal(readFileSync(join(dir, 'pre', 'tree', 'keep.txt'), 'utf8'), 'k\n');
  t.equal((c2.outcome.result as Record<string, unknown>).dest, join(dir, 'pre', 'tree'));
  t.equal((await runTask(copy, moduleContext(), a({ src, dest: join(dir, 'pre') }))).outcome.changed, false);

  // mode / directory_mode asked for: applied, and kept applied
  const c3 = await runTask(copy, moduleContext(), a({ src, dest: join(dir, 'c3'), mode: '0604', directory_mode: '0751' }));
  t.equal(c3.outcome.changed, true);
  t.equal(statSync(join(dir, 'c3', 'tree', 'f.txt')).mode & 0o777, 0o604);
  t.equal(statSync(join(dir, 'c3', 'tree', 'sub')).mode & 0o777, 0o751);
  chmodSync(join(dir, 'c3', 'tree', 'sub', 'g'), 0o600);
  const c3b = await runTask(copy, moduleContext(), a({ src, dest: join(dir, 'c3'), mode: '0604', directory_mode: '0751' }));
  t.equal(c3b.outcome.changed, true, 'a mode drifted: changed back');
  t.equal(statSync(join(dir, 'c3', 'tree', 'sub', 'g')).mode & 0o777, 0o604);

  // check mode: predicted, nothing written; force: false keeps what exists
  const chk = await runTask(copy, moduleContext({ check: true }), a({ src, dest: join(dir, 'c4') }));
  t.equal(chk.plan.changed, true);
  t.throws(() => statSync(join(dir, 'c4')), 'check mode wrote nothing');
  writeFileSync(join(dir, 'c1', 'f.txt'), 'local edit\n');
  t.equal((await runTask(copy, moduleContext(), a({ src: src + '/', dest: join(dir, 'c1'), force: false }))).outcome.changed, false, 'force: false');
  t.equal(readFileSync(join(dir, 'c1', 'f.txt'), 'utf8'), 'local edit\n');
  await t.rejects(runTask(copy, moduleContext(), a({ src, dest: join(dir, 'no', 'such') })), /Destination directory .*\/no does not exist/);
  await t.rejects(runTask(copy, moduleContext(), a({ src: join(dir, 'nope') + '/', dest: join(dir, 'x') })), /Source .*nope\/? not found/);
  t.notOk(readdirSync(join(dir, 'pre', 'tree')).some((n) => n.startsWith('.bosun-')), 'no temp file left');
});
