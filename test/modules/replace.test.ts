// replace locally through runTask: argument errors, section limits, backup_file, check mode.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mod, { replaceEdit, type ReplaceArgs } from '../../lib/modules/replace.js';
import { validateArgs } from '../../lib/modules/args.js';
import { fakeContext, runTask } from '../helpers/fake-ctx.js';

const args = (a: Record<string, unknown>): ReplaceArgs => validateArgs(mod, a) as unknown as ReplaceArgs;

t.test('bad arguments', async (t) => {
  t.throws(() => args({ path: '/x' }), /missing required argument 'regexp'/);
  t.throws(() => args({ path: '/x', regexp: '(a)\\1' }), /backreferences are not supported/);
  t.throws(() => args({ path: '/x', regexp: 'a', encoding: 'latin-1' }), /must be one of/);
  t.throws(() => args({ path: '/x', regexp: 'a', validate: 'x' }), /validate must contain %s/);
});

t.test('section between after and before; the rest untouched', async (t) => {
  const r = replaceEdit('a\n[x]\na\n[/x]\na\n', args({ path: '/x', regexp: 'a', replace: 'b', after: '\\[x\\]', before: '\\[/x\\]' }));
  t.same(r, { after: 'a\n[x]\nb\n[/x]\na\n', count: 1 });
  const miss = replaceEdit('a\n', args({ path: '/x', regexp: 'a', after: 'zz' }));
  t.equal(miss.noSection, 'zz(?P<subsection>.*)', "Ansible's pattern in the message");
});

t.test('check mode, then apply with backup; rerun ok', async (t) => {
  const d = t.testdir({ f: 'x1\nx2\n' });
  const f = join(d, 'f');
  const a = args({ path: f, regexp: '^x(\\d)', replace: 'y\\1', backup: true });
  const c = await runTask(mod, fakeContext({ check: true, diff: true }), a);
  t.equal(c.outcome.msg, '2 replacements made');
  t.match(c.outcome.diff, [{ before: 'x1\nx2\n', after: 'y1\ny2\n' }]);
  t.equal(readFileSync(f, 'utf8'), 'x1\nx2\n');
  const r = await runTask(mod, fakeContext(), a);
  t.equal(readFileSync(f, 'utf8'), 'y1\ny2\n');
  t.equal(readFileSync(r.outcome.result?.backup_file as string, 'utf8'), 'x1\nx2\n');
  t.equal((await runTask(mod, fakeContext(), a)).outcome.changed, false);
});
