// unarchive on this machine (LocalConnection as the host): idempotence by content in one request,
// check mode listing what would change, strip-components, include/exclude, zip, remote_src,
// creates, unsafe members refused.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import unarchive, { type UnarchiveArgs } from '../../lib/modules/unarchive.js';
import { validateArgs } from '../../lib/modules/args.js';
import { ArgumentError, ModuleFailure } from '../../lib/errors.js';
import { runTask } from '../helpers/fake-ctx.js';
import { moduleContext } from '../helpers/module-ctx.js';

const args = (raw: Record<string, unknown>) => validateArgs(unarchive, raw, {}) as unknown as UnarchiveArgs;
const BIN = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) % 256));

function sh(cmd: string[], cwd: string): void {
  const r = spawnSync(cmd[0]!, cmd.slice(1), { cwd });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')}: ${r.stderr}`);
}

/** A release-like tree under work/etcd-v1/ and archives of it in several formats. */
function fixtures(dir: string): void {
  const top = join(dir, 'work', 'etcd-v1');
  mkdirSync(join(top, 'docs'), { recursive: true });
  writeFileSync(join(top, 'etcd'), BIN, { mode: 0o755 });
  writeFileSync(join(top, 'etcdctl'), '#!/bin/sh\necho ctl\n', { mode: 0o755 });
  writeFileSync(join(top, 'docs', 'README.md'), 'read me\n', { mode: 0o644 });
  symlinkSync('etcd', join(top, 'etcd-link'));
  sh(['tar', '-czf', join(dir, 'rel.tar.gz'), '-C', join(dir, 'work'), 'etcd-v1'], dir);
  sh(['tar', '-cJf', join(dir, 'rel.tar.xz'), '-C', join(dir, 'work'), 'etcd-v1'], dir);
  sh(['tar', '-cjf', join(dir, 'rel.tar.bz2'), '-C', join(dir, 'work'), 'etcd-v1'], dir);
  sh(['python3', '-c', 'import shutil,sys; shutil.make_archive(sys.argv[1], "zip", sys.argv[2], "etcd-v1")', join(dir, 'rel'), join(dir, 'work')], dir);
  sh(['python3', '-c', 'import tarfile,io,sys\nt=tarfile.open(sys.argv[1],"w:gz")\ni=tarfile.TarInfo("../evil");d=b"x\\n";i.size=len(d);t.addfile(i,io.BytesIO(d));t.close()', join(dir, 'evil.tar.gz')], dir);
}

t.test('tar.gz with strip-components: unpack, rerun in one request, check mode lists the change', async (t) => {
  const dir = t.testdir({ dest: {} });
  fixtures(dir);
  const dest = join(dir, 'dest');
  const a = args({ src: join(dir, 'rel.tar.gz'), dest, extra_opts: ['--strip-components=1'], list_files: true });

  const c0 = await runTask(unarchive, moduleContext({ check: true, diff: true }), a);
  t.equal(c0.outcome.changed, true);
  t.same(readdirSync(dest), [], 'check mode writes nothing');
  t.match(c0.outcome.diff?.[0]?.summary, /5 path\(s\) would be written/);

  const r = await runTask(unarchive, moduleContext(), a);
  t.equal(r.outcome.changed, true);
  t.ok(readFileSync(join(dest, 'etcd')).equals(BIN));
  t.equal(statSync(join(dest, 'etcd')).mode & 0o777, 0o755);
  t.equal(readlinkSync(join(dest, 'etcd-link')), 'etcd');
  t.equal(r.outcome.result?.handler, 'TgzArchive');
  t.same([...(r.outcome.result?.files as string[])].sort(), ['docs', 'docs/README.md', 'etcd', 'etcd-link', 'etcdctl']);
  t.match(r.outcome.result?.extract_results, { rc: 0, cmd: /^tar -x -f SRC -C .* --strip-components=1$/ });

  const again = moduleContext();
  const r2 = await runTask(unarchive, again, a);
  t.equal(r2.outcome.changed, false);
  t.equal(again.conn.stats.requests, 2, 'no-op: the manifest on the control node, one request to the host (here both local)');

  writeFileSync(join(dest, 'etcdctl'), '#!/bin/sh\necho tampered\n');
  const c1 = await runTask(unarchive, moduleContext({ check: true, diff: true }), a);
  t.equal(c1.outcome.changed, true);
  t.equal(c1.outcome.diff?.[0]?.summary, '1 path(s) would be written:\netcdctl');
  await runTask(unarchive, moduleContext(), a);
  t.equal(readFileSync(join(dest, 'etcdctl'), 'utf8'), '#!/bin/sh\necho ctl\n', 'restored by content');
  t.equal((await runTask(unarchive, moduleContext(), a)).outcome.changed, false);
});

