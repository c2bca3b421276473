// Issue 6, "Changing a live cluster", on a real 3-host lab: while a steady writer runs on the control
// node and a watcher samples every member's view of the leader, (1) a config change restarts the
// members one at a time with a health wait after each; (2) a member that does not come back stops
// the rollout; (3) leaf certificates are rotated; (4) the CA is rotated in three phases. Every
// acknowledged write must be readable afterwards and the cluster must never lose its quorum.
import t, { type Test } from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withLab } from '../helpers/lab.js';
import { run, recap, repoRoot } from '../helpers/run.js';
import { EtcdWriter, QuorumWatcher, etcdctlAsync, type EtcdTls } from '../helpers/etcd-writer.js';
import { QUICK_HEALTH, assertRolling, rollout } from '../helpers/rollout.js';
import { labInventory, sshArgs, type LabState } from '../../lib/lab/lab.js';

const PLAYBOOKS = join(repoRoot, 'playbooks');
const PASSWORD = 'pw-live-Xy7#q';

function ssh(lab: LabState, host: string, cmd: string): string {
  const r = spawnSync('ssh', [...sshArgs(lab, host), cmd], { encoding: 'utf8', timeout: 20_000 });
  return r.stdout.trim();
}

/** etcd's PID on every member ('none' when it is not running). */
function pids(lab: LabState): Record<string, string> {
  return Object.fromEntries(lab.hosts.map((h) => [h.name, ssh(lab, h.name, 'pidof etcd || echo none')]));
}

function serial(pemFile: string): string {
  return execFileSync('openssl', ['x509', '-noout', '-serial', '-in', pemFile], { encoding: 'utf8' }).trim();
}

function fingerprint(pemFile: string): string {
  return execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', pemFile], { encoding: 'utf8' }).trim();
}

function verifies(caFile: string, certFile: string): boolean {
  return spawnSync('openssl', ['verify', '-CAfile', caFile, certFile], { encoding: 'utf8' }).status === 0;
}

