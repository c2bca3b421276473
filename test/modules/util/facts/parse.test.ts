// Fact parsers on recorded host output: the decisions Ansible 2.14's collectors make (distribution
// files, package manager, service manager, CPU counting, mounts, interfaces), for systems the lab
// cannot present. The lab test (test/e2e/facts-setup.test.ts) compares the whole set with ansible.
import t from 'tap';
import { distributionFacts, dnsFacts, lsbFacts, pkgMgrFacts, serviceMgrFacts, userFacts, dateTimeFacts, envFacts, pythonFacts, platformFacts } from '../../../../lib/modules/util/facts/system.js';
import { cpuFacts, memoryFacts, mountFacts } from '../../../../lib/modules/util/facts/hardware.js';
import { networkFacts } from '../../../../lib/modules/util/facts/network.js';
import { subsetGroups, parseFacts } from '../../../../lib/modules/util/facts/gather.js';
import { factsScript, splitSections, FACT_GROUPS } from '../../../../lib/modules/util/facts/script.js';
import { factVars } from '../../../../lib/engine/facts.js';

const DEBIAN_OS = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n';

t.test('distribution: the release file Ansible reads first decides the name', async (t) => {
  t.match(distributionFacts(DEBIAN_OS, '==/etc/debian_version\n12.11\n'), {
    distribution: 'Debian', distribution_version: '12.11', distribution_major_version: '12', distribution_minor_version: '11',
    distribution_release: 'bookworm', os_family: 'Debian', distribution_file_path: '/etc/os-release', distribution_file_variety: 'Debian',
  });
  const ubuntu = 'NAME="Ubuntu"\nVERSION_ID="22.04"\nVERSION="22.04.3 LTS (Jammy Jellyfish)"\nID=ubuntu\nID_LIKE=debian\nVERSION_CODENAME=jammy\nUBUNTU_CODENAME=jammy\n';
  t.match(distributionFacts(ubuntu, '==/etc/debian_version\nbookworm/sid\n'), { distribution: 'Ubuntu', distribution_version: '22.04', distribution_release: 'jammy', os_family: 'Debian' });
  const rhel = 'NAME="Red Hat Enterprise Linux"\nVERSION="9.2 (Plow)"\nID="rhel"\nVERSION_ID="9.2"\n';
  t.match(distributionFacts(rhel, '==/etc/redhat-release\nRed Hat Enterprise Linux release 9.2 (Plow)\n'), {
    distribution: 'RedHat', distribution_version: '9.2', distribution_release: 'Plow', os_family: 'RedHat', distribution_file_search_string: 'Red Hat',
  });
  const centos = 'NAME="CentOS Linux"\nVERSION="7 (Core)"\nID="centos"\nVERSION_ID="7"\n';
  t.match(distributionFacts(centos, '==/etc/centos-release\nCentOS Linux release 7.9.2009 (Core)\n==/etc/redhat-release\nCentOS Linux release 7.9.2009 (Core)\n'), {
    distribution: 'CentOS', distribution_version: '7.9', distribution_major_version: '7', os_family: 'RedHat',
  });
  t.match(distributionFacts('NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\n', '==/etc/alpine-release\n3.19.1\n'), { distribution: 'Alpine', distribution_version: '3.19.1', os_family: 'Alpine' });
  t.match(distributionFacts('NAME="Amazon Linux"\nVERSION="2023"\nID="amzn"\nVERSION_ID="2023"\n', ''), { distribution: 'Amazon', distribution_major_version: '2023', os_family: 'RedHat' });
  t.match(distributionFacts('NAME="openSUSE Leap"\nVERSION_ID="15.5"\nID="opensuse-leap"\n', ''), { distribution: 'openSUSE Leap', distribution_version: '15.5', os_family: 'Suse' });
  t.match(distributionFacts('NAME="Something"\nID=something\nVERSION_ID=3\n', ''), { distribution: 'Something', distribution_file_variety: 'NA', os_family: 'Something' });
});

