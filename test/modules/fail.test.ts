import t from 'tap';
import fail, { type FailArgs } from '../../lib/modules/fail.js';
import { validateArgs } from '../../lib/modules/args.js';
import { moduleContext } from '../helpers/module-ctx.js';

const args = (raw: unknown) => validateArgs(fail, raw, {}) as unknown as FailArgs;

t.test('always fails, in check mode too', async (t) => {
  await t.rejects(fail.plan(moduleContext({ check: true }), args({ msg: 'token must be set' })), { name: 'ModuleFailure', message: 'token must be set' });
  await t.rejects(fail.plan(moduleContext(), args(null)), { message: 'Failed as requested from task' });
  t.same(await fail.apply(moduleContext(), args('free form msg'), { changed: false }), { changed: false, failed: true, msg: 'free form msg', result: { msg: 'free form msg' } });
});