t.test('xz, bz2, zip, include/exclude, mode, remote_src, creates', async (t) => {
  const dir = t.testdir({ xz: {}, bz: {}, zip: {}, inc: {}, exc: {} });
  fixtures(dir);
  for (const [fmt, sub, handler] of [
    ['rel.tar.xz', 'xz', 'TarXzArchive'],
    ['rel.tar.bz2', 'bz', 'TarBzipArchive'],
    ['rel.zip', 'zip', 'ZipArchive'],
  ] as const) {
    const a = args({ src: join(dir, fmt), dest: join(dir, sub) });
    const r = await runTask(unarchive, moduleContext(), a);
    t.equal(r.outcome.result?.handler, handler, fmt);
    t.ok(readFileSync(join(dir, sub, 'etcd-v1', 'etcd')).equals(BIN), `${fmt}: binary intact`);
    t.equal(readFileSync(join(dir, sub, 'etcd-v1', 'docs', 'README.md'), 'utf8'), 'read me\n');
    t.equal((await runTask(unarchive, moduleContext(), a)).outcome.changed, false, `${fmt}: idempotent`);
  }
  t.equal(statSync(join(dir, 'zip', 'etcd-v1', 'etcd')).mode & 0o777, 0o755, 'zip keeps modes');

  const inc = args({ src: join(dir, 'rel.tar.gz'), dest: join(dir, 'inc'), include: ['*/etcd', '*/etcdctl'], extra_opts: ['--strip-components', '1'], mode: '0750' });
  await runTask(unarchive, moduleContext(), inc);
  t.same(readdirSync(join(dir, 'inc')).sort(), ['etcd', 'etcdctl'], 'only the included members');
  t.equal(statSync(join(dir, 'inc', 'etcd')).mode & 0o777, 0o750, 'mode applied');
  t.equal((await runTask(unarchive, moduleContext(), inc)).outcome.changed, false);
  t.equal((await runTask(unarchive, moduleContext({ check: true }), { ...inc, mode: '0700' })).outcome.changed, true, 'a mode change is a change');

  const exc = args({ src: join(dir, 'rel.zip'), dest: join(dir, 'exc'), exclude: ['*/docs*'] });
  await runTask(unarchive, moduleContext(), exc);
  t.notOk(existsSync(join(dir, 'exc', 'etcd-v1', 'docs')), 'excluded');
  t.ok(existsSync(join(dir, 'exc', 'etcd-v1', 'etcdctl')));

  const remote = args({ src: join(dir, 'rel.tar.gz'), dest: join(dir, 'exc'), remote_src: true, creates: join(dir, 'exc', 'etcd-v1', 'etcdctl') });
  const cr = await runTask(unarchive, moduleContext(), remote);
  t.equal(cr.outcome.changed, false);
  t.equal(cr.outcome.msg, `skipped, since ${join(dir, 'exc', 'etcd-v1', 'etcdctl')} exists`);
  const ctx = moduleContext();
  const rr = await runTask(unarchive, ctx, { ...remote, creates: undefined });
  t.equal(rr.outcome.changed, true, 'remote_src: the docs were excluded before, now they land');
  t.ok(lstatSync(join(dir, 'exc', 'etcd-v1', 'etcd-link')).isSymbolicLink());
  const ctx2 = moduleContext();
  t.equal((await runTask(unarchive, ctx2, { ...remote, creates: undefined })).outcome.changed, false);
  t.equal(ctx2.conn.stats.requests, 1, 'remote_src no-op: one request');
});

t.test('refusals', async (t) => {
  const dir = t.testdir({ dest: {}, 'empty.tgz': '', 'not-archive.tgz': 'hello\n' });
  fixtures(dir);
  const e1 = await runTask(unarchive, moduleContext(), args({ src: join(dir, 'evil.tar.gz'), dest: join(dir, 'dest') })).catch((x: unknown) => x);
  t.match((e1 as Error).message, /refusing archive member '\.\.\/evil'/);
  t.same(readdirSync(join(dir, 'dest')), []);
  const e2 = await runTask(unarchive, moduleContext(), args({ src: join(dir, 'rel.tar.gz'), dest: join(dir, 'nodir') })).catch((x: unknown) => x);
  t.match((e2 as Error).message, /Destination '.*nodir' is not a directory/);
  const e3 = await runTask(unarchive, moduleContext(), args({ src: join(dir, 'empty.tgz'), dest: join(dir, 'dest') })).catch((x: unknown) => x);
  t.match((e3 as Error).message, /the file is 0 bytes/);
  const e4 = await runTask(unarchive, moduleContext(), args({ src: join(dir, 'not-archive.tgz'), dest: join(dir, 'dest') })).catch((x: unknown) => x);
  t.ok(e4 instanceof ModuleFailure);
  t.match((e4 as Error).message, /not a tar or zip archive/);
  const e5 = await runTask(unarchive, moduleContext(), args({ src: join(dir, 'rel.zip'), dest: join(dir, 'dest'), extra_opts: ['-o'] })).catch((x: unknown) => x);
  t.match((e5 as Error).message, /extra_opts are tar options/);
  t.throws(() => unarchive.validate!(args({ src: 'a', dest: 'b', include: ['x'], exclude: ['y'] })), ArgumentError);
  t.throws(() => unarchive.validate!(args({ src: 'a', dest: 'b', extra_opts: ['--strip-components=x'] })), /needs a number/);
});
