import t from 'tap';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import shell, { type ShellArgs } from '../../lib/modules/shell.js';
import { validateArgs } from '../../lib/modules/args.js';
import { runTask } from '../helpers/fake-ctx.js';
import { moduleContext } from '../helpers/module-ctx.js';

const args = (raw: unknown) => validateArgs(shell, raw, {}) as unknown as ShellArgs;

t.test('shell features, stdin, chdir, rc', async (t) => {
  const dir = t.testdir({ 'a.txt': 'one\ntwo\n' });
  const r = await runTask(shell, moduleContext(), args({ cmd: `X='it''s'; echo "$X" | tr a-z A-Z; wc -l < a.txt; exit 0`, chdir: dir }));
  t.equal(r.outcome.result?.stdout, "ITS\n2");
  t.equal(r.plan.unpredictable, true);
  const s = await runTask(shell, moduleContext(), args({ cmd: 'read -r line; echo "got:$line"', stdin: `a 'b' $c \\d` }));
  t.equal(s.outcome.result?.stdout, `got:a 'b' $c \\d`);
  const f = await runTask(shell, moduleContext(), args('echo nope >&2; exit 4'));
  t.equal(f.outcome.failed, true);
  t.equal(f.outcome.result?.rc, 4);
  t.equal(f.outcome.result?.stderr, 'nope');
  t.equal(f.outcome.result?.cmd, 'echo nope >&2; exit 4');
});

t.test('executable and creates', async (t) => {
  const dir = t.testdir({});
  const b = await runTask(shell, moduleContext(), args({ cmd: 'echo ${BASH_VERSION:+bash}', executable: '/bin/bash' }));
  t.equal(b.outcome.result?.stdout, 'bash');
  const marker = join(dir, 'm');
  const a = args({ cmd: `touch '${marker}'`, creates: marker });
  await runTask(shell, moduleContext(), a);
  t.ok(existsSync(marker));
  const ctx = moduleContext();
  const again = await runTask(shell, ctx, a);
  t.equal(again.plan.changed, false);
  t.equal(again.outcome.msg, `skipped, since ${marker} exists`);
  t.equal(ctx.conn.stats.requests, 1);
  t.throws(() => args({ chdir: '/' }), /missing required argument 'cmd'/);
});