t.test('pkg_mgr: the last manager present, then the family defaults', async (t) => {
  t.same(pkgMgrFacts('/usr/bin/apt-get\n/usr/bin/dnf\n', { os_family: 'Debian' }), { pkg_mgr: 'apt' }, 'Debian keeps apt with dnf installed');
  t.same(pkgMgrFacts('/usr/bin/apt-get\n', { os_family: 'RedHat', distribution: 'Rocky', distribution_major_version: '9' }), { pkg_mgr: 'dnf' }, 'RHEL 8+ clones: dnf');
  t.same(pkgMgrFacts('/usr/bin/yum\n', { os_family: 'RedHat', distribution: 'CentOS', distribution_major_version: '7' }), { pkg_mgr: 'yum' }, 'RHEL 7: yum');
  t.same(pkgMgrFacts('/usr/bin/yum\n/usr/bin/dnf\n', { os_family: 'RedHat', distribution: 'Fedora', distribution_major_version: '39' }), { pkg_mgr: 'dnf' });
  t.same(pkgMgrFacts('/sbin/apk\n', { os_family: 'Alpine' }), { pkg_mgr: 'apk' });
  t.same(pkgMgrFacts('/usr/bin/apt-get\napt-rpm\n', { os_family: 'Debian' }), { pkg_mgr: 'apt_rpm' }, 'apt-get owned by rpm');
  t.same(pkgMgrFacts('', { os_family: 'Gentoo' }), { pkg_mgr: 'unknown' });
});

t.test('service_mgr: PID 1 unless it is init or a shell', async (t) => {
  t.same(serviceMgrFacts('comm=systemd\nsystemd-canary\n'), { service_mgr: 'systemd' });
  t.same(serviceMgrFacts('comm=sshd\ninitd\n'), { service_mgr: 'sshd' }, 'a container whose PID 1 is sshd');
  t.same(serviceMgrFacts('comm=bash\nsystemd-canary\n'), { service_mgr: 'systemd' }, 'a shell is not trusted');
  t.same(serviceMgrFacts('comm=init\ninitd\n'), { service_mgr: 'sysvinit' });
  t.same(serviceMgrFacts('comm=init\nopenrc\ninitd\n'), { service_mgr: 'openrc' });
  t.same(serviceMgrFacts(''), { service_mgr: 'service' });
});

t.test('processors: sockets, cores and threads as Ansible counts them', async (t) => {
  const cpu = (n: number, phys: string, core: string) =>
    `processor\t: ${n}\nvendor_id\t: GenuineIntel\nmodel name\t: Xeon\nphysical id\t: ${phys}\nsiblings\t: 4\ncore id\t\t: ${core}\ncpu cores\t: 2\nflags\t\t: fpu vme\n\n`;
  const info = cpu(0, '0', '0') + cpu(1, '0', '1') + cpu(2, '0', '0') + cpu(3, '0', '1') + cpu(4, '1', '0') + cpu(5, '1', '1') + cpu(6, '1', '0') + cpu(7, '1', '1');
  t.match(cpuFacts(info, 'nproc=6\n', 'x86_64'), { processor_count: 2, processor_cores: 2, processor_threads_per_core: 2, processor_vcpus: 8, processor_nproc: 6 });
  t.equal((cpuFacts(info, '', 'x86_64').processor as string[]).length, 24, 'processor: index, vendor, model of each');
  const arm = 'processor\t: 0\nBogoMIPS\t: 50\n\nprocessor\t: 1\nBogoMIPS\t: 50\n';
  t.match(cpuFacts(arm, 'nproc=2', 'aarch64'), { processor_count: 2, processor_cores: 1, processor_vcpus: 2 });
});

t.test('memory and mounts', async (t) => {
  const m = memoryFacts('MemTotal:       2048000 kB\nMemFree:         1024000 kB\nBuffers:          10240 kB\nCached:          102400 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\nSwapCached: 0 kB\n');
  t.match(m, { memtotal_mb: 2000, memfree_mb: 1000, swaptotal_mb: 0, memory_mb: { real: { total: 2000, used: 1000, free: 1000 }, nocache: { free: 1110, used: 890 } } });
  const mounts = mountFacts(
    '/dev/sda1 / ext4 rw,relatime 0 0\nproc /proc proc rw 0 0\n/dev/sdb1 /mnt/my\\040disk xfs ro 0 0\n/dev/sdc /x none rw 0 0\nsrv:/export /nfs nfs4 rw 0 0\n',
    '/ /dev/sda1 ext4 rw\n/mnt/my disk /dev/sdb1[/sub] xfs ro\n',
    '/dev/sda1 1234-abcd\n/dev/sdb1\n',
    // stat -f -c '%s %S %b %a %c %d %n' on the decoded paths
    '4096 4096 1000 250 500 100 /\n4096 1024 10 5 20 10 /mnt/my disk\n',
  );
  t.same((mounts.mounts as Array<Record<string, unknown>>).map((x) => x.mount), ['/', '/mnt/my disk', '/nfs'], 'device paths and host:/path only');
  t.match(mounts.mounts, [
    { device: '/dev/sda1', uuid: '1234-abcd', size_total: 4096000, size_available: 1024000, block_used: 750, inode_used: 400, options: 'rw,relatime' },
    { uuid: 'N/A', size_total: 10240 },
    { device: 'srv:/export', fstype: 'nfs4' },
  ]);
});

