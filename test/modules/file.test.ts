import t from 'tap';
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, existsSync, writeFileSync, symlinkSync, utimesSync } from 'node:fs';
import copy from '../../lib/modules/copy.js';
import { join } from 'node:path';
import file, { type FileArgs } from '../../lib/modules/file.js';
import { validateArgs } from '../../lib/modules/args.js';
import { ModuleFailure } from '../../lib/modules/types.js';
import { runTask } from '../helpers/fake-ctx.js';
import { moduleContext } from '../helpers/module-ctx.js';

const args = (raw: Record<string, unknown>) => validateArgs(file, raw, {}) as unknown as FileArgs;
const mode = (p: string) => (statSync(p).mode & 0o7777).toString(8);

t.test('directory: parents with mode, one request when unchanged', async (t) => {
  const dir = t.testdir({});
  const path = join(dir, 'a b', "c'd", 'pki');
  const a = args({ path, state: 'directory', mode: '0700', owner: 'nobody', group: 'nogroup' });
  const pc = await file.plan(moduleContext({ check: true }), a);
  t.equal(pc.changed, true);
  t.same(pc.diff, [{ path, attrs: { state: { before: 'absent', after: 'directory' }, mode: { before: undefined, after: '0700' }, owner: { before: undefined, after: 'nobody' }, group: { before: undefined, after: 'nogroup' } } }]);
  t.same(readdirSync(dir), [], 'plan changes nothing');
  const ctx = moduleContext();
  const { outcome } = await runTask(file, ctx, a);
  t.equal(ctx.conn.stats.requests, 2);
  t.equal(outcome.msg, `created directory ${path}`);
  t.equal(mode(path), '700');
  t.equal(mode(join(dir, 'a b')), '700', 'new parents get the mode too');
  t.equal(statSync(path).uid, 65534);
  const again = moduleContext();
  const p2 = await file.plan(again, a);
  t.equal(p2.changed, false);
  t.equal(again.conn.stats.requests, 1);
  t.same(p2.result, { path, state: 'directory', mode: '0700', owner: 'nobody', group: 'nogroup' });

  const m = args({ path, state: 'directory', mode: '0755' });
  const pm = await file.plan(moduleContext(), m);
  t.same(pm.diff, [{ path, attrs: { mode: { before: '0700', after: '0755' } } }]);
  await runTask(file, moduleContext(), m);
  t.equal(mode(path), '755');
  writeFileSync(join(dir, 'plain'), '');
  await t.rejects(file.plan(moduleContext(), args({ path: join(dir, 'plain'), state: 'directory' })), /already exists as a file/);
});

t.test('directory recurse', async (t) => {
  const dir = t.testdir({ d: { e: { f: 'x' } } });
  const a = args({ path: join(dir, 'd'), state: 'directory', recurse: true, owner: 'nobody' });
  t.equal((await file.plan(moduleContext(), a)).changed, true);
  await runTask(file, moduleContext(), a);
  t.equal(statSync(join(dir, 'd/e/f')).uid, 65534);
  t.equal((await file.plan(moduleContext(), a)).changed, false);
  t.throws(() => args({ path: '/x', state: 'absent', recurse: true }), /recurse needs state=directory/);
});

t.test('absent', async (t) => {
  const dir = t.testdir({ tree: { a: { b: 'x' } }, f: 'y' });
  for (const n of ['tree', 'f']) {
    const a = args({ path: join(dir, n), state: 'absent' });
    const p = await file.plan(moduleContext(), a);
    t.same(p.diff, [{ path: join(dir, n), attrs: { state: { before: n === 'f' ? 'file' : 'directory', after: 'absent' } } }]);
    await runTask(file, moduleContext(), a);
    t.notOk(existsSync(join(dir, n)));
    const ctx = moduleContext();
    const p2 = await file.plan(ctx, a);
    t.equal(p2.changed, false);
    t.equal(p2.msg, `${join(dir, n)} is already absent`);
    t.equal(ctx.conn.stats.requests, 1);
  }
  // a link to a directory: only the link goes
  mkdirSync(join(dir, 'keep'));
  writeFileSync(join(dir, 'keep', 'x'), '');
  symlinkSync(join(dir, 'keep'), join(dir, 'ln'));
  await runTask(file, moduleContext(), args({ path: join(dir, 'ln'), state: 'absent' }));
  t.ok(existsSync(join(dir, 'keep', 'x')));
  t.notOk(existsSync(join(dir, 'ln')));
});