t.test('live changes on a 3-member cluster under a steady writer', async (t) => {
  const lab = await withLab(t, { hosts: 3, name: 'e2elive', subnetIndex: 32, domain: 'live.test' });
  const names = lab.hosts.map((h) => h.name);
  const dir = t.testdir({});
  const inv = join(dir, 'inventory.yml');
  writeFileSync(inv, labInventory(lab));
  const ca = join(dir, 'etcd-ca');
  const vars = join(dir, 'vars.yml');
  // `writer`: a client certificate (CN writer = etcd user writer) for the load. Authenticating by
  // certificate costs etcd nothing; a password costs a bcrypt per etcdctl process (~175 ms here).
  writeFileSync(vars, `etcd_root_password: "${PASSWORD}"\netcd_ca_dir: "${ca}"\netcd_client_certs:\n  - { name: writer, cn: writer }\n`);
  const args = (playbook: string, ...more: string[]) => [join(PLAYBOOKS, playbook), '-i', inv, '-e', `@${vars}`, ...QUICK_HEALTH, ...more];
  const endpoints = lab.hosts.map((h) => `https://${h.fqdn}:2379`);

  // The writer's credentials are copied out of the CA directory: a rotation rewrites and moves it.
  const creds = join(dir, 'creds');
  const snapshot = (name: string, caFile = join(ca, 'ca.pem')): EtcdTls => {
    const d = join(creds, name);
    mkdirSync(d, { recursive: true });
    copyFileSync(caFile, join(d, 'ca.pem'));
    copyFileSync(join(ca, 'writer.pem'), join(d, 'writer.pem'));
    copyFileSync(join(ca, 'writer-key.pem'), join(d, 'writer-key.pem'));
    return { cacert: join(d, 'ca.pem'), cert: join(d, 'writer.pem'), key: join(d, 'writer-key.pem') };
  };

  /** Runs `change` with a writer and a quorum watcher going; asserts 0 lost writes and no quorum loss. */
  const underLoad = async (
    t: Test,
    label: string,
    tls: EtcdTls,
    change: (w: EtcdWriter, q: QuorumWatcher) => Promise<EtcdTls | void>,
  ): Promise<void> => {
    const writer = new EtcdWriter({ endpoints, tls, prefix: `/writer/${label}/`, pauseMs: 40, maxMs: 150_000, maxWrites: 5000 });
    const watcher = new QuorumWatcher({ endpoints, tls, intervalMs: 400, maxMs: 150_000 });
    writer.start();
    watcher.start();
    let finalTls: EtcdTls = tls;
    try {
      await new Promise((r) => setTimeout(r, 1000));
      finalTls = (await change(writer, watcher)) ?? tls;
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      const w = await writer.stop();
      const q = await watcher.stop();
      const v = await writer.verify(finalTls);
      t.comment(
        `${label}: ${w.acked}/${w.attempted} writes acknowledged in ${w.durationMs} ms (${w.failed} refused: ${w.errors.slice(0, 3).join(' | ')}); ` +
          `${q.samples} quorum samples, max ${q.maxDown} member(s) without a leader, ${q.blips.length} single-sample blip(s), ${q.leaderChanges} leader change(s)`,
      );
      t.ok(w.acked >= 20, `the writer kept writing (${w.acked} acknowledged)`);
      t.same(v.lost, [], `0 of ${v.checked} acknowledged writes lost`);
      t.same(q.incidents, [], 'quorum never lost (no two consecutive samples with fewer than 2 members knowing a leader)');
    }
  };

  await t.test('deploy, and an etcd user for the writer', async (t) => {
    const r = await run(args('site.yml'));
    t.equal(r.code, 0, r.stdout.slice(-3000) + r.stderr);
    const admin: EtcdTls = { cacert: join(ca, 'ca.pem'), cert: join(ca, 'admin.pem'), key: join(ca, 'admin-key.pem') };
    for (const cmd of [
      ['role', 'add', 'writer'],
      ['role', 'grant-permission', 'writer', '--prefix=true', 'readwrite', '/writer/'],
      ['user', 'add', 'writer', '--no-password'],
      ['user', 'grant-role', 'writer', 'writer'],
    ]) {
      const e = await etcdctlAsync(endpoints, admin, cmd, { user: `root:${PASSWORD}` });
      t.equal(e.code, 0, `etcdctl ${cmd.join(' ')}: ${e.stderr}`);
    }
  });

  await t.test('config change: members restart one at a time, each followed by a health wait', async (t) => {
    const before = pids(lab);
    await underLoad(t, 'config', snapshot('a'), async () => {
      const r = await run(args('site.yml', '-e', '{"etcd_extra_env": {"ETCD_HEARTBEAT_INTERVAL": "150"}}'));
      t.equal(r.code, 0, r.stdout.slice(-3000) + r.stderr);
      assertRolling(t, r, names);
    });
    const after = pids(lab);
    for (const h of names) {
      t.not(after[h], before[h], `${h} restarted`);
      t.match(ssh(lab, h, `tr '\\0' '\\n' < /proc/${after[h]}/environ | grep ^ETCD_HEARTBEAT_INTERVAL=`), 'ETCD_HEARTBEAT_INTERVAL=150', `${h} runs with the new setting`);
    }
  });

  await t.test('a member that does not come back stops the rollout; a fixed rerun converges', async (t) => {
    // The etcd role alone (site.yml's verification play would wait ~80 s on the dead member).
    const pb = join(dir, 'members.yml');
    writeFileSync(pb, '- hosts: etcd\n  roles: [etcd]\n');
    const before = pids(lab);
    await underLoad(t, 'fault', snapshot('a'), async () => {
      const bad = await run([pb, '-i', inv, '-e', `@${vars}`, ...QUICK_HEALTH, '--roles-path', join(repoRoot, 'roles'), '-e', 'etcd_health_retries=2', '-e', 'etcd_health_delay=1',
        '-e', '{"etcd_extra_env": {"ETCD_HEARTBEAT_INTERVAL": "not-a-number"}}']);
      t.equal(bad.code, 2, 'the run fails');
      // lab.hosts[0].fqdn: node1.live.test, or node1.s<k>.live.test in a BOSUN_TEST_SLOT checkout
      const fqdn1 = lab.hosts[0]!.fqdn.replace(/\./g, '\\.');
      t.match(bad.stdout, new RegExp(`node1: etcd did not become healthy after its restart, so the remaining members are not restarted\\. etcd: etcd not healthy after \\d+ attempts.*${fqdn1}:2379 is unhealthy: [^|]+\\| service: etcd is not running`), "node1 fails with etcd's error");
      t.match(bad.stdout, /not restarting node2: another member failed earlier in this play/);
      t.match(bad.stdout, /not restarting node3: another member failed earlier in this play/);
      t.same(rollout(bad.stdout), ['restart node1'], 'only node1 was restarted');
      const mid = pids(lab);
      t.equal(mid.node1, 'none', 'node1 is down (bad setting)');
      t.equal(mid.node2, before.node2, 'node2 not restarted');
      t.equal(mid.node3, before.node3, 'node3 not restarted');

      // Fixed (the default settings again): node1 is started; node2 and node3 had the bad file on
      // disk but never ran it, and restart one at a time onto the good one.
      const fixed = await run(args('site.yml'));
      t.equal(fixed.code, 0, fixed.stdout.slice(-3000) + fixed.stderr);
      t.same(rollout(fixed.stdout), ['restart node2', 'healthy node2', 'restart node3', 'healthy node3'], 'node1 started, the others restarted one at a time');
    });
    for (const h of names) t.not(pids(lab)[h], 'none', `${h} runs`);
  });

  await t.test('leaf certificate rotation: new member certificates from the same CA, one member at a time', async (t) => {
    const caBefore = fingerprint(join(ca, 'ca.pem'));
    const serialsBefore = Object.fromEntries(names.map((h) => [h, serial(join(ca, `${h}.pem`))]));
    await underLoad(t, 'leaf', snapshot('a'), async () => {
      const r = await run(args('rotate-certs.yml'));
      t.equal(r.code, 0, r.stdout.slice(-3000) + r.stderr);
      assertRolling(t, r, names);
    });
    t.equal(fingerprint(join(ca, 'ca.pem')), caBefore, 'same CA');
    for (const h of names) {
      const now = serial(join(ca, `${h}.pem`));
      t.not(now, serialsBefore[h], `${h}: new certificate`);
      t.equal(ssh(lab, h, 'openssl x509 -noout -serial -in /etc/etcd/server.crt'), now, `${h}: deployed`);
      t.ok(verifies(join(ca, 'ca.pem'), join(ca, `${h}.pem`)), `${h}: signed by the CA`);
    }
  });

  await t.test('CA rotation: trust old+new, reissue from the new CA, drop the old one — each phase one member at a time', async (t) => {
    const oldTls = snapshot('old');
    const oldCa = oldTls.cacert;
    await underLoad(t, 'ca', oldTls, async (writer, watcher) => {
      const trust = await run(args('rotate-ca.yml', '-e', 'etcd_ca_rotation=trust'));
      t.equal(trust.code, 0, trust.stdout.slice(-3000) + trust.stderr);
      assertRolling(t, trust, names);
      const bundle = join(ca + '.next', 'trust-bundle.pem');
      for (const h of names) t.equal(ssh(lab, h, 'grep -c "BEGIN CERTIFICATE" /etc/etcd/etcd-ca.crt'), '2', `${h} trusts old and new CA`);
      // Clients trust both CAs from now on (servers switch certificates in the next phase).
      const both = snapshot('bundle', bundle);
      writer.setTls(both);
      watcher.setTls(both);

      const reissue = await run(args('rotate-ca.yml', '-e', 'etcd_ca_rotation=reissue'));
      t.equal(reissue.code, 0, reissue.stdout.slice(-3000) + reissue.stderr);
      assertRolling(t, reissue, names);
      t.equal(readdirSync(dir).filter((f) => f.startsWith('etcd-ca.retired-')).length, 1, 'old CA directory retired');
      t.notOk(existsSync(ca + '.next'), 'staging directory moved in');
      for (const h of names) {
        t.ok(verifies(join(ca, 'ca.pem'), join(ca, `${h}.pem`)), `${h}: certificate from the new CA`);
        t.notOk(verifies(oldCa, join(ca, `${h}.pem`)), `${h}: not from the old CA`);
      }
      // The writer's new certificate (etcd_client_certs) is from the new CA too.
      const next = { ...snapshot('new'), cacert: both.cacert };
      writer.setTls(next);
      watcher.setTls(next);

      const finish = await run(args('rotate-ca.yml', '-e', 'etcd_ca_rotation=finish'));
      t.equal(finish.code, 0, finish.stdout.slice(-3000) + finish.stderr);
      assertRolling(t, finish, names);
      return snapshot('final');
    });
    const newCa = readFileSync(join(ca, 'ca.pem'), 'utf8');
    for (const h of names) t.equal(ssh(lab, h, 'cat /etc/etcd/etcd-ca.crt'), newCa.trim(), `${h} trusts the new CA only`);
    t.notOk(existsSync(join(ca, 'trust-bundle.pem')), 'bundle removed');
    const refused = await etcdctlAsync(endpoints, { ...oldTls, cacert: join(creds, 'bundle', 'ca.pem') }, ['--command-timeout=5s', 'put', '/writer/old-ca', 'x']);
    t.not(refused.code, 0, 'a client certificate of the old CA is refused');

    // The rotated state is what site.yml converges to.
    const again = await run(args('site.yml'));
    t.equal(again.code, 0, again.stdout.slice(-3000));
    for (const [h, s] of Object.entries(recap(again.stdout))) t.equal(s.changed, 0, `${h} changed=0 after the rotation`);
  });
});
