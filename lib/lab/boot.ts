// How a lab host boots: the two shell scripts that build its filesystem and namespaces and become
// its PID 1 (sshd or systemd). Generated at `lab up` so lib/ and dist/ ship no scripts.
//
// Filesystem: one overlay whose lower layer is the control node's whole root filesystem and whose
// upper layer is the host's own directory, then pivot_root into it. Every path a package or role
// may write (/usr, /etc, /var, /home, /srv, /opt, /boot, /root, …) is therefore the host's own; the
// control node's files are only ever read. Kernel filesystems are the host's own too (proc of its
// PID namespace, sysfs of its network namespace, a small /dev), and the kernel-wide knobs are
// read-only (/proc/sys except /proc/sys/net, /sys), as systemd-nspawn does it.
import { shq } from '../executor/types.js';

export type LabInit = 'sshd' | 'systemd';
export type LabFamily = 'debian' | 'redhat';
export const LAB_INITS: readonly LabInit[] = ['sshd', 'systemd'];
export const LAB_FAMILIES: readonly LabFamily[] = ['debian', 'redhat'];

/** A cgroup hierarchy of the control node, mounted again inside systemd hosts. */
export interface CgroupMount {
  /** Directory under /sys/fs/cgroup ('' when /sys/fs/cgroup itself is the cgroup2 root). */
  dir: string;
  type: 'cgroup' | 'cgroup2';
  /** Super options for `mount -o` (e.g. 'cpu,cpuacct' or 'none,name=systemd'). */
  opts: string;
}

/** Everything the scripts need to know about one host; paths are absolute on the control node. */
export interface BootPlan {
  lab: string;
  host: string;
  ip: string;
  init: LabInit;
  family: LabFamily;
  /** The host's directory: upper/, work/, rootfs/, keys, scripts, log. */
  dir: string;
  /** Directory holding every lab (hidden inside hosts: other hosts' files and the lab key live there). */
  labsDir: string;
  labDir: string;
  /** Local apt repository, mounted read-only at the same path inside the host (absent: no package source). */
  repoDir?: string;
  machineId: string;
  cgroups: CgroupMount[];
}

/**
 * Capabilities no lab host gets: they act on the whole machine, not on the host's namespaces
 * (clock, kernel modules, raw I/O, kernel log, process accounting). chrony or timesyncd inside a
 * host can then not set the control node's clock; their units skip themselves (ConditionCapability).
 */
export const DROPPED_CAPS = ['sys_time', 'sys_module', 'sys_rawio', 'syslog', 'sys_pacct', 'wake_alarm', 'block_suspend', 'mac_admin', 'mac_override'];

/** The hierarchies systemd manages (and a host gets a directory of its own in): name=systemd and cgroup2. */
export function ownHierarchy(c: CgroupMount): boolean {
  return c.type === 'cgroup2' || c.opts.split(',').includes('name=systemd');
}

/** cgroup directory (relative to each hierarchy's root) that holds a systemd host: removed by labDown. */
export function cgroupPath(lab: string, host?: string): string {
  return host ? `bosun-lab/${lab}/${host}` : `bosun-lab/${lab}`;
}

/** Parses /proc/self/mounts for the cgroup hierarchies under /sys/fs/cgroup. */
export function cgroupMounts(procMounts: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of procMounts.split('\n')) {
    const [, mnt, type, opts] = line.split(' ');
    if (!mnt || (type !== 'cgroup' && type !== 'cgroup2')) continue;
    if (mnt !== '/sys/fs/cgroup' && !mnt.startsWith('/sys/fs/cgroup/')) continue;
    const dir = mnt === '/sys/fs/cgroup' ? '' : mnt.slice('/sys/fs/cgroup/'.length);
    if (dir.includes('/')) continue;
    // Keep only the hierarchy-selecting options: controllers and name=.
    const keep = type === 'cgroup' ? (opts ?? '').split(',').filter((o) => !/^(rw|ro|relatime|noatime|nosuid|nodev|noexec|nsdelegate|memory_recursiveprot|clone_children|xattr|release_agent=.*)$/.test(o)) : [];
    if (type === 'cgroup' && keep.every((o) => o.startsWith('name='))) keep.unshift('none');
    out.push({ dir, type, opts: keep.join(',') });
  }
  return out;
}

