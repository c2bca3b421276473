import t, { type Test } from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync, chmodSync, readFileSync, readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { SshConnection, openConnections, closeAll } from '../../lib/executor/ssh.js';
import { bootstrapCommand, dispatcherLoop } from '../../lib/executor/channel-script.js';
import { shq, type ConnectionSpec } from '../../lib/executor/types.js';
import { TimeoutError, UnreachableError } from '../../lib/errors.js';
import { sshTarget } from '../helpers/sshd.js';

const target = await sshTarget(t);
const fast = { retryDelaysMs: [50, 100] };

/** A connection closed when the (sub)test ends. */
function conn(tt: Test, spec: ConnectionSpec = target.spec, opts = fast): SshConnection {
  const c = new SshConnection(spec, opts);
  tt.teardown(() => c.close());
  return c;
}

/** Every process's argv on this machine (the loopback "remote" shares /proc), NULs as spaces. */
function localCmdlines(): string {
  let all = '';
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      all += readFileSync(`/proc/${d}/cmdline`).toString('utf8').replace(/\0/g, ' ') + '\n';
    } catch {
      // process ended meanwhile
    }
  }
  return all;
}

t.test('exit codes and stdout/stderr separation', async (t) => {
  const c = conn(t);
  const r = await c.exec('echo out; echo err >&2; exit 7');
  t.equal(r.exitCode, 7);
  t.equal(r.stdout, 'out\n');
  t.equal(r.stderr, 'err\n');
  t.same(r.raw, Buffer.from('out\n'));
  t.ok(r.durationMs >= 0);
  t.equal((await c.exec('true')).exitCode, 0);
  t.equal((await c.exec('false')).exitCode, 1);
  t.equal((await c.exec('kill -TERM $(sh -c \'echo $PPID\')')).exitCode, 143, 'killed subshell: 128+signal');
  t.equal((await c.exec('nosuchcommand-xyz')).exitCode, 127);
  t.same(c.stats, { requests: 5, processes: 1 });
});

t.test('binary-exact payloads and outputs', async (t) => {
  const c = conn(t);
  const all = Buffer.alloc(256 * 4);
  for (let i = 0; i < all.length; i++) all[i] = i % 256;
  const r1 = await c.exec('cat', { stdin: all });
  t.same(r1.raw, all, 'all 256 byte values survive the round trip');
  t.equal(r1.raw.length, 1024);

  const r2 = await c.exec(`printf 'a\\000b\\000'; printf 'no newline' >&2`);
  t.same(r2.raw, Buffer.from('a\0b\0'));
  t.equal(r2.stderr, 'no newline');

  const big = randomBytes(5 * 1024 * 1024);
  const r3 = await c.exec('cat; cat "$0" >/dev/null 2>&1; printf done >&2', { stdin: big });
  t.ok(r3.raw.equals(big), '5 MiB echoed back byte for byte');
  t.equal(r3.stderr, 'done');
  const r4 = await c.exec('sha256sum | cut -d" " -f1', { stdin: big });
  t.equal(r4.stdout.trim(), createHash('sha256').update(big).digest('hex'));

  // Output that looks like the protocol must be plain data.
  const fake = 'BOSUN-0123456789abcdef01234567 0 5 5\nBOSUN-x ready\n0 0\n';
  const r5 = await c.exec(`printf '%s' ${shq(fake)}; printf '%s' ${shq(fake)} >&2; exit 2`);
  t.equal(r5.stdout, fake);
  t.equal(r5.stderr, fake);
  t.equal(r5.exitCode, 2);
  const r6 = await c.exec('echo "[${_bm-}${_bd-}${_bsl-}$#]"');
  t.equal(r6.stdout, '[0]\n', 'the channel marker and temp dir are not visible to scripts');
  const r7 = await c.exec('head -c 3000000 /dev/zero; head -c 2000000 /dev/zero >&2');
  t.equal(r7.raw.length, 3000000);
  t.equal(r7.stderr.length, 2000000);
  t.equal((await c.exec('echo still in sync')).stdout, 'still in sync\n');
  t.equal(c.stats.processes, 1);
});

