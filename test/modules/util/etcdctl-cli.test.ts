// Concurrent etcdctl calls in one request (runEtcdctlConcurrently): each call's exit code, stdout and
// stderr come back exactly, whatever bytes they hold; credentials reach each call through its own
// ETCDCTL_* environment and never through argv or the script text. A fake etcdctl (a shell script)
// stands in for the binary; the request really runs on the local connection.
import t from 'tap';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalConnection } from '../../../lib/executor/local.js';
import { ModuleFailure } from '../../../lib/modules/types.js';
import {
  batchPayload,
  batchScript,
  parseBatch,
  runEtcdctlConcurrently,
  type EtcdTarget,
  type EtcdctlCall,
} from '../../../lib/modules/util/etcdctl-cli.js';
import { RecordingConnection } from '../../helpers/recording.js';

const PW_A = "pw A:with colon 'and' $HOME";
const PW_B = 'other-Secret"x';
const NEW_PW = 'new pass\tword';

const dir = t.testdir({ tmp: {} });
const tmp = join(dir, 'tmp');
// The fake etcdctl: global flags first (as the real one gets them), then a sub-command that says what to do.
const fake = join(dir, 'etcdctl');
writeFileSync(
  fake,
  `#!/bin/sh
printf '%s\\n' "$*" >> ${JSON.stringify(join(dir, 'argv.log'))}
while [ $# -gt 0 ]; do case $1 in --*) shift;; *) break;; esac; done
case $1 in
  nul) printf 'a\\000b\\000'; printf 'e\\000rr' >&2 ;;
  nonl) printf 'no newline'; printf 'err no newline' >&2 ;;
  fail) printf 'partial out\\n'; echo 'Error: etcdserver: permission denied' >&2; exit 3 ;;
  frame) printf 'bosun-etcdctl-call 1 0 3 3\\nxyz' ;;
  env) printf 'user=%s|password=%s|username=%s|api=%s|endpoints=%s' "\${ETCDCTL_USER-unset}" "\${ETCDCTL_PASSWORD-unset}" "\${ETCDCTL_USERNAME-unset}" "$ETCDCTL_API" "\${ETCDCTL_ENDPOINTS-unset}" ;;
  stdin) printf 'stdin=['; cat; printf ']' ;;
  wait-for) i=0; while [ ! -e "$2" ]; do i=$((i+1)); [ $i -gt 500 ] && { echo 'never saw the flag' >&2; exit 4; }; sleep 0.01; done; echo saw ;;
  touch) : > "$2"; echo touched ;;
  *) echo "unknown $1" >&2; exit 9 ;;
esac
`,
);
chmodSync(fake, 0o755);

const target: EtcdTarget = { endpoints: ['https://127.0.0.1:1'], etcdctlPath: fake, timeoutSec: 2 };


