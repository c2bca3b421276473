// stat on this machine (a real shell, stat, file, lsattr): Ansible's keys and values, one request
// per task; the parsing of what the host says, on canned answers for the cases a machine rarely
// shows (an id without a name, a time before 1970, a big device number, lsattr's odd outputs).
// test/modules/stat-differential.test.ts compares every key with ansible-playbook's.
import t from 'tap';
import { chmodSync, linkSync, lstatSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import stat, { parseMime, parseStatAnswer, statScript, type StatArgs } from '../../lib/modules/stat.js';
import { validateArgs } from '../../lib/modules/args.js';
import { fileAttributes, makedev, pyTime } from '../../lib/modules/util/stat-keys.js';
import { PyFloat } from '../../lib/engine/jinja/values.js';
import { runTask } from '../helpers/fake-ctx.js';
import { moduleContext } from '../helpers/module-ctx.js';

const args = (raw: unknown) => validateArgs(stat, raw, {}) as unknown as StatArgs;
const hash = (algo: string, s: string) => createHash(algo).update(s).digest('hex');
const statOf = async (raw: Record<string, unknown>) => ((await stat.plan(moduleContext(), args(raw))).result as { stat: Record<string, unknown> }).stat;
const hasFile = spawnSync('sh', ['-c', 'command -v file']).status === 0;
const hasLsattr = spawnSync('sh', ['-c', 'command -v lsattr']).status === 0;

const KEYS = [
  'exists', 'path', 'mode', 'isdir', 'ischr', 'isblk', 'isreg', 'isfifo', 'islnk', 'issock', 'uid', 'gid', 'size', 'inode', 'dev', 'nlink',
  'atime', 'mtime', 'ctime', 'wusr', 'rusr', 'xusr', 'wgrp', 'rgrp', 'xgrp', 'woth', 'roth', 'xoth', 'isuid', 'isgid', 'blocks', 'block_size',
  'device_type', 'readable', 'writeable', 'executable',
];

t.test("a regular file: Ansible's keys in Ansible's order, the values this machine's stat(2) gives", async (t) => {
  const dir = t.testdir({ 'ca.pem': 'PEM\n' });
  const f = join(dir, 'ca.pem');
  chmodSync(f, 0o6755);
  const ctx = moduleContext();
  const r = await runTask(stat, ctx, args({ path: f }));
  t.equal(ctx.conn.stats.requests, 1, 'one request');
  t.equal(r.plan.changed, false);
  const s = (r.outcome.result as { stat: Record<string, unknown> }).stat;
  const tail = ['pw_name', 'gr_name', 'checksum', 'mimetype', 'charset', 'version', 'attributes', 'attr_flags'];
  t.same(Object.keys(s), [...KEYS, ...tail]);
  const st = statSync(f, { bigint: true });
  t.match(s, {
    exists: true, path: f, mode: '6755', isreg: true, isdir: false, islnk: false, ischr: false, isblk: false, isfifo: false, issock: false,
    uid: 0, gid: 0, size: 4, inode: Number(st.ino), dev: Number(st.dev), nlink: 1, blocks: Number(st.blocks), block_size: Number(st.blksize), device_type: 0,
    wusr: true, rusr: true, xusr: true, wgrp: false, rgrp: true, xgrp: true, woth: false, roth: true, xoth: true, isuid: true, isgid: true,
    readable: true, writeable: true, executable: true, pw_name: 'root', gr_name: 'root', checksum: hash('sha1', 'PEM\n'),
  });
  // Python's float: tv_sec + tv_nsec * 1e-9
  t.equal(Number(s.mtime), Number(st.mtimeNs / 1_000_000_000n) + Number(st.mtimeNs % 1_000_000_000n) * 1e-9, 'mtime as Python computes it');
  t.equal(Number(s.ctime), Number(st.ctimeNs / 1_000_000_000n) + Number(st.ctimeNs % 1_000_000_000n) * 1e-9);
  if (hasFile) t.match(s, { mimetype: 'text/plain', charset: 'us-ascii' });
  if (hasLsattr) t.match(s, { version: /^\d+$/, attr_flags: String, attributes: Array });
  t.same(
    (await statOf({ path: f, get_checksum: false, get_mime: false, get_attributes: false, get_md5: true })).md5,
    hash('md5', 'PEM\n'),
    'get_md5 (kept by Ansible for old playbooks)',
  );
});

t.test('links, follow, missing paths and errors as Ansible', async (t) => {
  const dir = t.testdir({ 'ca.pem': 'PEM\n', d: {} });
  symlinkSync(join(dir, 'ca.pem'), join(dir, 'ln'));
  symlinkSync('d/../ca.pem', join(dir, 'rel'));
  symlinkSync('gone', join(dir, 'dangling'));
  symlinkSync('loop', join(dir, 'loop'));
  t.same(await statOf({ path: join(dir, 'nope') }), { exists: false });
  const l = await statOf({ path: join(dir, 'ln') });
  t.match(l, { islnk: true, isreg: false, mode: '0777', lnk_source: join(dir, 'ca.pem'), lnk_target: join(dir, 'ca.pem'), readable: true });
  t.notOk('checksum' in l, 'a link not followed is not a regular file: no checksum');
  if (hasFile) t.equal(l.mimetype, 'inode/symlink', 'file does not follow the link (as Ansible)');
  if (hasLsattr) t.match(l, { version: null, attributes: [], attr_flags: '' }, 'lsattr fails on a link: the defaults');
  const rel = await statOf({ path: join(dir, 'rel') });
  t.same([rel.lnk_source, rel.lnk_target], [join(dir, 'ca.pem'), 'd/../ca.pem'], 'lnk_source resolved (realpath), lnk_target as written');
  const lf = await statOf({ path: join(dir, 'ln'), follow: true });
  t.match(lf, { isreg: true, islnk: false, mode: '0644', size: 4, checksum: hash('sha1', 'PEM\n'), inode: Number(statSync(join(dir, 'ca.pem')).ino) });
  t.notOk('lnk_source' in lf || 'lnk_target' in lf, 'followed: not a link as stat sees it');
  const dl = await statOf({ path: join(dir, 'dangling') });
  t.match(dl, { exists: true, islnk: true, readable: false, writeable: false, executable: false, lnk_source: join(dir, 'gone'), lnk_target: 'gone' }, 'access(2) follows the link');
  t.same(await statOf({ path: join(dir, 'dangling'), follow: true }), { exists: false }, 'followed, a dangling link does not exist (os.stat: ENOENT)');
  await t.rejects(stat.plan(moduleContext(), args({ path: join(dir, 'ca.pem', 'x') })), { message: 'Not a directory' }, 'any other error fails with the strerror');
  await t.rejects(stat.plan(moduleContext(), args({ path: join(dir, 'loop'), follow: true })), { message: 'Too many levels of symbolic links' });
  t.match(await statOf({ path: join(dir, 'loop') }), { islnk: true, lnk_target: 'loop' }, 'a loop not followed is a link');
  const o = await stat.apply(moduleContext(), args({ path: dir }), { changed: false, result: { stat: { exists: true } } });
  t.same(o, { changed: false, msg: undefined, result: { stat: { exists: true } } });
});

t.test('directories, fifos, devices, hard links', async (t) => {
  const dir = t.testdir({ a: 'x', d: {} });
  linkSync(join(dir, 'a'), join(dir, 'hard'));
  spawnSync('mkfifo', [join(dir, 'fifo')]);
  chmodSync(join(dir, 'd'), 0o1777);
  const d = await statOf({ path: join(dir, 'd') });
  t.match(d, { isdir: true, isreg: false, mode: '1777', xoth: true, executable: true, nlink: 2 });
  t.notOk('checksum' in d, 'no checksum of a directory');
  if (hasFile) t.match(d, { mimetype: 'inode/directory', charset: 'binary' });
  t.match(await statOf({ path: join(dir, 'fifo') }), { isfifo: true, isreg: false, device_type: 0 }, 'a fifo: nothing reads it');
  t.equal((await statOf({ path: join(dir, 'hard'), get_attributes: false })).nlink, 2);
  const dn = await statOf({ path: '/dev/null', get_checksum: true });
  const rdev = Number(lstatSync('/dev/null').rdev);
  t.match(dn, { ischr: true, isreg: false, device_type: rdev, readable: true, writeable: true });
  t.notOk('checksum' in dn);
});

t.test('checksum_algorithm, get_checksum, get_mime, get_attributes; still one request', async (t) => {
  const dir = t.testdir({ 'a.txt': 'hello\n', 'b.bin': '' });
  writeFileSync(join(dir, 'b.bin'), Buffer.from([0, 1, 2, 255]));
  for (const algo of ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512']) {
    const ctx = moduleContext();
    const r = await runTask(stat, ctx, args({ path: join(dir, 'a.txt'), checksum_algorithm: algo }));
    t.equal((r.outcome.result as { stat: Record<string, unknown> }).stat.checksum, hash(algo, 'hello\n'), algo);
    t.equal(ctx.conn.stats.requests, 1, `${algo}: one request`);
  }
  // Ansible's aliases of the arguments
  t.equal(args({ path: 'x', checksum: 'sha256' }).checksum_algorithm, 'sha256');
  t.equal(args({ path: 'x', checksum_algo: 'md5' }).checksum_algorithm, 'md5');
  t.equal(args({ path: 'x', attr: false }).get_attributes, false);
  t.equal(args({ path: 'x', attributes: false }).get_attributes, false);
  t.throws(() => args({ path: 'x', checksum_algorithm: 'crc32' }), /checksum_algorithm/);
  if (hasFile) t.match(await statOf({ path: join(dir, 'b.bin') }), { mimetype: 'application/octet-stream', charset: 'binary' });
  const bare = await statOf({ path: join(dir, 'a.txt'), get_checksum: false, get_mime: false, get_attributes: false });
  for (const k of ['checksum', 'md5', 'mimetype', 'charset', 'version', 'attributes', 'attr_flags']) t.notOk(k in bare, `no ${k}: not asked for`);
  t.notMatch(statScript(args({ path: 'x', get_checksum: false, get_mime: false, get_attributes: false })), /sum|file|lsattr/, 'nor run');
  t.same(parseMime('text/plain; charset=utf-8'), { mimetype: 'text/plain', charset: 'utf-8' });
  t.same(parseMime(undefined), { mimetype: 'unknown', charset: 'unknown' }, 'no file(1) on the host');
  t.same(parseMime('inode/symlink'), { mimetype: 'unknown', charset: 'unknown' }, "file's answer for a dangling link does not split (Ansible: unknown)");
});

t.test('reads() is the request plan() makes; the path is quoted, after --', async (t) => {
  const a = args({ path: "/tmp/it's -x $(id)", follow: true });
  const [q] = stat.reads!(a, { facts: moduleContext().facts, check: false });
  t.equal(q!.script, statScript(a));
  t.same(q!.opts, { label: 'stat', readOnly: true, text: true });
  t.match(q!.script, /^p='\/tmp\/it'\\''s -x \$\(id\)'\n/);
  t.match(q!.script, /stat -L --printf .* -- "\$p"/);
});

t.test('~ is the home on the host, as Python expanduser (HOME, its trailing slash dropped)', async (t) => {
  const dir = t.testdir({ home: { 'f.txt': 'x' } });
  const home = join(dir, 'home');
  const saved = process.env.HOME;
  t.teardown(() => void (process.env.HOME = saved));
  process.env.HOME = `${home}/`; // (the local connection's shell gets this process's environment)
  t.match(await statOf({ path: '~/f.txt' }), { exists: true, path: join(home, 'f.txt'), size: 1 });
  t.match(await statOf({ path: '~' }), { exists: true, isdir: true, path: home });
  t.same(await statOf({ path: '~/nope' }), { exists: false });
  t.match(statScript(args({ path: "~/a'b" })), /^p="\$HOME"'\/a'\\''b'; /, 'the rest quoted');
  t.match(statScript(args({ path: '~user/x' })), /^p='~user\/x'\n/, '~user is not expanded');
});

t.test('what the host says, parsed as Python reads stat(2)', async (t) => {
  const a = args({ path: '/x', get_checksum: false, get_mime: false });
  const answer = (st: string, more = '') => Buffer.from(`st=${st}\npw=UNKNOWN\ngr=UNKNOWN\naccess=\n${more}`);
  const s = parseStatAnswer(a, answer('21b6 4242 4343 0 3 6 1 -1.500000000 1577836800.000000000 1796493031.817721156 0 4096 1 3', 'attr=1234'));
  t.match(s, { uid: 4242, gid: 4343, ischr: true, mode: '0666', device_type: 259, readable: false, writeable: false, executable: false });
  t.notOk('pw_name' in s || 'gr_name' in s, 'an id without a name: no pw_name/gr_name (Ansible leaves them out)');
  t.equal(s.atime, -1.5, 'before 1970');
  t.ok(s.mtime instanceof PyFloat && String(s.mtime) === '1577836800.0', 'an integral time stays a float (prints 1577836800.0, as Python)');
  t.same([s.version, s.attributes, s.attr_flags], ['1234', [], ''], 'lsattr said one word: Ansible keeps it as the version');
  t.throws(() => parseStatAnswer(a, Buffer.from('st=1 2\n')), /unexpected answer/);
  t.throws(() => parseStatAnswer(a, Buffer.from('err=Permission denied\n')), /^Permission denied$/);
  t.equal(makedev('103', '10a'), (0x103 << 8) + 0x0a + (0x100 << 12), "glibc's makedev");
  t.equal(makedev('1000', '0'), 0x1000 * 2 ** 32, 'a major above 0xfff');
  t.equal(Number(pyTime('1700000000.123456789')), 1700000000 + 123456789 * 1e-9);
  t.equal(Number(pyTime('5.25')), 5.25, 'a shorter fraction (find prints ten digits, stat nine)');
  t.ok(Number.isNaN(Number(pyTime('soon'))));
  t.same(fileAttributes('3058656058 --------------e------- /x'), { version: '3058656058', attributes: ['extents'], attr_flags: 'e' });
  t.same(fileAttributes('1 ----ia-------e--Y---'), { version: '1', attributes: ['immutable', 'append', 'extents'], attr_flags: 'iaeY' }, 'a letter Ansible has no name for stays in attr_flags');
  t.same(fileAttributes(''), { version: null, attributes: [], attr_flags: '' });
});
