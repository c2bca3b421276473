// The cheap probe's output (one head for every file, one ip batch, one readlink, the ids from
// /proc, one date, the static answers from the cache) gives the parsers the sections the older
// probe gave them, hence the same facts: each reassembly on recorded text, then a whole host's
// output in both forms through parseFacts, then the cache round trip on this machine.
import t from 'tap';
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyStatic, cpuListCount, findmntFromMountinfo, headFiles, linkTargets, parserSections, splitIpBatch } from '../../../../lib/modules/util/facts/sections.js';
import { FACT_GROUPS, ROUTE_V4, ROUTE_V6, STATIC_FILES, factsScript, isSignature, splitSections } from '../../../../lib/modules/util/facts/script.js';
import { gatherFacts, parseFacts, subsetGroups } from '../../../../lib/modules/util/facts/gather.js';
import { readStatic, resetStaticCacheDir, writeStatic } from '../../../../lib/modules/util/facts/cache.js';
import { LocalConnection } from '../../../../lib/executor/local.js';
import { withExec } from '../../../../lib/executor/types.js';

const SIG = `${'1'.repeat(3)}${'0'.repeat(STATIC_FILES.length - 3)}1${' 2049 12 345 1700000000.123456789 1700000001.000000000'.repeat(4)}`;

t.test('head -v: each file\'s text, exactly', async (t) => {
  const out = '==> /etc/machine-id <==\nabc\n\n==> /proc/self/environ <==\nA=1\0B=x\n==> /nope <==\ny\0\n==> /etc/resolv.conf <==\nnameserver 10.0.0.1';
  const f = headFiles(out, ['/etc/machine-id', '/proc/self/environ', '/etc/resolv.conf']);
  t.same([...f.keys()], ['/etc/machine-id', '/proc/self/environ', '/etc/resolv.conf']);
  t.equal(f.get('/etc/machine-id'), 'abc\n', 'a text ending in a newline keeps it');
  t.equal(f.get('/proc/self/environ'), 'A=1\0B=x\n==> /nope <==\ny\0', 'a header naming no probe file is text; NULs pass');
  t.equal(f.get('/etc/resolv.conf'), 'nameserver 10.0.0.1', 'no final newline: none added');
  t.same([...headFiles('', ['/etc/machine-id']).keys()], [], 'no output, no files');
});

t.test('nproc from Cpus_allowed_list (os.sched_getaffinity)', async (t) => {
  t.equal(cpuListCount('0-3,8'), 5);
  t.equal(cpuListCount('0'), 1);
  t.equal(cpuListCount('0-1,4-5,9'), 5);
  t.equal(cpuListCount('x'), undefined, 'not a CPU list: no nproc (the parser counts processors)');
});

t.test("findmnt's TARGET SOURCE from mountinfo: [root] marks a bind mount", async (t) => {
  const mi = [
    '22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw',
    '40 22 254:1 /srv/data /mnt/my\\040data rw,relatime shared:1 master:2 - ext4 /dev/vda1 rw',
    '41 22 0:5 / /proc rw - proc proc rw',
    'garbage line',
  ].join('\n');
  t.equal(findmntFromMountinfo(mi), '/ /dev/vda1\n/mnt/my data /dev/vda1[/srv/data]\n/proc proc\n');
});

t.test('one ip batch: primary and secondary listings, the two route answers', async (t) => {
  const prim = '1: lo: <LOOPBACK,UP> mtu 65536\n    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever\n2: eth0@if7: <BROADCAST> mtu 1500\n    inet 10.0.0.5/24 brd 10.0.0.255 scope global eth0\n';
  const sec = '2: eth0@if7: <BROADCAST> mtu 1500\n    inet 10.0.0.6/24 brd 10.0.0.255 scope global secondary eth0:1\n';
  const r4 = `${ROUTE_V4} via 10.0.0.1 dev eth0 src 10.0.0.5 uid 0 \n    cache \n`;
  const r6 = `${ROUTE_V6} from :: via fd00::1 dev eth0 src fd00::5 metric 1024 pref medium\n`;
  t.same(splitIpBatch(prim + sec + r4 + r6, ROUTE_V4, ROUTE_V6), { primary: prim, secondary: sec, route4: r4, route6: r6 });
  t.same(splitIpBatch(prim + r6, ROUTE_V4, ROUTE_V6), { primary: prim, secondary: '', route4: '', route6: r6 }, 'no secondary address, no v4 route');
  t.same(splitIpBatch(prim + `local ${ROUTE_V4} dev lo src 127.0.0.1\n    cache <local>\n`, ROUTE_V4, ROUTE_V6).route4, `local ${ROUTE_V4} dev lo src 127.0.0.1\n    cache <local>\n`, 'a typed route answer');
});