t.test('link', async (t) => {
  const dir = t.testdir({ 'v1': 'one', 'v2': 'two', plain: 'p', sub: {} });
  const path = join(dir, "cur rent'");
  const a = args({ src: join(dir, 'v1'), dest: path, state: 'link' });
  const p = await file.plan(moduleContext(), a);
  t.same(p.diff, [{ path, attrs: { src: { before: undefined, after: join(dir, 'v1') }, state: { before: 'absent', after: 'link' } } }]);
  await runTask(file, moduleContext(), a);
  t.equal(readlinkSync(path), join(dir, 'v1'));
  const ctx = moduleContext();
  t.equal((await file.plan(ctx, a)).changed, false);
  t.equal(ctx.conn.stats.requests, 1);
  const b = args({ src: 'v2', dest: path, state: 'link' });
  const pb = await file.plan(moduleContext(), b);
  t.same(pb.diff, [{ path, attrs: { src: { before: join(dir, 'v1'), after: 'v2' } } }]);
  await runTask(file, moduleContext(), b);
  t.equal(readlinkSync(path), 'v2', 'relative target kept as written');
  // implicit state from src
  t.equal((await file.plan(moduleContext(), args({ src: 'v2', path }))).changed, false);

  await t.rejects(file.plan(moduleContext(), args({ src: 'v1', path: join(dir, 'plain'), state: 'link' })), /set force: true/);
  await runTask(file, moduleContext(), args({ src: 'v1', path: join(dir, 'plain'), state: 'link', force: true }));
  t.ok(lstatSync(join(dir, 'plain')).isSymbolicLink());
  await t.rejects(file.plan(moduleContext(), args({ src: 'v1', path: join(dir, 'sub'), state: 'link', force: true })), /refusing to replace directory/);
  t.throws(() => args({ path, state: 'link' }), /state=link needs src/);
});

t.test('file attributes and touch', async (t) => {
  const dir = t.testdir({ f: 'x' });
  const f = join(dir, 'f');
  const a = args({ path: f, mode: '0600', group: 'nogroup' });
  const p = await file.plan(moduleContext(), a);
  t.same(p.diff, [{ path: f, attrs: { mode: { before: '0' + mode(f), after: '0600' }, group: { before: 'root', after: 'nogroup' } } }]);
  await runTask(file, moduleContext(), a);
  t.equal(mode(f), '600');
  t.equal(statSync(f).gid, 65534);
  t.equal((await file.plan(moduleContext(), a)).changed, false);
  await t.rejects(file.plan(moduleContext(), args({ path: join(dir, 'nope') })), { message: `file (${join(dir, 'nope')}) is absent, cannot continue` });
  await t.rejects(file.plan(moduleContext(), args({ path: dir, state: 'file' })), ModuleFailure);

  utimesSync(f, 1000, 1000);
  const tch = args({ path: f, state: 'touch' });
  const r1 = await runTask(file, moduleContext(), tch);
  t.equal(r1.outcome.changed, true, 'touch is always changed');
  t.ok(statSync(f).mtimeMs > 1000 * 1000);
  const nf = join(dir, 'new file ü');
  const pt = await file.plan(moduleContext(), args({ path: nf, state: 'touch', mode: '0640' }));
  t.same(pt.diff?.[0]?.attrs?.state, { before: 'absent', after: 'file' });
  await runTask(file, moduleContext(), args({ path: nf, state: 'touch', mode: '0640' }));
  t.equal(mode(nf), '640');
});

t.test('apply failure is reported as a failed outcome', async (t) => {
  const dir = t.testdir({ f: 'x' });
  const a = args({ path: join(dir, 'f'), owner: 'no-such-user-zz' });
  const p = await file.plan(moduleContext(), a);
  const o = await file.apply(moduleContext(), a, p);
  t.equal(o.failed, true);
  t.match(o.msg, /no-such-user-zz/);
});

t.test('a path starting with "-" is a path, never an option of find, mktemp, … (relative to the working directory)', async (t) => {
  const dir = t.testdir({ '-delete': { 'inner.txt': 'in\n' }, 'keep.txt': 'precious\n', sub: { 'also.txt': 'precious\n' } });
  const cwd = process.cwd();
  process.chdir(dir);
  t.teardown(() => process.chdir(cwd));
  // recurse: `find -delete …` would have deleted every file under the working directory
  const a = args({ path: '-delete', state: 'directory', recurse: true, mode: '0700' });
  const { outcome } = await runTask(file, moduleContext(), a);
  t.equal(outcome.changed, true);
  t.equal(readFileSync(join(dir, 'keep.txt'), 'utf8'), 'precious\n', 'nothing outside the path touched');
  t.equal(readFileSync(join(dir, 'sub', 'also.txt'), 'utf8'), 'precious\n');
  t.equal(mode(join(dir, '-delete', 'inner.txt')), '700');
  t.equal((await file.plan(moduleContext(), a)).changed, false, 'second run: unchanged');
  // copy's temp file (mktemp) in a directory whose name starts with "-"
  const { outcome: c } = await runTask(copy, moduleContext(), validateArgs(copy, { content: 'x\n', dest: '-delete/new.txt' }, {}) as never);
  t.equal(c.changed, true);
  t.equal(readFileSync(join(dir, '-delete', 'new.txt'), 'utf8'), 'x\n');
});