t.test('file names and contents with shell metacharacters via shq', async (t) => {
  const c = conn(t);
  const dir = (await c.exec('mktemp -d')).stdout.trim();
  t.teardown(() => c.exec(`rm -rf ${shq(dir)}`));
  const names = ["a b'c\"d", 'dollar $HOME `id` $(id)', 'back\\slash', 'new\nline', 'non-ascii é ✓ 日本', '-leading-dash', '*?[x]'];
  for (const name of names) {
    const path = `${dir}/${name}`;
    const content = `content of ${name}\n$PATH \\ ' " \0 end`;
    const w = await c.exec(`cat > ${shq(path)}`, { stdin: content });
    t.equal(w.exitCode, 0, `write ${JSON.stringify(name)}`);
    const r = await c.exec(`cat -- ${shq(path)}`);
    t.equal(r.stdout, content, `read back ${JSON.stringify(name)}`);
  }
  const ls = await c.exec(`cd ${shq(dir)} && for f in *; do printf '%s\\0' "$f"; done`);
  t.same(ls.stdout.split('\0').filter(Boolean).sort(), [...names].sort());
});

t.test('a script cannot change the channel state', async (t) => {
  const c = conn(t);
  const home = (await c.exec('pwd')).stdout;
  t.equal((await c.exec('exit 3')).exitCode, 3);
  t.equal((await c.exec('cd / && pwd')).stdout, '/\n');
  t.equal((await c.exec('pwd')).stdout, home, 'cwd restored');
  await c.exec('export X=1; Y=2');
  t.equal((await c.exec('echo "${X-unset} ${Y-unset}"')).stdout, 'unset unset\n');
  const trapped = await c.exec(`trap 'echo trapped' EXIT; echo body`);
  t.equal(trapped.stdout, 'body\ntrapped\n', 'an EXIT trap runs within its own request');
  t.equal((await c.exec('echo next')).stdout, 'next\n');
  await c.exec('trap "" INT TERM HUP; set -e; umask 000');
  t.equal((await c.exec('umask')).stdout.trim(), '0022', 'each request gets the login umask back, whatever an earlier one set');
  t.equal((await c.exec('exec 0<&- 1>&- 2>&-; exit 0')).exitCode, 0);
  t.equal((await c.exec('exec 0<&-; echo closed-stdin-ok')).stdout, 'closed-stdin-ok\n');
  t.equal((await c.exec('set -e; false; echo not-reached')).exitCode, 1);
  t.equal((await c.exec('echo alive')).stdout, 'alive\n');
  // A background job that keeps writing must not corrupt later responses.
  await c.exec('(for i in 1 2 3 4 5; do sleep 0.05; echo LATE; echo LATE >&2; done) & echo started');
  for (let i = 0; i < 6; i++) {
    const r = await c.exec(`sleep 0.05; echo ${i}`);
    t.equal(r.stdout, `${i}\n`);
    t.equal(r.stderr, '');
  }
  t.equal(c.stats.processes, 1);
});

