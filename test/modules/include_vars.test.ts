// include_vars as a module: what it loads, in which order, and the errors for bad arguments (before
// anything runs). Precedence and placement (blocks, handlers, roles, first_found) are compared with
// ansible-playbook in test/differential/control.test.ts.
import t from 'tap';
import includeVars, { type IncludeVarsArgs } from '../../lib/modules/include_vars.js';
import { validateArgs } from '../../lib/modules/args.js';
import { runTask } from '../helpers/fake-ctx.js';
import { moduleContext } from '../helpers/module-ctx.js';

const args = (raw: unknown) => {
  const a = validateArgs(includeVars, raw, {}) as unknown as IncludeVarsArgs;
  includeVars.validate!(a);
  return a;
};
type R = { ansible_facts: Record<string, unknown>; ansible_included_var_files: string[] };

t.test('a file: its mapping becomes the result\'s ansible_facts; name: nests it', async (t) => {
  const dir = t.testdir({ 'v.yml': 'a: 1\nb: "{{ a }}"\n', 'list.yml': '- 1\n', 'empty.yml': '' });
  const r = await runTask(includeVars, moduleContext({ baseDir: dir }), args({ file: 'v.yml' }));
  t.same((r.outcome.result as R).ansible_facts, { a: 1, b: '{{ a }}' }, 'values stay templates, rendered when used');
  t.same((r.outcome.result as R).ansible_included_var_files, [`${dir}/v.yml`]);
  t.equal(r.outcome.changed, false);
  const n = await runTask(includeVars, moduleContext({ baseDir: dir }), args({ file: 'v.yml', name: 'cfg' }));
  t.same((n.outcome.result as R).ansible_facts, { cfg: { a: 1, b: '{{ a }}' } });
  const e = await runTask(includeVars, moduleContext({ baseDir: dir }), args({ file: 'empty.yml' }));
  t.same((e.outcome.result as R).ansible_facts, {}, 'an empty file defines nothing');
  await t.rejects(runTask(includeVars, moduleContext({ baseDir: dir }), args({ file: 'list.yml' })), /must be stored as a dictionary/);
});

t.test('a dir: sorted files, subdirectories after, later files win; the filters', async (t) => {
  const dir = t.testdir({ d: { '20-b.yml': 'x: b\nb: 2\n', '10-a.yaml': 'x: a\na: 1\n', '30.json': '{"x": "j", "j": 3}', 'notes.txt': 'hello', sub: { '00.yml': 'x: sub\ns: 4\n' } } });
  const ctx = () => moduleContext({ vars: {} });
  const facts = async (a: Record<string, unknown>) => ((await runTask(includeVars, ctx(), args({ dir: `${dir}/d`, ...a }))).outcome.result as R).ansible_facts;
  t.same(await facts({ ignore_unknown_extensions: true }), { x: 'sub', a: 1, b: 2, j: 3, s: 4 });
  t.same(await facts({ ignore_unknown_extensions: true, depth: 1 }), { x: 'j', a: 1, b: 2, j: 3 }, 'depth 1: the top directory only');
  t.same(await facts({ files_matching: '^[12]' }), { x: 'b', a: 1, b: 2 }, 'files_matching');
  t.same(await facts({ ignore_files: ['\\.json', 'notes.txt'], depth: 1 }), { x: 'b', a: 1, b: 2 }, 'ignore_files');
  t.same(await facts({ extensions: ['yml'], ignore_unknown_extensions: true, depth: 1 }), { x: 'b', b: 2 }, 'extensions');
  await t.rejects(facts({}), /notes\.txt does not have a valid extension: json, yaml, yml/, 'an unknown extension fails unless ignored');
  await t.rejects(runTask(includeVars, ctx(), args({ dir: `${dir}/nope` })), /directory does not exist/);
});

t.test('bad arguments are refused before anything runs', async (t) => {
  t.throws(() => args({ file: 'a.yml', dir: 'd' }), /file and dir arguments .* do not mix/);
  t.throws(() => args({ file: 'a.yml', depth: 2 }), /do not mix/);
  t.throws(() => args({}), /needs a file/);
  t.throws(() => args({ file: 'a.yml', name: 'not a name' }), /name must be a variable name/);
  t.throws(() => args({ file: 'a.yml', hash_behaviour: 'merge' }), /not supported/);
  t.throws(() => validateArgs(includeVars, { fil: 'a.yml' }, {}), /fil/);
});
