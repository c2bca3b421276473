import t from 'tap';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import stat, { type StatArgs } from '../../lib/modules/stat.js';
import { validateArgs } from '../../lib/modules/args.js';
import { runTask } from '../helpers/fake-ctx.js';
import { moduleContext } from '../helpers/module-ctx.js';

const args = (raw: unknown) => validateArgs(stat, raw, {}) as unknown as StatArgs;

t.test('stat results like Ansible', async (t) => {
  const dir = t.testdir({ 'ca.pem': 'PEM\n', d: {} });
  symlinkSync(join(dir, 'ca.pem'), join(dir, 'ln'));
  const ctx = moduleContext();
  const r = await runTask(stat, ctx, args({ path: join(dir, 'ca.pem') }));
  t.equal(ctx.conn.stats.requests, 1);
  t.equal(r.plan.changed, false);
  t.match(r.outcome.result, {
    stat: { exists: true, isreg: true, isdir: false, islnk: false, pw_name: 'root', gr_name: 'root', size: 4, uid: 0, checksum: createHash('sha256').update('PEM\n').digest('hex') },
  });
  t.same((await stat.plan(moduleContext(), args({ path: join(dir, 'nope') }))).result, { stat: { exists: false } });
  t.match((await stat.plan(moduleContext(), args({ path: join(dir, 'd') }))).result, { stat: { isdir: true, isreg: false } });
  const l = (await stat.plan(moduleContext(), args({ path: join(dir, 'ln'), get_checksum: false }))).result as { stat: Record<string, unknown> };
  t.equal(l.stat.islnk, true);
  t.equal(l.stat.lnk_source, join(dir, 'ca.pem'));
  t.equal(l.stat.checksum, undefined);
  const lf = (await stat.plan(moduleContext(), args({ path: join(dir, 'ln'), follow: true }))).result as { stat: Record<string, unknown> };
  t.equal(lf.stat.isreg, true);
  t.equal(lf.stat.islnk, false);
  const o = await stat.apply(moduleContext(), args({ path: dir }), { changed: false, result: { stat: { exists: true } } });
  t.same(o, { changed: false, msg: undefined, result: { stat: { exists: true } } });
});
