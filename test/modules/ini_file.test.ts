// ini_file locally through runTask: argument errors, create, backup_file, attributes.
import t from 'tap';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import mod, { type IniFileArgs } from '../../lib/modules/ini_file.js';
import { validateArgs } from '../../lib/modules/args.js';
import { canonicalModuleName } from '../../lib/modules/index.js';
import { fakeContext, runTask } from '../helpers/fake-ctx.js';

const args = (a: Record<string, unknown>): IniFileArgs => validateArgs(mod, a) as unknown as IniFileArgs;

t.test('bad arguments', async (t) => {
  t.throws(() => args({ path: '/x', section: 's', option: 'o' }), /Parameter 'value\(s\)' must be defined/);
  t.throws(() => args({ path: '/x', section: 's', option: 'o', value: 'a', values: ['b'] }), /mutually exclusive: value\|values/);
  t.throws(() => args({ path: '/x', section: 's', option: 'o', value: 'a', state: 'gone' }), /must be one of: absent, present/);
});

t.test('the community.general FQCN names this module', async (t) => {
  t.equal(canonicalModuleName('community.general.ini_file'), 'ini_file');
  t.equal(canonicalModuleName('ansible.builtin.lineinfile'), 'lineinfile');
});

t.test('create, change with backup and mode, rerun ok', async (t) => {
  const d = t.testdir({});
  const f = join(d, 'app.ini');
  const r = await runTask(mod, fakeContext(), args({ path: f, section: 'db', option: 'host', value: 'a' }));
  t.equal(r.outcome.msg, 'section and option added');
  t.equal(readFileSync(f, 'utf8'), '\n[db]\nhost = a\n', "Ansible's leading blank line on a new file");
  const a = args({ path: f, section: 'db', option: 'host', value: 'b', backup: true, mode: '0640' });
  const r2 = await runTask(mod, fakeContext(), a);
  t.equal(r2.outcome.msg, 'option changed and ownership, perms or SE linux context changed');
  t.equal(statSync(f).mode & 0o777, 0o640);
  t.equal(readFileSync(r2.outcome.result?.backup_file as string, 'utf8'), '\n[db]\nhost = a\n');
  const r3 = await runTask(mod, fakeContext(), a);
  t.equal(r3.outcome.changed, false);
  t.equal(r3.outcome.msg, 'OK');
  t.equal(r3.outcome.result?.path, f);
});
