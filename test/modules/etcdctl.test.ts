// etcdctl module against a real single-node etcd 3.4 on 127.0.0.1 (random free ports), TLS with
// client-cert auth and certificates made by the openssl CLI, v2 API enabled for the v2 ops; and
// against a fake etcdctl that counts requests, calls and password logins.
import t, { type Test } from 'tap';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import etcdctl, { type EtcdctlArgs } from '../../lib/modules/etcdctl.js';
import { parseMemberList, parseHealth, etcdError, script, payload } from '../../lib/modules/util/etcdctl-cli.js';
import { fakeContext, runTask } from '../helpers/fake-ctx.js';
import { ArgumentError } from '../../lib/errors.js';
import { RecordingConnection } from '../helpers/recording.js';

const ROOT_PW = 'r00t pass:with colon';
const NEW_PW = 'second-Pass word';

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? res(a.port) : rej(new Error('no port'))));
    });
  });
}

const dir = t.testdir({});
const sh = (cmd: string) => execFileSync('sh', ['-c', cmd], { cwd: dir, stdio: 'pipe' });
sh(`set -e
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=CA -sha256 -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
printf 'basicConstraints=CA:FALSE\\nkeyUsage=critical,digitalSignature,keyEncipherment\\nextendedKeyUsage=serverAuth,clientAuth\\nsubjectAltName=IP:127.0.0.1,DNS:localhost\\n' > srv.ext
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=node1
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -sha256 -extfile srv.ext
printf 'basicConstraints=CA:FALSE\\nkeyUsage=critical,digitalSignature,keyEncipherment\\nextendedKeyUsage=clientAuth\\n' > cli.ext
openssl req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr -subj /CN=admin
openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out admin.crt -days 2 -sha256 -extfile cli.ext
`);

let etcd: ChildProcess | undefined;
t.teardown(() => {
  etcd?.kill('SIGKILL');
});


