// The scripts that boot a lab host, checked as text (test/lab/lab.test.ts and systemd.test.ts boot them for real).
import t from 'tap';
import { DROPPED_CAPS, aptSourceText, bootScriptText, cgroupMounts, cgroupPath, ownHierarchy, startScriptText } from '../../lib/lab/boot.js';

t.test('boot plan helpers', async (t) => {
  const mounts = [
    'tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0',
    'cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,nodev,noexec,relatime,cpu,cpuacct 0 0',
    'cgroup /sys/fs/cgroup/systemd cgroup rw,nosuid,nodev,noexec,relatime,xattr,name=systemd 0 0',
    'cgroup2 /sys/fs/cgroup/unified cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate 0 0',
    'proc /proc proc rw 0 0',
  ].join('\n');
  const c = cgroupMounts(mounts);
  t.same(c, [
    { dir: 'cpu,cpuacct', type: 'cgroup', opts: 'cpu,cpuacct' },
    { dir: 'systemd', type: 'cgroup', opts: 'none,name=systemd' },
    { dir: 'unified', type: 'cgroup2', opts: '' },
  ]);
  t.same(c.map(ownHierarchy), [false, true, true]);
  t.same(cgroupMounts('cgroup2 /sys/fs/cgroup cgroup2 rw,nsdelegate 0 0'), [{ dir: '', type: 'cgroup2', opts: '' }], 'pure cgroup v2');
  const plan = {
    lab: 'l', host: 'node1', ip: '10.66.9.11', init: 'systemd' as const, family: 'redhat' as const, dir: '/var/tmp/x/l/node1',
    labsDir: '/var/tmp/x', labDir: '/var/tmp/x/l', repoDir: '/var/cache/r', machineId: 'ab', cgroups: c,
  };
  const start = startScriptText(plan);
  t.match(start, 'echo $$ > /sys/fs/cgroup/systemd/bosun-lab/l/node1/cgroup.procs');
  t.notMatch(start, 'cpu,cpuacct/bosun-lab', 'controllers are not moved');
  t.match(start, 'unshare --mount --uts --ipc --pid --fork --propagation private --cgroup');
  const boot = bootScriptText(plan);
  t.match(boot, 'lowerdir=/,upperdir=/var/tmp/x/l/node1/upper');
  t.match(boot, 'mount -t tmpfs -o ro,mode=0755,size=4k hidden /var/tmp/x/l/node1/rootfs/var/tmp/x', 'every lab dir hidden in the host');
  t.match(boot, '/etc/redhat-release');
  t.match(boot, `setpriv --bounding-set ${DROPPED_CAPS.map((x) => `-${x}`).join(',')} /lib/systemd/systemd --system`);
  const sshdBoot = bootScriptText({ ...plan, init: 'sshd', family: 'debian', repoDir: undefined, cgroups: [] });
  t.notMatch(sshdBoot, 'cgroup');
  t.notMatch(sshdBoot, 'redhat-release');
  t.notMatch(sshdBoot, 'apt');
  t.match(sshdBoot, 'exec setpriv --bounding-set -sys_time');
  t.match(aptSourceText('/var/cache/r'), 'deb [trusted=yes] file:/var/cache/r ./');
  t.equal(cgroupPath('l', 'node1'), 'bosun-lab/l/node1');
});
