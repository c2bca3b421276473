import t from 'tap';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import command, { type CommandArgs } from '../../lib/modules/command.js';
import { validateArgs } from '../../lib/modules/args.js';
import { runTask } from '../helpers/fake-ctx.js';
import { moduleContext } from '../helpers/module-ctx.js';

const args = (raw: unknown) => validateArgs(command, raw, {}) as unknown as CommandArgs;

t.test('free form: words split, nothing expanded, result shape', async (t) => {
  const ctx = moduleContext();
  const a = args(`printf '%s|' "a b" 'c $HOME' d\\ e '*' ';' '|'`);
  const p = await command.plan(ctx, a);
  t.equal(p.unpredictable, true);
  t.equal(p.changed, true);
  t.equal(ctx.conn.stats.requests, 0, 'no creates/removes: plan does no request');
  const o = await command.apply(ctx, a, p);
  t.equal(o.failed, undefined);
  t.equal(o.changed, true);
  t.equal(o.result?.stdout, 'a b|c $HOME|d e|*|;|||');
  t.equal(o.result?.rc, 0);
  t.same(o.result?.cmd, ['printf', '%s|', 'a b', 'c $HOME', 'd e', '*', ';', '|']);
  t.match(o.result?.start, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
  t.match(o.result?.delta, /^0:00:\d\d\.\d{6}$/);
});

t.test('argv, stdin payload, chdir, rc != 0', async (t) => {
  const dir = t.testdir({ 'in dir': { marker: '' } });
  const secret = "p@ss 'w' $x\nline2";
  const a = args({ argv: ['sh', '-c', 'cat; echo; ls'], stdin: secret, chdir: join(dir, 'in dir') });
  const { outcome } = await runTask(command, moduleContext(), a);
  t.equal(outcome.result?.stdout, `${secret}\n\nmarker`, 'stdin delivered byte-exact with a trailing newline');
  t.same(outcome.result?.stdout_lines, [...secret.split('\n'), '', 'marker']);
  const noNl = await runTask(command, moduleContext(), args({ argv: ['od', '-An', '-c'], stdin: 'x', stdin_add_newline: false }));
  t.match(noNl.outcome.result?.stdout, /^\s*x$/);
  const bad = await runTask(command, moduleContext(), args({ argv: ['sh', '-c', 'echo out; echo err >&2; exit 3'] }));
  t.equal(bad.outcome.failed, true);
  t.equal(bad.outcome.msg, 'non-zero return code');
  t.equal(bad.outcome.result?.rc, 3);
  t.equal(bad.outcome.result?.stderr, 'err');
  t.same(bad.outcome.result?.stderr_lines, ['err']);
  const missing = await runTask(command, moduleContext(), args('/no/such/program-zz'));
  t.equal(missing.outcome.result?.rc, 127);
});

t.test('creates / removes: one request, skipped message', async (t) => {
  const dir = t.testdir({ done: '' });
  const marker = join(dir, 'made');
  const c = args({ cmd: `touch ${marker}`, creates: marker });
  const ctx = moduleContext();
  const p = await command.plan(ctx, c);
  t.equal(ctx.conn.stats.requests, 1);
  t.equal(p.changed, true);
  await command.apply(ctx, c, p);
  t.ok(existsSync(marker));
  const ctx2 = moduleContext();
  const r = await runTask(command, ctx2, c);
  t.equal(r.plan.changed, false);
  t.equal(r.plan.msg, `skipped, since ${marker} exists`);
  t.equal(ctx2.conn.stats.requests, 1, 'skipped: only the guard request');
  const rel = args({ cmd: 'false', creates: 'done', chdir: dir });
  t.equal((await command.plan(moduleContext(), rel)).changed, false, 'creates is relative to chdir');
  const rm = args({ cmd: 'false', removes: join(dir, 'nothing') });
  const pr = await command.plan(moduleContext(), rm);
  t.equal(pr.msg, `skipped, since ${join(dir, 'nothing')} does not exist`);
  const skippedApply = await command.apply(moduleContext(), rm, pr);
  t.equal(skippedApply.changed, false);
  writeFileSync(join(dir, 'nothing'), '');
  t.equal((await command.plan(moduleContext(), rm)).unpredictable, true);
});

t.test('validation', async (t) => {
  t.throws(() => args({ creates: '/x' }), /exactly one of cmd/);
  t.throws(() => args({ cmd: 'a', argv: ['b'] }), /exactly one of cmd/);
  t.throws(() => args({ argv: [] }), /argv must not be empty/);
  t.throws(() => args('   '), /cmd is empty/);
  t.throws(() => args(`echo 'x`), /unterminated single quote/);
});
