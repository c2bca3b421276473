// make on Makefiles in a test directory: `make -q` decides (check mode stops there), an out-of-date
// target runs once, then is up to date; params, jobs, file and the registered command as
// community.general.make builds them; a failing recipe fails with its output. Live, against Ansible,
// on lab hosts: test/e2e/system-settings.test.ts.
import t from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mod, { makeWords, type MakeArgs } from '../../lib/modules/make.js';
import { validateArgs } from '../../lib/modules/args.js';
import { fakeContext, runTask } from '../helpers/fake-ctx.js';
import { RecordingConnection } from '../helpers/recording.js';
import { LocalConnection } from '../../lib/executor/local.js';

const args = (a: Record<string, unknown>): MakeArgs => {
  const v = validateArgs(mod, a) as unknown as MakeArgs;
  mod.validate!(v);
  return v;
};

const MAKEFILE = 'out.txt: in.txt\n\tcat in.txt > out.txt\n\techo "V=$(V)" >> out.txt\n\nfail:\n\t@echo boom >&2; exit 3\n\n.PHONY: fail\n';

async function run(a: Record<string, unknown>, check = false) {
  const conn = new RecordingConnection(new LocalConnection());
  const r = await runTask(mod, { ...fakeContext({ check }), conn, control: conn }, args(a));
  return { o: r.outcome, labels: conn.labels };
}

t.test('arguments', async (t) => {
  t.throws(() => args({ target: 'all' }), /chdir/);
  t.throws(() => args({ chdir: '/x', target: '-n' }), /cannot start with a dash/);
  t.throws(() => args({ chdir: '/x', params: { 'A B': 1 } }), /not a make variable/);
  t.same(makeWords(args({ chdir: '/x', target: 'all', jobs: 2, file: '/x/GNUmakefile', params: { A: 1, B: true } })), ['-j', '2', '-f', '/x/GNUmakefile', 'all', 'A=1', 'B=True'], "Ansible's order, Python's str()");
});

t.test('up to date or not, check mode, run, idempotent', async (t) => {
  const d = t.testdir({ Makefile: MAKEFILE, 'in.txt': 'hello\n' });
  const chk = await run({ chdir: d, target: 'out.txt', params: { V: 'x y' } }, true);
  t.equal(chk.o.changed, true, 'check: out.txt is missing');
  t.notOk(existsSync(join(d, 'out.txt')), 'check mode built nothing');
  t.same(chk.labels, ['make:question']);

  const r1 = await run({ chdir: d, target: 'out.txt', params: { V: 'x y' } });
  t.equal(r1.o.changed, true);
  t.equal(readFileSync(join(d, 'out.txt'), 'utf8'), 'hello\nV=x y\n', 'built, with the variable');
  t.match(r1.o.result, { target: 'out.txt', chdir: d, file: null, jobs: null, params: { V: 'x y' }, stdout: 'cat in.txt > out.txt\necho "V=x y" >> out.txt', stderr: '' });
  t.match(r1.o.result?.command, /^\/\S*make out\.txt 'V=x y'$/);

  const r2 = await run({ chdir: d, target: 'out.txt', params: { V: 'x y' } });
  t.equal(r2.o.changed, false, 'up to date: nothing');
  t.same(r2.labels, ['make:question'], 'one request');
  t.equal(r2.o.result?.stdout, '');

  // the default target is the first one
  writeFileSync(join(d, 'in.txt'), 'changed\n');
  const r3 = await run({ chdir: d, jobs: 2 });
  t.equal(r3.o.changed, true);
  t.match(r3.o.result?.command, /make -j 2 ''$/, "an absent target shows as '' as in Ansible's command");
  t.equal(readFileSync(join(d, 'out.txt'), 'utf8'), 'changed\nV=\n');

  writeFileSync(join(d, 'other.mk'), 'all:\n\t@echo from-other\n');
  const r4 = await run({ chdir: d, file: join(d, 'other.mk'), target: 'all' });
  t.equal(r4.o.result?.stdout, 'from-other');
});

t.test('a failing recipe fails the task with its output', async (t) => {
  const d = t.testdir({ Makefile: MAKEFILE, 'in.txt': 'x\n' });
  await t.rejects(run({ chdir: d, target: 'fail' }), /boom/);
  await t.rejects(run({ chdir: join(d, 'nope') }), /nope/);
  t.equal((await run({ chdir: d, target: 'fail' }, true)).o.changed, true, 'check mode only asks');
});

t.test('the FQCN roles use resolves to this module', async (t) => {
  const { canonicalModuleName } = await import('../../lib/modules/index.js');
  t.equal(canonicalModuleName('community.general.make'), 'make');
});
