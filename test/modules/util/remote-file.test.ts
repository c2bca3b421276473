import t from 'tap';
import { readdirSync, readFileSync, statSync, symlinkSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { moduleContext } from '../../helpers/module-ctx.js';
import { probeFile, writeFile, setAttrs, normMode, attrChanges, mkdirsLines } from '../../../lib/modules/util/remote-file.js';
import { contentDiff, isText } from '../../../lib/modules/util/diff.js';
import { shlexSplit } from '../../../lib/executor/shell.js';
import { ModuleFailure } from '../../../lib/modules/types.js';

const weird = "we ird 'q' \"d\" $HOME `x` \\b\nnl ü日本";
const nasty = Buffer.concat([Buffer.from("a b 'c' \"d\" $X `y` \\z\n\u00fc\u65e5\r\n"), Buffer.from([0, 1, 255, 10])]);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

t.test('probe: absent, file, directory, link, content', async (t) => {
  const dir = t.testdir({ 'f.txt': 'hello\n', sub: {} });
  const ctx = moduleContext();
  const absent = await probeFile(ctx, join(dir, 'nope'));
  t.same(absent, { path: join(dir, 'nope'), exists: false, isLink: false, parentExists: true });
  t.equal((await probeFile(ctx, join(dir, 'no/such/file'))).parentExists, false);

  const f = await probeFile(ctx, join(dir, 'f.txt'), { wantContent: true });
  t.equal(f.type, 'file');
  t.equal(f.size, 6);
  t.equal(f.sha256, sha(Buffer.from('hello\n')));
  t.equal(f.content?.toString(), 'hello\n');
  t.match(f.mode, /^0[0-7]{3}$/);
  t.equal(f.owner, 'root');
  t.equal(f.uid, process.getuid!());
  t.equal((await probeFile(ctx, join(dir, 'f.txt'))).content, undefined, 'no content unless asked');
  t.equal((await probeFile(ctx, join(dir, 'f.txt'), { wantContent: true, maxContent: 3 })).content, undefined, 'too large');

  const d = await probeFile(ctx, join(dir, 'sub'), { wantContent: true });
  t.equal(d.type, 'directory');
  t.equal(d.sha256, undefined);

  const tgt = join(dir, weird);
  writeFileSync(tgt, nasty);
  symlinkSync(tgt, join(dir, 'ln'));
  const l = await probeFile(ctx, join(dir, 'ln'));
  t.equal(l.type, 'link');
  t.equal(l.linkTarget, tgt, 'link target with newline and non-ASCII survives');
  const lf = await probeFile(ctx, join(dir, 'ln'), { follow: true, wantContent: true });
  t.equal(lf.type, 'file');
  t.equal(lf.isLink, true);
  t.ok(lf.content?.equals(nasty), 'binary content byte-exact');
  t.equal(lf.sha256, sha(nasty));

  const appended = await probeFile(ctx, join(dir, 'sub'), { appendIfDir: 'x.conf' });
  t.equal(appended.path, join(dir, 'sub', 'x.conf'));
  t.equal(appended.exists, false);
  t.equal(ctx.conn.stats.requests, 9, 'one request per probe');
});

t.test('writeFile: atomic, byte-exact, modes, backup, failures', async (t) => {
  const dir = t.testdir({ 'old.txt': 'old\n' });
  const ctx = moduleContext();
  const dest = join(dir, weird);
  const before = ctx.conn.stats.requests;
  const w = await writeFile(ctx, dest, nasty, { mode: '0640', owner: 'nobody', group: 'nogroup' });
  t.equal(ctx.conn.stats.requests - before, 1, 'one request');
  t.ok(readFileSync(dest).equals(nasty));
  t.equal((statSync(dest).mode & 0o7777).toString(8), '640');
  t.equal(statSync(dest).uid, 65534);
  t.equal(w.mode, '0640');
  t.equal(w.owner, 'nobody');
  t.equal(w.group, 'nogroup');

  // existing file: mode and owner preserved when not given; backup kept
  const old = join(dir, 'old.txt');
  chmodSync(old, 0o600);
  const w2 = await writeFile(ctx, old, Buffer.from('new\n'), { backup: true });
  t.equal(readFileSync(old, 'utf8'), 'new\n');
  t.equal((statSync(old).mode & 0o777).toString(8), '600', 'mode kept');
  t.match(w2.backupFile, /old\.txt\.\d{14}~$/);
  t.equal(readFileSync(w2.backupFile!, 'utf8'), 'old\n');

  // new file without mode: umask default
  await writeFile(ctx, join(dir, 'fresh'), Buffer.from(''));
  t.equal((statSync(join(dir, 'fresh')).mode & 0o777).toString(8), (0o666 & ~process.umask()).toString(8));
  t.equal(readFileSync(join(dir, 'fresh')).length, 0);

  await t.rejects(writeFile(ctx, join(dir, 'missing/dir/f'), Buffer.from('x')), { message: `Destination directory ${join(dir, 'missing/dir')} does not exist` });
  mkdirSync(join(dir, 'adir'));
  await t.rejects(writeFile(ctx, join(dir, 'adir'), Buffer.from('x')), /is a directory/);
  await t.rejects(writeFile(ctx, join(dir, 'bad'), Buffer.from('x'), { owner: 'no-such-user-zz' }), ModuleFailure);
  t.notOk(readdirSync(dir).includes('bad'), 'failed write leaves no dest');
  const created = await writeFile(ctx, join(dir, 'p/q/r.txt'), Buffer.from('deep'), { mkdirs: { mode: '0750' } });
  t.equal(readFileSync(join(dir, 'p/q/r.txt'), 'utf8'), 'deep');
  t.equal((statSync(join(dir, 'p/q')).mode & 0o777).toString(8), '750');
  t.ok(created);
  const leftovers = readdirSync(dir, { recursive: true }).map(String).filter((n) => n.includes('.bosun-tmp'));
  t.same(leftovers, [], 'no temp files after success or failure');
});

t.test('setAttrs, attrChanges, normMode, mkdirsLines', async (t) => {
  const dir = t.testdir({ f: 'x' });
  const ctx = moduleContext();
  await setAttrs(ctx, join(dir, 'f'), { mode: '0601', owner: 'nobody', group: 'nogroup' });
  t.equal((statSync(join(dir, 'f')).mode & 0o7777).toString(8), '601');
  t.equal(statSync(join(dir, 'f')).gid, 65534);
  await setAttrs(ctx, join(dir, 'f'), {});
  await t.rejects(setAttrs(ctx, join(dir, 'nope'), { mode: '0600' }), ModuleFailure);
  const p = await probeFile(ctx, join(dir, 'f'));
  t.same(attrChanges(p, { mode: '601', owner: 'nobody', group: '65534' }), {}, 'names, ids and short modes match');
  t.same(attrChanges(p, { mode: '0600', owner: 'root' }), { mode: { before: '0601', after: '0600' }, owner: { before: 'nobody', after: 'root' } });
  t.equal(normMode('644'), '0644');
  t.equal(normMode('01777'), '1777');
  t.same(mkdirsLines('/'), []);
});

t.test('diff helpers and shlex', async (t) => {
  const absent = { path: '/x', exists: false, isLink: false };
  t.same(contentDiff('/x', absent, Buffer.from('a\n')), { path: '/x', before: '', after: 'a\n' });
  const bin = { path: '/x', exists: true, isLink: false, type: 'file' as const, size: 2048, content: Buffer.alloc(2048) };
  t.same(contentDiff('/x', bin, Buffer.alloc(4096, 1)), { path: '/x', summary: 'binary file, 2048 bytes → 4096 bytes' });
  t.same(contentDiff('/x', { ...bin, size: 200 * 1024, content: undefined }, Buffer.from('a')), { path: '/x', summary: 'file larger than 100 KiB, diff skipped' });
  t.equal(isText(Buffer.from([0xc3, 0x28])), false, 'invalid UTF-8');
  t.equal(isText(Buffer.from('ü日本')), true);
  t.same(shlexSplit(`a  'b c' "d \\"e\\" $f" g\\ h ''`), ['a', 'b c', 'd "e" $f', 'g h', '']);
  t.throws(() => shlexSplit(`a 'b`), /unterminated single quote/);
  t.throws(() => shlexSplit(`a "b`), /unterminated double quote/);
});
