import t from 'tap';
import assert, { type AssertArgs } from '../../lib/modules/assert.js';
import { validateArgs } from '../../lib/modules/args.js';
import { ModuleFailure } from '../../lib/modules/types.js';
import { moduleContext } from '../helpers/module-ctx.js';

const args = (raw: unknown) => validateArgs(assert, raw, {}) as unknown as AssertArgs;

t.test('passes, fails naming the first false expression', async (t) => {
  const ctx = moduleContext({ vars: { result: { rc: 1, stdout: 'a, b' } } });
  t.same(await assert.plan(ctx, args({ that: ['result.stdout == "a, b"', 'result.rc > 0'] })), { changed: false, msg: 'All assertions passed', result: { msg: 'All assertions passed' } });
  t.same((await assert.plan(ctx, args({ that: 'result.rc == 1', quiet: true }))).result, {}, 'a string is one expression, not split on commas');
  await t.rejects(assert.plan(ctx, args({ that: ['result.rc == 1', 'result.rc == 0', 'false'] })), { message: 'Assertion failed: result.rc == 0' });
  const e = await assert.plan(ctx, args({ that: 'result.rc == 0', msg: 'etcd unhealthy' })).catch((x: unknown) => x);
  t.ok(e instanceof ModuleFailure);
  t.equal((e as ModuleFailure).message, 'etcd unhealthy');
  t.same((e as ModuleFailure).result, { assertion: 'result.rc == 0', evaluated_to: false, msg: 'etcd unhealthy' });
  const o = await assert.apply(ctx, args({ that: ['not result.rc == 1'] }), { changed: false });
  t.same(o, { changed: false, failed: true, msg: 'Assertion failed: not result.rc == 1', result: { assertion: 'not result.rc == 1', evaluated_to: false, msg: 'Assertion failed: not result.rc == 1' } });
  t.same((await assert.apply(ctx, args({ that: 'true', success_msg: 'fine' }), { changed: false })).msg, 'fine');
  t.throws(() => args({ that: [] }), /must not be empty/);
  t.throws(() => args({ that: [{ a: 1 }] }), /expression string/);
  t.throws(() => args({}), /missing required argument 'that'/);
});
