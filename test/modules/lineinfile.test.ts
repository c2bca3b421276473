// lineinfile on the local host through the engine's own plan → gate → apply (runTask): argument
// errors, check mode, diff, backup, validate, symlinks. The algorithm itself is compared with
// Ansible in edit-differential.test.ts and planned from recorded states in plan-fixtures.test.ts.
import t from 'tap';
import { existsSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mod from '../../lib/modules/lineinfile.js';
import { validateArgs } from '../../lib/modules/args.js';
import { ArgumentError } from '../../lib/errors.js';
import { fakeContext, runTask } from '../helpers/fake-ctx.js';
import type { LineinfileArgs } from '../../lib/modules/lineinfile.js';

const args = (a: Record<string, unknown>): LineinfileArgs => validateArgs(mod, a) as unknown as LineinfileArgs;

t.test('bad arguments fail before anything runs, with Ansible\'s messages', async (t) => {
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ path: '/x' }, /line is required with state=present/],
    [{ path: '/x', state: 'absent' }, /one of line, search_string, or regexp is required/],
    [{ path: '/x', line: 'a', backrefs: true }, /regexp is required with backrefs=true/],
    [{ path: '/x', line: 'a', insertafter: 'a', insertbefore: 'b' }, /mutually exclusive: insertbefore\|insertafter/],
    [{ path: '/x', line: 'a', regexp: 'a', search_string: 'b' }, /mutually exclusive: regexp\|search_string/],
    [{ path: '/x', line: 'a', validate: 'visudo -c' }, /validate must contain %s/],
    [{ path: '/x', line: 'a', regexp: '(?=x)' }, /regexp '\(\?=x\)': look-ahead/],
    [{ path: '/x', line: 'a', regexp: '(' }, /regexp '\('/],
    [{ path: '/x', line: 'a', state: 'there' }, /must be one of: absent, present/],
    [{ path: '/x', line: 'a', mode: 644 }, /mode must be octal/],
    [{ line: 'a' }, /missing required argument 'path'/],
  ];
  for (const [a, re] of bad) t.throws(() => args(a), { name: ArgumentError.name, message: re }, JSON.stringify(a));
  t.same(args({ dest: '/x', value: 'v', regex: '^v' }), { path: '/x', line: 'v', regexp: '^v', state: 'present', backrefs: false, create: false, backup: false, firstmatch: false }, 'aliases');
});

t.test('check mode plans the change, writes nothing; diff shows before/after', async (t) => {
  const d = t.testdir({ f: 'A=0\n' });
  const f = join(d, 'f');
  const r = await runTask(mod, fakeContext({ check: true, diff: true }), args({ path: f, regexp: '^A=', line: 'A=1' }));
  t.equal(r.outcome.changed, true);
  t.equal(r.outcome.msg, 'line replaced');
  t.match(r.outcome.diff, [{ path: f, before: 'A=0\n', after: 'A=1\n' }]);
  t.equal(readFileSync(f, 'utf8'), 'A=0\n', 'file untouched');
  const created = await runTask(mod, fakeContext({ check: true }), args({ path: join(d, 'sub', 'new'), line: 'x', create: true }));
  t.equal(created.outcome.changed, true, 'create in check mode predicts a change');
  t.notOk(existsSync(join(d, 'sub')), 'and creates nothing');
});

t.test('backup keeps the old file; second run is ok; mode applied', async (t) => {
  const d = t.testdir({ f: 'a\n' });
  const f = join(d, 'f');
  const a = args({ path: f, line: 'b', backup: true, mode: '0600' });
  const r = await runTask(mod, fakeContext(), a);
  t.equal(r.outcome.changed, true);
  t.equal(r.outcome.msg, 'line added and ownership, perms or SE linux context changed');
  t.equal(readFileSync(f, 'utf8'), 'a\nb\n');
  t.equal(statSync(f).mode & 0o777, 0o600);
  const backup = r.outcome.result?.backup as string;
  t.match(backup, /\/f\.\d{14}~$/);
  t.equal(readFileSync(backup, 'utf8'), 'a\n', 'the backup is the old content');
  const again = await runTask(mod, fakeContext(), a);
  t.equal(again.outcome.changed, false, 'idempotent');
  t.equal(again.outcome.result?.backup, '', 'no backup without a change');
});

t.test('validate runs on the new content before the rename; a failure keeps the file', async (t) => {
  const d = t.testdir({ f: 'a\n' });
  const f = join(d, 'f');
  const bad = await runTask(mod, fakeContext(), args({ path: f, line: 'nope', validate: 'grep -q "^ok$" %s' })).catch((e: Error) => e);
  t.type(bad, Error);
  t.match((bad as Error).message, /^failed to validate: rc:1 error:/);
  t.equal(readFileSync(f, 'utf8'), 'a\n', 'file unchanged');
  t.same(readdirSync(d), ['f'], 'no temp file left');
  const good = await runTask(mod, fakeContext(), args({ path: f, line: 'ok', validate: 'grep -q "^ok$" %s' }));
  t.equal(good.outcome.changed, true);
  t.equal(readFileSync(f, 'utf8'), 'a\nok\n');
  // %s is quoted as one word: a path with spaces and quotes reaches the validator intact
  const odd = join(d, "sp ace'q");
  writeFileSync(odd, 'x\n');
  const r = await runTask(mod, fakeContext(), args({ path: odd, line: 'ok', validate: 'grep -q ok %s' }));
  t.equal(r.outcome.changed, true);
});

t.test('a symlink is followed: the target is edited, the link stays', async (t) => {
  const d = t.testdir({ target: 'x\n' });
  symlinkSync('target', join(d, 'link'));
  const r = await runTask(mod, fakeContext(), args({ path: join(d, 'link'), line: 'y' }));
  t.equal(r.outcome.changed, true);
  t.equal(readFileSync(join(d, 'target'), 'utf8'), 'x\ny\n');
  t.ok(statSync(join(d, 'link'), { throwIfNoEntry: true }) && existsSync(join(d, 'link')));
  const { lstatSync } = await import('node:fs');
  t.ok(lstatSync(join(d, 'link')).isSymbolicLink(), 'still a link');
});

t.test('absent reports how many lines went', async (t) => {
  const d = t.testdir({ f: 'x=1\ny\nx=2\n' });
  const r = await runTask(mod, fakeContext(), args({ path: join(d, 'f'), regexp: '^x=', state: 'absent' }));
  t.equal(r.outcome.msg, '2 line(s) removed');
  t.equal(r.outcome.result?.found, 2);
  t.equal(readFileSync(join(d, 'f'), 'utf8'), 'y\n');
});