t.test('network: interfaces, addresses, default routes', async (t) => {
  const sysfs = '==eth0\naddress=52:54:00:12:34:56\nmtu=1500\noperstate=up\ntype=1\nspeed=1000\nflags=0x1103\npciid=0000:00:03.0\nmodule=virtio_net\n==lo\naddress=00:00:00:00:00:00\nmtu=65536\noperstate=unknown\ntype=772\nflags=0x9\n==br0\naddress=aa:bb:cc:dd:ee:ff\nmtu=1500\noperstate=down\ntype=1\nbridge=eth1 eth2 \nbridge_id=8000.aabbccddeeff\nstp_state=0\n';
  const primary = '1: lo: <LOOPBACK,UP> mtu 65536\n    inet 127.0.0.1/8 scope host lo\n    inet6 ::1/128 scope host\n2: eth0@if7: <BROADCAST> mtu 1500\n    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff\n    inet 192.168.1.10/24 brd 192.168.1.255 scope global eth0\n       valid_lft forever preferred_lft forever\n    inet6 fe80::1/64 scope link\n';
  const secondary = '2: eth0: <BROADCAST> mtu 1500\n    inet 192.168.1.11/24 brd 192.168.1.255 scope global secondary eth0:web\n';
  const f = networkFacts(sysfs, primary, secondary, '8.8.8.8 via 192.168.1.1 dev eth0 src 192.168.1.10 uid 0\n    cache\n', '');
  t.same(f.interfaces, ['eth0', 'eth0_web', 'lo', 'br0']);
  t.same(f.default_ipv4, {
    interface: 'eth0', address: '192.168.1.10', gateway: '192.168.1.1', broadcast: '192.168.1.255', netmask: '255.255.255.0',
    network: '192.168.1.0', prefix: '24', macaddress: '52:54:00:12:34:56', mtu: 1500, type: 'ether', alias: 'eth0',
  });
  t.same(f.default_ipv6, {}, 'no v6 route');
  t.match(f.eth0, { device: 'eth0', active: true, promisc: true, speed: 1000, module: 'virtio_net', pciid: '0000:00:03.0', ipv4_secondaries: [{ address: '192.168.1.11' }], ipv6: [{ address: 'fe80::1', prefix: '64', scope: 'link' }] });
  t.same(f.eth0_web, { ipv4_secondaries: [{ address: '192.168.1.11', broadcast: '192.168.1.255', netmask: '255.255.255.0', network: '192.168.1.0', prefix: '24' }] });
  t.match(f.lo, { type: 'loopback', active: true, promisc: false, ipv4: { address: '127.0.0.1', netmask: '255.0.0.0' } });
  t.notOk('macaddress' in (f.lo as object), 'an all-zero MAC is left out');
  t.match(f.br0, { type: 'bridge', interfaces: ['eth1', 'eth2'], id: '8000.aabbccddeeff', stp: false, active: false });
  t.same(f.all_ipv4_addresses, ['192.168.1.10', '192.168.1.11']);
  t.same(f.all_ipv6_addresses, ['fe80::1']);
});