t.test('stdin is exactly the payload, never the channel', async (t) => {
  const c = conn(t);
  t.equal((await c.exec('cat')).stdout, '', 'no payload: empty stdin, no hang');
  t.equal((await c.exec('cat; cat', { stdin: 'abc' })).stdout, 'abc');
  t.equal((await c.exec('read -r a; read -r b; echo "$a|$b"', { stdin: 'one\ntwo\nthree' })).stdout, 'one|two\n');
  t.equal((await c.exec('wc -c', { stdin: '' })).stdout.trim(), '0');
  // Only 0,1,2 (files) reach the script's commands: nothing leads back to the ssh pipes.
  // (ls's own fd on the /proc/self/fd directory aside.)
  const fds = await c.exec('ls -l /proc/self/fd');
  const open = fds.stdout
    .split('\n')
    .filter((l) => l.includes(' -> ') && !/-> \/proc\/\d+\/fd$/.test(l))
    .map((l) => / (\d+) -> (.*)$/.exec(l)!.slice(1).join('='));
  t.equal(open.length, 3, open.join(', '));
  t.match(open[0], /^0=\//);
  t.match(open[1], /^1=\//);
  t.match(open[2], /^2=\//);
  t.notMatch(fds.stdout, /pipe:|socket:/);
  t.equal((await c.exec('echo after')).stdout, 'after\n');
});

t.test('secrets never appear in any argv while a request runs', async (t) => {
  const secret = 'S3cr3t-' + randomBytes(8).toString('hex');
  const traces: string[] = [];
  const a = conn(t, { ...target.spec, trace: (l) => traces.push(l) });
  const b = conn(t);
  await Promise.all([a.open(), b.open()]);
  // The request holds a distinctive `sleep` until the test has looked at every argv and kills it by
  // its PID (written to a file): no fixed duration, so a loaded machine cannot make the window too short.
  const pidFile = join(mkdtempSync(join(tmpdir(), 'bosun-argv-')), 'sleep.pid');
  t.teardown(() => rmSync(dirname(pidFile), { recursive: true, force: true }));
  const running = a.exec(
    `pw=$(cat); token=${shq(secret + '-script')}; sleep 3599.5 & echo $! > ${shq(pidFile)}; wait; [ "$pw" = ${shq(secret)} ] && echo match`,
    { stdin: secret, secrets: [secret], label: 'secret-test' },
  );
  // Poll from the other channel until the request is visibly running (up to a minute), then check every argv.
  let remote = '';
  for (const until = Date.now() + 60_000; Date.now() < until && !remote.includes('sleep 3599.5'); )
    remote = (await b.exec(`for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' <"$f"; echo; done 2>/dev/null`)).stdout;
  t.ok(remote.includes('sleep 3599.5'), 'the sleeping request was visible');
  t.notOk(remote.includes(secret), 'secret absent from remote /proc/*/cmdline');
  t.notOk(localCmdlines().includes(secret), 'secret absent from local argv');
  await b.exec(`until [ -s ${shq(pidFile)} ]; do sleep 0.05; done; kill "$(cat ${shq(pidFile)})"`);
  t.equal((await running).stdout, 'match\n');
  t.equal(traces.length, 1);
  t.match(traces[0], /secret-test/);
  t.notOk(traces[0]!.includes(secret), 'trace masked');
  t.match(traces[0], /\*\*\*-script/);
  const argv = a.sshArgs().join(' ');
  t.notOk(argv.includes(secret));
  t.equal(a.sshArgs().at(-1), bootstrapCommand());
});

t.test('timeout → TimeoutError, then a fresh channel', async (t) => {
  const c = conn(t);
  await c.open();
  const started = Date.now();
  await t.rejects(c.exec('sleep 30', { timeoutMs: 300, label: 'slow' }), TimeoutError);
  t.ok(Date.now() - started < 25_000, 'failed before the command would have ended');
  const r = await c.exec('echo ok');
  t.equal(r.stdout, 'ok\n');
  t.equal(c.stats.processes, 2);
  t.equal((await c.exec('echo fast', { timeoutMs: 5000 })).stdout, 'fast\n', 'a timeout that does not fire');
  t.equal(c.stats.processes, 2);
});

t.test('a dead channel is reopened transparently; in-flight requests are not re-run', async (t) => {
  const c = conn(t);
  t.equal((await c.exec('echo one')).stdout, 'one\n');
  const pid = c.pid;
  t.type(pid, 'number');
  process.kill(pid!, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 100));
  t.equal((await c.exec('echo two')).stdout, 'two\n', 'idle death: reopened');
  t.equal(c.stats.processes, 2);
  t.not(c.pid, pid);

  // The remote loop dies while a request is in flight (kill the shell that runs the loop).
  const dir = (await c.exec('mktemp -d')).stdout.trim();
  await t.rejects(c.exec(`echo ran >> ${dir}/count; kill -9 $$; sleep 1`, { label: 'doomed' }), {
    constructor: UnreachableError,
    message: /lost during "doomed"/,
  });
  t.equal((await c.exec(`cat ${dir}/count; rm -rf ${dir}`)).stdout, 'ran\n', 'ran once, not re-run');
  t.equal(c.stats.processes, 3);
});

t.test('unreachable host → UnreachableError with ssh message, bounded', async (t) => {
  const c = conn(t, target.unreachable);
  const started = Date.now();
  await t.rejects(c.exec('true'), { constructor: UnreachableError, message: /Connection refused/ });
  t.ok(Date.now() - started < 5000, `gave up in ${Date.now() - started} ms`);
  t.equal(c.stats.processes, 3, '1 attempt + 2 retries');
  t.equal(c.stats.requests, 0);
  await t.rejects(c.open(), UnreachableError);
  t.equal(openConnections.has(c), false);
});

t.test('host key mismatch fails at once (no retries)', { skip: !target.loopback }, async (t) => {
  const dir = t.testdir({});
  const kh = join(dir, 'known_hosts');
  writeFileSync(kh, `[127.0.0.1]:${target.spec.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG1vY2tlZGtleW1vY2tlZGtleW1vY2tlZGtleTEyMzQ1\n`);
  const c = conn(t, { ...target.spec, knownHostsFile: kh });
  await t.rejects(c.open(), { constructor: UnreachableError, message: /Host key verification failed/ });
  t.equal(c.stats.processes, 1);
});

t.test('unknown host key: refused by default (as Ansible), accepted with host_key_checking off', { skip: !target.loopback }, async (t) => {
  const dir = t.testdir({ known_hosts: '' });
  const kh = join(dir, 'known_hosts');
  // ssh's own known_hosts, given through ssh options (not knownHostsFile): what an operator's setup looks like
  const spec: ConnectionSpec = { ...target.spec, knownHostsFile: undefined, commonArgs: ['-o', `UserKnownHostsFile=${kh}`] };
  t.match(new SshConnection(spec).sshArgs().join(' '), /-o StrictHostKeyChecking=yes/);
  const c = conn(t, spec);
  const e = await c.open().then(
    () => undefined,
    (err: unknown) => err,
  );
  t.ok(e instanceof UnreachableError, 'refused');
  t.match((e as UnreachableError).message, /Host key verification failed/);
  t.match((e as UnreachableError).oneLine(), /ANSIBLE_HOST_KEY_CHECKING=False/, 'the hint says how to opt out');
  t.equal(c.stats.processes, 1, 'not retried');
  t.equal(readFileSync(kh, 'utf8'), '', 'nothing learned');
  const off = conn(t, { ...spec, hostKeyChecking: false });
  t.match(off.sshArgs().join(' '), /-o StrictHostKeyChecking=no/);
  t.equal((await off.exec('echo in')).stdout, 'in\n');
});

t.test('close is idempotent; closeAll closes every channel', async (t) => {
  const c = conn(t);
  await c.exec('true');
  t.ok(openConnections.has(c));
  const pid = c.pid!;
  await c.close();
  await c.close();
  t.equal(c.pid, undefined);
  t.throws(() => process.kill(pid, 0), 'ssh process is gone');
  await t.rejects(c.exec('true'), UnreachableError);
  await c.open();
  t.equal((await c.exec('echo reopened')).stdout, 'reopened\n');
  const d = conn(t);
  await d.open();
  await closeAll();
  t.equal(openConnections.size, 0);
  t.equal(c.pid, undefined);
  t.equal(d.pid, undefined);
  await new SshConnection(target.unreachable).close();
});

t.test('concurrent requests on one connection are serialized', async (t) => {
  const c = conn(t);
  const lock = (await c.exec('mktemp -u')).stdout.trim();
  const rs = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      c.exec(`if ! mkdir ${lock} 2>/dev/null; then echo overlap; fi; sleep 0.02; rmdir ${lock}; echo ${i}; exit ${i}`, {
        stdin: `payload ${i}`,
      }),
    ),
  );
  rs.forEach((r, i) => {
    t.equal(r.stdout, `${i}\n`);
    t.equal(r.exitCode, i);
  });
  t.same(c.stats, { requests: 11, processes: 1 });
});