const savedEnv = { TMPDIR: process.env.TMPDIR, ETCDCTL_USER: process.env.ETCDCTL_USER, ETCDCTL_ENDPOINTS: process.env.ETCDCTL_ENDPOINTS };
// The request's temp dir goes here, so the test can see it is removed; the ETCDCTL_* must not leak in.
process.env.TMPDIR = tmp;
process.env.ETCDCTL_USER = 'leaked:from-env';
process.env.ETCDCTL_ENDPOINTS = 'https://leaked:1';
t.teardown(() => {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

const call = (argv: string[], opts: Partial<EtcdctlCall['opts']> = {}): EtcdctlCall => ({ argv, opts: { api: '3', ...opts } });

t.test('each call comes back exactly: NUL bytes, no final newline, one failing, fake frame headers', async (t) => {
  const conn = new RecordingConnection(new LocalConnection());
  const before = conn.stats.requests;
  const rs = await runEtcdctlConcurrently(conn, target, [call(['nul']), call(['nonl']), call(['fail']), call(['frame']), call(['nul'])]);
  t.equal(conn.stats.requests - before, 1, 'one request for five calls');
  t.same(rs, [
    { exitCode: 0, stdout: 'a\0b\0', stderr: 'e\0rr' },
    { exitCode: 0, stdout: 'no newline', stderr: 'err no newline' },
    { exitCode: 3, stdout: 'partial out\n', stderr: 'Error: etcdserver: permission denied\n' },
    { exitCode: 0, stdout: 'bosun-etcdctl-call 1 0 3 3\nxyz', stderr: '' },
    { exitCode: 0, stdout: 'a\0b\0', stderr: 'e\0rr' },
  ]);
  t.equal(conn.labels[0], 'etcdctl:nul+etcdctl:nonl+etcdctl:fail+etcdctl:frame+etcdctl:nul', 'the label names every call');
  t.same(readdirSync(tmp), [], 'the temp dir is removed');
});

t.test('the calls run concurrently', async (t) => {
  // The first call waits for a file only the second creates: run one after the other, it would fail.
  const flag = join(dir, 'flag');
  const rs = await runEtcdctlConcurrently(new LocalConnection(), target, [call(['wait-for', flag]), call(['touch', flag])]);
  t.same(rs.map((r) => [r.exitCode, r.stdout.trim(), r.stderr.trim()]), [[0, 'saw', ''], [0, 'touched', '']]);
});

t.test('credentials: each call its own, only through the environment; new passwords on the prompt', async (t) => {
  writeFileSync(join(dir, 'argv.log'), '');
  const conn = new RecordingConnection(new LocalConnection());
  const rs = await runEtcdctlConcurrently(conn, target, [
    call(['env'], { auth: { user: 'root', password: PW_A } }),
    call(['env'], { auth: { user: 'app', password: PW_B } }),
    call(['env']),
    call(['env'], { api: '2', auth: { user: 'root', password: PW_B } }),
    call(['stdin'], { auth: { user: 'root', password: PW_A }, newPassword: { value: NEW_PW, times: 2 } }),
    call(['stdin']),
  ]);
  t.same(rs.map((r) => r.stdout), [
    `user=root|password=${PW_A}|username=unset|api=3|endpoints=unset`,
    `user=app|password=${PW_B}|username=unset|api=3|endpoints=unset`,
    'user=unset|password=unset|username=unset|api=3|endpoints=unset',
    `user=unset|password=unset|username=root:${PW_B}|api=2|endpoints=unset`,
    `stdin=[${NEW_PW}\n${NEW_PW}\n]`,
    'stdin=[]',
  ]);
  t.ok(rs.every((r) => r.exitCode === 0 && r.stderr === ''));
  const argv = readFileSync(join(dir, 'argv.log'), 'utf8');
  t.equal(argv.trim().split('\n').length, 6, 'the argv of every call was logged');
  for (const s of [PW_A, PW_B, NEW_PW, 'colon', 'other-Secret', 'new pass']) {
    t.notOk(argv.includes(s), `no secret in any argv (${s.slice(0, 5)}…)`);
    t.notOk(conn.scripts[0]!.includes(s), `no secret in the script text (${s.slice(0, 5)}…)`);
  }
  t.match(argv, /--endpoints=https:\/\/127\.0\.0\.1:1 --dial-timeout=2s --command-timeout=2s env/);
  t.equal(conn.stdins[0], `root:${PW_A}\n\napp:${PW_B}\n\n\n\nroot:${PW_B}\n\nroot:${PW_A}\n${NEW_PW}\n\n\n`, 'secrets travel on stdin');
  t.same(conn.secrets[0], [PW_A, PW_B, PW_B, PW_A, NEW_PW], 'every secret is masked in traces');
});

t.test('script and payload are data: same calls, same text', async (t) => {
  const calls = [call(['get', 'k'], { auth: { user: 'u', password: 'SECRET' } }), call(['user', 'add', 'x'], { newPassword: { value: 'NEWSECRET', times: 1 } })];
  const s = batchScript(target, calls);
  t.notMatch(s, /SECRET/);
  t.match(s, /mktemp -d/);
  t.match(s, /trap 'rm -rf "\$__bosun_d"' EXIT/);
  t.match(s, /printf '%s\\n' "\$__bosun_n1" \| ETCDCTL_API=3 /);
  t.equal(batchPayload(calls), 'u:SECRET\n\n\nNEWSECRET\n');
  t.same(await runEtcdctlConcurrently(new LocalConnection(), target, []), [], 'no calls, no request');
});

t.test('parseBatch refuses anything but the exact framing', async (t) => {
  const ok = Buffer.from('bosun-etcdctl-call 0 1 2 1\nabZbosun-etcdctl-call 1 0 0 0\n');
  t.same(parseBatch(ok, 2), [{ exitCode: 1, stdout: 'ab', stderr: 'Z' }, { exitCode: 0, stdout: '', stderr: '' }]);
  t.throws(() => parseBatch(ok, 3), /expected the header of call 2 at byte 57/);
  t.throws(() => parseBatch(Buffer.concat([ok, Buffer.from('x')]), 2), /1 unexpected trailing byte/);
  t.throws(() => parseBatch(Buffer.from('bosun-etcdctl-call 0 0 5 0\nab'), 1), /announces 5 bytes, 2 left/);
  t.throws(() => parseBatch(Buffer.from('bosun-etcdctl-call 1 0 0 0\n'), 1), /header of call 0/);
  t.throws(() => parseBatch(Buffer.from('garbage'), 1), /header of call 0/);
});

t.test('a host that cannot run the batch: ModuleFailure with its error', async (t) => {
  process.env.TMPDIR = join(dir, 'does-not-exist');
  try {
    const err = await runEtcdctlConcurrently(new LocalConnection(), target, [call(['nul']), call(['nul'])]).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.ok(err instanceof ModuleFailure, 'a ModuleFailure');
    t.match((err as Error).message, /running 2 calls in one request failed on localhost: exit code 97: mktemp/);
    t.equal((err as ModuleFailure).result?.rc, 97);
  } finally {
    process.env.TMPDIR = tmp;
  }
});
