// etcd-site's suite (issue 4's "done when"), run on SysV lab hosts (test/e2e/etcd-site.test.ts) and on
// systemd lab hosts (etcd-site-systemd.test.ts, issue 18): site.yml deploys a secure etcd cluster
// (TLS, client certs, root user, auth on); certificates have cfssl's profile; reruns change nothing;
// --check --diff provably changes nothing; bad input fails before any host is touched.
import type { Test } from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withLab, type WithLabOptions } from './lab.js';
import { run, recap, repoRoot, treeHash } from './run.js';
import { QUICK_HEALTH } from './rollout.js';
import { hashHost, labInventory, sshArgs, type LabState } from '../../lib/lab/lab.js';

const SITE = join(repoRoot, 'playbooks', 'site.yml');
const PASSWORD = 'pw-e2e-Zq8!x';

export interface SiteContext {
  lab: LabState;
  inv: string;
  ca: string;
  dir: string;
  /** site.yml, the inventory, the CA dir and the password: append -e/-l/… */
  site: string[];
}

export type SiteSuiteOptions = Omit<WithLabOptions, 'hosts'> & {
  /** More subtests on the deployed lab, after the suite's own. */
  then?: (t: Test, ctx: SiteContext) => Promise<void>;
};

/**
 * What a host holds, for "nothing was touched". A systemd host's journal records every ssh login:
 * under systemd that file is left out (it is systemd's, not the run's).
 */
async function hostHashes(lab: LabState, systemd: boolean): Promise<string[]> {
  if (!systemd) return Promise.all(lab.hosts.map((h) => hashHost(lab, h.name)));
  return lab.hosts.map((h) => JSON.stringify(Object.entries(treeHash(h.upperDir)).filter(([p]) => !p.startsWith('var/log/journal/'))));
}