/** Samples every process's argv while `fn` runs: a password must never show up there. */
async function watchArgv<T>(needles: string[], fn: () => Promise<T>): Promise<{ value: T; seen: string[]; samples: number }> {
  const seen: string[] = [];
  let samples = 0;
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      for (const p of readdirSync('/proc')) {
        if (!/^\d+$/.test(p)) continue;
        let cmd = '';
        try { cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').join(' '); } catch { continue; }
        if (cmd.includes('etcdctl')) samples++;
        for (const n of needles) if (cmd.includes(n)) seen.push(cmd);
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  try {
    const value = await fn();
    return { value, seen, samples };
  } finally {
    stop = true;
    await loop;
  }
}

let endpoint = '';
let base: Pick<EtcdctlArgs, 'endpoints' | 'cacert' | 'cert' | 'key' | 'timeout'>;

t.before(async () => {
  const [cp, pp] = [await freePort(), await freePort()];
  endpoint = `https://127.0.0.1:${cp}`;
  etcd = spawn('etcd', [
    '--name', 'n1', '--data-dir', `${dir}/data`,
    '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
    '--listen-peer-urls', `https://127.0.0.1:${pp}`, '--initial-advertise-peer-urls', `https://127.0.0.1:${pp}`,
    '--initial-cluster', `n1=https://127.0.0.1:${pp}`, '--initial-cluster-token', 'bosun-test',
    '--cert-file', `${dir}/server.crt`, '--key-file', `${dir}/server.key`, '--trusted-ca-file', `${dir}/ca.crt`,
    '--client-cert-auth', '--peer-cert-file', `${dir}/server.crt`, '--peer-key-file', `${dir}/server.key`,
    '--peer-trusted-ca-file', `${dir}/ca.crt`, '--peer-client-cert-auth', '--enable-v2',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  const log: string[] = [];
  etcd.stderr!.on('data', (b: Buffer) => log.push(b.toString()));
  base = { endpoints: [endpoint], cacert: `${dir}/ca.crt`, cert: `${dir}/admin.crt`, key: `${dir}/admin.key`, timeout: 3 };
  // The module's own health op is the wait.
  const { outcome } = await runTask(etcdctl, fakeContext(), { ...base, op: 'health', retries: 20, delay: 1 });
  if (!outcome.result?.healthy) throw new Error(`etcd did not start: ${log.join('')}`);
});

t.test('parsers', async (t) => {
  const m = parseMemberList(
    '{"header":{"cluster_id":14398420247917935680},"members":[{"ID":1654818993570247861,"name":"n1","peerURLs":["https://a:2380"],"clientURLs":["https://a:2379"]},{"ID":18446744073709551615,"peerURLs":["https://b:2380"]}]}',
  );
  t.same(m, [
    { id: '16f7191b6752f4b5', name: 'n1', peer_urls: ['https://a:2380'], client_urls: ['https://a:2379'], started: true, is_learner: false },
    { id: 'ffffffffffffffff', name: '', peer_urls: ['https://b:2380'], client_urls: [], started: false, is_learner: false },
  ]);
  t.same(parseHealth('https://x:1 is unhealthy: failed to commit proposal: context deadline exceeded\nhttps://y:2 is healthy: ok'), [
    { endpoint: 'https://x:1', healthy: false, detail: 'failed to commit proposal: context deadline exceeded' },
    { endpoint: 'https://y:2', healthy: true, detail: 'ok' },
  ]);
  // etcd_profile pcocc: no client certificate, so no identity; refused after the quorum read.
  t.same(parseHealth('https://z:3 is unhealthy: failed to commit proposal: etcdserver: user name is empty'), [
    { endpoint: 'https://z:3', healthy: true, detail: 'failed to commit proposal: etcdserver: user name is empty' },
  ]);
  t.equal(
    etcdError({ exitCode: 1, stdout: '', stderr: '{"level":"warn","error":"x"}\nError: etcdserver: permission denied\n' }),
    'etcdserver: permission denied',
  );
  t.equal(etcdError({ exitCode: 1, stdout: '', stderr: '{"level":"warn","error":"rpc error: \\"boom\\""}\n' }), 'rpc error: "boom"');
  const s = script({ endpoints: ['https://e:1'], etcdctlPath: 'etcdctl', timeoutSec: 2 }, ['user', 'add', 'u'], {
    api: '3', auth: { user: 'root', password: 'SECRET' }, newPassword: { value: 'NEWSECRET', times: 2 },
  });
  t.notMatch(s, /SECRET/);
  t.match(s, /printf '%s\\n%s\\n' "\$__bosun_n" "\$__bosun_n" \| ETCDCTL_API=3 etcdctl/);
  t.equal(payload({ api: '3', auth: { user: 'root', password: 'a:b' } }), 'root:a:b\n\n');
  // A line break would shift the lines etcdctl's script reads: refused at the source, whatever the caller checked.
  for (const o of [
    { api: '3' as const, auth: { user: 'root', password: 'pw\nroot:other' } },
    { api: '3' as const, auth: { user: 'root', password: 'pw\r' } },
    { api: '3' as const, auth: { user: 'ro\not', password: 'pw' } },
    { api: '3' as const, auth: { user: 'a:b', password: 'pw' } },
    { api: '3' as const, newPassword: { value: 'new\npw', times: 2 } },
  ]) {
    t.throws(() => payload(o), /refused/, JSON.stringify(o));
    try {
      payload(o);
    } catch (e) {
      t.notMatch((e as Error).message, /pw|other/, 'the password is not in the message');
    }
  }
});

t.test('argument validation', async (t) => {
  t.throws(() => etcdctl.validate!({ ...base, op: 'user' }), ArgumentError);
  t.throws(() => etcdctl.validate!({ ...base, op: 'member_add', name: 'x' }), /peer_urls/);
  t.throws(() => etcdctl.validate!({ ...base, op: 'auth', state: 'present' }), /not valid here/);
  t.throws(() => etcdctl.validate!({ ...base, op: 'user', name: 'u', new_password: 'a\nb' }), /line break/);
  t.throws(() => etcdctl.validate!({ ...base, op: 'user', name: 'u', password: 'a\rb' }), /line break/);
  t.throws(() => etcdctl.validate!({ ...base, op: 'health', user: 'ro:ot', password: 'p' }), /`user` must not contain/);
  t.throws(() => etcdctl.validate!({ ...base, op: 'health', user: 'root\n', password: 'p' }), /`user` must not contain/);
  t.throws(() => etcdctl.validate!({ ...base, op: 'health', api: '2' }), /v3 only/);
  t.throws(() => etcdctl.validate!({ ...base, endpoints: '', op: 'health' }), /empty/);
});

t.test('member_list parses the live cluster', async (t) => {
  const { outcome } = await runTask(etcdctl, fakeContext(), { ...base, op: 'member_list' });
  const members = outcome.result?.members as Array<{ name: string; id: string; started: boolean; client_urls: string[] }>;
  t.equal(members.length, 1);
  t.equal(members[0]!.name, 'n1');
  t.match(members[0]!.id, /^[0-9a-f]+$/);
  t.equal(members[0]!.started, true);
  t.same(members[0]!.client_urls, [endpoint]);
  t.equal(outcome.changed, false);
  const rm = await runTask(etcdctl, fakeContext(), { ...base, op: 'member_remove', name: 'ghost' });
  t.equal(rm.outcome.changed, false, 'absent member: no change');
  const add = await runTask(etcdctl, fakeContext(), { ...base, op: 'member_add', name: 'n1', peer_urls: ['https://127.0.0.1:1'] });
  t.equal(add.outcome.changed, false, 'present member (by name): no change');
});

t.test('health with members: the member list in the same request, registered as member_list registers it', async (t) => {
  const ctx = fakeContext();
  const rec = new RecordingConnection(ctx.conn);
  const c = { ...ctx, conn: rec };
  const both = await runTask(etcdctl, c, { ...base, op: 'health', members: true, retries: 0 });
  const list = await runTask(etcdctl, c, { ...base, op: 'member_list' });
  t.equal(rec.scripts.length, 2, 'one request each');
  t.equal(both.outcome.changed, false);
  t.equal(both.outcome.result?.healthy, true);
  t.match(both.outcome.msg, /^all 1 endpoint\(s\) healthy; 1 member\(s\), 1 started$/);
  t.same(both.outcome.result?.members, list.outcome.result?.members, 'the same members as op=member_list');
  t.equal(both.outcome.result?.started_count, 1);
  const plain = await runTask(etcdctl, c, { ...base, op: 'health', retries: 0 });
  t.notOk('members' in (plain.outcome.result ?? {}), 'without members: no member list read');
  t.equal(rec.scripts.length, 3);
  t.notOk(rec.scripts[2]!.includes('member'), 'without members: health only');
  // a member list that fails fails the task (as op=member_list would), even with every endpoint healthy
  const d = t.testdir({});
  const bin = join(d, 'etcdctl');
  writeFileSync(
    bin,
    `#!/bin/sh
while [ $# -gt 0 ]; do case $1 in --*) shift;; *) break;; esac; done
case "$1 $2" in
  "endpoint health") echo 'https://fake:2379 is healthy: successfully committed proposal: took = 1ms' ;;
  *) echo 'Error: etcdserver: request timed out' >&2; exit 1 ;;
esac
`,
  );
  chmodSync(bin, 0o755);
  const fake = { endpoints: ['https://fake:2379'], etcdctl_path: bin, timeout: 2 };
  t.equal((await runTask(etcdctl, fakeContext(), { ...fake, op: 'health', retries: 0 })).outcome.result?.healthy, true, 'the fake is healthy');
  await t.rejects(runTask(etcdctl, fakeContext(), { ...fake, op: 'health', members: true, retries: 0 }), /etcdctl member list failed on https:\/\/fake:2379: etcdserver: request timed out/);
});

t.test('users, auth enable, verify_auth: idempotent, passwords never in argv or script text', async (t) => {
  const ctx = fakeContext();
  const rec = new RecordingConnection(ctx.conn);
  const c = { ...ctx, conn: rec };
  const rootUser = { ...base, op: 'user' as const, name: 'root', new_password: ROOT_PW, password: ROOT_PW, roles: ['root'] };

  // Check mode before anything exists: says what it would do, changes nothing.
  const dry = await runTask(etcdctl, { ...c, check: true }, rootUser);
  t.equal(dry.plan.changed, true);
  t.match(dry.plan.msg, /would add user root, grant role root to root/);
  const ver0 = await runTask(etcdctl, { ...c, check: true }, { ...base, op: 'verify_auth', password: ROOT_PW });
  t.equal(ver0.plan.changed, false, 'verify_auth reports in check mode');
  t.match(ver0.plan.msg, /not in force: an unauthenticated read was allowed/);
  await t.rejects(runTask(etcdctl, c, { ...base, op: 'verify_auth', password: ROOT_PW }), /unauthenticated read was allowed/);
  // login_verified spares the authenticated read only: the anonymous one still decides.
  await t.rejects(runTask(etcdctl, c, { ...base, op: 'verify_auth', password: ROOT_PW, login_verified: true }), /unauthenticated read was allowed/);

  const watched = await watchArgv([ROOT_PW, NEW_PW, 'r00t', 'second-Pass'], async () => {
    const first = await runTask(etcdctl, c, rootUser);
    t.equal(first.outcome.changed, true, 'root created');
    t.match(first.outcome.msg, /Add user root/);
    t.equal(first.outcome.result?.password_verified, false, 'auth off: no login proved the password');
    // Auth still off: the password cannot be checked, so it is set again (documented); on_create skips it.
    const again = await runTask(etcdctl, c, rootUser);
    t.equal(again.outcome.changed, true);
    t.match(again.plan.msg, /cannot be verified while auth is disabled/);
    t.equal((await runTask(etcdctl, c, { ...rootUser, update_password: 'on_create' })).outcome.changed, false);

    const en = await runTask(etcdctl, c, { ...base, op: 'auth', state: 'enabled' });
    t.equal(en.outcome.changed, true, 'auth enabled');
    const en2 = await runTask(etcdctl, c, { ...base, op: 'auth', state: 'enabled' });
    t.equal(en2.outcome.changed, false, 'auth enable is idempotent');
    t.match(en2.plan.msg, /already enabled/);

    const requests = rec.stats.requests;
    const same = await runTask(etcdctl, c, rootUser);
    t.equal(same.outcome.changed, false, 'root present with the same password: no change');
    t.match(same.outcome.msg, /password verified/);
    t.equal(same.outcome.result?.password_verified, true, 'the login as root with its password worked while auth was on');
    t.equal(rec.stats.requests - requests, 1, 'auth probe and user get in one request');

    // Another user: created, then its password is verified by logging in with it.
    const app = { ...base, op: 'user' as const, name: 'app', new_password: NEW_PW, password: ROOT_PW };
    t.equal((await runTask(etcdctl, c, app)).outcome.changed, true);
    t.equal((await runTask(etcdctl, c, app)).outcome.changed, false, 'app password verified');
    const changed = await runTask(etcdctl, c, { ...app, new_password: `${NEW_PW}2` });
    t.equal(changed.outcome.changed, true, 'a different password is detected and set');
    t.match(changed.plan.msg, /set the password of user app/);
    t.equal(changed.outcome.result?.password_verified, true, "root's login stays valid when app's password changes");
    t.equal((await runTask(etcdctl, c, { ...app, new_password: `${NEW_PW}2` })).outcome.changed, false);

    const role = { ...base, op: 'role' as const, name: 'reader', password: ROOT_PW };
    t.equal((await runTask(etcdctl, c, role)).outcome.changed, true);
    t.equal((await runTask(etcdctl, c, role)).outcome.changed, false);
    // A name that starts with "-" is a name, never an etcdctl option (bosun ends the flags with --)
    const dash = { ...base, op: 'role' as const, name: '--write-out=json', password: ROOT_PW };
    t.equal((await runTask(etcdctl, c, dash)).outcome.changed, true, 'role "--write-out=json" added');
    t.equal((await runTask(etcdctl, c, dash)).outcome.changed, false, 'and found again by that name');
    t.equal((await runTask(etcdctl, c, { ...dash, state: 'absent' as const })).outcome.changed, true, 'and deleted');
    const grant = { ...base, op: 'grant' as const, name: 'app', roles: ['reader'], password: ROOT_PW };
    t.equal((await runTask(etcdctl, c, grant)).outcome.changed, true);
    t.equal((await runTask(etcdctl, c, grant)).outcome.changed, false);
    t.equal((await runTask(etcdctl, c, { ...app, state: 'absent' as const })).outcome.changed, true);
    t.equal((await runTask(etcdctl, c, { ...app, state: 'absent' as const })).outcome.changed, false);
    return true;
  });
  t.ok(watched.samples > 0, 'the argv watcher saw etcdctl processes');
  t.same(watched.seen, [], 'no password in any process argv');

  // Unauthenticated get refused; authenticated works; verify_auth passes.
  const anon = sh(`etcdctl --endpoints=${endpoint} --cacert=ca.crt --cert=admin.crt --key=admin.key get x 2>&1 || echo REFUSED`).toString();
  t.match(anon, /REFUSED/);
  t.match(anon, /permission denied|user name/);
  let requests = rec.stats.requests;
  const ver = await runTask(etcdctl, c, { ...base, op: 'verify_auth', password: ROOT_PW });
  t.equal(ver.outcome.changed, false);
  t.equal(ver.outcome.result?.verified, true);
  t.match(ver.outcome.result?.unauthenticated, /refused/);
  t.equal(ver.outcome.result?.authenticated, 'allowed');
  t.match(ver.outcome.msg, /v3 auth verified: anonymous read refused, read as root allowed/);
  t.equal(rec.stats.requests - requests, 1, 'both reads in one request');
  requests = rec.stats.requests;
  const ver2 = await runTask(etcdctl, c, { ...base, op: 'verify_auth', password: ROOT_PW, login_verified: true });
  t.equal(ver2.outcome.result?.verified, true);
  t.equal(ver2.outcome.result?.authenticated, 'login verified by an earlier task');
  t.match(ver2.outcome.msg, /v3 auth verified: anonymous read refused, login as root verified by an earlier task/);
  t.equal(rec.stats.requests - requests, 1);
  t.notMatch(rec.scripts.at(-1)!, /ETCDCTL_USER=/, 'no authenticated call: only the anonymous read');
  t.equal((rec.scripts.at(-1)!.match(/ETCDCTL_API=3 etcdctl/g) ?? []).length, 1, 'one etcdctl call');

  // Wrong password: fails, says which user, never prints the password.
  const wrong = runTask(etcdctl, c, { ...base, op: 'user', name: 'root', password: 'nope-wrong' });
  await t.rejects(wrong, /password given for etcd user 'root' is wrong/);
  // Auth on, no password: says how to fix.
  await t.rejects(runTask(etcdctl, c, { ...base, op: 'role', name: 'x' }), /authentication is enabled: pass `password`/);

  for (const s of rec.scripts) {
    t.notOk(s.includes(ROOT_PW) || s.includes(NEW_PW), 'script text has no password');
  }
  t.ok(rec.stdins.some((x) => x.includes(ROOT_PW)), 'passwords travel on stdin');
  t.ok(ctx.secrets.includes(ROOT_PW), 'passwords registered as secrets');
});

t.test('v2: root user, auth, guest role removal, verify', async (t) => {
  const c = fakeContext();
  const v2 = { ...base, api: '2' as const, password: ROOT_PW };
  t.equal((await runTask(etcdctl, c, { ...v2, op: 'user', name: 'root', new_password: ROOT_PW })).outcome.changed, true);
  t.equal((await runTask(etcdctl, c, { ...v2, op: 'auth', state: 'enabled' })).outcome.changed, true);
  t.equal((await runTask(etcdctl, c, { ...v2, op: 'auth', state: 'enabled' })).outcome.changed, false);
  t.equal((await runTask(etcdctl, c, { ...v2, op: 'user', name: 'root', new_password: ROOT_PW })).outcome.changed, false);
  // The guest role still grants anonymous access: verify_auth must fail now.
  await t.rejects(runTask(etcdctl, c, { ...v2, op: 'verify_auth' }), /v2 auth is not in force/);
  const g = await runTask(etcdctl, c, { ...v2, op: 'v2_guest', state: 'absent' });
  t.equal(g.outcome.changed, true);
  t.equal((await runTask(etcdctl, c, { ...v2, op: 'v2_guest' })).outcome.changed, false, 'guest removal is idempotent');
  const ver = await runTask(etcdctl, c, { ...v2, op: 'verify_auth' });
  t.equal(ver.outcome.result?.verified, true);
  t.match(ver.outcome.result?.unauthenticated, /requires user authentication|Insufficient credentials/);
});

/**
 * A fake etcdctl (shell script) with its auth state in files: the plan logic and what each op asks
 * of the server, counted — requests, etcdctl processes, and password logins (a bcrypt each on etcd).
 */
function fakeEtcd(t: Test, state: { authOn: boolean; users: Record<string, { pw: string; roles: string[] }> }) {
  const d = t.testdir({ users: {} });
  const bin = join(d, 'etcdctl');
  writeFileSync(
    bin,
    `#!/bin/sh
d=$(dirname "$0")
printf '%s\\n' "$*" >> "$d/argv.log"
while [ $# -gt 0 ]; do case $1 in --*) shift;; *) break;; esac; done
if [ -n "\${ETCDCTL_USER:-}" ]; then
  u=\${ETCDCTL_USER}
  if [ -e "$d/auth_on" ]; then
    echo "$u" >> "$d/logins"
    if [ ! -e "$d/users/$u.pw" ] || [ "$(cat "$d/users/$u.pw")" != "$ETCDCTL_PASSWORD" ]; then
      echo 'Error: etcdserver: authentication failed, invalid user ID or password' >&2; exit 1
    fi
  fi
elif [ -e "$d/auth_on" ]; then
  echo 'Error: etcdserver: user name is empty' >&2; exit 1
fi
case "$1 $2" in
  "get "*) exit 0 ;;
  "user get")
    # bosun ends the flags with "--" before a user-given name (as the real etcdctl allows)
    [ "$3" = -- ] || { echo "fake etcdctl: no -- before the name: $*" >&2; exit 9; }
    [ -e "$d/users/$4.pw" ] || { echo 'Error: etcdserver: user name not found' >&2; exit 1; }
    printf 'User: %s\\nRoles: %s\\n' "$4" "$(cat "$d/users/$4.roles")" ;;
  *) echo "fake etcdctl: $*" >&2; exit 9 ;;
esac
`,
  );
  chmodSync(bin, 0o755);
  if (state.authOn) writeFileSync(join(d, 'auth_on'), '');
  for (const [u, v] of Object.entries(state.users)) {
    writeFileSync(join(d, 'users', `${u}.pw`), v.pw);
    writeFileSync(join(d, 'users', `${u}.roles`), v.roles.join(' '));
  }
  const read = (f: string) => {
    try {
      return readFileSync(join(d, f), 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };
  return {
    args: { endpoints: ['https://fake:2379'], etcdctl_path: bin, timeout: 2 },
    /** etcdctl processes started (their argv, global flags included). */
    argv: () => read('argv.log'),
    /** Password logins while auth is on. */
    logins: () => read('logins'),
  };
}

t.test('fake etcd: no-op rerun costs one request per task and one login in all', async (t) => {
  const f = fakeEtcd(t, { authOn: true, users: { root: { pw: ROOT_PW, roles: ['root'] } } });
  const ctx = fakeContext();
  const rec = new RecordingConnection(ctx.conn);
  const c = { ...ctx, conn: rec };
  const user = await runTask(etcdctl, c, { ...f.args, op: 'user', name: 'root', new_password: ROOT_PW, password: ROOT_PW, roles: ['root'] });
  t.equal(user.outcome.changed, false);
  t.match(user.outcome.msg, /user root is present, password verified/);
  t.same(user.outcome.result, { name: 'root', state: 'present', auth_enabled: true, roles: ['root'], password_verified: true });
  t.equal(rec.scripts.length, 1, 'user: one request');
  t.equal(f.argv().length, 2, 'user: two etcdctl calls (auth probe, user get)');
  t.same(f.logins(), ['root'], 'user: one login');

  const ver = await runTask(etcdctl, c, { ...f.args, op: 'verify_auth', password: ROOT_PW, login_verified: true });
  t.equal(ver.outcome.changed, false);
  t.match(ver.outcome.msg, /^v3 auth verified: anonymous read refused, login as root verified by an earlier task$/);
  t.same(ver.outcome.result, {
    api: '3',
    unauthenticated: 'refused: etcdserver: user name is empty',
    authenticated: 'login verified by an earlier task',
    verified: true,
  });
  t.equal(rec.scripts.length, 2, 'verify_auth: one request');
  t.equal(f.argv().length, 3, 'verify_auth: the anonymous read only');
  t.same(f.logins(), ['root'], 'verify_auth: no second login');

  const full = await runTask(etcdctl, { ...c, check: true }, { ...f.args, op: 'verify_auth', password: ROOT_PW });
  t.match(full.plan.msg, /read as root allowed/);
  t.equal(full.plan.result?.authenticated, 'allowed');
  t.equal(rec.scripts.length, 3, 'without login_verified: both reads, one request');
  t.same(f.logins(), ['root', 'root'], 'without login_verified: the second login happens');

  for (const s of rec.scripts) t.notOk(s.includes(ROOT_PW), 'no password in the script text');
  for (const a of f.argv()) t.notOk(a.includes(ROOT_PW), 'no password in argv');
  t.same(rec.stdins.map((x) => x.includes(ROOT_PW)), [true, false, true], 'the password travels on stdin, and only to requests that log in');
});

t.test('fake etcd: password_verified is false unless a login proved the password', async (t) => {
  const root = { op: 'user' as const, name: 'root', new_password: ROOT_PW, password: ROOT_PW, roles: ['root'] };
  await t.test('auth off (fresh deploy): password set again, not verified', async (t) => {
    const f = fakeEtcd(t, { authOn: false, users: { root: { pw: ROOT_PW, roles: ['root'] } } });
    const p = await runTask(etcdctl, fakeContext({ check: true }), { ...f.args, ...root });
    t.equal(p.plan.changed, true);
    t.match(p.plan.msg, /would set the password of user root \(a password cannot be verified while auth is disabled/);
    t.equal(p.plan.result?.password_verified, false);
    t.equal(p.plan.result?.auth_enabled, false);
    // with login_verified false (the default), verify_auth logs in itself and catches the open cluster
    await t.rejects(runTask(etcdctl, fakeContext(), { ...f.args, op: 'verify_auth', password: ROOT_PW }), /unauthenticated read was allowed/);
  });
  await t.test('auth on, root absent: created, not verified', async (t) => {
    const f = fakeEtcd(t, { authOn: true, users: { admin: { pw: NEW_PW, roles: ['root'] } } });
    const p = await runTask(etcdctl, fakeContext({ check: true }), { ...f.args, ...root, user: 'admin', password: NEW_PW });
    t.match(p.plan.msg, /would add user root/);
    t.equal(p.plan.result?.password_verified, false, 'the user get failed (not found): no claim');
  });
  await t.test("changing the login user's own password: the old one is no longer verified", async (t) => {
    const f = fakeEtcd(t, { authOn: true, users: { root: { pw: ROOT_PW, roles: ['root'] } } });
    const p = await runTask(etcdctl, fakeContext({ check: true }), { ...f.args, ...root, new_password: NEW_PW });
    t.match(p.plan.msg, /would set the password of user root/);
    t.equal(p.plan.result?.password_verified, false);
    const del = await runTask(etcdctl, fakeContext({ check: true }), { ...f.args, ...root, state: 'absent' as const });
    t.match(del.plan.msg, /would delete user root/);
    t.equal(del.plan.result?.password_verified, false);
  });
  await t.test('wrong password: fails as before', async (t) => {
    const f = fakeEtcd(t, { authOn: true, users: { root: { pw: ROOT_PW, roles: ['root'] } } });
    await t.rejects(runTask(etcdctl, fakeContext(), { ...f.args, ...root, password: 'nope' }), /password given for etcd user 'root' is wrong/);
    await t.rejects(runTask(etcdctl, fakeContext(), { ...f.args, op: 'verify_auth', password: 'nope' }), /a read as root was refused \(etcdserver: authentication failed/);
  });
  await t.test('auth on, no password: says how to fix before using the speculative read', async (t) => {
    const f = fakeEtcd(t, { authOn: true, users: { root: { pw: ROOT_PW, roles: ['root'] } } });
    await t.rejects(runTask(etcdctl, fakeContext(), { ...f.args, op: 'user', name: 'root' }), /authentication is enabled: pass `password`/);
    await t.rejects(runTask(etcdctl, fakeContext(), { ...f.args, op: 'grant', name: 'root', roles: ['root'] }), /authentication is enabled: pass `password`/);
  });
  t.equal(etcdctl.args.login_verified?.default, false);
  t.equal(etcdctl.args.login_verified?.type, 'bool');
});

t.test('health with a dead endpoint fails with etcd\'s message after retries', async (t) => {
  const dead = `https://127.0.0.1:${await freePort()}`;
  const c = fakeContext();
  const start = Date.now();
  await t.rejects(
    runTask(etcdctl, c, { ...base, endpoints: `${endpoint},${dead}`, op: 'health', retries: 1, delay: 1, timeout: 1, password: ROOT_PW }),
    new RegExp(`not healthy after 2 attempts.*${dead.replace(/\./g, '\\.')} is unhealthy`),
  );
  t.equal(c.progressLines.length, 1, 'one progress line between the two attempts');
  t.ok(Date.now() - start < 20000);
  const chk = await runTask(etcdctl, fakeContext({ check: true }), { ...base, endpoints: [dead], op: 'health', timeout: 1 });
  t.equal(chk.plan.changed, false);
  t.match(chk.plan.msg, /not healthy now/);
});