t.test('three connections run in parallel', async (t) => {
  const cs = [conn(t), conn(t), conn(t)];
  await Promise.all(cs.map((c) => c.open()));
  // A barrier, not a stopwatch: each request waits until all three have started, so serialized
  // channels would leave the first one alone until it gives up.
  const dir = mkdtempSync(join(tmpdir(), 'bosun-barrier-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const rs = await Promise.all(
    cs.map((c, i) =>
      c.exec(
        `touch ${dir}/${i}; n=0; until [ -e ${dir}/0 ] && [ -e ${dir}/1 ] && [ -e ${dir}/2 ]; do ` +
          `n=$((n+1)); [ $n -gt 1000 ] && { echo alone; exit 0; }; sleep 0.02; done; echo ${i}`,
      ),
    ),
  );
  t.same(
    rs.map((r) => r.stdout),
    ['0\n', '1\n', '2\n'],
    'all three requests were in flight at once',
  );
  for (const c of cs) t.equal(c.stats.processes, 1);
});

t.test('become via sudo -n', { skip: !target.loopback }, async (t) => {
  // A stand-in sudo first in the remote PATH (the fixture's sshd accepts BASH_ENV from the client).
  const dir = t.testdir({});
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(dir, 'log'), '');
  writeFileSync(
    join(bin, 'sudo'),
    `#!/bin/sh
echo "$*" >> ${shq(join(dir, 'log'))}
[ -e ${shq(join(dir, 'needpw'))} ] && { echo 'sudo: a password is required' >&2; exit 1; }
[ "$1" = -n ] && [ "$2" = -u ] || exit 2
export BECAME="$3"; shift 3; exec "$@"
`,
  );
  chmodSync(join(bin, 'sudo'), 0o755);
  writeFileSync(join(dir, 'env.sh'), `PATH=${shq(bin)}:$PATH\n`);
  const spec = { ...target.spec, become: true, becomeUser: 'postgres', commonArgs: ['-o', `SetEnv=BASH_ENV=${join(dir, 'env.sh')}`] };
  const c = conn(t, spec);
  t.equal((await c.exec('echo "$BECAME"')).stdout, 'postgres\n');
  t.equal((await c.exec('echo again')).stdout, 'again\n');
  t.equal(readFileSync(join(dir, 'log'), 'utf8').split('\n').filter(Boolean).length, 1, 'sudo once per channel');

  writeFileSync(join(dir, 'needpw'), '');
  const d = conn(t, spec);
  await t.rejects(d.open(), { constructor: UnreachableError, message: /sudo requires a password on loopback; configure NOPASSWD/ });
  t.equal(d.stats.processes, 1, 'not retried');
});

