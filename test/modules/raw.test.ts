import t from 'tap';
import raw, { type RawArgs } from '../../lib/modules/raw.js';
import { validateArgs } from '../../lib/modules/args.js';
import { runTask } from '../helpers/fake-ctx.js';
import { moduleContext } from '../helpers/module-ctx.js';
import { RecordingConnection } from '../helpers/recording.js';
import { LocalConnection } from '../../lib/executor/local.js';

const args = (a: unknown) => validateArgs(raw, a, {}) as unknown as RawArgs;

t.test('the text runs through the shell as it is: output unstripped, always changed', async (t) => {
  const r = await runTask(raw, moduleContext(), args(`X='a  b'; echo "$X" | tr a-z A-Z; echo warn >&2; printf 'no newline'`));
  t.same(r.outcome, {
    changed: true,
    result: { rc: 0, stdout: 'A  B\nno newline', stdout_lines: ['A  B', 'no newline'], stderr: 'warn\n', stderr_lines: ['warn'] },
  });
  t.notOk('cmd' in r.outcome.result! || 'delta' in r.outcome.result!, 'no cmd, no times (as Ansible\'s raw)');
});

t.test('non-zero rc fails with Ansible\'s message; executable runs it with -c', async (t) => {
  const f = await runTask(raw, moduleContext(), args('echo out; exit 3'));
  t.match(f.outcome, { changed: true, failed: true, msg: 'non-zero return code', result: { rc: 3, stdout: 'out\n' } });
  const b = await runTask(raw, moduleContext(), args({ cmd: 'echo ${BASH_VERSION:+bash}; [[ x == x ]] && echo dbl', executable: '/bin/bash' }));
  t.equal(b.outcome.result?.stdout, 'bash\ndbl\n');
});

t.test('check mode: skipped, nothing sent (Ansible: raw does not support check mode)', async (t) => {
  const conn = new RecordingConnection(new LocalConnection());
  const ctx = { ...moduleContext({ check: true }), conn };
  const r = await runTask(raw, ctx, args('touch /nonexistent-dir/x'));
  t.equal(r.checkSkipped, true);
  t.equal(r.outcome.changed, false);
  t.equal(conn.stats.requests, 0);
});

t.test("the text travels in the request's script (the channel keeps it out of argv); missing text is an argument error", async (t) => {
  const conn = new RecordingConnection(new LocalConnection());
  await runTask(raw, { ...moduleContext(), conn }, args("echo 'secret-ish text'"));
  t.match(conn.scripts.join('\n'), /secret-ish text/);
  t.throws(() => args({ executable: '/bin/sh' }), /missing required argument 'cmd'/);
});
