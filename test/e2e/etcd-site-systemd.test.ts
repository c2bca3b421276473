// Issue 18: the etcd-site suite (test/helpers/etcd-site-suite.ts) on systemd lab hosts — the unit
// Debian's package ships (Type=notify, members started together with --no-block), bosun's drop-in,
// enabled at boot; deploy, no-op, check/diff, hostile input. Then, on the same cluster, what only
// systemd does: a rolling restart through systemctl, a drop-in change (daemon-reload, then the
// restarts), and a member that does not come back, reported with its journal.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { siteSuite } from '../helpers/etcd-site-suite.js';
import { QUICK_HEALTH, assertRolling, rollout } from '../helpers/rollout.js';
import { recap, run, repoRoot } from '../helpers/run.js';
import { withLab } from '../helpers/lab.js';
import { labInventory, sshArgs, type LabState } from '../../lib/lab/lab.js';

function ssh(lab: LabState, host: string, cmd: string): string {
  return spawnSync('ssh', [...sshArgs(lab, host), cmd], { encoding: 'utf8', timeout: 30_000 }).stdout.trim();
}

const mainPids = (lab: LabState) => Object.fromEntries(lab.hosts.map((h) => [h.name, ssh(lab, h.name, 'systemctl show -p MainPID --value etcd')]));

t.test('site.yml on a fresh 3-host systemd lab', (t) =>
  siteSuite(t, {
    name: 'sdsite',
    subnetIndex: 39,
    domain: 'sdsite.test',
    init: 'systemd',
    then: async (t, { lab, inv, site }) => {
      const names = lab.hosts.map((h) => h.name);

      await t.test('a config change restarts the members through systemd, one at a time', async (t) => {
        const before = mainPids(lab);
        const r = await run([...site, '-e', '{"etcd_extra_env": {"ETCD_HEARTBEAT_INTERVAL": "150"}}']);
        t.equal(r.code, 0, r.stdout.slice(-3000) + r.stderr);
        assertRolling(t, r, names);
        const after = mainPids(lab);
        for (const h of names) {
          t.not(after[h], before[h], `${h}: a new main process`);
          t.match(ssh(lab, h, `tr '\\0' '\\n' < /proc/${after[h]}/environ | grep ^ETCD_HEARTBEAT_INTERVAL=`), 'ETCD_HEARTBEAT_INTERVAL=150', `${h} runs with the new setting`);
        }
      });

      await t.test('a drop-in change: daemon-reload once, then the rolling restart', async (t) => {
        const r = await run([...site, '-e', '{"etcd_extra_env": {"ETCD_HEARTBEAT_INTERVAL": "150"}}', '-e', 'etcd_limit_nofile=70000']);
        t.equal(r.code, 0, r.stdout.slice(-3000) + r.stderr);
        t.match(r.stdout, /TASK \[etcd : systemd reloads the unit when its files changed \(only then\)\] \*+\n(changed: \[node\d\][^\n]*\n){3}/, 'reloaded on every member');
        assertRolling(t, r, names);
        // systemd's view of the unit: a lab host's PID 1 inherits the test machine's hard limit on open
        // files and cannot raise it (the process gets min(that, LimitNOFILE)); a real host has no such cap
        for (const h of names) t.equal(ssh(lab, h, 'systemctl show -p LimitNOFILE --value etcd'), '70000', `${h}: the new limit is in force`);
      });

      await t.test('a member that does not come back: the rollout stops, the message carries its journal; a fixed rerun converges', async (t) => {
        // the etcd role alone (site.yml's verification play would wait on the dead member)
        const pb = join(t.testdir({ 'members.yml': '- hosts: etcd\n  roles: [etcd]\n' }), 'members.yml');
        const before = mainPids(lab);
        const bad = await run([pb, '-i', inv, ...site.slice(3), '--roles-path', join(repoRoot, 'roles'), '-e', 'etcd_health_retries=2', '-e', 'etcd_health_delay=1',
          '-e', 'etcd_limit_nofile=70000', '-e', '{"etcd_extra_env": {"ETCD_HEARTBEAT_INTERVAL": "not-a-number"}}']);
        t.equal(bad.code, 2, 'the run fails');
        t.match(bad.stdout, /node1: etcd did not become healthy after its restart, so the remaining members are not restarted\. etcd: etcd not healthy after \d+ attempts[^|]*\| service: systemd: (activating|failed|inactive)/, 'node1 fails with etcd\'s error and its systemd state');
        t.match(bad.stdout, /journal: [^\n]*not-a-number/, "the journal's last lines say why etcd exits");
        t.match(bad.stdout, /not restarting node2: another member failed earlier in this play/);
        t.same(rollout(bad.stdout), ['restart node1'], 'only node1 was restarted');
        const mid = mainPids(lab);
        t.equal(mid.node2, before.node2, 'node2 not restarted');
        t.equal(mid.node3, before.node3, 'node3 not restarted');

        const fixed = await run([...site, '-e', 'etcd_limit_nofile=70000']);
        t.equal(fixed.code, 0, fixed.stdout.slice(-3000) + fixed.stderr);
        for (const h of names) t.equal(ssh(lab, h, 'systemctl is-active etcd'), 'active', `${h} active`);
      });
    },
  }),
);

// Issue 18 item 3: a RHEL-family host keeps the guide's layout — /etc/etcd/etcd.conf, which RHEL's
// unit reads; here the unit is Debian's (the lab simulates the family's facts only), so bosun's
// drop-in points it there. One member is enough to show the layout.
t.test('RHEL family on systemd: /etc/etcd/etcd.conf is the environment file', async (t) => {
  const lab = await withLab(t, { hosts: 1, name: 'sdrhel', subnetIndex: 39, domain: 'sdrhel.test', init: 'systemd', family: 'redhat' });
  const dir = t.testdir({});
  const inv = join(dir, 'inventory.yml');
  writeFileSync(inv, labInventory(lab));
  const site = [join(repoRoot, 'playbooks', 'site.yml'), '-i', inv, '-e', `etcd_ca_dir=${join(dir, 'ca')}`, '-e', 'etcd_root_password=pw-rhel-1', ...QUICK_HEALTH];
  const r = await run(site);
  t.equal(r.code, 0, r.stdout.slice(-3000) + r.stderr);
  t.match(r.stdout, /TASK \[etcd : Environment file \/etc\/etcd\/etcd\.conf\]/);
  t.equal(ssh(lab, 'node1', 'head -1 /etc/etcd/etcd.conf'), '# Managed by bosun (role etcd) — changes here are overwritten.');
  t.notMatch(ssh(lab, 'node1', 'cat /etc/default/etcd 2>/dev/null'), /Managed by bosun/, '/etc/default/etcd is not written');
  t.equal(ssh(lab, 'node1', 'systemctl show -p EnvironmentFiles --value etcd'), '/etc/etcd/etcd.conf (ignore_errors=no)');
  t.equal(ssh(lab, 'node1', "tr '\\0' '\\n' < /proc/$(systemctl show -p MainPID --value etcd)/environ | grep ^ETCD_ADVERTISE_CLIENT_URLS="), `ETCD_ADVERTISE_CLIENT_URLS=https://${lab.hosts[0]!.fqdn}:2379`, 'etcd runs with the values of etcd.conf');
  t.equal(ssh(lab, 'node1', 'systemctl is-active etcd; systemctl is-enabled etcd'), 'active\nenabled');
  const again = await run(site);
  t.equal(again.code, 0, again.stdout.slice(-3000));
  for (const [h, s] of Object.entries(recap(again.stdout))) t.equal(s.changed, 0, `${h} changed=0`);
});
