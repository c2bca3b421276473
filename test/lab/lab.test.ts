import t from 'tap';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { parse } from 'yaml';
import { LabError, OptionsError } from '../../lib/errors.js';
import {
  bridgeName,
  checkPrerequisites,
  hashHost,
  hostStart,
  hostStop,
  labDown,
  labInventory,
  labShortId,
  labStatus,
  labUp,
  loadLabState,
  pickSubnet,
  planLab,
  prerequisiteError,
  sshArgs,
  systemEnv,
  validateLabName,
  type LabState,
  type PrereqEnv,
} from '../../lib/lab/lab.js';
import { slotLab, withLab } from '../helpers/lab.js';

// Slot-aware (BOSUN_TEST_SLOT): a second checkout running this file uses its own name and subnet.
const { name: NAME, subnetIndex: IDX } = slotLab('tlab', 49);
const SUBNET = `10.66.${IDX}.0/24`;
const SID = labShortId(NAME);

function ssh(state: LabState, host: string, cmd: string, connectTimeoutSec = 5): Promise<{ code: number; out: string; err: string; ms: number }> {
  const start = Date.now();
  return new Promise((resolve) => {
    const child = spawn('ssh', [...sshArgs(state, host, { connectTimeoutSec }), cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, out, err, ms: Date.now() - start }));
  });
}

