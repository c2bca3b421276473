// `init: 'systemd'`: systemd as PID 1 of each lab host. One 2-host lab for the whole file (systemd
// labs cost ~6-15 s to boot: only tests that need systemd use them).
import t from 'tap';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { labDown, labInventory, labStatus, sshArgs, type LabState } from '../../lib/lab/lab.js';
import { withLab } from '../helpers/lab.js';
import { recap, run } from '../helpers/run.js';

function ssh(state: LabState, host: string, cmd: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn('ssh', [...sshArgs(state, host), cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX]/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function pidsOf(netns: string): Promise<number[]> {
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'pids', netns], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.on('close', () => resolve(out.split(/\s+/).filter(Boolean).map(Number)));
  });
}

/** Every pid in a cgroup subtree of the name=systemd (v1) or unified (v2) hierarchy. */
function cgroupPids(rel: string): number[] {
  const pids: number[] = [];
  const walk = (dir: string): void => {
    if (!fs.existsSync(dir)) return;
    for (const l of fs.readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (l) pids.push(Number(l));
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(join(dir, e.name));
  };
  for (const root of ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified', '/sys/fs/cgroup']) {
    if (fs.existsSync(join(root, 'cgroup.procs'))) {
      walk(join(root, rel));
      break;
    }
  }
  return pids;
}

t.test('systemd lab hosts', async (t) => {
  const lab = await withLab(t, { hosts: 2, name: 'tlabsd', subnetIndex: 36, init: 'systemd' });
  t.equal(lab.init, 'systemd');

  t.test('systemd is PID 1, the system is running, only what a fresh host runs', async (t) => {
    for (const h of lab.hosts) {
      // ssh answers before every unit is up: wait for the boot to finish.
      const r = await ssh(
        lab,
        h.name,
        'systemctl is-system-running --wait; cat /proc/1/comm; hostname; cat /etc/hostname; systemctl --failed --no-legend --plain; echo ---; ' +
          'systemctl list-units --type=service --state=running --no-legend --plain | cut -d" " -f1',
      );
      const [state, comm, hostname, etcHostname, ...rest] = r.out.trim().split('\n');
      t.match(state, /^(running|degraded)$/, `${h.name}: ${state}`);
      t.equal(comm, 'systemd', `${h.name}: PID 1 is systemd`);
      t.equal(hostname, h.name);
      t.equal(etcHostname, h.name, 'its own /etc/hostname');
      const sep = rest.indexOf('---');
      t.same(rest.slice(0, sep), [], `${h.name}: no failed unit`);
      const running = rest.slice(sep + 1).sort();
      t.same(running.filter((u) => !/^user@\d+\.service$/.test(u)), ['dbus.service', 'ssh.service', 'systemd-journald.service', 'systemd-logind.service']);
      for (const u of ['postgresql.service', 'etcd.service', 'getty@tty1.service', 'cron.service', 'systemd-timesyncd.service']) {
        t.notOk(running.includes(u), `the control node's ${u} does not run in the host`);
      }
    }
  });

  t.test('units started by a task survive the task; systemctl enable works', async (t) => {
    const dir = t.testdir({
      'site.yml': [
        '- hosts: all',
        '  gather_facts: true',
        '  tasks:',
        '    - name: a transient unit',
        '      command: systemd-run --unit=bosun-lab-probe sleep 600',
        '    - name: etcd as a service',
        '      service: { name: etcd, state: started, enabled: true }',
        '',
      ].join('\n'),
    });
    const inv = join(dir, 'inv.yml');
    fs.writeFileSync(inv, labInventory(lab, 'nodes'));
    const r = await run([join(dir, 'site.yml'), '-i', inv, '-l', 'node1']);
    t.equal(r.code, 0, r.stdout.slice(-2000) + r.stderr);
    t.equal(recap(r.stdout).node1!.failed, 0);
    const after = await ssh(lab, 'node1', 'systemctl is-active bosun-lab-probe etcd; systemctl is-enabled etcd');
    t.equal(after.out, 'active\nactive\nenabled\n', after.err);
    const other = await ssh(lab, 'node2', 'systemctl is-active etcd; systemctl is-enabled etcd');
    t.equal(other.out, 'inactive\ndisabled\n', 'node2 is untouched');
  });

  t.test('lab down leaves no process, no cgroup, no namespace', async (t) => {
    const st = await labStatus(lab.name);
    t.same(st?.hosts.map((h) => h.up), [true, true]);
    const pids = new Set<number>();
    for (const h of lab.hosts) {
      for (const p of await pidsOf(h.netns)) pids.add(p);
      for (const p of cgroupPids(`bosun-lab/${lab.name}/${h.name}`)) pids.add(p);
    }
    t.ok(pids.size > 10, `${pids.size} processes in the lab (systemd, journald, dbus, logind, sshd, etcd, …)`);
    await labDown(lab.name);
    const left = [...pids].filter(alive);
    t.same(left, [], 'every process of the lab is gone');
    for (const root of ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified']) {
      t.notOk(fs.existsSync(`${root}/bosun-lab/${lab.name}`), `${root}: the lab's cgroups are removed`);
    }
    for (const h of lab.hosts) t.same(await pidsOf(h.netns), []);
    t.notOk(fs.existsSync(lab.stateDir));
  });
});