t.test('login-shell noise before the loop starts is skipped', { skip: !target.loopback }, async (t) => {
  const dir = t.testdir({ 'env.sh': `echo 'Welcome!'; printf 'BOSUN-fake ready\\n\\0 no newline'\n` });
  const c = conn(t, { ...target.spec, commonArgs: ['-o', `SetEnv=BASH_ENV=${join(dir, 'env.sh')}`] });
  t.equal((await c.exec('echo clean')).stdout, 'clean\n');
});

t.test('the remote temp dir is removed when the channel ends', async (t) => {
  const probe = conn(t);
  const list = async () => (await probe.exec('ls -d "${TMPDIR:-/tmp}"/bosun.* 2>/dev/null; true')).stdout.split('\n').filter(Boolean);
  const before = await list();
  const c = conn(t);
  await c.exec('echo data; echo more >&2', { stdin: 'payload' });
  const during = await list();
  const mine = during.filter((d) => !before.includes(d));
  t.equal(mine.length, 1, 'one private dir for the channel');
  t.equal((await probe.exec(`stat -c %a ${shq(mine[0]!)}`)).stdout, '700\n');
  await c.close();
  t.notOk((await list()).includes(mine[0]!), 'removed on close');
});

t.test('channel script pieces', async (t) => {
  t.equal(bootstrapCommand(), `sh -c 'read -r n && eval "$(head -c "$n")"'`);
  t.equal(bootstrapCommand({ user: 'a b' }), `sudo -n -u 'a b' sh -c 'read -r n && eval "$(head -c "$n")"'`);
  t.throws(() => dispatcherLoop('bad marker'));
  t.match(dispatcherLoop('BOSUN-1'), /_bm=BOSUN-1\n/);
  const c = new SshConnection({ name: 'h', connection: 'ssh', address: '-oProxyCommand=x', port: 2222, user: 'u', privateKeyFile: '/k', commonArgs: ['-o', 'A=b'] });
  const args = c.sshArgs();
  t.same(args.slice(-3), ['--', '-oProxyCommand=x', bootstrapCommand()]);
  t.same(args.slice(0, 5), ['-T', '-o', 'BatchMode=yes', '-o', 'A=b'], 'inventory options come first: ssh keeps the first value');
  t.ok(args.includes('StrictHostKeyChecking=yes'), 'unknown host keys refused by default (as Ansible)');
  t.ok(args.join(' ').includes('-p 2222 -l u -i /k'));
});

// Speed is measured by `npm run bench`; here: 100 requests in a row keep one channel and each gets its own answer.
t.test('100 sequential requests on one channel', async (t) => {
  const c = conn(t);
  await c.open();
  const started = performance.now();
  for (let i = 0; i < 100; i++) t.equal((await c.exec(`echo ${i}`)).stdout, `${i}\n`, undefined, { diagnostic: false });
  t.comment(`ssh channel: ${((performance.now() - started) / 100).toFixed(2)} ms/request (informational)`);
  t.equal(c.stats.processes, 1);
  t.equal(c.stats.requests, 100, 'every request counted, open adds none');
});
