import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { SshConnection } from '../../lib/executor/ssh.js';
import {
  checkControlDir,
  checkMaster,
  configureControl,
  controlDefaults,
  controlPlan,
  DEFAULT_PERSIST_SEC,
  ensureControlDir,
  exitMaster,
  listeningSockets,
  parsePersist,
  socketName,
  splitControlArgs,
  sweepStale,
} from '../../lib/executor/control-master.js';
import type { ConnectionSpec } from '../../lib/executor/types.js';
import { OptionsError } from '../../lib/errors.js';
import { sshTarget } from '../helpers/sshd.js';
import { run } from '../helpers/run.js';

const target = await sshTarget(t);
t.teardown(() => configureControl({}));

/** Every process's argv on this machine, NULs as spaces. */
function cmdlines(): string[] {
  const out: string[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      out.push(readFileSync(`/proc/${d}/cmdline`).toString('utf8').replace(/\0/g, ' '));
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

/** A fresh private control dir for one test; every master in it is stopped when the test ends. */
function controlDir(tt: Test): string {
  // not under the test dir: socket paths must stay short (sun_path)
  const parent = mkdtempSync(join(tmpdir(), 'bcm-'));
  const dir = join(parent, 'cp');
  tt.teardown(async () => {
    if (existsSync(dir)) for (const name of readdirSync(dir)) await exitMaster(join(dir, name));
    rmSync(parent, { recursive: true, force: true });
  });
  return dir;
}

/** The TCP connection a request arrived on ("client-ip client-port server-ip server-port"). */
async function tcpOf(t: Test, spec: ConnectionSpec): Promise<string> {
  const c = new SshConnection(spec, { retryDelaysMs: [50] });
  try {
    const r = await c.exec('echo "$SSH_CONNECTION"');
    t.equal(r.exitCode, 0);
    t.equal(c.stats.processes, 1, 'one ssh process for the channel');
    return r.stdout.trim();
  } finally {
    await c.close();
  }
}

t.test('persist values as operators write them', async (t) => {
  t.equal(parsePersist('60', 'x'), 60);
  t.equal(parsePersist('60s', 'x'), 60);
  t.equal(parsePersist('10m', 'x'), 600);
  t.equal(parsePersist('1h30m', 'x'), 5400);
  t.equal(parsePersist(90, 'x'), 90);
  t.equal(parsePersist('yes', 'x'), Infinity);
  t.equal(parsePersist(true, 'x'), Infinity);
  for (const off of ['no', 'false', 'off', '0', 0, false]) t.equal(parsePersist(off, 'x'), 0, `${String(off)} is off`);
  t.throws(() => parsePersist('soon', 'host a: bosun_ssh_control_persist'), /host a: bosun_ssh_control_persist: expected seconds.*"soon"/);
  t.throws(() => parsePersist(-3, 'x'), OptionsError);
});

t.test('Control* options in user ssh args are taken over, the rest kept in order', async (t) => {
  const s = splitControlArgs(['-C', '-o', 'ControlMaster=auto', '-oControlPersist=5m', '-o', 'ProxyJump=j', '-o', 'ControlPersist=1']);
  t.same(s.rest, ['-C', '-o', 'ProxyJump=j']);
  t.equal(s.persistSec, 300, 'ssh keeps the first value');
  t.equal(splitControlArgs(['-o', 'ControlMaster=no', '-o', 'ControlPersist=60']).persistSec, 0, 'ControlMaster=no: none');
  t.equal(splitControlArgs(['-o', 'ControlPath=none']).persistSec, 0, 'ControlPath=none: none');
  t.equal(splitControlArgs(['-o', 'controlpath /x/%C']).path, '/x/%C', 'key and value separated by a space');
  t.equal(splitControlArgs(['-o', 'StrictHostKeyChecking=no']).persistSec, undefined, 'not said');
});

t.test('plan: off means ControlPath=none, nothing created', async (t) => {
  const dir = controlDir(t);
  const p = controlPlan({ ...target.spec, controlPersistSec: 0, controlPathDir: dir });
  t.same(p.controlArgs, ['-o', 'ControlMaster=no', '-o', 'ControlPath=none']);
  t.equal(p.socket, undefined);
  t.notOk(existsSync(dir), 'no control dir made when off');
});

t.test('plan: precedence spec > user args > run-wide default; short private socket path', async (t) => {
  const dir = controlDir(t);
  configureControl({ persistSec: 45, dir });
  const base = { ...target.spec, commonArgs: undefined };
  const p = controlPlan(base);
  t.match(p.controlArgs, ['-o', 'ControlMaster=auto', '-o', 'ControlPersist=45', '-o', /^ControlPath=/]);
  t.equal(p.socket, join(dir, socketName(base, [])));
  t.equal(lstatSync(dir).mode & 0o777, 0o700, 'private dir');
  t.equal(controlPlan({ ...base, commonArgs: ['-o', 'ControlPersist=2m'] }).controlArgs[3], 'ControlPersist=120');
  t.equal(controlPlan({ ...base, commonArgs: ['-o', 'ControlPersist=2m'], controlPersistSec: 7 }).controlArgs[3], 'ControlPersist=7');
  t.equal(controlPlan({ ...base, controlPersistSec: Infinity }).controlArgs[3], 'ControlPersist=yes');
  t.equal(controlPlan({ ...base, commonArgs: ['-o', 'ControlPath=/run/x/%C'] }).socket, '/run/x/%C', "the user's own ControlPath is kept");
  // other credentials or host-key settings: another master
  const names = new Set([
    socketName(base, []),
    socketName({ ...base, user: 'other' }, []),
    socketName({ ...base, port: 2 }, []),
    socketName({ ...base, privateKeyFile: '/k' }, []),
    socketName({ ...base, knownHostsFile: '/nonexistent' }, []),
    socketName(base, ['-o', 'ProxyJump=j']),
  ]);
  t.equal(names.size, 6);
  configureControl({ persistSec: 0, dir });
  t.same(controlPlan(base).controlArgs, ['-o', 'ControlMaster=no', '-o', 'ControlPath=none'], 'run-wide off');
  t.equal(controlPlan({ ...base, controlPersistSec: 30 }).controlArgs[3], 'ControlPersist=30', 'a host var still turns it on');
  const long = join(t.testdir({}), 'x'.repeat(90));
  t.throws(() => controlPlan({ ...base, controlPersistSec: 30, controlPathDir: long }), /too long for a unix socket.*--ssh-control-path-dir/);
  t.throws(() => checkControlDir(long, 'host a: ansible_control_path_dir'), /^host a: ansible_control_path_dir: .* too long/);
  t.doesNotThrow(() => checkControlDir(dir, 'x'));
});

t.test('control dir: refuses a symlink or a foreign owner, tightens its mode', async (t) => {
  const root = t.testdir({ real: {} });
  const loose = join(root, 'loose');
  mkdirSync(loose, { mode: 0o755 });
  chmodSync(loose, 0o755);
  ensureControlDir(loose);
  t.equal(lstatSync(loose).mode & 0o777, 0o700);
  symlinkSync(join(root, 'real'), join(root, 'link'));
  t.throws(() => ensureControlDir(join(root, 'link')), /not a directory \(a symlink\?\)/);
  if (process.getuid?.() === 0) {
    const foreign = join(root, 'foreign');
    mkdirSync(foreign, { mode: 0o700 });
    chownSync(foreign, 65534, 65534);
    t.throws(() => ensureControlDir(foreign), /belongs to uid 65534/);
  }
  writeFileSync(join(root, 'file'), '');
  t.throws(() => ensureControlDir(join(root, 'file', 'cp')), OptionsError);
});

t.test('a rerun within the window rides on the master: same TCP connection, no key exchange', async (t) => {
  const dir = controlDir(t);
  const spec = { ...target.spec, controlPersistSec: 30, controlPathDir: dir };
  const first = await tcpOf(t, spec);
  const socket = controlPlan(spec).socket!;
  const pid = await checkMaster(socket);
  t.ok(pid, 'the master outlives the channel');
  t.equal(lstatSync(dir).mode & 0o777, 0o700);
  t.ok(lstatSync(socket).isSocket());
  const second = await tcpOf(t, spec);
  t.equal(second, first, 'second channel: same client port, i.e. a session of the same connection');
  t.equal(await checkMaster(socket), pid, 'same master');
  t.ok(await exitMaster(socket), 'stopped on request');
  t.equal(await checkMaster(socket), undefined);
  const third = await tcpOf(t, spec);
  t.not(third, first, 'after the master is gone: a new connection');
});

t.test('off: every channel is its own connection and no master is left', async (t) => {
  const dir = controlDir(t);
  const spec = { ...target.spec, controlPersistSec: 0, controlPathDir: dir };
  const a = await tcpOf(t, spec);
  const b = await tcpOf(t, spec);
  t.not(a, b);
  t.notOk(existsSync(dir));
  t.notOk(
    cmdlines().some((c) => c.includes('[mux]') && c.includes(dir)),
    'no master process',
  );
});

t.test('a master killed without cleanup: the next run still connects; the sweep removes dead sockets', async (t) => {
  const dir = controlDir(t);
  const spec = { ...target.spec, controlPersistSec: 30, controlPathDir: dir };
  await tcpOf(t, spec);
  const socket = controlPlan(spec).socket!;
  const pid = await checkMaster(socket);
  t.ok(pid);
  process.kill(pid!, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 100));
  t.ok(existsSync(socket), 'SIGKILL leaves the socket behind');
  t.ok(await tcpOf(t, spec), 'ssh replaces the stale socket');
  t.ok(await checkMaster(socket), 'and a new master runs');

  // a dead socket of another host, and the temp name of an interrupted master creation
  const stale = join(dir, 'abcdef0123456789');
  const py = spawnSync('python3', ['-c', 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])', stale]);
  t.equal(py.status, 0);
  writeFileSync(join(dir, 'abcdef0123456789.AbCdEfGhIjKlMnOp'), '');
  writeFileSync(join(dir, 'not-ours'), '');
  const old = new Date(Date.now() - 60_000);
  for (const n of readdirSync(dir)) utimesSync(join(dir, n), old, old);
  const removed = await sweepStale(dir);
  t.same(removed.sort(), ['abcdef0123456789', 'abcdef0123456789.AbCdEfGhIjKlMnOp']);
  t.ok(existsSync(socket), 'a live master is kept');
  t.ok(existsSync(join(dir, 'not-ours')), 'foreign names are left alone');
  t.same(await sweepStale(join(dir, 'missing')), []);
  // fresh entries are never touched (a master may be binding them)
  const fresh = join(dir, 'fedcba9876543210');
  spawnSync('python3', ['-c', 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])', fresh]);
  t.same(await sweepStale(dir), []);
  // the live master is known to be alive from /proc/net/unix, under OpenSSH's temporary bind name
  const listening = listeningSockets();
  if (listening) t.ok(listening.has(socket), 'the live master is listed as listening (no connection needed)');
});

t.test('listeningSockets reads the listening unix sockets of /proc/net/unix', async (t) => {
  const dir = t.testdir({
    unix: [
      'Num       RefCount Protocol Flags    Type St Inode Path',
      '0000000000000000: 00000002 00000000 00010000 0001 01 7215287 /run/cp/703f17292b506679.NTf5E1AOvaBetfYH',
      '0000000000000000: 00000002 00000000 00010000 0001 01 7215288 /run/with space/sock',
      '0000000000000000: 00000003 00000000 00000000 0001 03 7215289 /run/cp/connected-not-listening',
      '0000000000000000: 00000002 00000000 00010000 0001 01 7215290',
      '0000000000000000: 00000002 00000000 00010000 0001 01 7215291 @abstract',
      '',
    ].join('\n'),
  });
  const s = listeningSockets(join(dir, 'unix'))!;
  t.ok(s.has('/run/cp/703f17292b506679'), "OpenSSH's final name, from its temporary bind name");
  t.ok(s.has('/run/cp/703f17292b506679.NTf5E1AOvaBetfYH'));
  t.ok(s.has('/run/with space/sock'), 'a path with a space');
  t.notOk(s.has('/run/cp/connected-not-listening'), 'a socket that does not accept connections is not listed');
  t.equal(listeningSockets(join(dir, 'missing')), undefined, 'no table: undefined (the sweep connects instead)');
});

t.test('CLI: --ssh-control-persist and inventory vars; --check behaves the same', async (t) => {
  const s = target.spec;
  const dir = controlDir(t);
  const play = t.testdir({
    'site.yml': '- hosts: all\n  gather_facts: false\n  tasks:\n    - name: probe\n      stat:\n        path: /etc/hostname\n',
    'inv.yml': [
      'all:',
      '  hosts:',
      '    loop1:',
      `      ansible_host: ${s.address}`,
      `      ansible_port: ${s.port}`,
      `      ansible_user: ${s.user}`,
      `      ansible_ssh_private_key_file: ${s.privateKeyFile}`,
      `      ansible_ssh_common_args: "-o UserKnownHostsFile=${s.knownHostsFile} -o StrictHostKeyChecking=yes"`,
      `      ansible_control_path_dir: ${dir}`,
      '',
    ].join('\n'),
  });
  const argv = (...extra: string[]) => [join(play, 'site.yml'), '-i', join(play, 'inv.yml'), ...extra];
  const masters = async () => {
    const pids = [];
    for (const n of existsSync(dir) ? readdirSync(dir) : []) {
      const pid = await checkMaster(join(dir, n));
      if (pid) pids.push(pid);
    }
    return pids;
  };

  for (const check of [[], ['--check']]) {
    const off = await run(argv('--ssh-control-persist', '0', ...check));
    t.equal(off.code, 0, off.stderr);
    t.same(await masters(), [], `off${check.length ? ' (--check)' : ''}: no master left`);

    const on = await run(argv(...check));
    t.equal(on.code, 0, on.stderr);
    const pids = await masters();
    t.equal(pids.length, 1, `default${check.length ? ' (--check)' : ''}: one master persists`);
    const again = await run(argv(...check));
    t.equal(again.code, 0);
    t.same(await masters(), pids, 'the rerun used it');
    for (const n of readdirSync(dir)) await exitMaster(join(dir, n));
  }
  t.same(controlDefaults(), { persistSec: DEFAULT_PERSIST_SEC, dir: undefined }, 'default 60 s, as Ansible');
  t.equal(DEFAULT_PERSIST_SEC, 60);

  const bad = await run(argv('--ssh-control-persist', 'later'));
  t.equal(bad.code, 5);
  t.match(bad.stderr, /--ssh-control-persist: expected seconds/);

  const inv = readFileSync(join(play, 'inv.yml'), 'utf8') + '      bosun_ssh_control_persist: "no"\n';
  writeFileSync(join(play, 'inv.yml'), inv);
  const varOff = await run(argv());
  t.equal(varOff.code, 0, varOff.stderr);
  t.same(await masters(), [], 'inventory var turns it off');
});
