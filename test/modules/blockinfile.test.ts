// blockinfile locally through runTask: argument errors, backup_file, validate, check mode.
// The placement algorithm is compared with Ansible in edit-differential.test.ts.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import mod, { blockinfileEdit, type BlockinfileArgs } from '../../lib/modules/blockinfile.js';
import { validateArgs } from '../../lib/modules/args.js';
import { fakeContext, runTask } from '../helpers/fake-ctx.js';

const args = (a: Record<string, unknown>): BlockinfileArgs => validateArgs(mod, a) as unknown as BlockinfileArgs;

t.test('bad arguments', async (t) => {
  t.throws(() => args({ path: '/x', insertafter: 'a', insertbefore: 'b' }), /mutually exclusive/);
  t.throws(() => args({ path: '/x', insertafter: '(?<=a)b' }), /insertafter '\(\?<=a\)b': look-ahead/);
  t.throws(() => args({ path: '/x', validate: 'true' }), /validate must contain %s/);
  t.throws(() => args({ path: '/x', blok: 'a' }), /unknown argument 'blok'.*did you mean 'block'/);
});

t.test('missing file: failure without create; created with create (not in check mode)', async (t) => {
  const d = t.testdir({});
  const f = join(d, 'f');
  await t.rejects(runTask(mod, fakeContext(), args({ path: f, block: 'b' })), { message: `Path ${f} does not exist !` });
  const check = await runTask(mod, fakeContext({ check: true }), args({ path: f, block: 'b', create: true }));
  t.equal(check.outcome.msg, 'File created');
  t.notOk(existsSync(f));
  await runTask(mod, fakeContext(), args({ path: f, block: 'b', create: true }));
  t.equal(readFileSync(f, 'utf8'), '# BEGIN ANSIBLE MANAGED BLOCK\nb\n# END ANSIBLE MANAGED BLOCK\n');
});

t.test('update with backup_file and validate; rerun ok', async (t) => {
  const d = t.testdir({ f: 'a\n# BEGIN ANSIBLE MANAGED BLOCK\nold\n# END ANSIBLE MANAGED BLOCK\n' });
  const f = join(d, 'f');
  const a = args({ path: f, block: 'new', backup: true, validate: 'grep -q new %s' });
  const r = await runTask(mod, fakeContext(), a);
  t.equal(r.outcome.msg, 'Block inserted');
  t.match(r.outcome.result?.backup_file, /\.\d{14}~$/);
  t.match(readFileSync(r.outcome.result?.backup_file as string, 'utf8'), /old/);
  t.equal(readFileSync(f, 'utf8'), 'a\n# BEGIN ANSIBLE MANAGED BLOCK\nnew\n# END ANSIBLE MANAGED BLOCK\n');
  t.equal((await runTask(mod, fakeContext(), a)).outcome.changed, false);
});

t.test('a multiline insertafter pattern is searched in the whole text', async (t) => {
  const r = blockinfileEdit('a\nb\nc\n', args({ path: '/x', block: 'X', insertafter: '(?m)^b$' }));
  t.equal(r.after, 'a\nb\n# BEGIN ANSIBLE MANAGED BLOCK\nX\n# END ANSIBLE MANAGED BLOCK\nc\n');
});
