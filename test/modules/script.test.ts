import t, { type Test } from 'tap';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import script, { scriptWords, type ScriptArgs } from '../../lib/modules/script.js';
import { validateArgs } from '../../lib/modules/args.js';
import { BosunError } from '../../lib/errors.js';
import { LocalConnection } from '../../lib/executor/local.js';
import { runTask } from '../helpers/fake-ctx.js';
import { moduleContext } from '../helpers/module-ctx.js';
import { RecordingConnection } from '../helpers/recording.js';

const args = (a: unknown) => validateArgs(script, a, {}) as unknown as ScriptArgs;
const BODY = '#!/bin/sh\n# marker-of-the-script-body\nprintf "%s|" "$@"; echo; pwd; echo "to err" >&2; exit "${CODE:-0}"\n';

function setup(t: Test): { dir: string; tmp: string; ctx: ReturnType<typeof moduleContext>; conn: RecordingConnection } {
  const dir = t.testdir({ files: { 'args.sh': BODY, 'with space.sh': BODY, 'plain.sh': 'echo "by sh: $1"\n' }, tmp: {} });
  const tmp = join(dir, 'tmp');
  const conn = new RecordingConnection(new LocalConnection());
  const ctx = Object.assign(moduleContext({ baseDir: join(dir, 'files') }), { conn });
  return { dir, tmp, ctx, conn };
}

t.test('first word is the script, the rest is passed on as written', async (t) => {
  t.same(scriptWords(`  args.sh "a b" 'c' $HOME  `), { script: 'args.sh', rest: ` "a b" 'c' $HOME` });
  t.same(scriptWords(`'with space.sh' x`), { script: 'with space.sh', rest: ' x' });
  t.same(scriptWords(`dir\\ x/a"b c".sh`), { script: 'dir x/ab c.sh', rest: '' });
  t.throws(() => scriptWords(`'open x`), /unterminated single quote/);
});

t.test('runs with its arguments through the shell, in chdir; leaves nothing behind; content only on stdin', async (t) => {
  const { dir, tmp, ctx, conn } = setup(t);
  const r = await runTask(script, { ...ctx, conn }, args({ cmd: `args.sh "a b" 'c d' $((1+1))`, chdir: dir }));
  t.same(r.outcome, {
    changed: true,
    result: { rc: 0, stdout: `a b|c d|2|\n${dir}\n`, stdout_lines: ['a b|c d|2|', dir], stderr: 'to err\n', stderr_lines: ['to err'] },
  });
  t.equal(conn.scripts.length, 1, 'one request (no creates/removes: no guard)');
  t.notMatch(conn.scripts[0]!, /marker-of-the-script-body/, 'the script body is not in the request text');
  t.match(conn.stdins[0]!, /marker-of-the-script-body/, 'it is the request\'s stdin');
  t.equal(r.outcome.result?.rc, 0);
});

t.test('a quoted script name; the private directory is made in TMPDIR and removed', async (t) => {
  const { dir, tmp } = setup(t);
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  t.teardown(() => {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  });
  const q = await runTask(script, moduleContext({ baseDir: join(dir, 'files') }), args(`'with space.sh' x; ls -d "$TMPDIR"/bosun-script.*`));
  t.match(q.outcome.result?.stdout, new RegExp(`^x\\|\n.*\n${tmp}/bosun-script\\.\\w+\n$`), 'it existed while the line ran');
  t.same(readdirSync(tmp), [], 'nothing left behind');
});

t.test('a non-zero rc fails; executable runs the script', async (t) => {
  const { ctx } = setup(t);
  const f = await runTask(script, ctx, args('args.sh x; exit 5'));
  t.match(f.outcome, { changed: true, failed: true, msg: 'non-zero return code', result: { rc: 5 } });
  // no #! line and no exec bit needed: `sh SCRIPT one`
  const p = await runTask(script, ctx, args({ cmd: 'plain.sh one', executable: 'sh' }));
  t.equal(p.outcome.result?.stdout, 'by sh: one\n');
});

t.test("creates/removes: skipped with Ansible's messages, checked before the script is looked for", async (t) => {
  const { dir, ctx } = setup(t);
  const c = await runTask(script, ctx, args({ cmd: 'no-such.sh', creates: dir }));
  t.same(c.outcome, { changed: false, msg: `${dir} exists, matching creates option`, result: { skipped: true, msg: `${dir} exists, matching creates option` } });
  const r = await runTask(script, ctx, args({ cmd: 'no-such.sh', removes: join(dir, 'gone') }));
  t.equal(r.outcome.msg, `${join(dir, 'gone')} does not exist, matching removes option`);
  const m = await runTask(script, ctx, args('no-such.sh')).catch((e: unknown) => e);
  t.ok(m instanceof BosunError && /Could not find or access 'no-such.sh'/.test(m.message), String(m));
  const rel = await runTask(script, ctx, args({ cmd: 'args.sh', chdir: 'relative' })).catch((e: unknown) => e);
  t.match(String(rel), /chdir relative must be an absolute path for a Unix-aware remote node/);
  writeFileSync(join(dir, 'files', 'vaulted.sh'), '$ANSIBLE_VAULT;1.1;AES256\n6162\n');
  const v = await runTask(script, ctx, args('vaulted.sh')).catch((e: unknown) => e);
  t.match(String(v), /vaulted\.sh is vault-encrypted: bosun does not decrypt files/);
  const sent = await runTask(script, ctx, args({ cmd: 'vaulted.sh', decrypt: false, executable: 'cat' }));
  t.equal(sent.outcome.result?.stdout, '$ANSIBLE_VAULT;1.1;AES256\n6162\n', 'decrypt: false sends it as it is');
});

t.test('check mode: with creates/removes not skipping it is a change (nothing runs); without them, skipped', async (t) => {
  const { dir } = setup(t);
  const marker = join(dir, 'ran');
  writeFileSync(join(dir, 'files', 'touch.sh'), `#!/bin/sh\ntouch '${marker}'\n`);
  const ctx = moduleContext({ check: true, baseDir: join(dir, 'files') });
  const a = await runTask(script, ctx, args({ cmd: 'touch.sh', creates: marker }));
  t.equal(a.outcome.changed, true);
  t.equal(a.checkSkipped, false);
  const b = await runTask(script, ctx, args('touch.sh'));
  t.equal(b.checkSkipped, true);
  t.notOk(existsSync(marker), 'nothing ran');
  const real = await runTask(script, moduleContext({ baseDir: join(dir, 'files') }), args({ cmd: 'touch.sh', creates: marker }));
  t.equal(real.outcome.changed, true);
  t.ok(existsSync(marker), 'ran outside check mode');
  const again = await runTask(script, ctx, args({ cmd: 'touch.sh', creates: marker }));
  t.equal(again.outcome.result?.skipped, true, 'then skipped, in check mode too');
});
