import t from 'tap';
import debug, { type DebugArgs } from '../../lib/modules/debug.js';
import { validateArgs } from '../../lib/modules/args.js';
import { moduleContext } from '../helpers/module-ctx.js';

const args = (raw: unknown) => validateArgs(debug, raw, {}) as unknown as DebugArgs;

t.test('msg, var, verbosity', async (t) => {
  const ctx = moduleContext({ vars: { result: { rc: 0, stdout: 'ok' } } });
  t.equal(debug.runsOn, 'control');
  t.same(await debug.plan(ctx, args({ msg: 'hello' })), { changed: false, msg: 'hello', result: { msg: 'hello' } });
  t.same((await debug.plan(ctx, args({}))).result, { msg: 'Hello world!' });
  t.same((await debug.plan(ctx, args({ var: 'result.rc' }))).result, { 'result.rc': 0 });
  t.same((await debug.plan(ctx, args({ var: 'nope' }))).result, { nope: 'VARIABLE IS NOT DEFINED!' });
  const v = await debug.plan(ctx, args({ msg: { a: 1 }, verbosity: 2 }));
  t.same(v.result, { msg: { a: 1 }, verbosity: 2 });
  t.same(ctx.logs, ['[2] {\n  "a": 1\n}']);
  // var= prints the result {"result": …} as ansible-playbook does (differential batch args.yml), no msg line
  t.same(await debug.apply(ctx, args({ var: 'result' }), { changed: false }), { changed: false, msg: undefined, result: { result: { rc: 0, stdout: 'ok' } } });
  t.equal(ctx.conn.stats.requests, 0);
  t.throws(() => args({ msg: 'a', var: 'b' }), /msg or var, not both/);
});