t.test('user, python, date_time, env, dns, lsb, platform', async (t) => {
  t.same(userFacts('deploy\ndeploy\n\n\n1000\n1000\n1000\n1000\ndeploy\ndeploy:x:1000:1000:Deploy User,,,:/home/deploy:/bin/bash\n'), {
    user_id: 'deploy', user_uid: 1000, user_gid: 1000, user_gecos: 'Deploy User,,,', user_dir: '/home/deploy', user_shell: '/bin/bash',
    real_user_id: 1000, effective_user_id: 1000, real_group_id: 1000, effective_group_id: 1000,
  });
  t.same(pythonFacts('/usr/bin/python3\n3 11 2 final 0\ncpython\n'), {
    python: { executable: '/usr/bin/python3', has_sslcontext: true, type: 'cpython', version: { major: 3, minor: 11, micro: 2, releaselevel: 'final', serial: 0 }, version_info: [3, 11, 2, 'final', 0] },
    python_version: '3.11.2',
  });
  t.same(pythonFacts(''), {}, 'no python on the host: no python facts');
  const dt = dateTimeFacts('2026|07|05|14|03|09|CEST|+0200|Sunday|0|26|1783253000|123456789\nCET|+0100\nCEST|+0200\n').date_time as Record<string, string>;
  t.match(dt, { date: '2026-07-05', time: '14:03:09', tz: 'CEST', tz_dst: 'CEST', tz_offset: '+0200', iso8601_basic_short: '20260705T140309', iso8601_basic: '20260705T140309123456', epoch_int: '1783253000' });
  t.equal(dt.iso8601, new Date(1783253000 * 1000).toISOString().replace(/\.\d+Z$/, 'Z'), 'iso8601 is UTC');
  t.same(envFacts('HOME=/root\0MULTI=a\nb\0PATH=/bin\0'), { env: { HOME: '/root', MULTI: 'a\nb', PATH: '/bin' } }, 'env -0 keeps values with newlines');
  t.same(dnsFacts('# comment\nnameserver 10.0.0.1\nnameserver 10.0.0.2\nsearch a.example b.example\noptions ndots:2 rotate\n'), {
    dns: { nameservers: ['10.0.0.1', '10.0.0.2'], search: ['a.example', 'b.example'], options: { ndots: '2', rotate: true } },
  });
  t.same(lsbFacts('Distributor ID:\tRocky\nDescription:\tRocky Linux 9.4 (Blue Onyx)\nRelease:\t9.4\nCodename:\tn/a\n', undefined), {
    lsb: { id: 'Rocky', description: 'Rocky Linux 9.4 (Blue Onyx)', release: '9.4', codename: 'n/a', major_release: '9' },
  });
  t.same(lsbFacts('', 'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\nDISTRIB_CODENAME=jammy\nDISTRIB_DESCRIPTION="Ubuntu 22.04.3 LTS"\n'), {
    lsb: { id: 'Ubuntu', release: '22.04', codename: 'jammy', description: 'Ubuntu 22.04.3 LTS', major_release: '22' },
  });
  t.match(platformFacts('Linux\nweb1.example.com\n6.1.0\n#1 SMP\nx86_64\nweb1.example.com\n64\n', 'abc123\n', '3.11.2'), {
    hostname: 'web1', nodename: 'web1.example.com', fqdn: 'web1.example.com', domain: 'example.com', userspace_architecture: 'x86_64', machine_id: 'abc123', python_version: '3.11.2',
  });
});

t.test('gather_subset and the variables the facts become', async (t) => {
  const all = subsetGroups(undefined);
  t.same([...all].sort(), [...FACT_GROUPS].sort(), 'default: all');
  const min = subsetGroups(['!all']);
  t.notOk(min.has('hardware') || min.has('network'), '!all: only the minimal set');
  t.ok(min.has('distribution') && min.has('date_time'));
  t.same([...subsetGroups(['!all', '!min'])], [], '!all, !min: nothing');
  t.ok(subsetGroups(['!all', 'network']).has('network'), 'a named group comes back');
  t.notOk(subsetGroups(['all', '!hardware']).has('hardware'), '!hardware removes it');
  t.ok(subsetGroups(['!all', '!min', 'pkg_mgr']).has('distribution'), 'pkg_mgr needs the distribution');
  t.throws(() => subsetGroups(['hardwre']), /unknown subset 'hardwre'/);
  // the script holds only the sections asked for
  t.notMatch(factsScript(subsetGroups(['!all'])), /cpuinfo/);
  t.match(factsScript(subsetGroups(['all'])), /cpuinfo/);
  const out = '\n@@@bosun-facts:bosun\ninit=sysv\nuser=root\n\n@@@bosun-facts:os_release\n' + DEBIAN_OS + '\n@@@bosun-facts:dist_files\n==/etc/debian_version\n12.4\n';
  t.same([...splitSections(out).keys()], ['bosun', 'os_release', 'dist_files']);
  const f = parseFacts(out, new Set(['distribution']), ['!all', '!min', 'distribution']);
  t.match(f, { distribution: 'Debian', distribution_version: '12.4', init: 'sysv', user: 'root', gather_subset: ['!all', '!min', 'distribution'], module_setup: true });
  t.notOk('hostname' in f, 'a fact outside the subset is not there at all');
  const v = factVars(f);
  t.match(v, { ansible_distribution: 'Debian', ansible_facts: { distribution: 'Debian', os_family: 'Debian' }, gather_subset: ['!all', '!min', 'distribution'], module_setup: true });
  t.notOk('ansible_init' in v || 'init' in (v.ansible_facts as object), "bosun's own fields are not facts");
  t.same(factVars(undefined), { ansible_facts: {} }, 'before gathering: an empty ansible_facts');
});
