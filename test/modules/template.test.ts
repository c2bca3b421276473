import t from 'tap';
import { chmodSync, lstatSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import template, { type TemplateArgs } from '../../lib/modules/template.js';
import { validateArgs } from '../../lib/modules/args.js';
import { runTask } from '../helpers/fake-ctx.js';
import { moduleContext } from '../helpers/module-ctx.js';

const args = (raw: Record<string, unknown>) => validateArgs(template, raw, {}) as unknown as TemplateArgs;

t.test('renders with host vars; unchanged = one request; diff; atomic', async (t) => {
  const dir = t.testdir({ templates: { 'etcd.env.hbs': 'ETCD_NAME={{ name }}\nETCD_DATA_DIR=/var/lib/etcd\nQ="{{ q }}"\n' }, etc: {} });
  const vars = { name: 'etcd-1', q: `it's $x \`y\` \\z ü` };
  const opts = { baseDir: join(dir, 'templates'), vars };
  const dest = join(dir, 'etc', 'etcd');
  const a = args({ src: 'etcd.env.hbs', dest, mode: '0644', owner: 'nobody' });
  const want = `ETCD_NAME=etcd-1\nETCD_DATA_DIR=/var/lib/etcd\nQ="it's $x \`y\` \\z ü"\n`;

  const pc = await template.plan(moduleContext({ ...opts, check: true, diff: true }), a);
  t.equal(pc.changed, true);
  t.equal(pc.diff?.[0]?.after, want);
  t.same(readdirSync(join(dir, 'etc')), [], 'check-mode plan wrote nothing');

  const ctx = moduleContext(opts);
  const { outcome } = await runTask(template, ctx, a);
  t.equal(outcome.changed, true);
  t.equal(ctx.conn.stats.requests, 2);
  t.equal(readFileSync(dest, 'utf8'), want);
  t.equal((statSync(dest).mode & 0o7777).toString(8), '644');
  t.equal(statSync(dest).uid, 65534);

  const again = moduleContext({ ...opts, diff: true });
  const p2 = await template.plan(again, a);
  t.equal(p2.changed, false);
  t.equal(again.conn.stats.requests, 1);

  const other = moduleContext({ ...opts, vars: { ...vars, name: 'etcd-2' }, diff: true });
  const p3 = await template.plan(other, a);
  t.equal(p3.changed, true);
  t.equal(p3.diff?.[0]?.before, want);
  t.equal(p3.diff?.[0]?.after, want.replace('etcd-1', 'etcd-2'));
  t.same(readdirSync(join(dir, 'etc')), ['etcd'], 'no temp files');
});

t.test('errors: missing template, undefined variable', async (t) => {
  const dir = t.testdir({ 'a.hbs': '{{ missing }}' });
  await t.rejects(template.plan(moduleContext({ baseDir: dir }), args({ src: 'nope.hbs', dest: join(dir, 'x') })), { code: 'E_MISSING_FILE' });
  await t.rejects(template.plan(moduleContext({ baseDir: dir }), args({ src: 'a.hbs', dest: join(dir, 'x') })), /missing/);
  t.throws(() => args({ src: 'a.hbs' }), /missing required argument 'dest'/);
});

t.test('dest symlink without mode: a new file with the umask mode, never the link\'s 0777; follow keeps the target\'s mode', async (t) => {
  const dir = t.testdir({ templates: { 'a.hbs': 'x={{ x }}\n' }, etc: { real: 'old\n' } });
  chmodSync(join(dir, 'etc', 'real'), 0o600);
  symlinkSync('real', join(dir, 'etc', 'link'));
  symlinkSync('real', join(dir, 'etc', 'flink'));
  const opts = { baseDir: join(dir, 'templates'), vars: { x: 1 } };
  await runTask(template, moduleContext(opts), args({ src: 'a.hbs', dest: join(dir, 'etc', 'link') }));
  const st = lstatSync(join(dir, 'etc', 'link'));
  t.ok(st.isFile(), 'the link became a regular file');
  t.equal((st.mode & 0o7777).toString(8), (0o666 & ~process.umask()).toString(8));
  t.equal(readFileSync(join(dir, 'etc', 'real'), 'utf8'), 'old\n', 'target untouched');
  await runTask(template, moduleContext(opts), args({ src: 'a.hbs', dest: join(dir, 'etc', 'flink'), follow: true }));
  t.ok(lstatSync(join(dir, 'etc', 'flink')).isSymbolicLink());
  t.equal(readFileSync(join(dir, 'etc', 'real'), 'utf8'), 'x=1\n');
  t.equal((statSync(join(dir, 'etc', 'real')).mode & 0o7777).toString(8), '600');
});
