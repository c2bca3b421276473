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
  // a path is templated to text by Ansible ("0"), a bare name keeps its value (differential control-flow.yml)
  t.strictSame((await debug.plan(ctx, args({ var: 'result.rc' }))).result, { 'result.rc': '0' });
  t.strictSame((await debug.plan(moduleContext({ vars: { rc: 0 } }), args({ var: 'rc' }))).result, { rc: 0 });
  t.same((await debug.plan(ctx, args({ var: 'nope' }))).result, { nope: 'VARIABLE IS NOT DEFINED!' });
  // below its verbosity the task is skipped, as Ansible's debug action
  const v = await debug.plan(ctx, args({ msg: { a: 1 }, verbosity: 2 }));
  t.strictSame(v.result, { skipped: true, skipped_reason: 'Verbosity threshold not met.' });
  const loud = await debug.plan(moduleContext({ vars: { ansible_verbosity: 2 } }), args({ msg: { a: 1 }, verbosity: 2 }));
  t.strictSame(loud.result, { msg: { a: 1 } });
  // var= prints the result {"result": …} as ansible-playbook does (differential batch args.yml), no msg line
  t.same(await debug.apply(ctx, args({ var: 'result' }), { changed: false }), { changed: false, msg: undefined, result: { result: { rc: 0, stdout: 'ok' } } });
  t.equal(ctx.conn.stats.requests, 0);
  t.throws(() => args({ msg: 'a', var: 'b' }), /msg or var, not both/);
});