/** Running (not a zombie waiting for its new parent to reap it). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX]/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.on('close', () => resolve(out));
  });
}

t.test('prerequisites: one clear error naming what is missing', async (t) => {
  const ok: PrereqEnv = { platform: 'linux', uid: 0, which: (c) => `/usr/bin/${c}`, exists: () => true };
  t.same(checkPrerequisites(ok), []);
  t.same(checkPrerequisites({ ...ok, platform: 'darwin' }), ['Linux (this is darwin)']);
  const missing = checkPrerequisites({
    ...ok,
    uid: 1000,
    which: (c) => (c === 'ip' ? undefined : `/usr/bin/${c}`),
    exists: (f) => f !== '/usr/sbin/sshd',
  });
  t.same(missing, ['root (run as uid 0)', 'ip', '/usr/sbin/sshd']);
  const e = prerequisiteError(missing);
  t.ok(e instanceof LabError);
  t.equal(e.code, 'E_LAB');
  t.match(e.oneLine(), /missing: root \(run as uid 0\), ip, \/usr\/sbin\/sshd \(as root: apt-get install -y openssh-server iproute2\)/);
  t.same(checkPrerequisites(systemEnv()), [], 'this machine is ready for labs');
});

t.test('options are validated before anything is touched', async (t) => {
  t.throws(() => planLab({ hosts: 0 }), OptionsError);
  t.throws(() => planLab({ hosts: 2.5 }), OptionsError);
  // What operators type is accepted and normalised; the rule is in the error otherwise.
  t.equal(planLab({ hosts: 1, name: 'uxA' }).name, 'uxa');
  t.equal(planLab({ hosts: 1, name: 'sec_A' }).name, 'sec-a');
  t.equal(validateLabName('Lab-B2'), 'lab-b2');
  for (const bad of ['9lab', 'a--b', 'a-', 'a b', 'x'.repeat(25), '']) {
    t.throws(() => planLab({ hosts: 1, name: bad }), /use 1-24 letters, digits, dashes or underscores, starting with a letter/, `'${bad}' refused`);
  }
  t.throws(() => planLab({ hosts: 1, init: 'upstart' as never }), /invalid lab init 'upstart': expected sshd or systemd/);
  t.throws(() => planLab({ hosts: 1, family: 'suse' as never }), /invalid lab family 'suse': expected debian or redhat/);
  t.throws(() => planLab({ hosts: 2, subnet: '10.19.213.0/24' }), /inside 10\.66\.0\.0\/16/);
  t.throws(() => planLab({ hosts: 2, subnet: '10.66.1.0/16' }), OptionsError);
  t.throws(() => planLab({ hosts: 2, domain: 'bad domain' }), OptionsError);
  const s = planLab({ hosts: 2, name: 'a-very-long-lab-name', subnet: '10.66.7.0/24', stateDir: '/var/tmp/x' });
  t.equal(s.gateway, '10.66.7.1');
  t.same(s.hosts.map((h) => [h.name, h.ip, h.fqdn, h.netns]), [
    ['node1', '10.66.7.11', 'node1.lab.local', 'a-very-long-lab-name-node1'],
    ['node2', '10.66.7.12', 'node2.lab.local', 'a-very-long-lab-name-node2'],
  ]);
  t.equal(s.stateDir, '/var/tmp/x/a-very-long-lab-name');
  t.ok(bridgeName('a-very-long-lab-name').length <= 15);
  t.ok(`v${labShortId('a-very-long-lab-name')}-50`.length <= 15, 'veth names fit IFNAMSIZ');
  t.not(labShortId('a-very-long-lab-name'), labShortId('a-very-long-lab-nam2'));
});

t.test('inventory is Ansible YAML with every host in the group', async (t) => {
  const s = planLab({ hosts: 2, name: 'inv', subnet: '10.66.9.0/24', domain: 'ex.test' });
  const inv = parse(labInventory(s, 'members')) as {
    all: { vars: Record<string, string>; children: { members: { hosts: Record<string, Record<string, string>> } } };
  };
  t.equal(inv.all.vars.ansible_user, 'root');
  t.equal(inv.all.vars.ansible_ssh_private_key_file, s.keyFile);
  t.match(inv.all.vars.ansible_ssh_common_args, `UserKnownHostsFile=${s.knownHostsFile}`);
  t.match(inv.all.vars.ansible_ssh_common_args, 'StrictHostKeyChecking=yes');
  t.same(inv.all.children.members.hosts.node2, { ansible_host: '10.66.9.12', ip: '10.66.9.12', fqdn: 'node2.ex.test' });
  t.throws(() => labInventory(s, 'bad group'), OptionsError);
});

t.test('a real 3-host lab', async (t) => {
  const state = await withLab(t, { hosts: 3, name: 'tlab', subnetIndex: 49, packages: ['hello', 'tree'] });
  t.same(loadLabState(NAME), state, 'state file round-trips');

  t.test('each host: own hostname, /etc/hosts listing the lab, root login by key', async (t) => {
    for (const h of state.hosts) {
      const r = await ssh(state, h.name, 'hostname; id -u; cat /etc/hosts');
      t.equal(r.code, 0, r.err);
      const [hostname, uid, ...hosts] = r.out.trim().split('\n');
      t.equal(hostname, h.name);
      t.equal(uid, '0');
      for (const o of state.hosts) t.ok(hosts.includes(`${o.ip}\t${o.fqdn} ${o.name}`), `${h.name} knows ${o.name}`);
    }
  });

  t.test('hosts reach each other by name, with their own source address', async (t) => {
    const r = await ssh(
      state,
      'node1',
      `getent hosts node2 | cut -d' ' -f1; timeout 3 bash -c 'exec 3<>/dev/tcp/node3.lab.local/22; head -c 7 <&3'`,
    );
    t.equal(r.code, 0, r.err);
    t.equal(r.out, `${state.hosts[1]!.ip}\nSSH-2.0`);
    // sshd logs the closed connection a moment after the client is gone.
    const seen = `by ${state.hosts[0]!.ip} port`;
    let log = '';
    for (let i = 0; i < 30 && !log.includes(seen); i++) {
      await new Promise((r) => setTimeout(r, 100));
      log = fs.readFileSync(`${state.stateDir}/node3/sshd.log`, 'utf8');
    }
    t.match(log, seen, 'node3 saw node1 connect from node1\'s own IP');
  });

  t.test('/etc, /var and /tmp are per host; hashHost sees exactly the writes', async (t) => {
    const probe = `bosun-lab-probe-${process.pid}`;
    const before1 = await hashHost(state, 'node1');
    const before2 = await hashHost(state, 'node2');
    t.match(before1, /^[0-9a-f]{64}$/);
    // Logins and reads write nothing to /etc or /var (no wtmp/lastlog records without a tty).
    t.equal((await ssh(state, 'node1', 'cat /etc/hostname >/dev/null; ls /var/log >/dev/null')).code, 0);
    t.equal(await hashHost(state, 'node1'), before1, 'hash stable when nothing changes');

    const w = await ssh(state, 'node1', `echo hello > /etc/${probe} && echo x > /var/tmp/${probe} && echo y > /tmp/${probe}`);
    t.equal(w.code, 0, w.err);
    const other = await ssh(state, 'node2', `ls /etc/${probe} /var/tmp/${probe} /tmp/${probe} 2>/dev/null | wc -l`);
    t.equal(other.out.trim(), '0', 'node2 sees none of node1\'s files');
    t.notOk(fs.existsSync(`/etc/${probe}`), 'the real /etc is untouched');
    t.notOk(fs.existsSync(`/var/tmp/${probe}`), 'the real /var is untouched');
    t.notOk(fs.existsSync(`/tmp/${probe}`), 'the real /tmp is untouched');
    const after1 = await hashHost(state, 'node1');
    t.not(after1, before1, 'node1 hash changed');
    t.equal(await hashHost(state, 'node2'), before2, 'node2 hash unchanged');

    // Mode and ownership count, times do not.
    t.equal((await ssh(state, 'node1', `touch -d 2001-01-01 /etc/${probe}`)).code, 0);
    t.equal(await hashHost(state, 'node1'), after1, 'mtime is not hashed');
    t.equal((await ssh(state, 'node1', `chmod 600 /etc/${probe}`)).code, 0);
    t.not(await hashHost(state, 'node1'), after1, 'mode is hashed');
  });

  t.test('/root is per host, a fresh Debian root home, not the control node\'s', async (t) => {
    const probe = `bosun-lab-probe-${process.pid}`;
    const home = await ssh(state, 'node1', 'echo "$HOME"; stat -c %a /root; ls -A /root');
    t.equal(home.code, 0, home.err);
    const [dir, mode, ...files] = home.out.trim().split('\n');
    t.equal(dir, '/root');
    t.equal(mode, '700');
    const skel = ['.bashrc', '.profile'].filter((f) => fs.existsSync(`/usr/share/base-files/dot${f}`));
    t.same(files.sort(), skel.sort(), "only Debian's default dot files");
    const before2 = await hashHost(state, 'node2');
    const before1 = await hashHost(state, 'node1');
    t.equal((await ssh(state, 'node1', `echo z > /root/${probe}`)).code, 0);
    t.notOk(fs.existsSync(`/root/${probe}`), "the control node's /root is untouched");
    t.equal((await ssh(state, 'node2', `ls /root/${probe} 2>/dev/null | wc -l`)).out.trim(), '0', "node2 does not see node1's file");
    t.not(await hashHost(state, 'node1'), before1, 'hashHost sees a write to /root');
    t.equal(await hashHost(state, 'node2'), before2);
  });

  t.test('every host owns its whole filesystem: writes anywhere stay on that host', async (t) => {
    const probe = `bosun-lab-iso-${process.pid}`;
    const dirs = ['/usr/local/bin', '/usr/lib', '/home', '/srv', '/opt', '/boot', '/mnt', '/media', '/etc', '/var/lib', '/root', '/'];
    const paths = dirs.map((d) => `${d === '/' ? '' : d}/${probe}`);
    const w = await ssh(state, 'node1', `cat /etc/hostname; for f in ${paths.join(' ')}; do echo x > "$f" || exit 1; done; ls ${paths.join(' ')} | wc -l`);
    t.equal(w.code, 0, w.err);
    t.equal(w.out, `node1\n${paths.length}\n`, 'node1 wrote everywhere, and has its own /etc/hostname');
    for (const p of paths) t.notOk(fs.existsSync(p), `control node: no ${p}`);
    const other = await ssh(state, 'node2', `cat /etc/hostname; ls ${paths.join(' ')} 2>/dev/null | wc -l`);
    t.equal(other.out, 'node2\n0\n', 'node2 sees none of it');
    // What a host cannot see of the lab: the lab key and the other hosts' upper dirs.
    const peek = await ssh(state, 'node2', `ls -A ${state.stateDir} ${state.hosts[0]!.upperDir} 2>&1 | head -3`);
    t.match(peek.out, /No such file or directory/);
    t.equal((await ssh(state, 'node1', `rm -f ${paths.join(' ')}`)).code, 0);
  });

  t.test('apt-get install, useradd -m and apt-get remove on three hosts at once change nothing outside each host', async (t) => {
    const control = ['/var/lib/dpkg/status', '/etc/passwd', '/etc/shadow', '/etc/group'].map((f) => [f, fs.readFileSync(f, 'utf8')] as const);
    t.notOk(fs.existsSync('/usr/bin/hello'), 'hello is not on the control node (else this test proves nothing)');
    const user = (h: string): string => `labprobe-${h}`;
    const installs = await Promise.all(
      state.hosts.map((h) =>
        ssh(
          state,
          h.name,
          `export DEBIAN_FRONTEND=noninteractive; apt-get install -y -q hello tree >/tmp/apt.log 2>&1 || { cat /tmp/apt.log; exit 1; }; ` +
            `hello; tree --version | cut -d' ' -f1; useradd -m ${user(h.name)} && ls -d /home/labprobe-*`,
        ),
      ),
    );
    for (const [i, r] of installs.entries()) {
      const h = state.hosts[i]!.name;
      t.equal(r.code, 0, r.out + r.err);
      t.equal(r.out, `Hello, world!\ntree\n/home/${user(h)}\n`, `${h}: installed from the lab repository; only its own user`);
    }
    t.notOk(fs.existsSync('/usr/bin/hello'), 'control node: no hello');
    for (const h of state.hosts) t.notOk(fs.existsSync(`/home/${user(h.name)}`), `control node: no /home/${user(h.name)}`);
    for (const [f, text] of control) t.equal(fs.readFileSync(f, 'utf8'), text, `control node: ${f} unchanged`);

    const removes = await Promise.all(
      state.hosts.map((h) =>
        ssh(
          state,
          h.name,
          `DEBIAN_FRONTEND=noninteractive apt-get remove -y -q hello tree >/dev/null 2>&1; userdel -r ${user(h.name)}; ` +
            `command -v hello tree | wc -l; ls -d /home/labprobe-* 2>/dev/null | wc -l; ` +
            `[ "$(dpkg-query -W -f '\${Status}' hello 2>/dev/null)" != 'install ok installed' ] && echo removed`,
        ),
      ),
    );
    for (const r of removes) t.equal(r.out, '0\n0\nremoved\n', r.err);
    for (const [f, text] of control) t.equal(fs.readFileSync(f, 'utf8'), text, `control node: ${f} still unchanged`);
  });

  t.test('service etcd start works inside a host', async (t) => {
    const ip = state.hosts[2]!.ip;
    const realBefore = fs.existsSync('/var/lib/etcd/default');
    const cfg = [
      `ETCD_LISTEN_CLIENT_URLS=http://${ip}:2379`,
      `ETCD_ADVERTISE_CLIENT_URLS=http://${ip}:2379`,
      `ETCD_LISTEN_PEER_URLS=http://${ip}:2380`,
      `ETCD_INITIAL_ADVERTISE_PEER_URLS=http://${ip}:2380`,
      `ETCD_INITIAL_CLUSTER=node3=http://${ip}:2380`,
    ].join('\n');
    const r = await ssh(
      state,
      'node3',
      `printf '%s\\n' '${cfg}' > /etc/default/etcd && service etcd start >/dev/null && ` +
        `for i in $(seq 50); do ETCDCTL_API=3 etcdctl --endpoints http://${ip}:2379 put k v >/dev/null 2>&1 && break; sleep 0.2; done; ` +
        `ETCDCTL_API=3 etcdctl --endpoints http://${ip}:2379 get --print-value-only k; stat -c %U /var/lib/etcd/default; service etcd stop >/dev/null`,
    );
    t.equal(r.code, 0, r.err);
    t.equal(r.out, 'v\netcd\n', 'etcd ran as user etcd with its data in the host\'s /var');
    t.equal(fs.existsSync('/var/lib/etcd/default'), realBefore, 'the real /var/lib/etcd is untouched');
  });

  t.test('hostStop takes the host down fast, hostStart brings back the same files', async (t) => {
    const probe = `bosun-lab-stop-${process.pid}`;
    t.equal((await ssh(state, 'node2', `echo kept > /etc/${probe}`)).code, 0);
    const hash = await hashHost(state, 'node2');
    await hostStop(state, 'node2');
    const st = await labStatus(NAME);
    t.same(st?.hosts.map((h) => h.up), [true, false, true]);
    const down = await ssh(state, 'node2', 'true', 2);
    t.equal(down.code, 255, 'ssh reports the host unreachable');
    t.ok(down.ms < 3000, `ssh failed fast (${down.ms} ms)`);
    t.equal(await hashHost(state, 'node2'), hash, 'overlay dirs kept');

    await hostStart(state, 'node2');
    const back = await ssh(state, 'node2', `hostname; cat /etc/${probe}`);
    t.equal(back.out, `node2\nkept\n`);
    t.equal(await hashHost(state, 'node2'), hash, 'restart itself changes nothing');
    await hostStart(state, 'node2'); // already up: no-op
    t.same((await labStatus(NAME))?.hosts.map((h) => h.up), [true, true, true]);
  });

  t.test('labUp: same lab again is reused, a different one is refused', async (t) => {
    t.same(await labUp({ name: NAME, hosts: 3, subnet: SUBNET }), state);
    await t.rejects(labUp({ name: NAME, hosts: 2, subnet: SUBNET }), LabError);
    await t.rejects(labUp({ name: `${NAME}-clash`, hosts: 1, subnet: SUBNET }), /already used/);
    t.throws(() => sshArgs(state, 'node9'), /no host 'node9'/);
  });

  t.test('labDown twice leaves nothing behind', async (t) => {
    const pids = state.hosts.map(() => 0);
    const st = await labStatus(NAME);
    st?.hosts.forEach((h, i) => (pids[i] = h.pid ?? 0));
    t.ok(pids.every((p) => p > 0));
    await labDown(NAME);
    await labDown(NAME);
    const netns = await run('ip', ['netns', 'list']);
    // whole names only: other labs run at the same time (test/lab/systemd.test.ts's 'tlabsd' starts with 'tlab')
    t.notMatch(netns, new RegExp(`(^|\\s)${NAME}-node\\d+(\\s|$)`, 'm'));
    const links = await run('ip', ['-o', 'link', 'show']);
    t.notMatch(links, new RegExp(`^\\d+: ${state.bridge}[:@]`, 'm'));
    t.notMatch(links, new RegExp(`^\\d+: v${labShortId(NAME)}-\\d+[:@]`, 'm'));
    for (const pid of pids) t.notOk(alive(pid), `sshd ${pid} is gone`);
    t.notOk(fs.existsSync(state.stateDir), 'lab dir removed');
    t.equal(await labStatus(NAME), undefined);
    t.match(await run('ip', ['route', 'show', 'type', 'blackhole']), '10.66.0.0/16', 'blackhole route kept');
    await t.rejects(hostStart(state, 'node1'), /was taken down/);
  });

  t.test('labDown removes crash leftovers and nothing of other labs', async (t) => {
    // As after a crash between `ip netns add` and writing state: no state file.
    await run('ip', ['netns', 'add', `${NAME}-node7`]);
    await run('ip', ['link', 'add', `v${SID}-7`, 'type', 'veth', 'peer', 'name', `p${SID}-7`]);
    // Looks like lab '<NAME>-x''s veth: must survive labDown(NAME).
    await run('ip', ['link', 'add', `v${SID}-x-1`, 'type', 'bridge']);
    t.teardown(() => run('ip', ['link', 'del', `v${SID}-x-1`]));
    await labDown(NAME);
    t.notMatch(await run('ip', ['netns', 'list']), `${NAME}-node7`);
    const links = await run('ip', ['-o', 'link', 'show']);
    t.notMatch(links, new RegExp(`[vp]${SID}-7\\b`));
    t.match(links, `v${SID}-x-1`);
  });
});

t.test('lab up without --subnet: the first free /24 when the default is taken', async (t) => {
  const dir = t.testdir({
    a: { 'state.json': JSON.stringify({ subnet: '10.66.0.0/24' }) },
    b: { 'state.json': JSON.stringify({ subnet: '10.66.1.0/24' }) },
    junk: { 'state.json': 'not json' },
  });
  const picked = await pickSubnet(dir);
  const idx = Number(/^10\.66\.(\d+)\.0\/24$/.exec(picked)?.[1]);
  t.ok(idx >= 2 && (idx < 20 || idx >= 240), `${picked} is neither claimed by a lab nor in the test range`);
  const addrs = await run('ip', ['-o', '-4', 'addr', 'show']);
  t.notMatch(addrs, ` inet 10.66.${idx}.`, `${picked} is not on this machine`);
});
