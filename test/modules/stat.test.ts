import t from 'tap';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import stat, { type StatArgs } from '../../lib/modules/stat.js';
import { validateArgs } from '../../lib/modules/args.js';
import { runTask } from '../helpers/fake-ctx.js';
import { moduleContext } from '../helpers/module-ctx.js';
import { parseMime } from '../../lib/modules/util/remote-file.js';

const args = (raw: unknown) => validateArgs(stat, raw, {}) as unknown as StatArgs;
const hash = (algo: string, s: string) => createHash(algo).update(s).digest('hex');

t.test('stat results like Ansible', async (t) => {
  const dir = t.testdir({ 'ca.pem': 'PEM\n', d: {} });
  symlinkSync(join(dir, 'ca.pem'), join(dir, 'ln'));
  const ctx = moduleContext();
  const r = await runTask(stat, ctx, args({ path: join(dir, 'ca.pem') }));
  t.equal(ctx.conn.stats.requests, 1);
  t.equal(r.plan.changed, false);
  t.match(r.outcome.result, {
    stat: { exists: true, isreg: true, isdir: false, islnk: false, pw_name: 'root', gr_name: 'root', size: 4, uid: 0, checksum: hash('sha1', 'PEM\n'), mimetype: 'text/plain', charset: 'us-ascii' },
  });
  t.same((await stat.plan(moduleContext(), args({ path: join(dir, 'nope') }))).result, { stat: { exists: false } });
  t.match((await stat.plan(moduleContext(), args({ path: join(dir, 'd') }))).result, { stat: { isdir: true, isreg: false } });
  const l = (await stat.plan(moduleContext(), args({ path: join(dir, 'ln'), get_checksum: false }))).result as { stat: Record<string, unknown> };
  t.equal(l.stat.islnk, true);
  t.equal(l.stat.lnk_source, join(dir, 'ca.pem'));
  t.equal(l.stat.checksum, undefined);
  t.equal(l.stat.lnk_target, join(dir, 'ca.pem'));
  symlinkSync('d/../ca.pem', join(dir, 'rel'));
  const rel = (await stat.plan(moduleContext(), args({ path: join(dir, 'rel') }))).result as { stat: Record<string, unknown> };
  t.same([rel.stat.lnk_source, rel.stat.lnk_target], [join(dir, 'ca.pem'), 'd/../ca.pem'], 'lnk_source resolved (realpath), lnk_target as written, as Ansible');
  t.equal(l.stat.mimetype, 'inode/symlink', 'file does not follow the link (as Ansible)');
  const lf = (await stat.plan(moduleContext(), args({ path: join(dir, 'ln'), follow: true }))).result as { stat: Record<string, unknown> };
  t.equal(lf.stat.isreg, true);
  t.equal(lf.stat.islnk, false);
  t.equal(lf.stat.lnk_source, undefined, 'followed: not a link as stat sees it');
  t.equal(lf.stat.checksum, hash('sha1', 'PEM\n'));
  const o = await stat.apply(moduleContext(), args({ path: dir }), { changed: false, result: { stat: { exists: true } } });
  t.same(o, { changed: false, msg: undefined, result: { stat: { exists: true } } });
});

t.test('checksum_algorithm, get_checksum, get_mime; still one request', async (t) => {
  const dir = t.testdir({ 'a.txt': 'hello\n', 'b.bin': '' });
  writeFileSync(join(dir, 'b.bin'), Buffer.from([0, 1, 2, 255]));
  for (const algo of ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512']) {
    const ctx = moduleContext();
    const r = await runTask(stat, ctx, args({ path: join(dir, 'a.txt'), checksum_algorithm: algo }));
    t.equal((r.outcome.result as { stat: Record<string, unknown> }).stat.checksum, hash(algo, 'hello\n'), algo);
    t.equal(ctx.conn.stats.requests, 1, `${algo}: one request`);
  }
  // Ansible's aliases of the argument
  t.equal(args({ path: 'x', checksum: 'sha256' }).checksum_algorithm, 'sha256');
  t.equal(args({ path: 'x', checksum_algo: 'md5' }).checksum_algorithm, 'md5');
  t.throws(() => args({ path: 'x', checksum_algorithm: 'crc32' }), /checksum_algorithm/);
  const bin = (await stat.plan(moduleContext(), args({ path: join(dir, 'b.bin') }))).result as { stat: Record<string, unknown> };
  t.match(bin.stat, { mimetype: 'application/octet-stream', charset: 'binary' });
  const d = (await stat.plan(moduleContext(), args({ path: dir }))).result as { stat: Record<string, unknown> };
  t.match(d.stat, { mimetype: 'inode/directory', charset: 'binary' });
  t.notOk('checksum' in d.stat, 'no checksum of a directory');
  const bare = (await stat.plan(moduleContext(), args({ path: join(dir, 'a.txt'), get_checksum: false, get_mime: false }))).result as { stat: Record<string, unknown> };
  t.notOk('checksum' in bare.stat || 'mimetype' in bare.stat || 'charset' in bare.stat, 'neither asked for');
  t.same(parseMime('text/plain; charset=utf-8'), { mimetype: 'text/plain', charset: 'utf-8' });
  t.same(parseMime(undefined), { mimetype: 'unknown', charset: 'unknown' }, 'no file(1) on the host');
  t.same(parseMime('garbage'), { mimetype: 'unknown', charset: 'unknown' });
});
