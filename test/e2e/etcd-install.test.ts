// Issue 18 item 2: the etcd role installs etcd when it is missing (etcd_install: package|release|none),
// on systemd lab hosts. "From nothing": the hosts' root overlays carry the control node's etcd, so the
// test first purges etcd inside every lab host (dpkg --purge there; never on the control node).
// - release: a tarball in etcd's official layout built from Debian's binaries, served over HTTP from
//   this process on the lab bridge; a wrong sha256 fails before anything is unpacked;
// - package (the default): Debian's etcd-server + etcd-client from the lab's apt repository, without
//   the package's post-install start (a single-node cluster in the data dir, shown here to be real);
// - refusals (none with etcd missing, a bad etcd_install, release without url/sha256 or on SysV, an
//   unknown distribution) and --check --diff of each method change no host;
// - each method: a 3-member cluster healthy with auth, and a second run changed=0.
// Runs that do not depend on each other run at the same time (one lab, 6 hosts: node1-3 package,
// node4-6 release), to keep the file's time down.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labInventory, type LabState } from '../../lib/lab/lab.js';
import { withLab } from '../helpers/lab.js';
import { QUICK_HEALTH } from '../helpers/rollout.js';
import { bytes, startServer } from '../helpers/http-server.js';
import { recap, repoRoot, run, treeHash, type RunResult } from '../helpers/run.js';
import { parseSummary, remote, requestsPerTask } from '../fixtures/e2e/harness.js';

const SITE = join(repoRoot, 'playbooks', 'site.yml');
const PASSWORD = 'pw-install-7Qe';
const PKG = ['node1', 'node2', 'node3'];
const REL = ['node4', 'node5', 'node6'];
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function sh(lab: LabState, host: string, cmd: string): Promise<string> {
  const r = await remote(lab, host, cmd, undefined, 120_000);
  if (r.code !== 0) throw new Error(`${host}: ${cmd}: exit ${r.code}: ${r.err}`);
  return r.out.toString('utf8').trim();
}

/** The lab's inventory with only `hosts` in group etcd, each with extra host vars. */
function inventory(lab: LabState, hosts: string[], vars: Record<string, string> = {}): string {
  return labInventory(lab)
    .split('\n')
    .filter((l) => !/^ {8}node\d+: \{/.test(l) || hosts.some((h) => l.startsWith(`        ${h}: {`)))
    .map((l) => {
      const h = /^ {8}(node\d+): \{/.exec(l)?.[1];
      return h && vars[h] ? l.replace(/ \}$/, `, ${vars[h]} }`) : l;
    })
    .join('\n');
}

/** What the run wrote on each host (the journal aside: every ssh login writes it under systemd). */
function written(lab: LabState, hosts: string[]): Record<string, Record<string, string>> {
  return Object.fromEntries(
    hosts.map((h) => [h, Object.fromEntries(Object.entries(treeHash(lab.hosts.find((x) => x.name === h)!.upperDir)).filter(([p]) => !p.startsWith('var/log/journal/')))]),
  );
}

/** A tarball laid out like etcd's own (etcd-vX-linux-amd64/{etcd,etcdctl,README.md}), from Debian's binaries. */
function buildRelease(dir: string): Promise<{ name: string; data: Buffer; version: string }> {
  const version = /etcd Version: (\S+)/.exec(spawnSync('etcd', ['--version'], { encoding: 'utf8' }).stdout)?.[1] ?? '0.0.0';
  const top = `etcd-v${version}-linux-amd64`;
  mkdirSync(join(dir, 'src', top), { recursive: true });
  for (const b of ['etcd', 'etcdctl']) copyFileSync(`/usr/bin/${b}`, join(dir, 'src', top, b));
  writeFileSync(join(dir, 'src', top, 'README.md'), 'etcd release built by the test from Debian\'s binaries\n');
  const name = `${top}.tar.gz`;
  return new Promise((resolve, reject) => {
    // gzip -1: the binaries are 38 MB and the machine is shared
    const tar = spawn('tar', ['-I', 'gzip -1', '-cf', join(dir, name), '-C', join(dir, 'src'), top], { stdio: 'ignore' });
    tar.on('close', (code) => (code === 0 ? resolve({ name, data: readFileSync(join(dir, name)), version }) : reject(new Error(`tar exited ${code}`))));
  });
}

/** The hosts a task reported changed on (its block of the output, --diff text included). */
function changedIn(stdout: string, task: string): string[] {
  const at = stdout.indexOf(`TASK [${task}] `);
  if (at < 0) return [];
  const end = stdout.slice(at + 1).search(/\n(TASK|RUNNING HANDLER|PLAY) \[/);
  const block = end < 0 ? stdout.slice(at) : stdout.slice(at, at + 1 + end);
  return [...block.matchAll(/^changed: \[([^\]]+)\]/gm)].map((m) => m[1]!).sort();
}

function etcdctl(lab: LabState, ca: string, hosts: string[], args: string[]) {
  const endpoints = lab.hosts.filter((h) => hosts.includes(h.name)).map((h) => `https://${h.ip}:2379`).join(',');
  return spawnSync('etcdctl', ['--endpoints', endpoints, '--cacert', join(ca, 'ca.pem'), '--cert', join(ca, 'admin.pem'), '--key', join(ca, 'admin-key.pem'), '--command-timeout=10s', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ETCDCTL_API: '3', ETCDCTL_USER: `root:${PASSWORD}` },
    timeout: 30_000,
  });
}