export function sshdConfigText(ip: string): string {
  // Every path is under /run/bosun-lab: the boot script copies the files there.
  return [
    `ListenAddress ${ip}`,
    'Port 22',
    'HostKey /run/bosun-lab/ssh_host_ed25519_key',
    'AuthorizedKeysFile /run/bosun-lab/authorized_keys',
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'PidFile /run/sshd.pid',
    'PrintMotd no',
    'PrintLastLog no',
    'UseDNS no',
    // Engines open many sessions at once (forks, ControlMaster): keep sshd from dropping them.
    'MaxStartups 100:30:200',
    'MaxSessions 100',
    'AcceptEnv LANG LC_*',
    'Subsystem sftp /usr/lib/openssh/sftp-server',
    '',
  ].join('\n');
}

/** Drop-in for Debian's own ssh.service on systemd hosts (sshd_config includes sshd_config.d first, so these win). */
export function sshdDropInText(): string {
  return [
    '# bosun lab: this host\'s key and the lab\'s login key; no passwords.',
    'HostKey /run/bosun-lab/ssh_host_ed25519_key',
    'AuthorizedKeysFile /run/bosun-lab/authorized_keys',
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UseDNS no',
    'MaxStartups 100:30:200',
    'MaxSessions 100',
    '',
  ].join('\n');
}

/**
 * os-release of the simulated RHEL-family host. Only the facts change: binaries, package manager
 * and paths stay Debian's (a role's `dnf`/`yum` task cannot work here).
 */
export const REDHAT_OS_RELEASE = `NAME="Rocky Linux"
VERSION="9.4 (Blue Onyx)"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.4"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"
ANSI_COLOR="0;32"
HOME_URL="https://rockylinux.org/"
BOSUN_LAB_SIMULATION="os-release facts only: binaries and packages are Debian's"
`;
export const REDHAT_RELEASE = 'Rocky Linux release 9.4 (Blue Onyx)\n';

export function aptSourceText(repoDir: string): string {
  return `# bosun lab: the lab's local package repository (read-only); the machine's mirror is not reachable from lab hosts.\ndeb [trusted=yes] file:${repoDir} ./\n`;
}

/**
 * Outer script, run by `ip netns exec` in the host's network namespace: puts a systemd host in its
 * own cgroup (so the cgroup namespace's root is that directory), then starts the namespaces.
 */
export function startScriptText(p: BootPlan): string {
  const q = shq;
  const lines = ['#!/bin/sh', `# Generated by bosun lab: starts host ${p.host} of lab ${p.lab}.`, 'set -eu'];
  if (p.init === 'systemd') {
    const cg = cgroupPath(p.lab, p.host);
    // `ip netns exec` gave this process a fresh /sys without the cgroup mounts: mount them again here.
    const hybrid = p.cgroups.some((c) => c.dir !== '');
    if (hybrid) lines.push('mount -t tmpfs -o mode=0755 cgroup /sys/fs/cgroup');
    for (const c of p.cgroups) {
      const at = c.dir ? `/sys/fs/cgroup/${c.dir}` : '/sys/fs/cgroup';
      if (c.dir) lines.push(`mkdir -p ${q(at)}`);
      lines.push(`mount -t ${c.type}${c.opts ? ` -o ${q(c.opts)}` : ''} cgroup ${q(at)}`);
      // Only systemd's own hierarchies: controllers stay where they are (cpuset would need cpus/mems first).
      if (ownHierarchy(c)) lines.push(`mkdir -p ${q(`${at}/${cg}`)}`, `echo $$ > ${q(`${at}/${cg}/cgroup.procs`)}`);
    }
  }
  const ns = ['--mount', '--uts', '--ipc', '--pid', '--fork', '--propagation', 'private'];
  if (p.init === 'systemd') ns.push('--cgroup');
  lines.push(`exec unshare ${ns.join(' ')} /bin/sh ${q(`${p.dir}/boot.sh`)}`, '');
  return lines.join('\n');
}

