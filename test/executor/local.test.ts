import t from 'tap';
import { randomBytes } from 'node:crypto';
import { LocalConnection } from '../../lib/executor/local.js';
import { TimeoutError } from '../../lib/errors.js';

t.test('exit codes and stream separation', async (t) => {
  const c = new LocalConnection();
  t.equal(c.host, 'localhost');
  t.equal(c.kind, 'local');
  await c.open();
  const r = await c.exec('echo out; echo err >&2; exit 5');
  t.equal(r.exitCode, 5);
  t.equal(r.stdout, 'out\n');
  t.equal(r.stderr, 'err\n');
  t.equal((await c.exec('true')).exitCode, 0);
  t.equal((await c.exec('nosuchcommand-xyz')).exitCode, 127);
  t.equal((await c.exec('kill -KILL $$')).exitCode, 137, 'killed by a signal: 128+9');
  t.same(c.stats, { requests: 4, processes: 0 });
  await c.close();
});

t.test('stdin payload is exact, binary stdout is exact', async (t) => {
  const c = new LocalConnection('ctl');
  t.equal((await c.exec('cat')).stdout, '', 'no payload: empty stdin');
  const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  t.same((await c.exec('cat', { stdin: bytes })).raw, bytes);
  const big = randomBytes(2 * 1024 * 1024);
  t.ok((await c.exec('cat', { stdin: big })).raw.equals(big));
  t.same((await c.exec(`printf 'a\\000b'`)).raw, Buffer.from('a\0b'));
  t.equal((await c.exec('read -r x; echo "<$x>"', { stdin: 'line1\nline2' })).stdout, '<line1>\n');
  t.equal((await c.exec('true', { stdin: big })).exitCode, 0, 'a script that ignores its stdin');
});

t.test('script text is not in argv; trace is masked', async (t) => {
  const lines: string[] = [];
  const c = new LocalConnection('ctl', (l) => lines.push(l));
  const secret = 'pw-' + randomBytes(6).toString('hex');
  const r = await c.exec(`x=${secret}; tr '\\0' ' ' </proc/$$/cmdline`, { secrets: [secret], label: 'probe' });
  t.notOk(r.stdout.includes(secret), r.stdout);
  t.equal(lines.length, 1);
  t.match(lines[0], /\[ctl\] probe: x=\*\*\*;/);
});

t.test('timeout', async (t) => {
  const c = new LocalConnection();
  const started = Date.now();
  await t.rejects(c.exec('sleep 30', { timeoutMs: 200 }), TimeoutError);
  t.ok(Date.now() - started < 25_000, 'failed before the command would have ended');
  t.equal((await c.exec('echo ok', { timeoutMs: 5000 })).stdout, 'ok\n');
});