t.test('etcd installed by the role, from nothing, on systemd hosts', async (t) => {
  const dir = t.testdir({});
  const release = buildRelease(dir); // while the lab boots
  const lab = await withLab(t, { hosts: 6, name: 'etcdinst', subnetIndex: 46, domain: 'etcdinst.test', init: 'systemd', packages: ['etcd-server', 'etcd-client'] });
  const { name: tarball, data: tgz } = await release;
  const srv = await startServer(t, lab.gateway, { [`/mirror/${tarball}`]: bytes(tgz) });
  const url = `${srv.base}/mirror/${tarball}`;
  const all = lab.hosts.map((h) => h.name);
  const inv = (name: string, hosts: string[], vars: Record<string, string> = {}) => {
    const p = join(dir, `${name}.yml`);
    writeFileSync(p, inventory(lab, hosts, vars));
    return p;
  };
  const site = (invFile: string, ca: string, ...extra: string[]) => [SITE, '-i', invFile, '-e', `etcd_ca_dir=${join(dir, ca)}`, '-e', `etcd_root_password=${PASSWORD}`, ...QUICK_HEALTH, ...extra];
  const releaseVars = ['-e', 'etcd_install=release', '-e', `etcd_release_url=${url}`, '-e', `etcd_release_sha256=${sha256(tgz)}`];

  const purge = 'systemctl stop etcd; DEBIAN_FRONTEND=noninteractive dpkg --purge etcd-server etcd-client >/dev/null';
  await t.test('from nothing: etcd purged inside every lab host', async (t) => {
    await Promise.all(all.map((h) => sh(lab, h, purge)));
    const left = await Promise.all(all.map((h) => sh(lab, h, 'command -v etcd etcdctl; getent passwd etcd; ls /var/lib/etcd /etc/default/etcd 2>/dev/null; echo end')));
    all.forEach((h, i) => t.equal(left[i], 'end', `${h}: no etcd, etcdctl, etcd user, data or config`));
    t.ok(spawnSync('test', ['-x', '/usr/bin/etcd']).status === 0, 'the control node keeps its etcd');
  });

  // Why the role guards the package's install: installed by hand, Debian's package starts etcd as a
  // single-node cluster with a data dir of its own. On node3, while the release hosts run the next
  // subtest (the test's time); purged again after.
  const byHand = sh(lab, 'node3', `DEBIAN_FRONTEND=noninteractive apt-get install -y -q etcd-server >/dev/null 2>&1; systemctl is-active etcd; ls /var/lib/etcd/default; ${purge}; ls /var/lib/etcd 2>/dev/null; echo end`).then(
    (out) => ({ out }),
    (e: Error) => ({ out: e.message }),
  );

  await t.test('release, wrong sha256: the download fails and nothing is unpacked', async (t) => {
    const before = written(lab, REL);
    const hits = srv.hits(`/mirror/${tarball}`).length;
    const r = await run(site(inv('release', REL), 'ca-rel', ...releaseVars, '-e', `etcd_release_sha256=${'0'.repeat(64)}`));
    t.equal(r.code, 2, r.stdout.slice(-3000) + r.stderr);
    for (const h of REL) {
      t.match(r.stdout, new RegExp(`fatal: \\[${h}\\]: FAILED! => \\{[^\\n]*The checksum for /var/cache/bosun/etcd-release\\.tar\\.gz did not match 0{64}; it was ${sha256(tgz)}`));
    }
    t.equal(srv.hits(`/mirror/${tarball}`).length - hits, 3, 'each host downloaded the tarball');
    t.notMatch(r.stdout, /TASK \[etcd : Release \| (group|user|etcd and etcdctl)/, 'no task after the download ran');
    // what the hosts hold now, beyond what they held: only the (empty) directory for the tarball
    const after = written(lab, REL);
    for (const h of REL) {
      // (var/cache itself may be copied up into the host's layer as the new directory's parent)
      const added = Object.keys(after[h]!).filter((p) => after[h]![p] !== before[h]![p] && !(p === 'var/cache' && after[h]![p] === 'dir 755'));
      t.same(added, ['var/cache/bosun'], `${h}: only the tarball's directory was made`);
      t.equal(await sh(lab, h, 'ls -A /var/cache/bosun; ls /usr/local/bin | grep -c etcd || true'), '0', `${h}: no tarball, no etcd binary`);
    }
  });

  await t.test("the package's own start is real: apt-get install etcd-server by hand starts etcd with a data dir of its own", async (t) => {
    t.equal((await byHand).out, 'active\nmember\nend', 'node3: etcd running, with its own member/ dir (and purged again)');
  });

  // Three runs that must leave every host as it was, at the same time (the test's time): the refusals,
  // and --check --diff of each method.
  await t.test('refusals, each saying what to set, and --check --diff from nothing: no host changes', async (t) => {
    const before = written(lab, all);
    const bad = inv('refusals', all, {
      node1: `etcd_install: release, etcd_release_url: "${url}", etcd_release_sha256: "${sha256(tgz)}"`,
      node3: 'etcd_install: none',
      node4: 'etcd_install: pkg',
      node5: `etcd_install: release, etcd_release_url: "${url}"`,
      node6: `etcd_install: release, etcd_release_url: "mirror/${tarball}", etcd_release_sha256: "${sha256(tgz)}"`,
    });
    // node2 keeps the default (package) on a distribution without a known etcd package; node1 is a
    // release install on a host whose service manager is not systemd
    const [r, pkg, rel] = await Promise.all([
      run(site(bad, 'ca-refusals', '-e', 'ansible_os_family=Archlinux', '-e', 'ansible_distribution=Archlinux', '-e', 'ansible_service_mgr=sysvinit')),
      run([...site(inv('package', PKG), 'ca-pkg'), '--check', '--diff']),
      run([...site(inv('release', REL), 'ca-rel', ...releaseVars), '--check', '--diff']),
    ]);

    t.equal(r.code, 2, r.stdout.slice(-3000) + r.stderr);
    const rc = recap(r.stdout);
    for (const h of all) t.equal(rc[h]?.failed, 1, `${h} failed`);
    t.match(r.stdout, /node1: etcd_install: release writes a systemd unit, and this host's service manager is sysvinit: install etcd and its init script yourself and set etcd_install: none, or use etcd_install: package/);
    t.match(r.stdout, /node2: etcd is not installed and no etcd package is known for Archlinux \(os family Archlinux\): set etcd_install: release with etcd_release_url and etcd_release_sha256/);
    t.match(r.stdout, /node3: etcd_install is none and \/usr\/bin\/etcd is missing: install etcd \(Debian: packages etcd-server and etcd-client; RHEL family: etcd\) or let the role install it/);
    t.match(r.stdout, /node4: etcd_install is 'pkg': use package/);
    for (const h of ['node5', 'node6']) t.match(r.stdout, new RegExp(`${h}: etcd_install: release needs etcd_release_url \\(http, https, ftp or file URL`));
    t.notMatch(r.stdout, /TASK \[etcd : (Install|Release) \|/, 'no install task ran');

    t.equal(pkg.code, 0, pkg.stdout.slice(-3000) + pkg.stderr);
    t.equal(rel.code, 0, rel.stdout.slice(-3000) + rel.stderr);
    t.same(changedIn(pkg.stdout, 'etcd : Install | etcd-server etcd-client'), PKG, 'package: the install predicted');
    t.same(changedIn(rel.stdout, 'etcd : Release | systemd unit etcd.service'), REL, 'release: the unit predicted');
    t.same(changedIn(rel.stdout, 'etcd : Release | user etcd (system account, no login)'), REL, 'release: the user predicted');
    for (const h of REL) t.match(rel.stdout, new RegExp(`"${h}: etcd and etcdctl would be unpacked from /var/cache/bosun/etcd-release\\.tar\\.gz into /usr/local/bin"`));
    for (const [out, hosts] of [[pkg.stdout, PKG], [rel.stdout, REL]] as const) {
      for (const h of hosts) t.match(out, new RegExp(`"${h}: etcd would be started and enabled at boot once installed"`));
    }
    t.same(written(lab, all), before, 'no host changed');
  });

  // Both clusters at once (one run each, in parallel: the test's time, not the role's behaviour).
  let pkgRun: RunResult | undefined;
  let relRun: RunResult | undefined;
  let deployedAt = 0;
  await t.test('deploy from nothing: package (the default) on node1-3 and release on node4-6, at the same time', async (t) => {
    deployedAt = Math.floor(Date.now() / 1000) - 1;
    [pkgRun, relRun] = await Promise.all([run(site(inv('package', PKG), 'ca-pkg')), run(site(inv('release', REL), 'ca-rel', ...releaseVars))]);
    t.equal(pkgRun.code, 0, pkgRun.stdout.slice(-4000) + pkgRun.stderr);
    t.equal(relRun.code, 0, relRun.stdout.slice(-4000) + relRun.stderr);
  });

  await t.test('package: a 3-member cluster, etcd started once — by the role, not by the package', async (t) => {
    const r = pkgRun!;
    t.same(changedIn(r.stdout, 'etcd : Install | etcd-server etcd-client'), PKG, 'installed on each member');
    t.match(r.stdout, /TASK \[etcd : Stale data \| stop etcd\] \*+\n(skipping: \[node\d\]\n){3}/, 'no foreign data dir to wipe');
    // one ssh per host, all hosts at once
    const seen = await Promise.all(
      PKG.map((h) =>
        sh(lab, h, [
          "dpkg-query -W -f '${Status}\\n' etcd-server etcd-client",
          'test -e /usr/sbin/policy-rc.d && echo policy-rc.d left || echo policy-rc.d gone',
          `echo starts=$(journalctl -u etcd -o cat --since @${deployedAt} | grep -c '^Starting etcd.service')`,
          'systemctl show -p ActiveState -p UnitFileState -p FragmentPath -p DropInPaths etcd',
        ].join('; ')),
      ),
    );
    PKG.forEach((h, i) => {
      // (sorted: systemctl show prints properties in its own order)
      t.same(seen[i]!.split('\n').sort(), [
        'install ok installed',
        'install ok installed',
        'policy-rc.d gone',
        'starts=1', // by the role: the package's start was refused
        'ActiveState=active',
        'FragmentPath=/lib/systemd/system/etcd.service', // the unit the package ships
        'UnitFileState=enabled',
        'DropInPaths=/etc/systemd/system/etcd.service.d/bosun.conf',
      ].sort(), `${h}: packages installed, install-time policy-rc.d removed, etcd started once (by the role), the packaged unit with bosun's drop-in, enabled`);
    });
    const health = etcdctl(lab, join(dir, 'ca-pkg'), PKG, ['endpoint', 'health']);
    t.equal(health.status, 0, health.stderr);
    t.equal((health.stdout + health.stderr).match(/is healthy/g)?.length, 3, 'three healthy members');
    t.equal(etcdctl(lab, join(dir, 'ca-pkg'), PKG, ['member', 'list']).stdout.match(/, started, /g)?.length, 3, 'three started members');
  });

  await t.test('release: a 3-member cluster from the tarball — binaries, user, unit written by the role', async (t) => {
    t.same(changedIn(relRun!.stdout, 'etcd : Release | etcd and etcdctl into /usr/local/bin'), REL, 'unpacked on each member');
    const binSha = sha256(readFileSync('/usr/bin/etcd'));
    const seen = await Promise.all(
      REL.map((h) =>
        sh(lab, h, [
          'stat -c "%U:%G %a %n" /usr/local/bin/etcd /usr/local/bin/etcdctl',
          'sha256sum /usr/local/bin/etcd',
          'ls /usr/bin/etcd /usr/bin/etcdctl 2>/dev/null; echo no packaged etcd',
          'getent passwd etcd; getent group etcd',
          'stat -c "%U:%G %a %n" /var/lib/etcd/default',
          'systemctl show -p FragmentPath -p DropInPaths -p Type -p User -p EnvironmentFiles -p LimitNOFILE -p Restart -p UnitFileState -p ActiveState -p NeedDaemonReload etcd',
          'p=$(systemctl show -p MainPID --value etcd); echo main process: $(ps -o user= -p $p) $(readlink /proc/$p/exe)',
        ].join('; ')),
      ),
    );
    REL.forEach((h, i) => {
      const lines = seen[i]!.split('\n');
      const [, , uid, gid, , home, shell] = lines[4]!.split(':');
      t.ok(Number(uid) < 1000, `${h}: etcd is a system user (uid ${uid})`);
      t.same(lines[5]!.split(':').slice(0, 3), ['etcd', 'x', gid], `${h}: its primary group is etcd`);
      t.same(
        // (systemctl show prints properties in its own order: compared sorted)
        [...lines.slice(0, 4), home, shell, lines[6], ...lines.slice(7, -1).sort(), lines.at(-1)],
        [
          'root:root 755 /usr/local/bin/etcd',
          'root:root 755 /usr/local/bin/etcdctl',
          `${binSha}  /usr/local/bin/etcd`, // the tarball's etcd
          'no packaged etcd',
          '/var/lib/etcd',
          '/usr/sbin/nologin',
          'etcd:etcd 700 /var/lib/etcd/default',
          ...[
            'Type=notify',
            'Restart=on-failure',
            'EnvironmentFiles=/etc/default/etcd (ignore_errors=no)',
            'LimitNOFILE=65536',
            'User=etcd',
            'ActiveState=active',
            'FragmentPath=/etc/systemd/system/etcd.service',
            'DropInPaths=',
            'UnitFileState=enabled',
            'NeedDaemonReload=no',
          ].sort(),
          'main process: etcd /usr/local/bin/etcd',
        ],
        `${h}: binaries root 0755 from the tarball, etcd system user and group, data dir etcd's, the role's unit (notify, User=etcd, env file, open files, restart) enabled and running etcd as etcd`,
      );
    });
    const health = etcdctl(lab, join(dir, 'ca-rel'), REL, ['endpoint', 'health']);
    t.equal(health.status, 0, health.stderr);
    t.equal((health.stdout + health.stderr).match(/is healthy/g)?.length, 3, 'three healthy members');
  });

  await t.test('second runs change nothing; the release is not downloaded again; one request per install task', async (t) => {
    const downloads = srv.hits(`/mirror/${tarball}`).length;
    const [pkg, rel] = await Promise.all([run(site(inv('package', PKG), 'ca-pkg')), run([...site(inv('release', REL), 'ca-rel', ...releaseVars), '-vvv'])]);
    t.equal(pkg.code, 0, pkg.stdout.slice(-3000));
    for (const h of PKG) t.equal(recap(pkg.stdout)[h]?.changed, 0, `package: ${h} changed=0`);
    // include_tasks is a task of its own (as in Ansible): its banner shows, skipped on every member, and nothing of the file runs
    t.match(pkg.stdout, /TASK \[etcd : Install etcd from the distribution's packages[^\n]*\n(skipping: \[node\d\]\n){3}\n/, 'installed etcd: the install is skipped on every member');
    t.notMatch(pkg.stdout, /TASK \[etcd : Install \|/, 'installed etcd: no task of the install file runs');
    t.equal(rel.code, 0, rel.stdout.slice(-3000));
    for (const h of REL) t.equal(recap(rel.stdout)[h]?.changed, 0, `release: ${h} changed=0`);
    t.equal(srv.hits(`/mirror/${tarball}`).length, downloads, 'no download');
    // -vvv traces every request under the task that made it; the tarball's directory probe carries
    // the download's and the unit's, and the group's and user's reads (fetched ahead: none of their own)
    const per = requestsPerTask(rel.stdout, REL);
    const installTasks = [...per.keys()].filter((k) => k.startsWith('etcd : Release |'));
    t.same(
      installTasks,
      ['etcd : Release | directory for the tarball', 'etcd : Release | etcd and etcdctl into /usr/local/bin'],
      'release tasks with a request of their own',
    );
    for (const task of installTasks) for (const h of REL) t.equal(per.get(task)!.get(h), 1, `${task} on ${h}: 1 request`);
    t.comment(`no-op requests: package ${parseSummary(pkg.stdout)?.requests}, release ${parseSummary(rel.stdout)?.requests} (3 members each)`);
  });
});
