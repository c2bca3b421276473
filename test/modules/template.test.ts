import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
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