t.test('readlink batch: paths and targets pair up, or not at all', async (t) => {
  t.same([...linkTargets('/sbin/init\n/sys/class/net/eth0/device\n--\n/lib/systemd/systemd\n../../../virtio0\n')], [['/sbin/init', '/lib/systemd/systemd'], ['/sys/class/net/eth0/device', '../../../virtio0']]);
  t.same([...linkTargets('/sbin/init\n/sys/class/net/eth0/device\n--\n/lib/systemd/systemd\n')], [], 'one target missing: none is trusted');
  t.same([...linkTargets('')], []);
});

t.test('the static signature: well formed or never sent', async (t) => {
  t.ok(isSignature(SIG));
  t.notOk(isSignature(`${'0'.repeat(STATIC_FILES.length + 1)} 1 2 3 4.0 5.0`), 'more tuples than present files');
  t.notOk(isSignature('1'.repeat(STATIC_FILES.length + 1)), 'stat printed nothing (missing or without --printf)');
  t.notOk(isSignature(`${SIG}'; reboot; '`), 'anything but digits, dots and spaces');
  const all = subsetGroups(undefined);
  t.match(factsScript(all, SIG), `[ "$s" = '${SIG}' ]`, 'a well-formed signature is compared');
  const hostile = `${SIG}'; touch /tmp/x; '`;
  t.notMatch(factsScript(all, hostile), /touch/, 'a malformed one never reaches the script');
  t.notMatch(factsScript(subsetGroups(['!all', '!min', 'date_time'])), /@@@bosun-facts:%s\\n' static/, 'no group needs it: no static block');
});

t.test('static answers: filled in on a hit, returned for the cache on a miss', async (t) => {
  const cached = { sig: SIG, python: '/usr/bin/python3\n3 11 2 final 0\ncpython\n', lsb: 'Distributor ID:\tDebian\n', bits: '64\n' };
  const hit = splitSections(`\n@@@bosun-facts:static\nsig=${SIG}\nhit\n`);
  t.equal(applyStatic(hit, cached), undefined);
  t.equal(hit.get('python'), cached.python);
  t.equal(hit.get('bits'), '64\n');
  const other = splitSections(`\n@@@bosun-facts:static\nsig=${SIG.replace('2049', '2050')}\nhit\n`);
  applyStatic(other, cached);
  t.notOk(other.has('python'), 'a hit on another signature takes nothing from the cache');
  const miss = splitSections(`\n@@@bosun-facts:static\nsig=${SIG}\n\n@@@bosun-facts:python\n/usr/bin/python3\n3 12 0 candidate 1\ncpython\n\n@@@bosun-facts:lsb\n\n@@@bosun-facts:bits\n64\n`);
  t.same(applyStatic(miss, undefined), { sig: SIG, python: '/usr/bin/python3\n3 12 0 candidate 1\ncpython\n', lsb: '', bits: '64\n' });
  const broken = splitSections(`\n@@@bosun-facts:static\nsig=${'1'.repeat(STATIC_FILES.length + 1)}\n\n@@@bosun-facts:bits\n64\n`);
  t.equal(applyStatic(broken, undefined), undefined, 'no signature (stat failed): nothing to cache');
});

const idsOut = (r: string, e: string, g: string, passwd: string, user = 'deploy\ndeploy\n\n\n', real = '') =>
  `\n@@@bosun-facts:bosun\ninit=sysv\nids=${r} ${e} ${g}\n\n@@@bosun-facts:passwd\n${passwd}${real ? `\n@@@bosun-facts:passwd_real\n${real}` : ''}\n@@@bosun-facts:user\n${user}`;
const ids = (...a: Parameters<typeof idsOut>) => parserSections(splitSections(idsOut(...a)), ROUTE_V4, ROUTE_V6);

t.test('the ids line and getent: the user section id and getent gave', async (t) => {
  const d = 'deploy:x:1000:1000:Deploy User,,,:/home/deploy:/bin/bash';
  let s = ids('1000', '1000', '1000', `${d}\n${d}\n`);
  t.equal(s.get('user'), `deploy\ndeploy\n\n\n1000\n\n1000\n1000\ndeploy\n${d}\n`);
  t.match(s.get('bosun'), /^user=deploy$/m);
  s = ids('0', '0', '0', 'root:x:0:0:root:/root:/bin/bash\n', 'ghost\n\n\n\n');
  t.match(s.get('user'), /\nroot:x:0:0:root:\/root:\/bin\/bash\n$/, 'the login names nobody known: the real user\'s entry');
  s = ids('0', '0', '0', 'root:x:0:0:root:/root:/bin/bash\n', '\n\n\n\n');
  t.equal(s.get('user'), '\n\n\n\n0\n\n0\n0\nroot\nroot:x:0:0:root:/root:/bin/bash\n', 'no login variable: the real user');
  s = ids('1000', '0', '1000', `root:x:0:0:root:/root:/bin/bash\n${d}\n`, 'deploy\n\n\n\n', `${d}\n`);
  t.equal(s.get('user'), `deploy\n\n\n\n0\n\n1000\n1000\ndeploy\n${d}\n`, 'setuid: real and effective differ');
  t.match(s.get('bosun'), /^user=root$/m, "bosun's user is the effective one");
  s = ids('1000650000', '1000650000', '0', '', 'default\n\n\n\n');
  t.match(s.get('bosun'), /^user=$/m, 'a uid without an entry has no name');
  t.match(parseFacts(idsOut('1000650000', '1000650000', '0', '', 'default\n\n\n\n'), new Set(['user'])), { user_id: 'default', real_user_id: 1000650000, effective_user_id: 1000650000, real_group_id: 0 });
});

t.test('the date line: one date for now, January and July', async (t) => {
  const out = '\n@@@bosun-facts:date_time\n2026|12|06|23|21|27|CET|+0100|Sunday|0|48|1796599287|618964535\n2026|01|01|12|00|00|CET|+0100|Thursday|4|00|1767268800|000000000\n2026|07|01|12|00|00|CEST|+0200|Wednesday|3|26|1782907200|000000000\n';
  const s = parserSections(splitSections(out), ROUTE_V4, ROUTE_V6);
  t.equal(s.get('date_time'), '2026|12|06|23|21|27|CET|+0100|Sunday|0|48|1796599287|618964535\nCET|+0100\nCEST|+0200\n');
  t.match(parseFacts(out, new Set(['date_time'])), { date_time: { tz: 'CET', tz_dst: 'CEST', tz_offset: '+0100', date: '2026-12-06' } });
});

// One host's answers to the older probe and to this one (recorded on a lab host, trimmed): the same facts.
const OS = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n';
const MEM = 'MemTotal:       24683784 kB\nMemFree:        23165780 kB\nBuffers:           46388 kB\nCached:           691100 kB\nSwapCached:            0 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n';
const CPU = 'processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: EPYC\nphysical id\t: 0\nsiblings\t: 2\ncore id\t\t: 0\ncpu cores\t: 2\n\nprocessor\t: 1\nvendor_id\t: AuthenticAMD\nmodel name\t: EPYC\nphysical id\t: 0\nsiblings\t: 2\ncore id\t\t: 1\ncpu cores\t: 2\n';
const MTAB = 'overlay / overlay rw,relatime 0 0\nproc /proc proc rw 0 0\n/dev/vda /var/cache/apt ext4 ro,relatime 0 0\n/dev/vdb /srv/my\\040data ext4 rw 0 0\n';
const ENV = 'USER=root\0HOME=/root\0LOGNAME=root\0PATH=/usr/bin:/bin\0';
const NET_ADDR = '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536\n    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever\n    inet6 ::1/128 scope host \n2209: eth0@if2210: <BROADCAST,UP> mtu 1500\n    link/ether 92:81:6b:7f:93:2e brd ff:ff:ff:ff:ff:ff\n    inet 10.66.246.11/24 brd 10.66.246.255 scope global eth0\n    inet6 fe80::9081:6bff:fe7f:932e/64 scope link \n';
const NET_SEC = '2209: eth0@if2210: <BROADCAST,UP> mtu 1500\n    inet 10.66.246.50/24 brd 10.66.246.255 scope global secondary eth0\n';
const R4 = '8.8.8.8 via 10.66.246.254 dev eth0 src 10.66.246.11 uid 0 \n    cache \n';
const SYSFS = (extra: string) => `==lo\naddress=00:00:00:00:00:00\nmtu=65536\noperstate=unknown\ntype=772\nflags=0x9\n==eth0\naddress=92:81:6b:7f:93:2e\nmtu=1500\noperstate=up\ntype=1\nspeed=10000\nflags=0x1003\n${extra}`;
const PW = 'root:x:0:0:root:/root:/bin/bash';
const DATE = '2026|12|06|23|21|27|UTC|+0000|Sunday|0|48|1796599287|618964535';
const sec = (name: string, text: string) => `\n@@@bosun-facts:${name}\n${text}`;

const OLDER = [
  sec('bosun', 'init=sysv\nuser=root\n'),
  sec('uname', 'Linux\nnode1\n6.18.44\n#1 SMP PREEMPT_DYNAMIC @0\nx86_64\nnode1.lab.local\n64\n'),
  sec('machine_id', '3d1219c7\n'),
  sec('os_release', OS),
  sec('dist_files', '==/etc/debian_version\n12.11\n\n'),
  sec('lsb', 'Distributor ID:\tDebian\nDescription:\tDebian GNU/Linux 12 (bookworm)\nRelease:\t12\nCodename:\tbookworm\n'),
  sec('pkg_mgr', '/usr/bin/apt-get\n'),
  sec('service_mgr', 'comm=sshd\ninitd\ninit-link=/lib/systemd/systemd\n'),
  sec('user', `root\nroot\n\n\n0\n0\n0\n0\nroot\n${PW}\n`),
  sec('python', '/usr/bin/python3\n3 11 2 final 0\ncpython\n'),
  sec('date_time', `${DATE}\nUTC|+0000\nUTC|+0000\n`),
  sec('env', ENV),
  sec('dns', 'nameserver 10.255.255.53\n'),
  sec('meminfo', MEM),
  sec('cpuinfo', CPU),
  sec('cpu_extra', 'nproc=2\n'),
  sec('mtab', MTAB),
  sec('findmnt', '/ overlay\n/var/cache/apt /dev/vda[/apt]\n/srv/my data /dev/vdb[/data]\n'),
  sec('lsblk', '/dev/vda 1234-abcd\n/dev/vdb\n'),
  // (stat's own order: the one form the parser reads)
  sec('statfs', '4096 4096 66053021 20557428 16777216 16295507 /var/cache/apt\n4096 4096 100 50 10 5 /srv/my data\n'),
  sec('net', SYSFS('module=virtio_net\npciid=virtio0\n')),
  sec('ip_primary', NET_ADDR),
  sec('ip_secondary', NET_SEC),
  sec('route4', R4),
  sec('route6', ''),
].join('');

const head = (files: Array<[string, string]>) => files.map(([n, text], i) => `${i ? '\n' : ''}==> ${n} <==\n${text}`).join('');
const CHEAP = (static_: string) => [
  sec('bosun', 'init=sysv\nids=0 0 0\n'),
  sec('passwd', `${PW}\n${PW}\n`),
  static_,
  sec('uname', 'Linux\nnode1\n6.18.44\n#1 SMP PREEMPT_DYNAMIC @0\nx86_64\nnode1.lab.local\n'),
  sec('pkg_mgr', '/usr/bin/apt-get\n'),
  sec('service_mgr', 'comm=sshd\ninitd\n'),
  sec('user', 'root\nroot\n\n\n'),
  sec('date_time', `${DATE}\n2026|01|01|12|00|00|UTC|+0000|Thursday|4|00|1767268800|000000000\n2026|07|01|12|00|00|UTC|+0000|Wednesday|3|26|1782907200|000000000\n`),
  sec('cpu_extra', ''),
  sec('has_findmnt', 'yes\n'),
  sec('statfs', '4096 4096 66053021 20557428 16777216 16295507 /var/cache/apt\n4096 4096 100 50 10 5 /srv/my data\n'),
  sec('lsblk', '/dev/vda 1234-abcd\n/dev/vdb\n'),
  sec('net', SYSFS('')),
  sec('ip', NET_ADDR + NET_SEC + R4),
  // od -An -v -tx1: 16 bytes a line
  sec('environ', (Buffer.from(ENV).toString('hex').match(/.{1,32}/g) ?? []).map((l) => ' ' + l.replace(/(..)(?!$)/g, '$1 ') + '\n').join('')),
  sec('files', head([
    ['/var/lib/dbus/machine-id', '3d1219c7\n'], ['/etc/machine-id', 'e062afcc\n'], ['/etc/os-release', OS], ['/usr/lib/os-release', OS],
    ['/etc/debian_version', '12.11\n'], ['/etc/resolv.conf', 'nameserver 10.255.255.53\n'], ['/proc/meminfo', MEM],
    ['/proc/cpuinfo', CPU], ['/etc/mtab', MTAB],
    ['/proc/self/mountinfo', '22 1 0:40 / / rw - overlay overlay rw\n30 22 254:0 /apt /var/cache/apt ro - ext4 /dev/vda ro\n31 22 254:16 /data /srv/my\\040data rw - ext4 /dev/vdb rw\n'],
    ['/proc/self/status', 'Name:\thead\nUid:\t0\t0\t0\t0\nCpus_allowed_list:\t0-1\n'],
  ])),
  sec('links', '/sbin/init\n/sys/class/net/eth0/device/driver/module\n/sys/class/net/eth0/device\n--\n/lib/systemd/systemd\n../../../../module/virtio_net\n../../../virtio0\n'),
].join('');

t.test('a whole host: the older probe and this one give the same facts', async (t) => {
  const groups = new Set(FACT_GROUPS);
  const expected = parseFacts(OLDER, groups);
  const fresh = sec('static', `sig=${SIG}\n`) + sec('python', '/usr/bin/python3\n3 11 2 final 0\ncpython\n') +
    sec('lsb', 'Distributor ID:\tDebian\nDescription:\tDebian GNU/Linux 12 (bookworm)\nRelease:\t12\nCodename:\tbookworm\n') + sec('bits', '64\n');
  t.same(parseFacts(CHEAP(fresh), groups), expected, 'a miss: the static programs ran');
  const cached = { sig: SIG, python: '/usr/bin/python3\n3 11 2 final 0\ncpython\n', lsb: 'Distributor ID:\tDebian\nDescription:\tDebian GNU/Linux 12 (bookworm)\nRelease:\t12\nCodename:\tbookworm\n', bits: '64\n' };
  t.same(parseFacts(CHEAP(sec('static', `sig=${SIG}\nhit\n`)), groups, ['all'], cached), expected, 'a hit: the cached answers');
  t.match(expected, { processor_nproc: 2, service_mgr: 'sshd', user: 'root', eth0: { module: 'virtio_net', pciid: 'virtio0' }, mounts: [{ mount: '/var/cache/apt', uuid: '1234-abcd', block_total: 66053021, options: 'ro,relatime,bind' }, { mount: '/srv/my data', uuid: 'N/A', options: 'rw', block_total: 100 }] }, 'the recorded host, as parsed');
});

t.test('the cache: private, per host, well-formed entries only', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-facts-cache-'));
  const saved = { dir: process.env.BOSUN_CACHE_DIR, off: process.env.BOSUN_FACTS_CACHE };
  t.teardown(() => {
    process.env.BOSUN_CACHE_DIR = saved.dir;
    if (saved.dir === undefined) delete process.env.BOSUN_CACHE_DIR;
    if (saved.off === undefined) delete process.env.BOSUN_FACTS_CACHE;
    else process.env.BOSUN_FACTS_CACHE = saved.off;
    resetStaticCacheDir();
  });
  process.env.BOSUN_CACHE_DIR = dir;
  delete process.env.BOSUN_FACTS_CACHE;
  resetStaticCacheDir();
  const a = { sig: SIG, python: 'p\n', lsb: 'l\n', bits: '64\n' };
  writeStatic('ssh', 'web1', a);
  t.same(readStatic('ssh', 'web1'), a);
  t.equal(readStatic('ssh', 'web2'), undefined, 'another host: no entry');
  t.equal(statSync(join(dir, 'facts')).mode & 0o777, 0o700, 'the directory is private');
  const [entry] = readdirSync(join(dir, 'facts'));
  t.equal(statSync(join(dir, 'facts', entry!)).mode & 0o777, 0o600);
  writeFileSync(join(dir, 'facts', entry!), JSON.stringify({ ...a, sig: "1'; reboot" }));
  t.equal(readStatic('ssh', 'web1'), undefined, 'an entry with a malformed signature is ignored');
  writeStatic('ssh', 'web3', { ...a, sig: 'not a signature' });
  t.equal(readStatic('ssh', 'web3'), undefined, 'nor written');

  // this machine, through the local transport: a first probe runs the programs, the second hits
  const scripts: string[] = [];
  const local = new LocalConnection('cachehost');
  const conn = withExec(local, (script, opts) => (scripts.push(script), local.exec(script, opts)));
  t.teardown(() => local.close());
  const groups = ['!all'];
  const first = await gatherFacts(conn, groups);
  const second = await gatherFacts(conn, groups);
  t.notMatch(scripts[0], /= '1[01]* /, 'the first probe holds no signature');
  const held = readStatic(conn.kind, 'cachehost');
  t.ok(held, 'the answers were cached');
  t.match(scripts[1], `= '${held?.sig}' ]`, 'the second sends the signature');
  const volatile = (f: Record<string, unknown>) => ({ ...f, date_time: undefined, env: undefined });
  t.same(volatile(second), volatile(first), 'the same facts from the cache');
  process.env.BOSUN_FACTS_CACHE = 'off';
  resetStaticCacheDir();
  t.equal(readStatic(conn.kind, 'cachehost'), undefined, 'BOSUN_FACTS_CACHE=off: no cache');
});
