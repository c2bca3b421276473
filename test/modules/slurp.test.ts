import t from 'tap';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import slurp from '../../lib/modules/slurp.js';
import { validateArgs } from '../../lib/modules/args.js';
import { runTask } from '../helpers/fake-ctx.js';
import { moduleContext } from '../helpers/module-ctx.js';

const args = (raw: Record<string, unknown>) => validateArgs(slurp, raw, {}) as unknown as { src: string };

t.test('slurp: binary-safe base64 in one read-only request; errors as Ansible', async (t) => {
  const dir = t.testdir({ d: {} });
  const data = Buffer.concat([Buffer.from([0, 255, 10, 13]), randomBytes(4096)]);
  writeFileSync(join(dir, 'bin'), data);
  const ctx = moduleContext({ check: true });
  const { outcome } = await runTask(slurp, ctx, args({ path: join(dir, 'bin') }));
  t.equal(outcome.changed, false);
  t.same(outcome.result, { content: data.toString('base64'), source: join(dir, 'bin'), encoding: 'base64' });
  t.equal(ctx.conn.stats.requests, 1, 'one request, allowed in check mode');
  await t.rejects(runTask(slurp, moduleContext(), args({ src: join(dir, 'nope') })), { message: `file not found: ${join(dir, 'nope')}` });
  await t.rejects(runTask(slurp, moduleContext(), args({ src: join(dir, 'd') })), { message: `source is a directory and must be a file: ${join(dir, 'd')}` });
  writeFileSync(join(dir, 'empty'), '');
  t.equal((await runTask(slurp, moduleContext(), args({ src: join(dir, 'empty') }))).outcome.result?.content, '');
  if (process.getuid?.() !== 0) {
    chmodSync(join(dir, 'bin'), 0);
    await t.rejects(runTask(slurp, moduleContext(), args({ src: join(dir, 'bin') })), /file is not readable/);
  }
  t.throws(() => args({}), /src/);
});