/** Inner script: PID 1 of the host's PID namespace. Builds the root filesystem, then becomes sshd or systemd. */
export function bootScriptText(p: BootPlan): string {
  const q = shq;
  const d = p.dir;
  const R = `${d}/rootfs`;
  const r = (x: string): string => q(R + x);
  const first: string[] = [];
  // --- first boot only: the host's own state, written through the overlay into its upper dir
  first.push(
    '# A home of its own, as on a fresh Debian host (its rc files run on every ssh login): the',
    '# whiteout made before mounting turns this mkdir into an opaque directory over the control node\'s /root.',
    `mkdir -p -m 0700 ${r('/root')}`,
    `for f in .bashrc .profile; do [ -r /usr/share/base-files/dot$f ] && cp /usr/share/base-files/dot$f ${r('/root/')}$f; done`,
    `printf '%s\\n' ${q(p.machineId)} > ${r('/etc/machine-id')}`,
    '# man-db\'s trigger (seconds per package on a busy machine) off, as debconf man-db/auto-update=false does.',
    `rm -f ${r('/var/lib/man-db/auto-update')}`,
  );
  if (p.repoDir) {
    // Only the lab repository: the machine's mirror is unreachable. Lists copied from the repo's
    // index, so `apt-get install` works without `apt-get update`, as on a provisioned host.
    first.push(
      `rm -f ${r('/etc/apt/sources.list')} ${r('/etc/apt/sources.list.d')}/*`,
      `cp ${q(`${p.labDir}/apt.list`)} ${r('/etc/apt/sources.list.d/bosun-lab.list')}`,
      `find ${r('/var/lib/apt/lists')} -maxdepth 1 -type f ! -name lock -delete`,
      `rm -f ${r('/var/cache/apt')}/*.bin`,
      `cp ${q(p.repoDir)}/lists/* ${r('/var/lib/apt/lists/')}`,
    );
  }
  if (p.family === 'redhat') {
    first.push(`rm -f ${r('/etc/os-release')}`, `cp ${q(`${p.labDir}/os-release`)} ${r('/etc/os-release')}`, `cp ${q(`${p.labDir}/redhat-release`)} ${r('/etc/redhat-release')}`);
  }
  if (p.init === 'systemd') {
    first.push(
      '# Only what a fresh host runs: the control node\'s enabled services become disabled (not masked:',
      '# a role must still be able to `systemctl enable --now` them); sshd stays enabled.',
      `for l in ${r('/etc/systemd/system')}/*.wants/*; do case "$l" in */multi-user.target.wants/ssh.service) ;; *) rm -f "$l" ;; esac; done`,
      `for l in ${r('/etc/systemd/system')}/*.service; do [ ! -L "$l" ] || case "$l" in */sshd.service) ;; *) rm -f "$l" ;; esac; done`,
      '# No console, no gettys (the generator would add console-getty, which fails without a terminal).',
      `mkdir -p ${r('/etc/systemd/system-generators')}`,
      `ln -sf /dev/null ${r('/etc/systemd/system-generators/systemd-getty-generator')}`,
      `ln -sf /lib/systemd/system/multi-user.target ${r('/etc/systemd/system/default.target')}`,
      `mkdir -p ${r('/etc/systemd/system/multi-user.target.wants')} ${r('/etc/ssh/sshd_config.d')}`,
      `ln -sf /lib/systemd/system/ssh.service ${r('/etc/systemd/system/multi-user.target.wants/ssh.service')}`,
      `cp ${q(`${d}/sshd_dropin.conf`)} ${r('/etc/ssh/sshd_config.d/00-bosun-lab.conf')}`,
    );
  }
  first.push(`touch ${q(`${d}/provisioned`)}`);

  const caps = DROPPED_CAPS.map((c) => `-${c}`).join(',');
  const exec =
    p.init === 'systemd'
      ? `exec env -i container=bosun-lab PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin setpriv --bounding-set ${caps} /lib/systemd/systemd --system`
      : `exec setpriv --bounding-set ${caps} /usr/sbin/sshd -D -e -f /run/bosun-lab/sshd_config`;

  const cgroupLines: string[] = [];
  if (p.init === 'systemd') {
    const hybrid = p.cgroups.some((c) => c.dir !== '');
    if (hybrid) cgroupLines.push(`mount -t tmpfs -o mode=0755 cgroup ${r('/sys/fs/cgroup')}`);
    for (const c of p.cgroups) {
      const at = c.dir ? `${R}/sys/fs/cgroup/${c.dir}` : `${R}/sys/fs/cgroup`;
      // Controllers read-only (as systemd-nspawn does); systemd's own hierarchies writable.
      const own = ownHierarchy(c);
      if (c.dir) cgroupLines.push(`mkdir -p ${q(at)}`);
      cgroupLines.push(`mount -t ${c.type} -o ${own ? 'rw' : 'ro'}${c.opts ? ',' + q(c.opts) : ''} cgroup ${q(at)}`);
    }
  }

  return `#!/bin/sh
# Generated by bosun lab: PID 1 of host ${p.host} (lab ${p.lab}, init ${p.init}); becomes ${p.init === 'systemd' ? 'systemd' : 'sshd'}.
set -eu
first=0; [ -e ${q(`${d}/provisioned`)} ] || first=1
[ $first = 0 ] || mknod ${q(`${d}/upper/root`)} c 0 0
mount -t overlay overlay -o lowerdir=/,upperdir=${q(`${d}/upper`)},workdir=${q(`${d}/work`)} ${q(R)}
if [ $first = 1 ]; then
${first.map((l) => '  ' + l).join('\n')}
fi
# Kernel filesystems of this host's own namespaces
mount -t proc -o nosuid,nodev,noexec proc ${r('/proc')}
mount --bind ${r('/proc/sys')} ${r('/proc/sys')}
mount -o remount,bind,ro ${r('/proc/sys')}
mount --bind ${r('/proc/sys/net')} ${r('/proc/sys/net')}
mount -o remount,bind,rw ${r('/proc/sys/net')}
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs ${r('/sys')}
${cgroupLines.join('\n')}
mount -t tmpfs -o mode=0755,nosuid,size=16m dev ${r('/dev')}
for n in null zero full random urandom tty; do touch ${r('/dev/')}$n; mount --bind /dev/$n ${r('/dev/')}$n; done
touch ${r('/dev/console')}; mount --bind /dev/null ${r('/dev/console')}
mkdir -p ${r('/dev/pts')} ${r('/dev/shm')} ${r('/dev/mqueue')}
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts ${r('/dev/pts')}
ln -s pts/ptmx ${r('/dev/ptmx')}
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs ${r('/dev/shm')}
mount -t mqueue mqueue ${r('/dev/mqueue')}
ln -s /proc/self/fd ${r('/dev/fd')}; ln -s /proc/self/fd/0 ${r('/dev/stdin')}; ln -s /proc/self/fd/1 ${r('/dev/stdout')}; ln -s /proc/self/fd/2 ${r('/dev/stderr')}
mount -t tmpfs -o mode=0755,nosuid,nodev,size=64m tmpfs ${r('/run')}
mount -t tmpfs -o mode=1777,nosuid,nodev,size=256m tmpfs ${r('/tmp')}
mkdir -p ${r('/run/sshd')} ${r('/run/lock')} ${r('/run/bosun-lab')}
chmod 0700 ${r('/run/bosun-lab')}; chmod 1777 ${r('/run/lock')}
cp ${q(`${d}/ssh_host_ed25519_key`)} ${q(`${d}/sshd_config`)} ${q(`${p.labDir}/authorized_keys`)} ${r('/run/bosun-lab/')}
chmod 0600 ${r('/run/bosun-lab')}/*
# Every lab's files (keys, other hosts' upper dirs) are not this host's business.
[ ! -d ${r(p.labsDir)} ] || mount -t tmpfs -o ro,mode=0755,size=4k hidden ${r(p.labsDir)}
${p.repoDir ? `[ ! -d ${q(p.repoDir)} ] || { mount --bind ${q(p.repoDir)} ${r(p.repoDir)}; mount -o remount,bind,ro ${r(p.repoDir)}; }` : ''}
# Same content on every start, so hashHost sees no change (mtimes are not hashed).
cat ${q(`${p.labDir}/hosts`)} > ${r('/etc/hosts')}
printf '%s\\n' ${q(p.host)} > ${r('/etc/hostname')}
hostname ${q(p.host)}
ip link set lo up
cd ${q(R)}
pivot_root . .
umount -l .
cd /
${exec}
`;
}