function etcdctl(lab: LabState, ca: string, args: string[], user?: string) {
  const endpoints = lab.hosts.map((h) => `https://${h.ip}:2379`).join(',');
  return spawnSync(
    'etcdctl',
    ['--endpoints', endpoints, '--cacert', join(ca, 'ca.pem'), '--cert', join(ca, 'admin.pem'), '--key', join(ca, 'admin-key.pem'), '--command-timeout=10s', ...args],
    { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3', ...(user ? { ETCDCTL_USER: user } : {}) }, timeout: 30_000 },
  );
}

function sshArgsFor(lab: LabState, host: string): string[] {
  return sshArgs(lab, host);
}

export async function siteSuite(t: Test, opts: SiteSuiteOptions): Promise<void> {
  const { then, ...labOpts } = opts;
  const lab = await withLab(t, { hosts: 3, ...labOpts });
  const systemd = opts.init === 'systemd';
  const hashes = (lab: LabState) => hostHashes(lab, systemd);
  const dir = t.testdir({});
  const inv = join(dir, 'inventory.yml');
  writeFileSync(inv, labInventory(lab));
  const ca = join(dir, 'etcd-ca');
  const base = [SITE, '-i', inv, '-e', `etcd_ca_dir=${ca}`, ...QUICK_HEALTH];
  const fresh = await hashes(lab);

  await t.test('missing etcd_root_password: clear error, nothing touched', async (t) => {
    const r = await run(base);
    t.equal(r.code, 4, 'found before anything runs');
    t.match(r.stderr, /ERROR! \S+:\d+:\d+: undefined variable 'etcd_root_password'/);
    t.same(await hashes(lab), fresh, 'hosts byte-identical');
  });

  // Issue 11: the env file is sourced by the init script as root; hostile inventory values and a
  // password with a line break are refused before any host changes, naming host and variable.
  await t.test('hostile inventory values and a multi-line password: refused, naming host and variable; nothing touched', async (t) => {
    const n2 = lab.hosts[1]!;
    const inv0 = labInventory(lab);
    const cases: Array<[string, string, RegExp, string[]]> = [
      [`ip: ${n2.ip},`, 'ip: "10.0.0.9; touch /tmp/pwned",', new RegExp(`etcd member ${n2.name}: \`ip\` is not an IPv4 address`), []],
      [`fqdn: ${n2.fqdn} }`, 'fqdn: "x$(touch /tmp/pwned)" }', new RegExp(`etcd member ${n2.name}: \`fqdn\` is not a DNS name`), []],
      ['', '', /etcd_root_password is not set or holds a line break/, ['-e', '{"etcd_root_password": "pw\\nroot:other"}']],
    ];
    for (const [from, to, msg, extra] of cases) {
      const bad = join(dir, 'bad.yml');
      const edited = from ? inv0.split('\n').map((l) => (l.includes(` ${n2.name}: {`) ? l.replace(from, to) : l)).join('\n') : inv0;
      if (from) t.not(edited, inv0, `inventory edited: ${to}`);
      writeFileSync(bad, edited);
      const r = await run([SITE, '-i', bad, '-e', `etcd_ca_dir=${ca}`, ...(extra.length ? extra : ['-e', `etcd_root_password=${PASSWORD}`])]);
      t.not(r.code, 0, to || 'password');
      t.match(r.stdout + r.stderr, msg);
      t.same(await hashes(lab), fresh, 'hosts byte-identical');
    }
  });

  await t.test('--check --diff on the fresh lab reports changes and touches nothing', async (t) => {
    const r = await run([...base, '-e', `etcd_root_password=${PASSWORD}`, '--check', '--diff']);
    t.equal(r.code, 0, r.stdout.slice(-3000));
    const rc = recap(r.stdout);
    t.ok(rc.node1!.changed > 0, 'changes predicted');
    t.match(r.stdout, /--- before: \/etc\/default\/etcd/);
    t.notMatch(r.stdout, /BEGIN RSA PRIVATE KEY|PRIVATE KEY-----\n[A-Za-z0-9+/]/, 'no key material');
    t.notOk(r.stdout.includes(PASSWORD), 'password never printed');
    t.same(await hashes(lab), fresh, 'hosts byte-identical after --check');
  });

  await t.test('deploy', async (t) => {
    const r = await run([...base, '-e', `etcd_root_password=${PASSWORD}`]);
    t.equal(r.code, 0, r.stdout.slice(-4000) + r.stderr);
    t.notOk(r.stdout.includes(PASSWORD), 'password never printed');
    t.match(r.stdout, /3 ssh process\(es\)/, 'one ssh process per host');
  });

  if (systemd) {
    await t.test('systemd: the packaged unit with bosun\'s drop-in, enabled at boot, etcd is its main process', async (t) => {
      for (const h of lab.hosts) {
        const r = spawnSync('ssh', [...sshArgsFor(lab, h.name), 'systemctl show -p ActiveState -p UnitFileState -p FragmentPath -p DropInPaths -p EnvironmentFiles -p LimitNOFILE -p Restart -p NeedDaemonReload etcd; echo "pid=$(pidof etcd)"; systemctl show -p MainPID --value etcd'], { encoding: 'utf8' });
        const out = r.stdout;
        t.match(out, /ActiveState=active\n/, `${h.name}: active`);
        t.match(out, /UnitFileState=enabled\n/, `${h.name}: enabled at boot`);
        t.match(out, /FragmentPath=\/lib\/systemd\/system\/etcd\.service\n/, `${h.name}: the unit the package ships`);
        t.match(out, /DropInPaths=\/etc\/systemd\/system\/etcd\.service\.d\/bosun\.conf\n/);
        t.match(out, /EnvironmentFiles=\/etc\/default\/etcd \(ignore_errors=no\)\n/);
        t.match(out, /LimitNOFILE=65536\n/);
        t.match(out, /Restart=on-failure\n/);
        t.match(out, /NeedDaemonReload=no\n/);
        const pid = /pid=(\d+)\n(\d+)/.exec(out);
        t.ok(pid && pid[1] === pid[2], `${h.name}: etcd (pid ${pid?.[1]}) is the unit's main process`);
      }
    });
  }

  await t.test('cluster: healthy over TLS, auth on, root can read and write', async (t) => {
    const health = etcdctl(lab, ca, ['endpoint', 'health', '--cluster']);
    t.equal(health.status, 0, health.stderr);
    t.equal((health.stdout + health.stderr).match(/is healthy/g)?.length, 3, 'three healthy members');
    const members = etcdctl(lab, ca, ['member', 'list'], `root:${PASSWORD}`);
    t.equal(members.status, 0, members.stderr);
    for (const h of lab.hosts) t.match(members.stdout, new RegExp(`started, ${h.name}, https://${h.fqdn.replace(/\./g, '\\.')}:2380, https://`));
    const anon = etcdctl(lab, ca, ['get', '/']);
    t.not(anon.status, 0, 'unauthenticated read refused');
    t.match(anon.stderr, /user name is empty|permission denied|authentication/i);
    const put = etcdctl(lab, ca, ['put', '/bosun/e2e', 'v1'], `root:${PASSWORD}`);
    t.equal(put.status, 0, put.stderr);
    const get = etcdctl(lab, ca, ['get', '/bosun/e2e', '--print-value-only'], `root:${PASSWORD}`);
    t.equal(get.stdout.trim(), 'v1');
    const wrong = etcdctl(lab, ca, ['get', '/bosun/e2e'], 'root:not-the-password');
    t.not(wrong.status, 0, 'wrong password refused');
  });

  await t.test('certificates have the cfssl profile', async (t) => {
    const text = execFileSync('openssl', ['x509', '-noout', '-text', '-in', join(ca, 'node1.pem')], { encoding: 'utf8' });
    t.match(text, /Signature Algorithm: sha256WithRSAEncryption/);
    t.match(text, /X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment/);
    t.match(text, /TLS Web Server Authentication, TLS Web Client Authentication/);
    t.match(text, /X509v3 Basic Constraints: critical\s+CA:FALSE/);
    t.match(text, /Subject: CN ?= ?node1/);
    t.match(text, new RegExp(`DNS:${lab.hosts[0]!.fqdn.replace(/\./g, '\\.')}`));
    t.match(text, new RegExp(`IP Address:${lab.hosts[0]!.ip.replace(/\./g, '\\.')}`));
    for (const purpose of ['sslserver', 'sslclient']) {
      const v = spawnSync('openssl', ['verify', '-CAfile', join(ca, 'ca.pem'), '-purpose', purpose, join(ca, 'node1.pem')], { encoding: 'utf8' });
      t.equal(v.status, 0, `${purpose}: ${v.stdout}${v.stderr}`);
    }
    const admin = execFileSync('openssl', ['x509', '-noout', '-subject', '-in', join(ca, 'admin.pem')], { encoding: 'utf8' });
    t.notMatch(admin, /CN ?= ?root\b/, 'the admin client cert is not CN=root (the CN is the etcd user)');
    // the key on a member is readable by the etcd user only
    const mode = spawnSync('ssh', [...sshArgsFor(lab, 'node1'), 'stat -c "%U:%G %a" /etc/etcd/server.key'], { encoding: 'utf8' });
    t.match(mode.stdout.trim(), /^(root:etcd 640|etcd:etcd 600)$/);
  });

  await t.test('second run changes nothing; --check --diff on the converged cluster neither', async (t) => {
    const r = await run([...base, '-e', `etcd_root_password=${PASSWORD}`]);
    t.equal(r.code, 0, r.stdout.slice(-3000));
    for (const [h, s] of Object.entries(recap(r.stdout))) t.equal(s.changed, 0, `${h} changed=0`);
    // etcd itself keeps writing its data dir on a live cluster: compare everything else.
    const live = (lab: LabState) => lab.hosts.map((h) => JSON.stringify(Object.entries(treeHash(h.upperDir)).filter(([p]) => !p.startsWith('var/lib/etcd/') && !p.startsWith('var/log/journal/'))));
    const before = live(lab);
    const c = await run([...base, '-e', `etcd_root_password=${PASSWORD}`, '--check', '--diff']);
    t.equal(c.code, 0, c.stdout.slice(-3000));
    for (const [h, s] of Object.entries(recap(c.stdout))) t.equal(s.changed, 0, `${h} changed=0 in check mode`);
    t.same(live(lab), before, 'hosts byte-identical after --check (etcd data dir aside)');
  });

  // issue 11 item 1: the role reads ETCD_INITIAL_CLUSTER back from each member (kept as is). A member
  // that serves a template there must get its own text back, never the value the template names.
  await t.test('a member whose env file holds {{etcd_root_password}} does not receive the password', async (t) => {
    const planted = 'ETCD_INITIAL_CLUSTER="{{etcd_root_password}}"';
    const sed = spawnSync('ssh', [...sshArgsFor(lab, 'node1'), `sed -i 's/^ETCD_INITIAL_CLUSTER=.*$/${planted}/' /etc/default/etcd && grep -c etcd_root_password /etc/default/etcd`], { encoding: 'utf8' });
    t.equal(sed.stdout.trim(), '1', `planted: ${sed.stderr}`);
    const r = await run([...base, '-e', `etcd_root_password=${PASSWORD}`]);
    t.notMatch(r.stdout + r.stderr, /template syntax error|undefined variable/, 'host data is not parsed as a template');
    t.equal(r.code, 0, r.stdout.slice(-3000) + r.stderr);
    const env = spawnSync('ssh', [...sshArgsFor(lab, 'node1'), 'cat /etc/default/etcd'], { encoding: 'utf8' });
    t.equal(env.status, 0, env.stderr);
    t.notOk(env.stdout.includes(PASSWORD), 'the password was not written to the member');
    t.ok(env.stdout.includes(planted), 'the member keeps its own line, as it came');
    t.notOk(r.stdout.includes(PASSWORD), 'password never printed');
  });
  if (then) await then(t, { lab, inv, ca, dir, site: [...base, '-e', `etcd_root_password=${PASSWORD}`] });
}
