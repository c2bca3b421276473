// tempfile: Python's mkstemp/mkdtemp names and modes, a fresh name each run, one request, skipped
// under --check; bad arguments refused before anything runs.
import t from 'tap';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import tempfile, { tempfileScript, type TempfileArgs } from '../../lib/modules/tempfile.js';
import { validateArgs } from '../../lib/modules/args.js';
import { runTask, fakeContext } from '../helpers/fake-ctx.js';

const args = (raw: Record<string, unknown>) => validateArgs(tempfile, raw, {}) as unknown as TempfileArgs;

t.test('a file and a directory, named and moded as Python makes them', async (t) => {
  const dir = t.testdir({});
  const ctx = fakeContext();
  const f = await runTask(tempfile, ctx, args({ path: dir }));
  const fr = f.outcome.result as Record<string, unknown>;
  t.match(fr.path, new RegExp(`^${dir}/ansible\\.[a-z0-9_]{8}$`));
  t.match(fr, { state: 'file', mode: '0600', size: 0, owner: /./, uid: process.getuid!() });
  t.equal(statSync(String(fr.path)).mode & 0o777, 0o600);
  t.equal(ctx.conn.stats.requests, 1, 'one request');
  const d = await runTask(tempfile, fakeContext(), args({ path: dir + '/', state: 'directory', prefix: 'p ', suffix: "'.d" }));
  const dr = d.outcome.result as Record<string, unknown>;
  t.match(dr.path, new RegExp(`^${dir}/p [a-z0-9_]{8}'\\.d$`), 'no doubled "/", prefix and suffix as given (quoted for the shell)');
  t.equal(statSync(String(dr.path)).isDirectory(), true);
  t.match(dr, { state: 'directory', mode: '0700' });
  const again = await runTask(tempfile, fakeContext(), args({ path: dir }));
  t.not((again.outcome.result as Record<string, unknown>).path, fr.path, 'always a new name (always changed)');
  t.equal(again.outcome.changed, true);
});

t.test('the default directory is $TMPDIR, then /tmp', async (t) => {
  const script = tempfileScript(args({}));
  t.match(script, /d="\$\{TMPDIR:-\$\{TEMP:-\$\{TMP:-\/tmp\}\}\}"/);
});

t.test('check mode: skipped, nothing created; errors', async (t) => {
  const dir = t.testdir({});
  const r = await runTask(tempfile, fakeContext({ check: true }), args({ path: dir }));
  t.equal(r.outcome.changed, false);
  t.equal(r.checkSkipped || r.outcome.result?.skipped === true, true, 'skipped as Ansible');
  await t.rejects(runTask(tempfile, fakeContext(), args({ path: join(dir, 'nope') })), /No such file or directory: '.*nope'/);
  t.notOk(existsSync(join(dir, 'nope')));
  t.throws(() => tempfile.validate!(args({ prefix: '../x' })), /prefix must not contain "\/"/);
  t.throws(() => args({ state: 'link' }), /state/);
});
