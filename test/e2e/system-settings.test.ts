// sysctl, cron, hostname and timezone on lab hosts over SSH. Each lab host has its own network
// namespace (net.* sysctls), UTS namespace (kernel host name) and root overlay (/etc): the test
// proves the control node's values did not move. --check predicts every change and leaves the
// hosts byte-identical; the run makes them (checked with sysctl, crontab -l, hostname, readlink on
// the host); a rerun changes nothing in at most one request per task per host.
import t from 'tap';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { withLab } from '../helpers/lab.js';
import { bosunRun, checkPredicts, parseRecap, remote, rerunIsNoop, tempDir, writeInventory } from '../fixtures/e2e/harness.js';

const HOSTS = ['node1', 'node2'];
const KEYS = ['net.ipv4.ip_forward', 'net.ipv4.ip_local_port_range', 'net.ipv4.conf.all.rp_filter'];

const PLAY = `
- hosts: all
  gather_facts: false
  tasks:
    - name: forwarding, in the file and live
      sysctl: { name: net.ipv4.ip_forward, value: "1", sysctl_set: true }
    - name: a port range in its own file, applied by reload
      ansible.posix.sysctl: { name: net.ipv4.ip_local_port_range, value: "20000 40000", sysctl_file: /etc/sysctl.d/60-ports.conf }
    - name: only in the file
      sysctl: { name: net.ipv4.conf.all.rp_filter, value: "1", reload: false }
    - name: a root job
      cron: { name: defrag, minute: "0", hour: "3", job: "/usr/local/bin/defrag >/dev/null 2>&1" }
    - name: a variable
      ansible.builtin.cron: { name: MAILTO, env: true, job: ops@example.com }
    - name: a cron.d file
      cron: { name: nightly, special_time: daily, user: nobody, cron_file: bosun-nightly, job: /usr/bin/true }
    - name: host name
      hostname: { name: "web-{{ inventory_hostname }}.example.com" }
    - name: time zone
      community.general.timezone: { name: Europe/Paris }
`;
const TASKS = 8;

function control(): string {
  return [
    execFileSync('sysctl', ['-n', ...KEYS], { encoding: 'utf8' }),
    hostname(),
    readFileSync('/etc/hostname', 'utf8'),
    readlinkSync('/etc/localtime'),
  ].join('|');
}

t.test('sysctl, cron, hostname and timezone on lab hosts', async (t) => {
  const lab = await withLab(t, { hosts: 2, name: 'users-sys', subnetIndex: 29, packages: ['cron'] });
  const dir = tempDir(t, 'e2e-sys-');
  const inv = writeInventory(lab, dir);
  const site = path.join(dir, 'site.yml');
  writeFileSync(site, PLAY);
  for (const h of HOSTS) {
    const r = await remote(lab, h, 'apt-get -q update >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends cron >/dev/null 2>&1; command -v crontab', undefined, 180_000);
    t.equal(r.code, 0, `${h}: cron installed from the lab repository ${r.err}`);
  }
  const ctl = control();

  const checkOut = await checkPredicts(t, lab, [site, '-i', inv], HOSTS, TASKS);
  t.match(checkOut, /\+net\.ipv4\.ip_forward=1\n/);
  t.match(checkOut, /--- before: crontab\n\+\+\+ after: crontab\n@@ -0,0 \+1,2 @@\n\+#Ansible: defrag\n\+0 3 \* \* \* \/usr\/local\/bin\/defrag/);
  t.match(checkOut, /-hostname = node2\n\+hostname = web-node2\.example\.com/);
  t.match(checkOut, /-name = Etc\/UTC\n\+name = Europe\/Paris/);

  const r1 = await bosunRun([site, '-i', inv]);
  t.equal(r1.code, 0, r1.err + r1.out);
  for (const h of HOSTS) t.equal(parseRecap(r1.out)[h]!.changed, TASKS, `${h}: ${TASKS} changed`);
  for (const h of HOSTS) {
    const r = await remote(
      lab,
      h,
      `sysctl -n ${KEYS.join(' ')}; grep -v '^#' /etc/sysctl.conf | grep .; cat /etc/sysctl.d/60-ports.conf; crontab -l; cat /etc/cron.d/bosun-nightly; ` +
        'stat -c %a /etc/cron.d/bosun-nightly; hostname; cat /etc/hostname; readlink /etc/localtime; cat /etc/timezone',
    );
    t.equal(
      r.out.toString(),
      '1\n20000\t40000\n0\n' +
        'net.ipv4.ip_forward=1\nnet.ipv4.conf.all.rp_filter=1\nnet.ipv4.ip_local_port_range=20000 40000\n' +
        'MAILTO="ops@example.com"\n#Ansible: defrag\n0 3 * * * /usr/local/bin/defrag >/dev/null 2>&1\n' +
        '#Ansible: nightly\n@daily nobody /usr/bin/true\n644\n' +
        `web-${h}.example.com\nweb-${h}.example.com\n/usr/share/zoneinfo/Europe/Paris\nEurope/Paris\n`,
      `${h}: values on the host (rp_filter only in the file: reload=false)`,
    );
  }
  t.equal(control(), ctl, 'the control node kept its sysctls, host name and time zone');

  await rerunIsNoop(t, [site, '-i', inv], HOSTS, TASKS);

  // removals: the job and the variable go, the cron.d file goes with its last job, the sysctl leaves the file
  writeFileSync(
    site,
    `- hosts: node1\n  gather_facts: false\n  tasks:\n` +
      `    - cron: { name: defrag, state: absent }\n` +
      `    - cron: { name: MAILTO, env: true, state: absent }\n` +
      `    - cron: { name: nightly, cron_file: bosun-nightly, state: absent }\n` +
      `    - sysctl: { name: net.ipv4.conf.all.rp_filter, state: absent }\n`,
  );
  const r3 = await bosunRun([site, '-i', inv, '--diff']);
  t.equal(r3.code, 0, r3.err + r3.out);
  t.equal(parseRecap(r3.out).node1!.changed, 4);
  const after = await remote(lab, 'node1', 'crontab -l | grep -c . ; test -e /etc/cron.d/bosun-nightly || echo no-file; grep -c "^net.ipv4.conf.all.rp_filter=" /etc/sysctl.conf');
  t.equal(after.out.toString(), '0\nno-file\n0\n');
  const r4 = await bosunRun([site, '-i', inv]);
  t.equal(parseRecap(r4.out).node1!.changed, 0, 'removals are idempotent');
});
